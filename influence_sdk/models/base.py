"""The :class:`Model` interface: what influence-sdk fine-tunes and scores."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Literal

import torch

from influence_sdk.errors import NumericalError
from influence_sdk.items import Probe
from influence_sdk.recipe import FineTuneRecipe


class Model(ABC):
    """Anything that can score probes and be fine-tuned on a few of them, then restored.

    Subclass this to analyse a new kind of model; implement :meth:`score`,
    :meth:`fine_tuned` and :meth:`describe`. The contract that the estimators rely on:

    * ``score(probes)`` returns one float64 score per probe (higher = more likely), and
      batching never changes a score beyond float rounding;
    * inside ``with model.fine_tuned(probes, recipe, seed):`` the model has learned those
      probes; on exit every base weight is bit-identical to before.
    """

    modality: Literal["text", "image"] = "text"

    @abstractmethod
    def score(self, probes: Sequence[Probe]) -> torch.Tensor:
        """Scores of the probes, shape ``(len(probes),)``, float64 on the CPU."""

    @abstractmethod
    def fine_tuned(
        self, probes: Sequence[Probe], recipe: FineTuneRecipe, seed: int
    ) -> AbstractContextManager[None]:
        """Context manager: learn ``probes`` with ``recipe``; restore base weights on exit."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """Name, size, device and dtype, for reports."""

    def fingerprint(self) -> str:
        """SHA-256 of the base weights (parameters and buffers), so that a run directory can
        refuse to resume with other weights behind the same model name.

        Subclasses whose weights are not in an ``nn.Module`` attribute named ``model`` should
        override this; the fallback hashes :meth:`describe`.
        """
        module = getattr(self, "model", None)
        if isinstance(module, torch.nn.Module):
            return module_fingerprint(module)
        described = json.dumps(self.describe(), sort_keys=True, default=str)
        return hashlib.sha256(described.encode()).hexdigest()

    def check(self, probes: Sequence[Probe]) -> None:  # noqa: B027 - optional hook
        """Raise :class:`~influence_sdk.errors.ItemError` for probes this model cannot use.

        Called on every probe before any fine-tuning starts, so bad input fails early.
        """

    def generate(self, prompt: str, max_new_tokens: int) -> str:
        """Greedy continuation of ``prompt`` (used by strategies with a generated part)."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot generate text; use a strategy without a "
            "generated part, or a language model such as HFCausalLM"
        )


def iter_batches(count: int, batch_size: int) -> Iterator[slice]:
    """Slices ``[0, b), [b, 2b), ...`` covering ``range(count)``."""
    for start in range(0, count, batch_size):
        yield slice(start, min(start + batch_size, count))


def module_fingerprint(module: torch.nn.Module) -> str:
    """SHA-256 over the names and bytes of a module's parameters and buffers.

    LoRA adapter weights are left out: they are re-drawn for every item and are not part of the
    base model.
    """
    digest = hashlib.sha256()
    tensors = [*module.named_parameters(), *module.named_buffers()]
    for name, tensor in sorted(tensors, key=lambda pair: pair[0]):
        if "lora_" in name:
            continue
        data = tensor.detach().to("cpu").contiguous()
        digest.update(f"{name}:{data.dtype}:{tuple(data.shape)}".encode())
        digest.update(data.reshape(-1).view(torch.uint8).numpy().tobytes() if data.numel() else b"")
    return digest.hexdigest()


def check_loss(
    loss: torch.Tensor, probes: Sequence[Probe], step: int, recipe: FineTuneRecipe
) -> None:
    """Raise :class:`NumericalError` naming the items, the step and the lr for a NaN/inf loss."""
    if torch.isfinite(loss):
        return
    names = ", ".join(repr(p.item_id) for p in probes)
    raise NumericalError(
        f"loss became {loss.item()} on item {names} at step {step + 1} with lr "
        f"{recipe.lr:g}; lower the learning rate (--lr) or the number of steps"
    )


def clear_gradients(params: Sequence[torch.Tensor]) -> None:
    """Drop gradients left on the weights, e.g. by the user's own training loop.

    backward() accumulates into ``.grad``: a stale gradient would silently be added to the
    item's gradient and change the step.
    """
    for param in params:
        param.grad = None
