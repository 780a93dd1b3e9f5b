"""First-order (kernel) estimate of an influence matrix, and its comparison with the empirical one.

For one optimizer step on item ``t`` that moves the weights by ``Δθ_t``, to first order

    ``M̂[t, p] = s(θ0 + Δθ_t, p) − s(θ0, p) ≈ ∇s(p) · Δθ_t``

with ``s`` the score (minus the loss) and the gradient taken at the base weights. The step is
the first step of the recipe, from a zero optimizer state:

* SGD:   ``Δθ_t = lr · (∇s(t) − wd·θ0)``, so ``M̂ = lr·∇s(p)·∇s(t)`` without weight decay,
  symmetric in ``t`` and ``p`` (the kernel view of PAPER.md §1);
* AdamW: ``Δθ_t = −lr · (g/(|g| + eps) + wd·θ0)`` with ``g = −∇s(t)``: close to
  ``lr·sign(∇s(t))``, so ``M̂ = lr·∇s(p)·sign(∇s(t))``, which is not symmetric.

Only the first step is predicted; with ``steps > 1`` the estimate is still that of one step
(docs/performance.md, "First-order estimate", says when it should agree).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import torch

from influence_sdk.errors import ConfigError
from influence_sdk.items import Probe
from influence_sdk.matrix import InfluenceMatrix
from influence_sdk.models.base import Model
from influence_sdk.models.updates import EPS
from influence_sdk.recipe import FineTuneRecipe

logger = logging.getLogger(__name__)

#: Probe gradients are kept in memory while ``len(probes) × weights`` stays under this many
#: bytes; above it each probe gradient is recomputed for every row (slower, same numbers).
GRADIENT_CACHE_BYTES = 2 * 2**30


def first_order_matrix(
    model: Model, trained: Sequence[Probe], probes: Sequence[Probe], recipe: FineTuneRecipe
) -> torch.Tensor:
    """``M̂[t, p] = ∇s(p) · Δθ_t`` for every trained item ``t`` and probe ``p``, float64.

    Args:
        model: A model exposing ``_score_batch`` (scores with gradient) and its torch module
            as ``.model``: :class:`~influence_sdk.models.hf.HFCausalLM` and the image adapter.
        trained: What is learned for each row (as in the empirical matrix).
        probes: The probes (columns).
        recipe: The fine-tuning recipe; its first step is predicted.
    """
    if recipe.method != "full":
        raise ConfigError(
            f"the first-order estimate needs full fine-tuning, got method {recipe.method!r}; "
            "use --method full or drop --first-order"
        )
    params = _trainable(model)
    cache_fits = len(probes) * sum(p.numel() * 4 for p in params) <= GRADIENT_CACHE_BYTES
    cached = [_gradient(model, params, probe) for probe in probes] if cache_fits else None

    rows = torch.zeros((len(trained), len(probes)), dtype=torch.float64)
    for t, item in enumerate(trained):
        step = _first_step(_gradient(model, params, item), params, recipe)
        for p, probe in enumerate(probes):
            gradient = cached[p] if cached is not None else _gradient(model, params, probe)
            rows[t, p] = sum(
                torch.dot(g.flatten().double(), d.flatten().double())
                for g, d in zip(gradient, step, strict=True)
            )
    return rows


def _trainable(model: Model) -> list[torch.nn.Parameter]:
    module = getattr(model, "model", None)
    if not isinstance(module, torch.nn.Module) or not hasattr(model, "_score_batch"):
        raise ConfigError(
            f"the first-order estimate needs a torch-backed model such as HFCausalLM, got "
            f"{type(model).__name__}; drop --first-order"
        )
    return [p for p in module.parameters() if p.requires_grad]


def _gradient(model: Any, params: list[torch.nn.Parameter], probe: Probe) -> list[torch.Tensor]:
    """``∇s(probe)`` at the current (base) weights, one tensor per parameter."""
    score = model._score_batch([probe]).sum()
    gradients = torch.autograd.grad(score, params, allow_unused=True)
    return [
        torch.zeros_like(p) if g is None else g.detach()
        for g, p in zip(gradients, params, strict=True)
    ]


def _first_step(
    score_gradient: list[torch.Tensor], params: list[torch.nn.Parameter], recipe: FineTuneRecipe
) -> list[torch.Tensor]:
    """``Δθ`` of the recipe's first optimizer step from a zero state (loss = −score)."""
    steps = []
    for gradient, param in zip(score_gradient, params, strict=True):
        loss_gradient = -gradient
        if recipe.optimizer == "sgd":
            step = -recipe.lr * (loss_gradient + recipe.weight_decay * param.detach())
        else:  # AdamW, bias-corrected first step: m̂ = g, √v̂ = |g|
            step = -recipe.lr * (
                loss_gradient / (loss_gradient.abs() + EPS) + recipe.weight_decay * param.detach()
            )
        steps.append(step)
    return steps


def compare(empirical: InfluenceMatrix, predicted: torch.Tensor, top: int = 5) -> dict[str, Any]:
    """Correlation of the first-order matrix with the empirical one and where they disagree.

    Both matrices are divided by their own standard deviation before differences are ranked,
    because the first-order values carry the scale of one linearised step, not of the real one.
    """
    measured = empirical.values.flatten()
    estimate = predicted.flatten().to(torch.float64)
    pearson = _correlation(measured, estimate)
    spearman = _correlation(_ranks(measured), _ranks(estimate))
    scale_measured = measured.std().clamp_min(1e-300)
    scale_estimate = estimate.std().clamp_min(1e-300)
    gap = (measured / scale_measured - estimate / scale_estimate).abs()
    n = len(empirical.items)
    worst = []
    for index in gap.argsort(descending=True)[:top].tolist():
        row, column = divmod(index, n)
        worst.append(
            {
                "trained_on": empirical.items[row],
                "tested_on": empirical.items[column],
                "empirical": float(measured[index]),
                "first_order": float(estimate[index]),
            }
        )
    return {
        "suite": empirical.suite,
        "strategy": empirical.strategy,
        "seed": empirical.seed,
        "pearson": pearson,
        "spearman": spearman,
        "most_disagreeing": worst,
        "values": predicted.tolist(),
    }


def _correlation(a: torch.Tensor, b: torch.Tensor) -> float | None:
    a, b = a - a.mean(), b - b.mean()
    denominator = (a.norm() * b.norm()).item()
    return None if denominator == 0 else float((a @ b).item() / denominator)


def _ranks(values: torch.Tensor) -> torch.Tensor:
    ranks = torch.empty_like(values)
    ranks[values.argsort()] = torch.arange(len(values), dtype=values.dtype)
    return ranks
