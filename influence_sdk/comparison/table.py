"""The strategy comparison table: each property's verdict per strategy, marked against plain.

Pure functions over a report's property results and symmetry summaries, so a saved report can
be compared again without a model. A strategy **rescues** a property on a suite when the
property does not hold under the baseline (``plain``) but holds under the strategy, and
**breaks** it in the reverse case. The result is stored in ``Report.extras["comparison"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from influence_sdk.properties.base import PropertyResult
    from influence_sdk.report import SymmetrySummary

BASELINE = "plain"


def change_against_baseline(baseline_verdict: str | None, verdict: str) -> str | None:
    """``"rescues"``, ``"breaks"`` or None, comparing a strategy's verdict with plain's."""
    if baseline_verdict is None:
        return None
    if baseline_verdict != "holds" and verdict == "holds":
        return "rescues"
    if baseline_verdict == "holds" and verdict != "holds":
        return "breaks"
    return None


def build_comparison(
    properties: Sequence[PropertyResult],
    symmetry: Sequence[SymmetrySummary],
    strategies: Sequence[str],
    baseline: str = BASELINE,
) -> dict[str, Any]:
    """The comparison as plain JSON data: a row per suite × property × strategy, and the
    symmetry index per suite × strategy with its ratio to the baseline's."""
    verdicts = {(r.suite, r.name, r.strategy): r for r in properties}
    table = []
    for suite, name in dict.fromkeys((r.suite, r.name) for r in properties):
        reference = verdicts.get((suite, name, baseline))
        for strategy in strategies:
            result = verdicts.get((suite, name, strategy))
            if result is None:
                continue
            change = None
            if strategy != baseline:
                reference_verdict = reference.verdict if reference is not None else None
                change = change_against_baseline(reference_verdict, result.verdict)
            table.append(
                {
                    "suite": suite,
                    "property": name,
                    "strategy": strategy,
                    "verdict": result.verdict,
                    "effect": result.effect,
                    "ci_low": result.ci_low,
                    "ci_high": result.ci_high,
                    "p_value": result.p_value,
                    "n_seeds": result.n_seeds,
                    "change": change,
                }
            )

    indices = {(s.suite, s.strategy): s for s in symmetry}
    symmetry_rows = []
    for suite in dict.fromkeys(s.suite for s in symmetry):
        reference_index = getattr(indices.get((suite, baseline)), "symmetry_index", None)
        for strategy in strategies:
            summary = indices.get((suite, strategy))
            if summary is None:
                continue
            ratio = None
            if summary.symmetry_index is not None and reference_index:
                ratio = summary.symmetry_index / reference_index
            symmetry_rows.append(
                {
                    "suite": suite,
                    "strategy": strategy,
                    "symmetry_index": summary.symmetry_index,
                    "per_seed": list(summary.per_seed),
                    "ratio_to_baseline": ratio,
                }
            )
    return {
        "baseline": baseline,
        "strategies": list(strategies),
        "table": table,
        "symmetry": symmetry_rows,
    }


def comparison_summary(comparison: dict[str, Any]) -> str:
    """Plain text for the terminal: property × strategy verdicts, then the symmetry index."""
    from influence_sdk.report import _num

    header = (
        f"{'suite':<14} {'property':<20} {'strategy':<16} {'verdict':<12} {'effect':>10}  "
        f"{'95% CI':<23} vs {comparison['baseline']}"
    )
    lines = [header, "-" * len(header)]
    for row in comparison["table"]:
        interval = _interval(row, _num)
        lines.append(
            f"{row['suite']:<14} {row['property']:<20} {row['strategy']:<16} {row['verdict']:<12} "
            f"{_num(row['effect']):>10}  {interval:<23} {(row['change'] or '').upper()}"
        )
    lines += ["", f"{'suite':<14} {'strategy':<16} {'symmetry index':>14} {'ratio':>8}"]
    for row in comparison["symmetry"]:
        lines.append(
            f"{row['suite']:<14} {row['strategy']:<16} {_num(row['symmetry_index']):>14} "
            f"{_num(row['ratio_to_baseline'], 3):>8}"
        )
    return "\n".join(lines)


def comparison_markdown(comparison: dict[str, Any], described: dict[str, Any]) -> list[str]:
    """Markdown lines: strategies used, the property × strategy table, the symmetry index."""
    from influence_sdk.report import _num

    strategies = comparison["strategies"]
    baseline = comparison["baseline"]
    lines = [
        f"## Strategy comparison (baseline `{baseline}`)",
        "",
        f"⬆ **rescues**: not holding under `{baseline}`, holding under the strategy; ⬇ **breaks**:",
        "the reverse. Every strategy is scored on the same probes and scored tokens, each against",
        "its own baseline scores (the model before learning, under the strategy's layout).",
        "",
        "| strategy | mode | what is learned or placed in context |",
        "|---|---|---|",
    ]
    for name in strategies:
        spec = described.get(name, {})
        lines.append(f"| {name} | {spec.get('mode', '?')} | {spec.get('description', '')} |")

    lines += ["", "| suite | property | " + " | ".join(strategies) + " |"]
    lines.append("|---|---|" + "---|" * len(strategies))
    cells: dict[tuple[str, str], dict[str, str]] = {}
    for row in comparison["table"]:
        mark = {"rescues": " ⬆ rescues", "breaks": " ⬇ breaks"}.get(row["change"] or "", "")
        cells.setdefault((row["suite"], row["property"]), {})[row["strategy"]] = (
            f"**{row['verdict']}**{mark}<br>{_num(row['effect'])} {_interval(row, _num)}"
        )
    for (suite, name), by_strategy in cells.items():
        shown = " | ".join(by_strategy.get(s, "—") for s in strategies)
        lines.append(f"| {suite} | {name} | {shown} |")

    lines += [
        "",
        f"### Symmetry index 1/‖M − Mᵀ‖_F per suite and strategy (ratio to `{baseline}`)",
        "",
        "| suite | " + " | ".join(strategies) + " |",
        "|---|" + "---:|" * len(strategies),
    ]
    index: dict[str, dict[str, str]] = {}
    for row in comparison["symmetry"]:
        ratio = row["ratio_to_baseline"]
        shown = _num(row["symmetry_index"]) + ("" if ratio is None else f" (×{ratio:.2f})")
        index.setdefault(row["suite"], {})[row["strategy"]] = shown
    for suite, by_strategy in index.items():
        shown = " | ".join(by_strategy.get(s, "—") for s in strategies)
        lines.append(f"| {suite} | {shown} |")
    return lines + [""]


def _interval(row: dict[str, Any], number: Any) -> str:
    if row["ci_low"] is None or row["ci_high"] is None:
        return "—"
    return f"[{number(row['ci_low'])}, {number(row['ci_high'])}]"
