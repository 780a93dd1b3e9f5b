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
