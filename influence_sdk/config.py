"""The resolved run configuration: everything that determines a run's numbers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from influence_sdk.errors import ConfigError
from influence_sdk.recipe import FineTuneRecipe, describe_validation


class RunConfig(BaseModel):
    """What a run computes. Saved as ``config.json`` in the run directory; a rerun with the
    same config resumes, a different one is refused (unless overwritten).

    ``seeds`` are the seeds themselves (``--seeds 3`` means ``[0, 1, 2]``).
    """

    model_config = ConfigDict(extra="forbid")

    model: str
    suites: list[str] = Field(min_length=1)
    strategies: list[str] = Field(default_factory=lambda: ["plain"], min_length=1)
    properties: list[str] = Field(min_length=1)
    seeds: list[int] = Field(min_length=1)
    recipe: FineTuneRecipe = Field(default_factory=FineTuneRecipe)
    device: str = "cpu"
    dtype: str = "float32"
    model_fingerprint: str = Field(
        default="",
        description="SHA-256 of the model's weights: a resume with other weights is refused",
    )

    @field_validator("seeds")
    @classmethod
    def _distinct_seeds(cls, seeds: list[int]) -> list[int]:
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must be distinct, got {seeds}")
        return seeds

    @classmethod
    def build(cls, **values: Any) -> RunConfig:
        try:
            return cls(**values)
        except ValidationError as err:
            raise ConfigError(f"invalid run configuration: {describe_validation(err)}") from None


def config_differences(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    """Keys whose values differ between two config dicts, as ``key: old -> new`` lines."""
    differences = []
    for key in sorted(set(old) | set(new)):
        shown = key if key.isidentifier() else repr(key)  # a hand-edited key may hold anything
        path = f"{prefix}{shown}"
        a, b = old.get(key, "<absent>"), new.get(key, "<absent>")
        if isinstance(a, dict) and isinstance(b, dict):
            differences += config_differences(a, b, prefix=f"{path}.")
        elif a != b:
            differences.append(f"{path}: {a!r} -> {b!r}")
    return differences


def seed_list(seeds: Any) -> list[int]:
    """``3`` -> ``[0, 1, 2]``; a list of seeds stays as it is; anything else is a ConfigError."""
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ConfigError(f"seeds must be a positive count or a list of seeds, got {seeds!r}")
        return list(range(seeds))
    if isinstance(seeds, (list, tuple)) and all(
        isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**63 for s in seeds
    ):
        return list(seeds)
    raise ConfigError(
        f"seeds must be a positive count (e.g. 3) or a list of non-negative integers, got {seeds!r}"
    )


def name_list(values: Any, what: str) -> list[str] | None:
    """A list of names; a single string is one name (not a list of characters)."""
    if values is None:
        return None
    if isinstance(values, str):
        return [values]
    if isinstance(values, (list, tuple)) and all(isinstance(v, str) for v in values):
        return list(values)
    raise ConfigError(f"{what} must be a name or a list of names, got {values!r}")
