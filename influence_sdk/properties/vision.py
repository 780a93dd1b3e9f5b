"""Properties of labelled (image) suites: class structure and noise selectivity (paper §4).

They read only item tags: ``class`` for class structure, ``noise_level`` (``clean`` versus
anything else) for the noise properties, so they apply to ``mnist_noise`` and to any user suite
with such tags, and skip the language suites (whose items carry neither tag).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from influence_sdk.matrix import InfluenceMatrix
from influence_sdk.properties.base import Property, register_property

CLEAN = "clean"
TOP_PAIRS = 5  # class pairs listed as the most interacting in a verdict's details


def _tag_values(matrix: InfluenceMatrix, key: str) -> list[Any] | None:
    """The value of tag ``key`` for every item, or None if some item lacks it."""
    if len(matrix.tags) != len(matrix.items) or not matrix.tags:
        return None
    values = [tags.get(key) for tags in matrix.tags]
    return None if any(value is None for value in values) else values


def class_means(matrix: InfluenceMatrix) -> tuple[list[Any], torch.Tensor]:
    """Classes (sorted) and the mean influence between them, shape ``(classes, classes)``.

    Entry ``[a, b]`` averages ``M[i, j]`` over items ``i`` of class ``a`` and ``j`` of class
    ``b``, leaving out the diagonal ``i = j`` (self-influence).
    """
    labels = _tag_values(matrix, "class") or []
    classes = sorted(set(labels))
    members = torch.tensor([classes.index(label) for label in labels])
    one_hot = torch.nn.functional.one_hot(members, len(classes)).double()  # (n, classes)
    off = matrix.values.clone().fill_diagonal_(0.0)
    sums = one_hot.T @ off @ one_hot  # (classes, classes)
    counts = one_hot.T @ (1 - torch.eye(len(labels), dtype=torch.float64)) @ one_hot
    return classes, sums / counts.clamp(min=1)


@register_property
class ClassStructure(Property):
    name = "class_structure"
    description = (
        "items shape their own class: mean influence within a class (off-diagonal) exceeds the "
        "mean influence between classes"
    )

    def applies_to(self, matrix: InfluenceMatrix) -> bool:
        labels = _tag_values(matrix, "class")
        return labels is not None and 1 < len(set(labels)) < len(labels)

    def effect(self, matrix: InfluenceMatrix) -> float:
        labels = _tag_values(matrix, "class") or []
        same = torch.tensor([[a == b for b in labels] for a in labels])
        off = ~torch.eye(len(labels), dtype=torch.bool)
        within, between = matrix.values[same & off], matrix.values[~same]
        return float(within.mean() - between.mean())

    def details(self, matrices: Sequence[InfluenceMatrix]) -> dict[str, Any]:
        """Class-pair means over seeds, symmetrised, and the most interacting pairs."""
        classes, first = class_means(matrices[0])
        mean = sum((class_means(m)[1] for m in matrices), torch.zeros_like(first)) / len(matrices)
        pairs = [
            (float((mean[a, b] + mean[b, a]) / 2), classes[a], classes[b])
            for a in range(len(classes))
            for b in range(a + 1, len(classes))
        ]
        pairs.sort(key=lambda pair: pair[0], reverse=True)
        return {
            "classes": classes,
            "class_means": mean.tolist(),
            "top_between_class_pairs": [
                {"classes": [a, b], "mean_influence": value} for value, a, b in pairs[:TOP_PAIRS]
            ],
        }


class _NoiseProperty(Property):
    """Base of the noise properties: needs clean and noisy items (tag ``noise_level``)."""

    def applies_to(self, matrix: InfluenceMatrix) -> bool:
        levels = _tag_values(matrix, "noise_level")
        return levels is not None and CLEAN in levels and any(level != CLEAN for level in levels)

    def _groups(self, matrix: InfluenceMatrix) -> tuple[list[str], list[str]]:
        levels = _tag_values(matrix, "noise_level") or []
        clean = [item for item, level in zip(matrix.items, levels, strict=True) if level == CLEAN]
        noisy = [item for item, level in zip(matrix.items, levels, strict=True) if level != CLEAN]
        return clean, noisy

    def details(self, matrices: Sequence[InfluenceMatrix]) -> dict[str, Any]:
        """Mean |influence| per (trained-on level, tested-on level) block, averaged over seeds."""
        blocks: dict[str, list[float]] = {}
        for matrix in matrices:
            levels = _tag_values(matrix, "noise_level") or []
            names = list(dict.fromkeys(levels))
            for row_level in names:
                for col_level in names:
                    rows = [
                        i for i, lv in zip(matrix.items, levels, strict=True) if lv == row_level
                    ]
                    cols = [
                        i for i, lv in zip(matrix.items, levels, strict=True) if lv == col_level
                    ]
                    key = f"{row_level}->{col_level}"
                    blocks.setdefault(key, []).append(matrix.block_mean(rows, cols, absolute=True))
        return {
            "mean_abs_influence_trained_to_tested": {k: sum(v) / len(v) for k, v in blocks.items()}
        }


@register_property
class NoiseSelectivity(_NoiseProperty):
    name = "noise_selectivity"
    description = (
        "clean items shape noisy ones more than the reverse: mean |M[clean, noisy]| exceeds "
        "mean |M[noisy, clean]|"
    )

    def effect(self, matrix: InfluenceMatrix) -> float:
        clean, noisy = self._groups(matrix)
        return matrix.block_mean(clean, noisy, absolute=True) - matrix.block_mean(
            noisy, clean, absolute=True
        )


@register_property
class NoisyTeachLess(_NoiseProperty):
    name = "noisy_teach_less"
    description = (
        "noisy items teach less: the mean |influence| of learning a clean item on the other "
        "items exceeds that of learning a noisy item"
    )

    def effect(self, matrix: InfluenceMatrix) -> float:
        clean, noisy = self._groups(matrix)
        return matrix.block_mean(clean, matrix.items, absolute=True) - matrix.block_mean(
            noisy, matrix.items, absolute=True
        )
