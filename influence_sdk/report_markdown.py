"""Markdown rendering of a :class:`~influence_sdk.report.Report`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from influence_sdk.report import Report


def render_markdown(report: Report) -> str:
    """The report as a Markdown page: verdicts, symmetry, config, environment, matrices."""
    from influence_sdk.report import _interval, _num

    lines = ["# influence-sdk report", ""]
    config = report.config
    lines += [
        f"Model `{config.get('model')}`, suites {', '.join(config.get('suites', []))}, "
        f"strategies {', '.join(config.get('strategies', []))}, seeds {config.get('seeds')}.",
        "",
        "Effects are oriented so that a positive value points the way the desideratum wants; a",
        "verdict is `holds` or `violated` when a one-sided t-test over seeds gives p < 0.05.",
        "",
        "## Verdicts",
        "",
        "| suite | strategy | property | verdict | effect | 95% CI | p | seeds |",
        "|---|---|---|---|---:|---|---:|---:|",
    ]
    for r in report.properties:
        lines.append(
            f"| {r.suite} | {r.strategy} | {r.name} | **{r.verdict}** | {_num(r.effect)} | "
            f"{_interval(r)} | {_num(r.p_value, 3)} | {r.n_seeds} |"
        )
    lines += [
        "",
        "## Symmetry index 1/‖M − Mᵀ‖_F (mean over seeds)",
        "",
        "| suite | strategy | index |",
        "|---|---|---:|",
    ]
    for s in report.symmetry:
        lines.append(f"| {s.suite} | {s.strategy} | {_num(s.symmetry_index)} |")
    if "comparison" in report.extras:
        from influence_sdk.comparison.table import comparison_markdown

        strategies = report.extras.get("strategies", {})
        lines += ["", *comparison_markdown(report.extras["comparison"], strategies)]
    for title, path in report.extras.get("figures", {}).items():
        lines += ["", f"![{title}]({path})"]
    lines += ["", "## Influence matrices (first seed of each suite and strategy)", ""]
    shown: set[tuple[str, str]] = set()
    for m in report.matrices:
        key = (m["suite"], m["strategy"])
        if key in shown:
            continue
        shown.add(key)
        lines += [
            f"### {m['suite']} / {m['strategy']} / seed {m['seed']}",
            "",
            _matrix_table(m),
            "",
        ]
    lines += [
        "## Configuration",
        "",
        "```json",
        json.dumps(report.config, indent=2, sort_keys=True),
        "```",
        "",
        "## Environment",
        "",
        "```json",
        json.dumps(report.environment, indent=2, sort_keys=True),
        "```",
        "",
    ]
    return "\n".join(lines)


def _matrix_table(matrix: dict) -> str:
    """Rows trained-on, columns tested-on, values ×1000 for readability."""
    ids = matrix["items"]
    rows = [
        "Values ×10³; rows trained-on, columns tested-on.",
        "",
        "| trained ↓ / tested → | " + " | ".join(cell(i) for i in ids) + " |",
    ]
    rows.append("|---|" + "---:|" * len(ids))
    for item_id, values in zip(ids, matrix["values"], strict=True):
        cells = " | ".join("—" if v is None else f"{1000 * v:.2f}" for v in values)
        rows.append(f"| {cell(item_id)} | {cells} |")
    return "\n".join(rows)


def cell(text: object) -> str:
    """Text safe inside a Markdown table cell: pipes escaped, line breaks and controls shown."""
    shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(text))
    return shown.replace("|", "\\|")
