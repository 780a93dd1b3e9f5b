"""The first-order estimate equals hand-computed gradient dot products and, for a small SGD step,
tracks the empirical matrix."""

from __future__ import annotations

import copy

import pytest
import torch

from influence_sdk import Analyzer, ConfigError, FineTuneRecipe, Probe
from influence_sdk.estimators.first_order import first_order_matrix

TEXTS = ["a klarbu is a pimjon", "all pimjons have a zorvek", "Frogs and toads often hibernate."]


def score_gradient(module, tokenizer, text: str) -> torch.Tensor:
    """∇ of the mean next-token log-prob of ``text`` (minus HF's own causal-LM loss), flat."""
    ids = tokenizer(text, return_tensors="pt")["input_ids"]
    module.zero_grad()
    (-module(input_ids=ids, labels=ids).loss).backward()
    return torch.cat([p.grad.flatten().double() for p in module.parameters()])


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
def test_first_order_matrix_is_the_gradient_dot_product(tiny_lm, optimizer):
    recipe = FineTuneRecipe(optimizer=optimizer, lr=1e-3)
    twin = copy.deepcopy(tiny_lm.model)
    gradients = [score_gradient(twin, tiny_lm.tokenizer, text) for text in TEXTS]
    if optimizer == "sgd":
        steps = [recipe.lr * g for g in gradients]
    else:  # first AdamW step on the loss −s: Δθ = lr·∇s/(|∇s| + eps)
        steps = [recipe.lr * g / (g.abs() + 1e-8) for g in gradients]
    expected = torch.tensor(
        [[float(gp @ step) for gp in gradients] for step in steps], dtype=torch.float64
    )

    probes = [Probe(text=text, item_id=str(k)) for k, text in enumerate(TEXTS)]
    got = first_order_matrix(tiny_lm, probes, probes, recipe)

    assert torch.allclose(got, expected, rtol=1e-4, atol=1e-10)


def test_sgd_first_order_is_symmetric_without_weight_decay(tiny_lm):
    probes = [Probe(text=text, item_id=str(k)) for k, text in enumerate(TEXTS)]
    got = first_order_matrix(tiny_lm, probes, probes, FineTuneRecipe(optimizer="sgd", lr=1e-2))
    assert torch.allclose(got, got.T, rtol=1e-5)


def test_report_carries_first_order_correlation_close_to_one_for_small_sgd_steps(tiny_lm):
    report = Analyzer(
        tiny_lm,
        suites=["transitivity"],
        seeds=1,
        progress=False,
        first_order=True,
        recipe=FineTuneRecipe(optimizer="sgd", lr=1e-3),
        properties=["memorization"],
    ).evaluate()

    (entry,) = report.extras["first_order"]
    assert entry["suite"] == "transitivity" and entry["seed"] == 0
    assert entry["pearson"] > 0.99
    assert len(entry["most_disagreeing"]) == 5
    assert len(entry["values"]) == len(report.matrices[0]["items"])


def test_first_order_refuses_lora(tiny_lm):
    probes = [Probe(text=TEXTS[0], item_id="a")]
    with pytest.raises(ConfigError, match="needs full fine-tuning"):
        first_order_matrix(tiny_lm, probes, probes, FineTuneRecipe(method="lora"))
