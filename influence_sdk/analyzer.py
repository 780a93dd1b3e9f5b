"""The Analyzer: runs suites × strategies × seeds, checks properties, returns a Report."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from influence_sdk.config import RunConfig, name_list
from influence_sdk.config import seed_list as config_seed_list
from influence_sdk.errors import ConfigError
from influence_sdk.estimators import fine_tune_row, in_context_row, score_checked
from influence_sdk.items import Probe
from influence_sdk.matrix import InfluenceMatrix
from influence_sdk.models.base import Model
from influence_sdk.properties import PROPERTIES, PropertyResult, get_property
from influence_sdk.recipe import FineTuneRecipe
from influence_sdk.report import Report, environment
from influence_sdk.runstore import RunStore, base_unit, draw_fingerprint, generated_unit, row_unit
from influence_sdk.strategy import Strategy, load_strategy
from influence_sdk.suites import Suite, build_suite, default_suites
from influence_sdk.validation import check_strategy_texts

logger = logging.getLogger(__name__)


class Analyzer:
    """Measure empirical influence on a model and check it against the desiderata.

    Args:
        model: The model to fine-tune and score.
        suites: Suite names or ``.jsonl`` paths; default: the built-ins of the model's modality.
        seeds: A number of seeds (``3`` = seeds 0, 1, 2) or the seeds themselves.
        recipe: How each item is learned; default :class:`FineTuneRecipe()`.
        properties: Property names; default: every registered property.
        strategies: Strategy names or ``.toml`` paths; default ``["plain"]``.
        output: Run directory; finished units are saved there and reused on a rerun.
        overwrite: Discard a run directory made with another config instead of refusing it.
        progress: Show progress bars.
        model_name: Name recorded in the config (defaults to the model's own name).

    Example:
        >>> from influence_sdk import Analyzer, load_model
        >>> analyzer = Analyzer(load_model(), suites=["transitivity"], seeds=3)  # doctest: +SKIP
        >>> report = analyzer.evaluate()  # doctest: +SKIP
        >>> print(report.summary())  # doctest: +SKIP
    """

    def __init__(
        self,
        model: Model,
        *,
        suites: Sequence[str] | None = None,
        seeds: int | Sequence[int] = 3,
        recipe: FineTuneRecipe | None = None,
        properties: Sequence[str] | None = None,
        strategies: Sequence[str] | None = None,
        output: str | Path | None = None,
        overwrite: bool = False,
        progress: bool = True,
        model_name: str | None = None,
        first_order: bool = False,
    ) -> None:
        if not isinstance(model, Model):
            raise ConfigError(
                f"model must be an influence_sdk Model, got {type(model).__name__}; load one with "
                "influence_sdk.load_model(...) or wrap yours in HFCausalLM / ImageClassifier"
            )
        self.model = model
        self.first_order = first_order  # also report the gradient-dot-product estimate
        seed_list = config_seed_list(seeds)
        suites, properties, strategies = (
            name_list(suites, "suites"),
            name_list(properties, "properties"),
            name_list(strategies, "strategies"),
        )
        described = model.describe()
        self.config = RunConfig.build(
            model=model_name or str(described.get("name", type(model).__name__)),
            suites=list(suites) if suites else default_suites(model.modality),
            strategies=list(strategies) if strategies else ["plain"],
            properties=list(properties) if properties else sorted(PROPERTIES),
            seeds=seed_list,
            recipe=recipe or FineTuneRecipe(),
            device=str(described.get("device", "cpu")),
            dtype=str(described.get("dtype", "float32")),
            model_fingerprint=model.fingerprint(),
        )
        if self.config.dtype == "float16" and self.config.recipe.optimizer == "adamw":
            # AdamW's eps (1e-8) underflows to 0 in float16, so the first step divides by zero.
            raise ConfigError(
                "AdamW cannot step float16 weights (its eps 1e-8 underflows to 0 and the update "
                "becomes NaN); use --dtype bfloat16 or float32, or --optimizer sgd"
            )
        self.output = output
        self.overwrite = overwrite
        self.progress = progress

    def evaluate(self) -> Report:
        """Run every suite × strategy × seed, check the properties and build the report.

        Everything that can be validated is validated before the first fine-tune. With an
        ``output`` directory, every finished row is saved at once and a rerun resumes.
        """
        config = self.config
        properties = [get_property(name) for name in config.properties]
        strategies = [load_strategy(name) for name in config.strategies]
        for strategy in strategies:
            self._chat_context(strategy)  # a missing chat template fails before any fine-tune
        draws = self._draw_suites()
        check_strategy_texts(self.model, draws, strategies, self._chat_context)
        store = RunStore(self.output, config, overwrite=self.overwrite)
        self.store = store
        for (suite_name, seed), suite in draws.items():  # an edited suite or strategy file
            for strategy in strategies:  # must not resume from units of its old content
                fingerprint = draw_fingerprint(suite.items, strategy.model_dump(mode="json"))
                store.check_draw(suite_name, strategy.name, seed, fingerprint)

        matrices: list[InfluenceMatrix] = []
        for suite_name in config.suites:
            for strategy in strategies:
                for seed in config.seeds:
                    suite = draws[(suite_name, seed)]
                    matrices.append(self._matrix(suite, suite_name, strategy, seed, store))

        results = evaluate_properties(properties, matrices)
        figures = self._figures(matrices, store)
        report = Report.build(
            config=config.model_dump(mode="json"),
            environment=environment(self.model),
            matrices=matrices,
            properties=results,
            extras=self._extras(figures, matrices, draws, strategies, store),
        )
        store.write("report.json", report.to_json())
        store.write("report.md", report.to_markdown())
        logger.info(
            "units: %d computed, %d loaded from earlier runs%s",
            store.computed,
            store.loaded,
            f" in {store.root}" if store.root else "",
        )
        return report

    def _extras(
        self,
        figures: dict[str, str],
        matrices: list[InfluenceMatrix],
        draws: dict[tuple[str, int], Suite],
        strategies: list[Strategy],
        store: RunStore,
    ) -> dict[str, Any]:
        extras: dict[str, Any] = {"figures": figures} if figures else {}
        if self.first_order:
            from influence_sdk.estimators.first_order import compare, first_order_matrix

            by_name = {strategy.name: strategy for strategy in strategies}
            extras["first_order"] = []
            for matrix, suite_key in zip(matrices, self._suite_keys(), strict=True):
                strategy = by_name[matrix.strategy]
                if strategy.mode != "fine-tune":
                    continue  # nothing is learned in context: no gradient step to linearise
                suite = draws[(suite_key, matrix.seed)]
                texts = self._rendered(suite, suite_key, strategy, matrix.seed, store)
                trained = [
                    item.probe()
                    if text is None
                    else Probe(text=text, context=self._chat_context(strategy), item_id=item.id)
                    for item, text in zip(suite.items, texts, strict=True)
                ]
                probes = [item.probe() for item in suite.items]
                predicted = first_order_matrix(self.model, trained, probes, self.config.recipe)
                extras["first_order"].append(compare(matrix, predicted))
        return extras

    def _suite_keys(self) -> list[str]:
        """The suite key of each matrix, in the order :meth:`evaluate` builds them."""
        return [
            suite
            for suite in self.config.suites
            for _strategy in self.config.strategies
            for _seed in self.config.seeds
        ]

    def _figures(self, matrices: list[InfluenceMatrix], store: RunStore) -> dict[str, str]:
        """PNG figures next to the report (block grid etc.); none without a run directory."""
        if store.root is None:
            return {}
        from influence_sdk.figures import write_figures  # matplotlib only when writing files

        return write_figures(matrices, store.root)

    def _draw_suites(self) -> dict[tuple[str, int], Suite]:
        """Every suite for every seed, with every probe checked by the model up front."""
        draws = {}
        for name in self.config.suites:
            for seed in self.config.seeds:
                suite = build_suite(name, seed)
                if suite.items[0].image is None and self.model.modality == "image":
                    raise ConfigError(
                        f"suite {name!r} holds text items; this model classifies images"
                    )
                self.model.check([item.probe() for item in suite.items])
                unknown = sorted({c.property for c in suite.contrasts} - set(PROPERTIES))
                if unknown:
                    raise ConfigError(
                        f"suite {name!r} declares contrasts for unknown properties {unknown}; "
                        f"use one of: {', '.join(sorted(PROPERTIES))} (or register yours first)"
                    )
                draws[(name, seed)] = suite
        return draws

    def _matrix(
        self, suite: Suite, suite_key: str, strategy: Strategy, seed: int, store: RunStore
    ) -> InfluenceMatrix:
        probes = [item.probe() for item in suite.items]
        base = self._base_scores(suite, suite_key, strategy, seed, probes, store)
        trained_texts = self._rendered(suite, suite_key, strategy, seed, store)

        rows: list[torch.Tensor] = []
        label = f"{suite.name}/{strategy.name}/seed {seed}"
        for k, item in enumerate(tqdm(suite.items, desc=label, disable=not self.progress)):
            saved = store.load(
                suite_key, strategy.name, seed, f"row-{k:04d}", valid=row_unit(len(probes))
            )
            if saved is not None and saved["item"] == item.id:
                rows.append(torch.tensor(saved["values"], dtype=torch.float64))
                continue
            row = self._row(item.probe(), trained_texts[k], strategy, probes, base, seed)
            store.save(
                suite_key,
                strategy.name,
                seed,
                f"row-{k:04d}",
                {"item": item.id, "values": row.tolist()},
            )
            rows.append(row)
        logger.info("finished %s (%d rows)", label, len(rows))

        return InfluenceMatrix(
            suite=suite.name,
            strategy=strategy.name,
            seed=seed,
            items=[item.id for item in suite.items],
            values=torch.stack(rows),
            texts=[item.text for item in suite.items],
            tags=[dict(item.tags) for item in suite.items],
            contrasts=list(suite.contrasts),
            estimator=strategy.mode,
            base_scores=base.tolist(),
        )

    def _row(
        self,
        item_probe: Probe,
        rendered: str | None,
        strategy: Strategy,
        probes: list[Probe],
        base: torch.Tensor,
        seed: int,
    ) -> torch.Tensor:
        if self.model.modality == "image":
            return fine_tune_row(self.model, [item_probe], probes, base, self.config.recipe, seed)
        assert rendered is not None
        if strategy.mode == "in-context":
            return in_context_row(self.model, strategy.context_for(rendered), probes, base)
        trained = Probe(
            text=rendered, context=self._chat_context(strategy), item_id=item_probe.item_id
        )
        return fine_tune_row(self.model, [trained], probes, base, self.config.recipe, seed)

    def _base_scores(
        self,
        suite: Suite,
        suite_key: str,
        strategy: Strategy,
        seed: int,
        probes: list[Probe],
        store: RunStore,
    ) -> torch.Tensor:
        """Scores before learning, under the strategy's layout; computed once per draw."""
        saved = store.load(suite_key, strategy.name, seed, "base", valid=base_unit(len(probes)))
        ids = [item.id for item in suite.items]
        texts = [item.text for item in suite.items]
        if saved is not None and saved["items"] == ids and saved["texts"] == texts:
            return torch.tensor(saved["scores"], dtype=torch.float64)
        if strategy.mode == "in-context" and strategy.prefix:
            probes = [
                Probe(text=p.text, context=strategy.prefix, item_id=p.item_id) for p in probes
            ]
        scores = score_checked(self.model, probes, "before any fine-tuning")
        store.save(
            suite_key,
            strategy.name,
            seed,
            "base",
            {"items": ids, "texts": texts, "scores": scores.tolist()},
        )
        return scores

    def _rendered(
        self, suite: Suite, suite_key: str, strategy: Strategy, seed: int, store: RunStore
    ) -> list[str | None]:
        """What is learned (or placed in context) for each item, generating text if needed."""
        if self.model.modality == "image":
            return [None] * len(suite.items)
        if strategy.generate is None:
            return [strategy.render(item) for item in suite.items]
        saved = store.load(
            suite_key, strategy.name, seed, "generated", valid=generated_unit(len(suite.items))
        )
        if saved is not None and saved["items"] == [item.id for item in suite.items]:
            generated = saved["generated"]
        else:
            generation = strategy.generate
            generated = [
                strategy.finish_generated(
                    self.model.generate(strategy.generation_prompt(item), generation.max_new_tokens)
                )
                for item in tqdm(
                    suite.items, desc=f"generating {strategy.name}", disable=not self.progress
                )
            ]
            store.save(
                suite_key,
                strategy.name,
                seed,
                "generated",
                {"items": [item.id for item in suite.items], "generated": generated},
            )
        return [
            strategy.render(item, text) for item, text in zip(suite.items, generated, strict=True)
        ]

    def _chat_context(self, strategy: Strategy) -> str:
        if not strategy.chat:
            return ""
        chat_prefix = getattr(self.model, "chat_prefix", None)
        if chat_prefix is None:
            raise ConfigError(
                f"strategy {strategy.name!r} needs a chat template, which this model lacks; "
                "use strategy 'plain' or an instruct model with a chat template"
            )
        return str(chat_prefix(strategy.chat_user))


def evaluate_properties(
    properties: Sequence[Any], matrices: Sequence[InfluenceMatrix]
) -> list[PropertyResult]:
    """Each property over the seeds of each (suite, strategy), in a stable order."""
    groups: dict[tuple[str, str], list[InfluenceMatrix]] = {}
    for matrix in matrices:
        groups.setdefault((matrix.suite, matrix.strategy), []).append(matrix)
    results = []
    for (_suite, _strategy), group in groups.items():
        for prop in properties:
            result = prop.evaluate(group)
            if result is not None:
                results.append(result)
    return results
