"""Base weights are bit-identical after any number of fine-tunes, full and LoRA."""

from __future__ import annotations

import pytest
import torch

from influence_sdk import FineTuneRecipe, Probe

TEXTS = ["a klarbu is a pimjon", "all pimjons have a zorvek", "every square is a rectangle."]
PROBES = [Probe(text=text, item_id=f"p{k}") for k, text in enumerate(TEXTS)]
RECIPES = {
    "full": FineTuneRecipe(method="full", optimizer="adamw", lr=1e-2, steps=2, weight_decay=0.1),
    "lora": FineTuneRecipe(method="lora", optimizer="adamw", lr=1e-2, steps=2, lora_rank=4),
}


def base_tensors(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Every parameter and buffer of the base model, under its pre-LoRA name.

    peft moves a wrapped layer's weight to ``<layer>.base_layer.weight`` and adds ``lora_*``
    tensors; those are the adapter, not the base model, so they are left out.
    """
    if hasattr(module, "get_base_model"):
        module = module.get_base_model()
    named = [*module.named_parameters(), *module.named_buffers()]
    return {
        name.replace(".base_layer", ""): tensor.detach()
        for name, tensor in named
        if "lora_" not in name
    }


def snapshot(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: tensor.clone() for name, tensor in base_tensors(module).items()}


def assert_bit_identical(before: dict[str, torch.Tensor], module: torch.nn.Module) -> None:
    after = base_tensors(module)
    assert sorted(after) == sorted(before)
    changed = [name for name in before if not torch.equal(before[name], after[name])]
    assert changed == []


@pytest.mark.parametrize("method", ["full", "lora"])
def test_base_weights_are_bit_identical_after_100_fine_tunes(tiny_lm, method):
    recipe = RECIPES[method]
    before = snapshot(tiny_lm.model)
    base_scores = tiny_lm.score(PROBES)

    for k in range(100):
        trained = [PROBES[k % len(PROBES)]]
        with tiny_lm.fine_tuned(trained, recipe, seed=k):
            pass

    assert_bit_identical(before, tiny_lm.model)
    assert torch.equal(tiny_lm.score(PROBES), base_scores)


@pytest.mark.parametrize("method", ["full", "lora"])
def test_fine_tuning_really_changes_the_model_inside_the_block(tiny_lm, method):
    # Without this, the restore test above would also pass for a fine_tuned() that did nothing.
    base_scores = tiny_lm.score(PROBES)
    with tiny_lm.fine_tuned([PROBES[0]], RECIPES[method], seed=0):
        tuned_scores = tiny_lm.score(PROBES)
    assert tuned_scores[0] > base_scores[0]  # learning an item makes it more likely
    assert not torch.equal(tuned_scores, base_scores)


@pytest.mark.parametrize("method", ["full", "lora"])
def test_base_weights_are_restored_when_the_block_raises(tiny_lm, method):
    before = snapshot(tiny_lm.model)
    base_scores = tiny_lm.score(PROBES)

    for seed in range(3):
        with pytest.raises(RuntimeError, match="boom"):
            with tiny_lm.fine_tuned([PROBES[1]], RECIPES[method], seed=seed):
                raise RuntimeError("boom")

    assert_bit_identical(before, tiny_lm.model)
    assert torch.equal(tiny_lm.score(PROBES), base_scores)


def test_no_gradients_are_left_on_the_parameters(tiny_lm):
    with tiny_lm.fine_tuned([PROBES[0]], RECIPES["full"], seed=0):
        pass
    assert all(param.grad is None for param in tiny_lm.model.parameters())


def test_fine_tunes_are_reproducible_for_the_same_seed(tiny_lm):
    results = []
    for _ in range(2):
        with tiny_lm.fine_tuned([PROBES[0]], RECIPES["lora"], seed=7):
            results.append(tiny_lm.score(PROBES))
    assert torch.equal(results[0], results[1])


def test_a_stale_gradient_left_on_the_model_does_not_change_the_step(tiny_lm_factory):
    from influence_sdk.estimators import fine_tune_row as _row

    clean, stale = tiny_lm_factory(seed=0), tiny_lm_factory(seed=0)
    for param in stale.model.parameters():
        param.grad = torch.ones_like(param)  # what a user's own training loop may leave behind
    probes = [Probe(text="a klarbu is a pimjon"), Probe(text="all pimjons have a zorvek")]
    recipe = FineTuneRecipe(lr=1e-3)
    expected = _row(clean, probes[:1], probes, clean.score(probes), recipe, seed=0)
    got = _row(stale, probes[:1], probes, stale.score(probes), recipe, seed=0)
    assert torch.equal(got, expected)
