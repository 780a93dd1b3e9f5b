"""A matrix entry recomputed from scratch (own model copy, own loss, plain torch optimizer step)
matches the SDK's ``fine_tune_row`` and the Analyzer's report to 1e-6."""

from __future__ import annotations

import copy
import json

import pytest
import torch

from influence_sdk import Analyzer, FineTuneRecipe, Probe
from influence_sdk.estimators import fine_tune_row

TEXTS = ["a klarbu is a pimjon", "all pimjons have a zorvek", "every square is a rectangle."]
RECIPES = {
    "adamw": FineTuneRecipe(method="full", optimizer="adamw", lr=1e-3, steps=1),
    "sgd": FineTuneRecipe(method="full", optimizer="sgd", lr=0.5, steps=1),
}


def mean_log_prob(model: torch.nn.Module, token_ids: list[int]) -> torch.Tensor:
    """Mean over positions 1..n-1 of log p(t_k | t_<k), written out by hand (with grad)."""
    ids = torch.tensor([token_ids])
    logits = model(ids).logits[0]  # (n, vocab)
    log_probs = torch.log_softmax(logits, dim=-1)
    next_tokens = ids[0, 1:]  # token k is predicted from position k-1
    return log_probs[:-1].gather(-1, next_tokens.unsqueeze(-1)).mean()


def independent_row(
    pristine, tokenizer, trained: str, optimizer_name: str, lr: float
) -> list[float]:
    """Row ``trained`` of M: deep-copy the base model, take one optimizer step, rescore."""
    model = copy.deepcopy(pristine)
    token_ids = [tokenizer(text)["input_ids"] for text in TEXTS]
    with torch.no_grad():
        before = [mean_log_prob(model, ids).item() for ids in token_ids]

    params = [p for p in model.parameters() if p.requires_grad]
    if optimizer_name == "adamw":
        optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    else:
        optimizer = torch.optim.SGD(params, lr=lr)
    loss = -mean_log_prob(model, tokenizer(trained)["input_ids"])
    loss.backward()
    optimizer.step()

    with torch.no_grad():
        after = [mean_log_prob(model, ids).item() for ids in token_ids]
    return [a - b for a, b in zip(after, before, strict=True)]


@pytest.mark.parametrize("optimizer_name", ["adamw", "sgd"])
def test_fine_tune_row_matches_an_independent_computation(tiny_lm, optimizer_name):
    recipe = RECIPES[optimizer_name]
    pristine = copy.deepcopy(tiny_lm.model)
    probes = [Probe(text=text, item_id=f"i{k}") for k, text in enumerate(TEXTS)]
    base = tiny_lm.score(probes)

    for k, text in enumerate(TEXTS):
        sdk_row = fine_tune_row(tiny_lm, [probes[k]], probes, base, recipe, seed=0)
        own_row = independent_row(pristine, tiny_lm.tokenizer, text, optimizer_name, recipe.lr)

        assert (
            abs(own_row[k]) > 1e-3
        )  # the step is large enough for the comparison to mean something
        torch.testing.assert_close(
            sdk_row, torch.tensor(own_row, dtype=torch.float64), rtol=0, atol=1e-6
        )


@pytest.mark.parametrize("optimizer_name", ["adamw", "sgd"])
def test_analyzer_matrix_matches_an_independent_computation(tiny_lm, tmp_path, optimizer_name):
    recipe = RECIPES[optimizer_name]
    pristine = copy.deepcopy(tiny_lm.model)
    suite = tmp_path / "three.jsonl"
    suite.write_text(
        "".join(json.dumps({"id": f"i{k}", "text": t}) + "\n" for k, t in enumerate(TEXTS))
    )

    report = Analyzer(
        tiny_lm,
        suites=[str(suite)],
        seeds=[0],
        recipe=recipe,
        properties=["memorization"],
        progress=False,
    ).evaluate()

    (matrix,) = report.matrices
    assert matrix["items"] == ["i0", "i1", "i2"]
    own = [
        independent_row(pristine, tiny_lm.tokenizer, t, optimizer_name, recipe.lr) for t in TEXTS
    ]
    torch.testing.assert_close(
        torch.tensor(matrix["values"], dtype=torch.float64),
        torch.tensor(own, dtype=torch.float64),
        rtol=0,
        atol=1e-6,
    )
