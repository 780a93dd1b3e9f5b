"""The :class:`Property` interface and its registry.

A property sees only influence matrices (values, item ids, texts, tags, contrasts), never a
model, so an old report can be re-checked with a new property without loading anything.
"""

from __future__ import annotations

import math
import warnings
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from pydantic import BaseModel, ConfigDict

from influence_sdk.errors import PropertyError
from influence_sdk.matrix import InfluenceMatrix
from influence_sdk.properties.stats import summarize


class PropertyResult(BaseModel):
    """A property's verdict over seeds for one suite and strategy."""

    model_config = ConfigDict(extra="forbid")

    name: str
    suite: str
    strategy: str
    verdict: str
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n_seeds: int
    expected: int
    null: float
    per_seed: list[float | None]
    details: dict[str, Any] = {}


class Property(ABC):
    """A desideratum checked on influence matrices.

    Subclass, set ``name``, ``description`` and ``expected`` (+1: the effect should exceed
    ``null``; -1: it should fall below), implement :meth:`effect`, and call
    :func:`register_property`. :meth:`evaluate` turns per-seed effects into a verdict.

    Example:
        >>> @register_property
        ... class DiagonalIsPositive(Property):
        ...     name = "diagonal_positive"
        ...     description = "self-influence is positive"
        ...     def effect(self, matrix):
        ...         return float(matrix.values.diagonal().mean())
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    expected: ClassVar[int] = 1
    null: ClassVar[float] = 0.0

    def applies_to(self, matrix: InfluenceMatrix) -> bool:
        """Whether this property can be computed on ``matrix`` (e.g. it declares a contrast)."""
        return True

    @abstractmethod
    def effect(self, matrix: InfluenceMatrix) -> float:
        """The effect on one seed's matrix (NaN if undefined for that seed)."""

    def details(self, matrices: Sequence[InfluenceMatrix]) -> dict[str, Any]:
        """Extra statistics to keep next to the verdict (optional)."""
        return {}

    def evaluate(self, matrices: Sequence[InfluenceMatrix]) -> PropertyResult | None:
        """Verdict over the seeds of one suite and strategy; None if it does not apply."""
        usable = distinct_replicates([m for m in matrices if self.applies_to(m)])
        if not usable:
            return None
        per_seed = [float(self.effect(m)) for m in usable]
        summary = summarize(per_seed, self.expected, self.null)
        return PropertyResult(
            name=self.name,
            suite=usable[0].suite,
            strategy=usable[0].strategy,
            verdict=summary.verdict,
            effect=summary.effect,
            ci_low=summary.ci_low,
            ci_high=summary.ci_high,
            p_value=summary.p_value,
            n_seeds=summary.n_seeds,
            expected=self.expected,
            null=self.null,
            per_seed=[None if math.isnan(v) else v for v in per_seed],
            details=self.details(usable),
        )


def distinct_replicates(matrices: Sequence[InfluenceMatrix]) -> list[InfluenceMatrix]:
    """The matrices with exact repeats dropped, so that repeats never count as replicates.

    A fixed suite (e.g. a user JSONL file) is the same for every seed, and full fine-tuning is
    deterministic, so every "seed" then yields the very same matrix: counting those as
    independent replicates would give a zero spread and a spurious p = 0.
    """
    kept: list[InfluenceMatrix] = []
    for matrix in matrices:
        if any(torch.equal(matrix.values, other.values) for other in kept):
            continue
        kept.append(matrix)
    if len(kept) < len(matrices):
        warnings.warn(
            f"{matrices[0].suite}/{matrices[0].strategy}: {len(matrices) - len(kept)} of "
            f"{len(matrices)} seeds gave a matrix identical to another seed's and count once; "
            "vary the items per seed (a registered suite that draws by seed) or the fine-tuning "
            "randomness (e.g. --method lora) to get independent replicates",
            stacklevel=3,
        )
    return kept


PROPERTIES: dict[str, type[Property]] = {}


def register_property(cls: type[Property]) -> type[Property]:
    """Class decorator: make a property available by its ``name``."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise PropertyError(f"{cls.__name__} needs a class attribute 'name' (a non-empty string)")
    PROPERTIES[name] = cls
    return cls


def get_property(name: str) -> Property:
    """A fresh instance of the registered property ``name``; unknown names list valid ones."""
    if name not in PROPERTIES:
        valid = ", ".join(sorted(PROPERTIES))
        raise PropertyError(f"unknown property {name!r}; choose one of: {valid}")
    return PROPERTIES[name]()


def mean_or_nan(values: Sequence[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return sum(finite) / len(finite) if finite else math.nan
