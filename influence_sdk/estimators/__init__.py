"""Estimators: how one row of an influence matrix is measured.

* fine-tune (empirical): learn the item, re-score every probe, subtract the base scores;
* in-context: place the item before every probe, subtract the scores under the empty layout.

Both return float64 rows aligned with the probes. Base scores are computed once per suite,
strategy and seed by the caller and passed in.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from influence_sdk.errors import NumericalError
from influence_sdk.items import Probe
from influence_sdk.models.base import Model
from influence_sdk.recipe import FineTuneRecipe


def fine_tune_row(
    model: Model,
    trained: Sequence[Probe],
    probes: Sequence[Probe],
    base: torch.Tensor,
    recipe: FineTuneRecipe,
    seed: int,
) -> torch.Tensor:
    """``s(θ_i, p_j) − s(θ_0, p_j)`` for every probe ``j`` after learning ``trained``."""
    with model.fine_tuned(trained, recipe, seed):
        after = model.score(probes)
    item = trained[0].item_id
    learned = f"after learning {item!r} at step {recipe.steps} (the last) with lr {recipe.lr:g}"
    _check_finite(after, probes, learned)
    return after - base


def in_context_row(
    model: Model, context: str, probes: Sequence[Probe], base: torch.Tensor
) -> torch.Tensor:
    """``s(p_j | context) − s(p_j | empty layout)`` for every probe ``j``."""
    placed = [Probe(text=p.text, context=context, item_id=p.item_id) for p in probes]
    after = model.score(placed)
    _check_finite(after, probes, "with the item in context")
    return after - base


def score_checked(model: Model, probes: Sequence[Probe], when: str) -> torch.Tensor:
    """Scores of ``probes``, raising :class:`NumericalError` on NaN or infinity."""
    scores = model.score(probes)
    _check_finite(scores, probes, when)
    return scores


def _check_finite(scores: torch.Tensor, probes: Sequence[Probe], when: str) -> None:
    bad = (~torch.isfinite(scores)).nonzero().flatten().tolist()
    if bad:
        item = probes[bad[0]].item_id
        raise NumericalError(
            f"score of item {item!r} became {scores[bad[0]].item()} {when}; lower the learning "
            "rate (--lr) or check the item"
        )
