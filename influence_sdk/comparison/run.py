"""``compare``: run several strategies on the same suites, probes and seeds and set them side by
side with ``plain`` (the paper's fine-tuning baseline), marking where a strategy rescues or
breaks a desideratum. One :class:`~influence_sdk.report.Report` holds everything; the
comparison lives in ``report.extras["comparison"]`` and the figures next to ``report.md``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from influence_sdk.analyzer import Analyzer
from influence_sdk.comparison.table import BASELINE, build_comparison
from influence_sdk.errors import StrategyError
from influence_sdk.models.base import Model
from influence_sdk.recipe import FineTuneRecipe
from influence_sdk.report import Report
from influence_sdk.strategy import Strategy, describe_strategy, load_strategy

logger = logging.getLogger(__name__)


def with_baseline(strategies: Sequence[str]) -> list[str]:
    """``plain`` first, then the given strategies in order, each once."""
    return list(dict.fromkeys([BASELINE, *(str(s) for s in strategies)]))


def compare(
    model: Model,
    strategies: Sequence[str] = ("in-context",),
    *,
    suites: Sequence[str] | None = None,
    seeds: int | Sequence[int] = 3,
    recipe: FineTuneRecipe | None = None,
    properties: Sequence[str] | None = None,
    output: str | Path | None = None,
    overwrite: bool = False,
    progress: bool = True,
    model_name: str | None = None,
) -> Report:
    """Measure influence under ``plain`` and each strategy and compare them in one report.

    Args:
        model: The model to fine-tune and score.
        strategies: Strategy names or ``.toml`` paths; ``plain`` is always added first.
        suites: Suite names or ``.jsonl`` paths; default: the built-ins of the model's modality.
        seeds: A number of seeds or the seeds themselves.
        recipe: How each item is learned (fine-tune strategies).
        properties: Property names; default: every registered property.
        output: Run directory for units, report and figures (resumable).
        overwrite: Discard a run directory made with another config.
        progress: Show progress bars.
        model_name: Name recorded in the config.

    Returns:
        The report; ``report.extras["comparison"]`` holds the property × strategy table and
        the symmetry index per suite and strategy.

    Example:
        >>> from influence_sdk import compare, load_model
        >>> model = load_model()  # doctest: +SKIP
        >>> report = compare(model, ["cot"], suites=["chain_induces"])  # doctest: +SKIP
    """
    analyzer = Analyzer(
        model,
        suites=suites,
        seeds=seeds,
        recipe=recipe,
        properties=properties,
        strategies=with_baseline(strategies),
        output=output,
        overwrite=overwrite,
        progress=progress,
        model_name=model_name,
    )
    return run_comparison(analyzer)


def run_comparison(analyzer: Analyzer) -> Report:
    """Evaluate an Analyzer whose strategies start with ``plain`` and add the comparison."""
    loaded = _load_distinct(analyzer.config.strategies)
    names = [strategy.name for strategy in loaded]
    logger.info("comparing strategies %s", ", ".join(names))
    report = analyzer.evaluate()

    comparison = build_comparison(report.properties, report.symmetry, names)
    extras: dict[str, Any] = dict(report.extras)
    extras["comparison"] = comparison
    extras["strategies"] = {strategy.name: describe_strategy(strategy) for strategy in loaded}
    if analyzer.output is not None:
        # matplotlib is imported only when figures are written
        from influence_sdk.comparison.figures import write_comparison_figures

        drawn = write_comparison_figures(
            report.influence_matrices(), comparison["symmetry"], names, Path(analyzer.output)
        )
        extras["figures"] = {**extras.get("figures", {}), **drawn}

    report = report.model_copy(update={"extras": extras})
    analyzer.store.write("report.json", report.to_json())
    analyzer.store.write("report.md", report.to_markdown())
    return report


def _load_distinct(specs: Sequence[str]) -> list[Strategy]:
    """The strategies, checked to start with the baseline and to have distinct names."""
    loaded = [load_strategy(spec) for spec in specs]
    names = [strategy.name for strategy in loaded]
    if not names or names[0] != BASELINE:
        raise StrategyError(
            f"a comparison needs {BASELINE!r} as its first strategy, got {names}; "
            "use compare() or with_baseline()"
        )
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise StrategyError(
            f"strategies {specs} share the name(s) {duplicates}; give each strategy file its "
            "own name (field 'name')"
        )
    return loaded
