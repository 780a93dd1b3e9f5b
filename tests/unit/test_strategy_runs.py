"""Strategies on a tiny model: generated slot, fair scoring, chat prefix, comparison marks."""

from __future__ import annotations

import pytest
import torch

from influence_sdk import Analyzer, ConfigError, FineTuneRecipe, Probe, build_suite, compare
from influence_sdk.comparison import build_comparison, change_against_baseline
from influence_sdk.estimators import fine_tune_row
from influence_sdk.properties import PropertyResult
from influence_sdk.report import SymmetrySummary
from influence_sdk.strategy import load_strategy

TEMPLATE = (
    "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def _row(report, k: int) -> torch.Tensor:
    """Row ``k`` of the report's first matrix, as float64."""
    return torch.tensor(report.matrices[0]["values"][k], dtype=torch.float64)


def test_generation_on_tiny_model_is_deterministic(tiny_lm):
    prompt = load_strategy("cot").generation_prompt(build_suite("chain_induces", 0).items[0])
    assert tiny_lm.generate(prompt, 12) == tiny_lm.generate(prompt, 12)


def test_cot_learns_the_item_plus_the_models_own_reasoning(tiny_lm_factory):
    suite = build_suite("chain_induces", 0)
    recipe = FineTuneRecipe()
    first = Analyzer(
        tiny_lm_factory(),
        suites=["chain_induces"],
        seeds=[0],
        strategies=["cot"],
        properties=["memorization"],
        progress=False,
    ).evaluate()
    again = Analyzer(
        tiny_lm_factory(),
        suites=["chain_induces"],
        seeds=[0],
        strategies=["cot"],
        properties=["memorization"],
        progress=False,
    ).evaluate()
    assert first.matrices[0]["values"] == again.matrices[0]["values"]

    # Recompute row 2 by hand: generate, cut, render, learn; compare with the Analyzer's row.
    model, cot = tiny_lm_factory(), load_strategy("cot")
    item = suite.items[2]
    prompt = item.text + "\nLet's think step by step about what follows from this.\n"
    raw = model.generate(prompt, 32)
    learned = item.text + "\n" + raw.strip().split("\n\n", 1)[0].strip()
    assert cot.render(item, cot.finish_generated(raw)) == learned
    probes = [i.probe() for i in suite.items]
    base = model.score(probes)
    row = fine_tune_row(model, [Probe(text=learned, item_id=item.id)], probes, base, recipe, 0)
    assert torch.allclose(row, _row(first, 2), atol=1e-7)


def test_every_strategy_is_scored_on_the_same_probes_with_equal_fine_tune_baselines(tiny_lm):
    report = Analyzer(
        tiny_lm,
        suites=["chain_induces"],
        seeds=[0],
        strategies=["plain", "cot", "in-context"],
        properties=["memorization"],
        progress=False,
    ).evaluate()
    suite = build_suite("chain_induces", 0)
    direct = tiny_lm.score([item.probe() for item in suite.items]).tolist()
    by_strategy = {m.strategy: m for m in report.influence_matrices()}

    for matrix in by_strategy.values():
        assert matrix.items == [item.id for item in suite.items]
        assert matrix.texts == [item.text for item in suite.items]
    assert by_strategy["plain"].base_scores == direct
    assert by_strategy["cot"].base_scores == direct
    # The in-context strategy has no prefix, so its layout before learning is the probe alone.
    assert by_strategy["in-context"].base_scores == direct


def test_in_context_row_scores_the_probe_after_the_item(tiny_lm):
    report = Analyzer(
        tiny_lm,
        suites=["chain_induces"],
        seeds=[0],
        strategies=["in-context"],
        properties=["memorization"],
        progress=False,
    ).evaluate()
    suite = build_suite("chain_induces", 0)
    probes = [item.probe() for item in suite.items]
    placed = [Probe(text=p.text, context=suite.items[1].text + "\n") for p in probes]
    expected = tiny_lm.score(placed) - tiny_lm.score(probes)
    assert torch.allclose(_row(report, 1), expected, atol=1e-9)


def test_chat_prefix_renders_the_models_template_up_to_the_assistant_turn(tiny_lm):
    tiny_lm.tokenizer.chat_template = TEMPLATE
    assert tiny_lm.chat_prefix("Tell me something you know.") == (
        "<|user|>Tell me something you know.\n<|assistant|>"
    )


def test_chat_strategy_without_template_fails_before_any_fine_tune(tiny_lm, monkeypatch):
    def no_fine_tune(*args, **kwargs):
        raise AssertionError("fine-tuning started before the chat template was checked")

    monkeypatch.setattr(tiny_lm, "fine_tuned", no_fine_tune)
    analyzer = Analyzer(
        tiny_lm, suites=["chain_induces"], seeds=[0], strategies=["plain", "chat"], progress=False
    )
    with pytest.raises(ConfigError, match="model 'tiny-llama' has no chat template"):
        analyzer.evaluate()


def test_chat_strategy_learns_the_item_after_the_chat_prefix(tiny_lm):
    tiny_lm.tokenizer.chat_template = TEMPLATE
    report = Analyzer(
        tiny_lm,
        suites=["chain_induces"],
        seeds=[0],
        strategies=["chat"],
        properties=["memorization"],
        progress=False,
    ).evaluate()
    suite = build_suite("chain_induces", 0)
    probes = [item.probe() for item in suite.items]
    base = tiny_lm.score(probes)
    header = "<|user|>Tell me something you know.\n<|assistant|>"
    trained = Probe(text=suite.items[0].text, context=header)
    row = fine_tune_row(tiny_lm, [trained], probes, base, FineTuneRecipe(), 0)
    assert torch.allclose(row, _row(report, 0), atol=1e-7)


@pytest.mark.parametrize(
    ("baseline", "verdict", "change"),
    [
        ("inconclusive", "holds", "rescues"),
        ("violated", "holds", "rescues"),
        ("holds", "inconclusive", "breaks"),
        ("holds", "violated", "breaks"),
        ("holds", "holds", None),
        ("violated", "inconclusive", None),
        (None, "holds", None),
    ],
)
def test_rescue_and_break_marks(baseline, verdict, change):
    assert change_against_baseline(baseline, verdict) == change


def _result(strategy: str, verdict: str, effect: float) -> PropertyResult:
    return PropertyResult(
        name="causal_direction",
        suite="chain_induces",
        strategy=strategy,
        verdict=verdict,
        effect=effect,
        ci_low=effect - 1,
        ci_high=effect + 1,
        p_value=0.01,
        n_seeds=3,
        expected=1,
        null=0.0,
        per_seed=[effect] * 3,
    )


def test_comparison_table_marks_rescue_and_gives_symmetry_ratio():
    results = [_result("plain", "violated", -2.0), _result("in-context", "holds", 3.0)]
    symmetry = [
        SymmetrySummary(
            suite="chain_induces", strategy=name, symmetry_index=index, per_seed=[index]
        )
        for name, index in [("plain", 2.0), ("in-context", 0.5)]
    ]
    comparison = build_comparison(results, symmetry, ["plain", "in-context"])
    assert [(r["strategy"], r["verdict"], r["change"]) for r in comparison["table"]] == [
        ("plain", "violated", None),
        ("in-context", "holds", "rescues"),
    ]
    assert [r["ratio_to_baseline"] for r in comparison["symmetry"]] == [1.0, 0.25]


def test_compare_always_includes_plain_first_and_records_strategies(tiny_lm):
    report = compare(
        tiny_lm,
        ["in-context", "plain"],
        suites=["chain_induces"],
        seeds=2,
        properties=["causal_direction"],
        progress=False,
    )
    comparison = report.extras["comparison"]
    assert comparison["strategies"] == ["plain", "in-context"]
    assert [r["strategy"] for r in comparison["table"]] == ["plain", "in-context"]
    assert report.extras["strategies"]["in-context"]["mode"] == "in-context"
    assert "figures" not in report.extras  # no output directory, no files
