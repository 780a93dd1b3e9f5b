"""The influence matrix and the contrasts that suites declare on it.

Sign convention: ``values[i][j] = s(θ_i, p_j) − s(θ_0, p_j)``. Rows are trained-on items,
columns tested-on items; positive means "learning item i made item j more likely".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch


@dataclass(frozen=True)
class Contrast:
    """A declared expectation: rows ``trained_on`` should move ``tested_on`` in direction
    ``expected`` relative to how they move ``baseline``.

    Effect on one matrix: ``mean(M[trained_on, tested_on]) − mean(M[trained_on, baseline])``.
    A suite attaches contrasts to the property that checks them (``property`` is its name).
    """

    property: str
    trained_on: tuple[str, ...]
    tested_on: tuple[str, ...]
    baseline: tuple[str, ...]
    expected: Literal[1, -1] = 1
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "property": self.property,
            "trained_on": list(self.trained_on),
            "tested_on": list(self.tested_on),
            "baseline": list(self.baseline),
            "expected": self.expected,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Contrast:
        return cls(
            property=data["property"],
            trained_on=tuple(data["trained_on"]),
            tested_on=tuple(data["tested_on"]),
            baseline=tuple(data["baseline"]),
            expected=data.get("expected", 1),
            note=data.get("note", ""),
        )


@dataclass
class InfluenceMatrix:
    """Influence of learning each item (row) on each item's score (column), for one seed.

    Attributes:
        suite: Suite name.
        strategy: Strategy name (how the trained item was presented).
        seed: The seed of the entity draw and of the fine-tuning.
        items: Item ids, the same order for rows and columns.
        values: ``n×n`` float64 tensor of score changes.
        texts: Item texts (``None`` for images).
        tags: Per-item tags, aligned with ``items``.
        contrasts: The suite's declared expectations.
        estimator: ``fine-tune``, ``in-context`` or ``first-order``.
        base_scores: Scores before learning, aligned with ``items``.
    """

    suite: str
    strategy: str
    seed: int
    items: list[str]
    values: torch.Tensor
    texts: list[str | None] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    contrasts: list[Contrast] = field(default_factory=list)
    estimator: str = "fine-tune"
    base_scores: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.values = torch.as_tensor(self.values, dtype=torch.float64)
        n = len(self.items)
        if tuple(self.values.shape) != (n, n):
            raise ValueError(
                f"values must be {n}×{n} for {n} items, got {tuple(self.values.shape)}"
            )

    def index(self, ids: Sequence[str]) -> list[int]:
        """Positions of the given item ids (KeyError names a missing one)."""
        position = {item_id: k for k, item_id in enumerate(self.items)}
        return [position[item_id] for item_id in ids]

    def block_mean(
        self, trained_on: Sequence[str], tested_on: Sequence[str], absolute: bool = False
    ) -> float:
        """Mean of ``M[trained_on, tested_on]`` (or of ``|M|``), leaving out self-influence."""
        rows = torch.tensor(self.index(trained_on), dtype=torch.long)
        cols = torch.tensor(self.index(tested_on), dtype=torch.long)
        block = self.values[rows][:, cols]  # (len(rows), len(cols))
        entries = block[rows.unsqueeze(1) != cols.unsqueeze(0)]
        if absolute:
            entries = entries.abs()
        return float(entries.mean()) if entries.numel() else math.nan

    def contrast_effect(self, contrast: Contrast) -> float:
        """Effect of one contrast on this matrix (see :class:`Contrast`)."""
        target = self.block_mean(contrast.trained_on, contrast.tested_on)
        reference = self.block_mean(contrast.trained_on, contrast.baseline)
        return target - reference

    def symmetry_index(self) -> float:
        """The paper's symmetry index ``1 / ‖M − Mᵀ‖_F`` (higher = more symmetric)."""
        norm = torch.linalg.matrix_norm(self.values - self.values.T).item()
        return math.inf if norm == 0 else 1.0 / norm

    def off_diagonal(self) -> torch.Tensor:
        """The ``n·(n−1)`` off-diagonal entries, row by row."""
        n = len(self.items)
        mask = ~torch.eye(n, dtype=torch.bool)
        return self.values[mask]

    def to_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "strategy": self.strategy,
            "seed": self.seed,
            "estimator": self.estimator,
            "items": list(self.items),
            "texts": list(self.texts),
            "tags": [dict(tag) for tag in self.tags],
            "base_scores": list(self.base_scores),
            "values": self.values.tolist(),
            "contrasts": [contrast.to_dict() for contrast in self.contrasts],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InfluenceMatrix:
        return cls(
            suite=data["suite"],
            strategy=data["strategy"],
            seed=data["seed"],
            items=list(data["items"]),
            values=torch.tensor(data["values"], dtype=torch.float64),
            texts=list(data.get("texts", [])),
            tags=[dict(tag) for tag in data.get("tags", [])],
            contrasts=[Contrast.from_dict(c) for c in data.get("contrasts", [])],
            estimator=data.get("estimator", "fine-tune"),
            base_scores=list(data.get("base_scores", [])),
        )
