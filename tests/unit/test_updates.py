"""The copy-free full fine-tuning path matches a fresh torch optimizer per item and restores
the base weights bit for bit."""

from __future__ import annotations

import copy

import pytest
import torch

from influence_sdk import FineTuneRecipe, Probe
from influence_sdk.models import updates
from influence_sdk.models.updates import SwappedWeights

PROBES = [
    Probe(text="a klarbu is a pimjon", item_id="a"),
    Probe(text="all pimjons have a zorvek", item_id="b"),
    Probe(text="the capital of France is Paris.", item_id="c"),
]


def reference_weights(lm, recipe: FineTuneRecipe, trained: list[Probe]) -> list[torch.Tensor]:
    """Weights after fine-tuning a deep copy with a fresh, plain torch optimizer."""
    twin = copy.deepcopy(lm)
    params = [p for p in twin.model.parameters() if p.requires_grad]
    if recipe.optimizer == "sgd":
        optimizer = torch.optim.SGD(params, lr=recipe.lr, weight_decay=recipe.weight_decay)
    else:
        optimizer = torch.optim.AdamW(
            params, lr=recipe.lr, weight_decay=recipe.weight_decay, foreach=False
        )
    for _ in range(recipe.steps):
        loss = -twin._score_batch(trained).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return [p.detach().clone() for p in params]


@pytest.mark.parametrize(
    "recipe",
    [
        FineTuneRecipe(lr=1e-3),
        FineTuneRecipe(lr=1e-3, steps=3, weight_decay=0.1),
        FineTuneRecipe(optimizer="sgd", lr=0.5, steps=2, weight_decay=0.01),
    ],
    ids=["adamw-1-step", "adamw-3-steps-decay", "sgd-2-steps-decay"],
)
@pytest.mark.parametrize("chunk", [1 << 18, 1000], ids=["one-chunk", "many-chunks"])
def test_fine_tuned_weights_match_a_fresh_torch_optimizer(tiny_lm, recipe, chunk, monkeypatch):
    monkeypatch.setattr(updates, "CPU_CHUNK", chunk)
    expected = reference_weights(tiny_lm, recipe, PROBES[:1])

    # Two items in a row: the second must not see state left over from the first.
    with tiny_lm.fine_tuned(PROBES[1:2], recipe, seed=0):
        pass
    with tiny_lm.fine_tuned(PROBES[:1], recipe, seed=0):
        got = [p.detach().clone() for p in tiny_lm.model.parameters()]

    for before, after in zip(expected, got, strict=True):
        assert torch.allclose(after, before, rtol=0, atol=1e-6)


def test_fine_tuned_scores_match_a_fresh_torch_optimizer(tiny_lm):
    recipe = FineTuneRecipe(lr=1e-3, steps=2)
    twin = copy.deepcopy(tiny_lm)
    params = list(twin.model.parameters())
    optimizer = torch.optim.AdamW(params, lr=recipe.lr, weight_decay=0.0)
    for _ in range(recipe.steps):
        (-twin._score_batch(PROBES[:1]).mean()).backward()
        optimizer.step()
        optimizer.zero_grad()
    expected = twin.score(PROBES)

    with tiny_lm.fine_tuned(PROBES[:1], recipe, seed=0):
        got = tiny_lm.score(PROBES)

    assert torch.allclose(got, expected, rtol=0, atol=1e-6)


def test_base_weights_are_bit_identical_after_many_fine_tunes(tiny_lm):
    before = {name: p.detach().clone() for name, p in tiny_lm.model.named_parameters()}
    recipes = [FineTuneRecipe(lr=1e-2), FineTuneRecipe(optimizer="sgd", lr=1.0, steps=3)]
    for recipe in recipes:
        for probe in PROBES:
            with tiny_lm.fine_tuned([probe], recipe, seed=1):
                changed = any(
                    not torch.equal(p, before[name]) for name, p in tiny_lm.model.named_parameters()
                )
                assert changed

    for name, param in tiny_lm.model.named_parameters():
        assert torch.equal(param, before[name]), name
        assert param.grad is None


def test_restore_happens_when_training_fails(tiny_lm):
    before = [p.detach().clone() for p in tiny_lm.model.parameters()]
    with pytest.raises(RuntimeError, match="inside"):
        with tiny_lm.fine_tuned(PROBES[:1], FineTuneRecipe(lr=1e-2), seed=0):
            raise RuntimeError("failure inside the context")

    for param, saved in zip(tiny_lm.model.parameters(), before, strict=True):
        assert torch.equal(param, saved)


def test_parameter_without_gradient_is_left_as_torch_leaves_it():
    used = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    unused = torch.nn.Parameter(torch.tensor([3.0]))
    weights = SwappedWeights([used, unused])
    (used * torch.tensor([2.0, 0.5])).sum().backward()

    weights.step("adamw", lr=0.1, weight_decay=0.0)

    # First AdamW step: θ − lr·g/(|g| + eps) with g = (2, 0.5), i.e. θ − 0.1 per coordinate.
    assert torch.allclose(used.detach(), torch.tensor([0.9, -2.1]), atol=1e-7)
    assert torch.equal(unused.detach(), torch.tensor([3.0]))
    weights.restore()
    assert torch.equal(used.detach(), torch.tensor([1.0, -2.0]))


def test_bfloat16_model_fine_tunes_and_restores_bit_identically(tiny_lm):
    tiny_lm.model.to(torch.bfloat16)
    before = [p.detach().clone() for p in tiny_lm.model.parameters()]
    with tiny_lm.fine_tuned(PROBES[:1], FineTuneRecipe(lr=1e-2, steps=2), seed=0):
        after = tiny_lm.score(PROBES)
        params = tiny_lm.model.parameters()
        assert any(not torch.equal(p, b) for p, b in zip(params, before, strict=True))
    assert torch.isfinite(after).all()
    for param, saved in zip(tiny_lm.model.parameters(), before, strict=True):
        assert param.dtype == torch.bfloat16 and torch.equal(param, saved)
