"""Figures of a strategy comparison, written as PNG next to the report.

* one heatmap page per suite: the influence matrix averaged over seeds, one panel per strategy,
  each panel on its own symmetric colour scale (in-context and fine-tuning influence differ in
  size by orders of magnitude, so one shared scale would hide one of them);
* one bar chart: the symmetry index per suite and strategy, with each seed as a dot.

Drawing uses matplotlib's Agg canvas directly and never touches pyplot's global state.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from influence_sdk.matrix import InfluenceMatrix

logger = logging.getLogger(__name__)

FOLDER = "figures"


def write_comparison_figures(
    matrices: Sequence[InfluenceMatrix],
    symmetry: Sequence[dict[str, Any]],
    strategies: Sequence[str],
    directory: Path,
) -> dict[str, str]:
    """Draw the heatmaps and the symmetry bar chart; ``{title: path relative to directory}``."""
    figures: dict[str, str] = {}
    for suite in dict.fromkeys(m.suite for m in matrices):
        panels = []
        for strategy in strategies:
            group = [m for m in matrices if m.suite == suite and m.strategy == strategy]
            if group and all(m.items == group[0].items for m in group):
                panels.append((strategy, group))
        if not panels:
            logger.info("heatmap skipped for %s: item ids differ between seeds", suite)
            continue
        relative = f"{FOLDER}/compare-heatmap-{_safe(suite)}.png"
        _save(_heatmaps(suite, panels), directory / relative)
        figures[f"Influence per strategy: {suite} (mean over seeds)"] = relative
    if symmetry:
        relative = f"{FOLDER}/compare-symmetry-index.png"
        _save(_symmetry_bars(symmetry, strategies), directory / relative)
        figures["Symmetry index per suite and strategy"] = relative
    return figures


def _heatmaps(suite: str, panels: list[tuple[str, list[InfluenceMatrix]]]) -> Figure:
    n_items = len(panels[0][1][0].items)
    size = max(3.0, 0.32 * n_items + 1.5)
    figure = Figure(figsize=(size * len(panels), size + 0.6))
    for k, (strategy, group) in enumerate(panels):
        mean = torch.stack([m.values for m in group]).mean(0) * 1000  # (n, n), ×10³
        limit = float(mean.abs().max()) or 1.0
        axes = figure.add_subplot(1, len(panels), k + 1)
        image = axes.imshow(mean.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ids = group[0].items
        axes.set_xticks(range(len(ids)), ids, rotation=90, fontsize=7)
        axes.set_yticks(range(len(ids)), ids, fontsize=7)
        axes.set_title(f"{strategy} ({group[0].estimator}, {len(group)} seeds)", fontsize=9)
        axes.set_xlabel("tested on", fontsize=8)
        if k == 0:
            axes.set_ylabel("trained on", fontsize=8)
        colorbar = figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
        colorbar.ax.tick_params(labelsize=7)
        colorbar.set_label("Δ score ×10³", fontsize=7)
    figure.suptitle(f"{suite}: influence M[trained on, tested on] per strategy", fontsize=10)
    figure.tight_layout()
    return figure


def _symmetry_bars(symmetry: Sequence[dict[str, Any]], strategies: Sequence[str]) -> Figure:
    suites = list(dict.fromkeys(row["suite"] for row in symmetry))
    width = 0.8 / max(len(strategies), 1)
    figure = Figure(figsize=(max(5.0, 1.6 * len(suites) * max(len(strategies), 2) / 2), 3.8))
    axes = figure.add_subplot(1, 1, 1)
    rows = {(row["suite"], row["strategy"]): row for row in symmetry}
    for k, strategy in enumerate(strategies):
        offsets = [s + (k - (len(strategies) - 1) / 2) * width for s in range(len(suites))]
        found = [rows.get((suite, strategy), {}) for suite in suites]
        heights = [_finite(row.get("symmetry_index")) for row in found]
        axes.bar(offsets, heights, width=width, label=strategy)
        for x, row in zip(offsets, found, strict=True):
            seeds = [v for v in row.get("per_seed", []) if v is not None]
            axes.plot([x] * len(seeds), seeds, "k.", markersize=3)
    axes.set_xticks(range(len(suites)), suites)
    axes.set_ylabel("symmetry index 1/‖M − Mᵀ‖_F")
    axes.set_title("Symmetry index (bar: mean over seeds; dots: seeds)", fontsize=10)
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure


def _finite(value: float | None) -> float:
    return 0.0 if value is None else value


def _safe(name: str) -> str:
    """A file-name-safe form of a suite name (suites may be paths)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).stem if "/" in name else name)


def _save(figure: Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=110)
