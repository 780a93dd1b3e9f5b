"""Strategy comparison: the same suites, probes and seeds under ``plain`` and other strategies.

* :mod:`~influence_sdk.comparison.run` — :func:`compare` runs the strategies and builds one report;
* :mod:`~influence_sdk.comparison.table` — the property × strategy table with ``rescues`` and
  ``breaks`` marks and the symmetry index per suite and strategy (pure, no model needed);
* :mod:`~influence_sdk.comparison.figures` — heatmaps per strategy and the symmetry bar chart.
"""

from __future__ import annotations

from influence_sdk.comparison.run import compare, run_comparison, with_baseline
from influence_sdk.comparison.table import (
    BASELINE,
    build_comparison,
    change_against_baseline,
    comparison_markdown,
    comparison_summary,
)

__all__ = [
    "BASELINE",
    "build_comparison",
    "change_against_baseline",
    "compare",
    "comparison_markdown",
    "comparison_summary",
    "run_comparison",
    "with_baseline",
]
