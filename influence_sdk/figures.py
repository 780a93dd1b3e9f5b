"""Figures written next to a report: the paper's block-grid heatmap and a per-class summary.

They are drawn for every suite and strategy whose items carry ``class`` and ``noise_level``
tags (``mnist_noise``; user suites with those tags too), from the influence matrices averaged
over seeds. Items keep their role across seeds (``mnist_noise`` ids name level, class and
position), so the average is taken position by position. Drawing uses matplotlib's Agg canvas
directly and never touches pyplot's global state or the user's backend.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from influence_sdk.matrix import InfluenceMatrix
from influence_sdk.properties.vision import class_means

logger = logging.getLogger(__name__)

LEVEL_ORDER = ("clean", "low", "high")


def write_figures(matrices: Sequence[InfluenceMatrix], directory: Path) -> dict[str, str]:
    """Draw the figures that apply; return ``{title: file name relative to directory}``."""
    groups: dict[tuple[str, str], list[InfluenceMatrix]] = {}
    for matrix in matrices:
        if _has_tags(matrix, "class", "noise_level"):
            groups.setdefault((matrix.suite, matrix.strategy), []).append(matrix)
    figures: dict[str, str] = {}
    for (suite, strategy), group in groups.items():
        if any(m.items != group[0].items for m in group):
            logger.info("figures skipped for %s/%s: item ids differ between seeds", suite, strategy)
            continue
        mean = mean_matrix(group)
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{suite}-{strategy}")
        seeds = f"mean of {len(group)} seed{'s' if len(group) > 1 else ''}"
        grid, classes = f"{stem}-block-grid.png", f"{stem}-per-class.png"
        draw_block_grid(mean, directory / grid, f"{suite} / {strategy}: influence M ({seeds})")
        draw_class_summary(mean, directory / classes, f"{suite} / {strategy}: per class ({seeds})")
        figures[f"{suite} / {strategy}: block grid (trained-on noise × tested-on noise)"] = grid
        figures[f"{suite} / {strategy}: per-class influence"] = classes
    return figures


def mean_matrix(group: Sequence[InfluenceMatrix]) -> InfluenceMatrix:
    """Position-wise mean over seeds, keeping the first seed's ids and tags."""
    first = group[0]
    values = torch.stack([m.values for m in group]).mean(0)  # (n, n)
    return InfluenceMatrix(
        first.suite, first.strategy, first.seed, first.items, values, tags=first.tags
    )


def _has_tags(matrix: InfluenceMatrix, *keys: str) -> bool:
    return bool(matrix.tags) and all(all(k in tags for k in keys) for tags in matrix.tags)


def grid_order(matrix: InfluenceMatrix) -> tuple[list[int], list[str]]:
    """Item positions sorted by noise level (clean, low, high), then class, then id."""
    levels = [str(tags["noise_level"]) for tags in matrix.tags]
    names = sorted(
        set(levels), key=lambda lv: (LEVEL_ORDER.index(lv) if lv in LEVEL_ORDER else 9, lv)
    )
    order = sorted(
        range(len(matrix.items)),
        key=lambda k: (names.index(levels[k]), matrix.tags[k]["class"], matrix.items[k]),
    )
    return order, names


def draw_block_grid(matrix: InfluenceMatrix, path: Path, title: str) -> None:
    """Heatmap of M, rows trained-on and columns tested-on, in noise-level blocks."""
    order, levels = grid_order(matrix)
    index = torch.tensor(order)
    values = matrix.values[index][:, index]  # (n, n), rows and columns in grid order
    off = values[~torch.eye(len(order), dtype=torch.bool)].abs()
    limit = float(torch.quantile(off, 0.99)) or 1e-12  # the diagonal would wash out the rest

    figure = Figure(figsize=(8.5, 7.5), dpi=110, layout="constrained")
    axes = figure.add_subplot()
    image = axes.imshow(
        values.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest"
    )
    figure.colorbar(
        image, ax=axes, shrink=0.8, label="Δ log p(label)  (colour clipped at 99th pct |M|)"
    )

    level_of = [str(matrix.tags[k]["noise_level"]) for k in order]
    class_of = [matrix.tags[k]["class"] for k in order]
    starts = [k for k in range(len(order)) if k == 0 or level_of[k] != level_of[k - 1]]
    for k in range(1, len(order)):
        if class_of[k] != class_of[k - 1] and level_of[k] == level_of[k - 1]:
            for line in (axes.axhline, axes.axvline):
                line(k - 0.5, color="0.6", linewidth=0.3)
    for k in starts[1:]:
        for line in (axes.axhline, axes.axvline):
            line(k - 0.5, color="black", linewidth=1.2)
    ends = [*starts[1:], len(order)]
    centers = [(a + b - 1) / 2 for a, b in zip(starts, ends, strict=True)]
    axes.set_xticks(centers, [f"tested: {level_of[s]}" for s in starts])
    axes.set_yticks(centers, [f"trained: {level_of[s]}" for s in starts], rotation=90, va="center")
    class_starts = [k for k in range(len(order)) if k == 0 or class_of[k] != class_of[k - 1]]
    class_ends = [*class_starts[1:], len(order)]
    class_centers = [(a + b - 1) / 2 for a, b in zip(class_starts, class_ends, strict=True)]
    class_labels = [str(class_of[k]) for k in class_starts]
    axes.set_xticks(class_centers, class_labels, minor=True, fontsize=5)
    axes.set_yticks(class_centers, class_labels, minor=True, fontsize=5)
    axes.tick_params(which="major", pad=10, length=0)
    axes.set_title(
        f"{title}\nrows trained-on, columns tested-on; classes sorted inside blocks", fontsize=10
    )
    _save(figure, path)


def draw_class_summary(matrix: InfluenceMatrix, path: Path, title: str) -> None:
    """Left: mean influence between classes; right: within- vs between-class mean per class."""
    classes, means = class_means(matrix)  # (c, c)
    n = len(classes)
    within = means.diagonal()
    between = (means.sum(1) - within) / max(n - 1, 1)  # trained-on class -> other classes

    figure = Figure(figsize=(12, 5), dpi=110, layout="constrained")
    left, right = figure.subplots(1, 2)
    # Colour scaled to the between-class means, so confusable pairs show; the diagonal saturates.
    between_pairs = means[~torch.eye(n, dtype=torch.bool)].abs()
    limit = float(between_pairs.max()) if n > 1 else float(means.abs().max())
    image = left.imshow(means.numpy(), cmap="RdBu_r", vmin=-limit or -1e-12, vmax=limit or 1e-12)
    figure.colorbar(image, ax=left, shrink=0.85, label="mean Δ log p(label) (diagonal clipped)")
    left.set_xticks(range(n), [str(c) for c in classes])
    left.set_yticks(range(n), [str(c) for c in classes])
    left.set_xlabel("tested-on class")
    left.set_ylabel("trained-on class")
    left.set_title(
        "mean influence between classes (diagonal: other items of the same class)", fontsize=9
    )

    positions = torch.arange(n, dtype=torch.float64)
    right.bar((positions - 0.2).numpy(), within.numpy(), width=0.4, label="within class")
    right.bar((positions + 0.2).numpy(), between.numpy(), width=0.4, label="to other classes")
    right.axhline(0, color="black", linewidth=0.6)
    right.set_xticks(range(n), [str(c) for c in classes])
    right.set_xlabel("trained-on class")
    right.set_ylabel("mean Δ log p(label)")
    right.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    right.set_title("what learning one item of a class does", fontsize=9)
    figure.suptitle(title, fontsize=10)
    _save(figure, path)


def _save(figure: Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(figure)
    figure.savefig(path)
    logger.info("wrote %s", path)
