"""The fine-tuning recipe: how one item is learned."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from influence_sdk.errors import ConfigError


class FineTuneRecipe(BaseModel):
    """How the model learns an item. Loss = minus the item's score (mean token log-prob).

    The defaults were chosen for SmolLM2-135M by a learning-rate sweep (docs/concepts.md,
    "Choosing the default recipe"): one AdamW step is the paper's "one epoch at batch size 1".

    Example:
        >>> FineTuneRecipe(method="lora", lr=1e-4, steps=2).lora_rank
        8
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["full", "lora"] = "full"
    optimizer: Literal["adamw", "sgd"] = "adamw"
    lr: float = Field(default=1e-6, gt=0, allow_inf_nan=False, description="learning rate; > 0")
    steps: int = Field(default=1, ge=1, description="optimizer steps on the item")
    weight_decay: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    lora_rank: int = Field(default=8, ge=1)
    lora_alpha: float = Field(default=16.0, gt=0, allow_inf_nan=False)
    lora_targets: list[str] | None = Field(
        default=None, description="module names for LoRA; None = peft's default for the model"
    )

    @classmethod
    def from_options(cls, **options: Any) -> FineTuneRecipe:
        """Build a recipe from user options, turning validation errors into ConfigError."""
        given = {key: value for key, value in options.items() if value is not None}
        try:
            return cls(**given)
        except ValidationError as err:
            raise ConfigError(f"invalid fine-tuning recipe: {describe_validation(err)}") from None


def describe_validation(err: ValidationError) -> str:
    """One line naming each bad field, the value received and what is allowed."""
    parts = []
    for problem in err.errors():
        # A user's key can hold anything (a newline, a dot): show such keys quoted.
        field = (
            ".".join(
                part if isinstance(part, str) and part.isidentifier() else repr(part)
                for part in problem["loc"]
            )
            or "(root)"
        )
        value = problem.get("input")
        shown = repr(value) if not isinstance(value, dict) else "{...}"
        if len(shown) > 60:
            shown = shown[:57] + "..."
        parts.append(f"{field}={shown}: {problem['msg']}")
    return "; ".join(parts).replace("\n", " ")  # one line, whatever the user typed
