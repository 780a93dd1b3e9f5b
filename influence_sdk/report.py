"""The Report: config, environment, influence matrices and property verdicts.

``report.json`` holds no timestamps or timings, so the same config and seeds give the same
file byte for byte on the same machine, whether the run was interrupted and resumed or not.
"""

from __future__ import annotations

import json
import math
import platform
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict

from influence_sdk.matrix import InfluenceMatrix
from influence_sdk.properties.base import Property, PropertyResult, mean_or_nan

PACKAGES = ("influence-sdk", "torch", "transformers", "peft", "sentence-transformers", "datasets")


class SymmetrySummary(BaseModel):
    """The paper's symmetry index ``1/‖M − Mᵀ‖_F`` for one suite and strategy, over seeds."""

    model_config = ConfigDict(extra="forbid")

    suite: str
    strategy: str
    symmetry_index: float | None
    per_seed: list[float | None]


class Report(BaseModel):
    """Everything a run produced, serializable to JSON and Markdown.

    Example:
        >>> report = Report.load("runs/a/report.json")  # doctest: +SKIP
        >>> report.recheck([MyProperty()])  # new property, no model needed  # doctest: +SKIP
    """

    model_config = ConfigDict(extra="forbid")

    config: dict[str, Any]
    environment: dict[str, Any]
    matrices: list[dict[str, Any]]
    properties: list[PropertyResult]
    symmetry: list[SymmetrySummary]
    extras: dict[str, Any] = {}

    @classmethod
    def build(
        cls,
        config: dict[str, Any],
        environment: dict[str, Any],
        matrices: Sequence[InfluenceMatrix],
        properties: Sequence[PropertyResult],
        extras: dict[str, Any] | None = None,
    ) -> Report:
        return cls(
            config=config,
            environment=environment,
            matrices=[_finite(m.to_dict()) for m in matrices],
            properties=list(properties),
            symmetry=symmetry_summaries(matrices),
            extras=extras or {},
        )

    # ---- access -----------------------------------------------------------------------

    def influence_matrices(
        self, suite: str | None = None, strategy: str | None = None
    ) -> list[InfluenceMatrix]:
        """The matrices, optionally only those of one suite and/or strategy."""
        return [
            InfluenceMatrix.from_dict(m)
            for m in self.matrices
            if (suite is None or m["suite"] == suite)
            and (strategy is None or m["strategy"] == strategy)
        ]

    def recheck(self, properties: Sequence[Property]) -> list[PropertyResult]:
        """Evaluate (new) properties on the saved matrices, without any model."""
        from influence_sdk.analyzer import evaluate_properties

        return evaluate_properties(properties, self.influence_matrices())

    # ---- output -----------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(_finite(self.model_dump(mode="json")), indent=1, allow_nan=False) + "\n"

    @classmethod
    def load(cls, path: str | Path) -> Report:
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))

    def summary(self) -> str:
        """A plain-text verdict table: one line per property, suite and strategy."""
        # Columns as wide as their longest entry (suite names like mnist_noise:k=30 are long).
        suite_w = max([14, *(len(r.suite) for r in self.properties)])
        strategy_w = max([16, *(len(r.strategy) for r in self.properties)])
        name_w = max([20, *(len(r.name) for r in self.properties)])
        header = (
            f"{'suite':<{suite_w}} {'strategy':<{strategy_w}} {'property':<{name_w}} "
            f"{'verdict':<12} {'effect':>10}  {'95% CI':<23} {'p':>7} {'n':>3}"
        )
        lines = [header, "-" * len(header)]
        for r in self.properties:
            lines.append(
                f"{r.suite:<{suite_w}} {r.strategy:<{strategy_w}} {r.name:<{name_w}} "
                f"{r.verdict:<12} {_num(r.effect):>10}  "
                f"{_interval(r):<23} {_num(r.p_value, 3):>7} {r.n_seeds:>3}"
            )
        return "\n".join(lines)

    def to_markdown(self) -> str:
        from influence_sdk.report_markdown import render_markdown

        return render_markdown(self)


def symmetry_summaries(matrices: Sequence[InfluenceMatrix]) -> list[SymmetrySummary]:
    groups: dict[tuple[str, str], list[float]] = {}
    for matrix in matrices:
        groups.setdefault((matrix.suite, matrix.strategy), []).append(matrix.symmetry_index())
    return [
        SymmetrySummary(
            suite=suite,
            strategy=strategy,
            symmetry_index=_clean(mean_or_nan(values)),
            per_seed=[_clean(v) for v in values],
        )
        for (suite, strategy), values in groups.items()
    ]


def environment(model: Any) -> dict[str, Any]:
    """Versions, platform, device and dtype: what may change numbers between machines."""
    versions: dict[str, str | None] = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.is_available(),
        "versions": versions,
        "model": model.describe(),
    }


def _clean(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _finite(value: Any) -> Any:
    """Replace NaN and infinities by None, recursively (JSON has no such numbers)."""
    if isinstance(value, float):
        return _clean(value)
    if isinstance(value, dict):
        return {key: _finite(v) for key, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _num(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}g}" if abs(value) < 1e-3 and value != 0 else f"{value:.{digits}f}"


def _interval(result: PropertyResult) -> str:
    if result.ci_low is None or result.ci_high is None:
        return "—"
    return f"[{_num(result.ci_low)}, {_num(result.ci_high)}]"
