"""Integration tier: the shipped SmolLM2-135M-Instruct and all-MiniLM-L6-v2 (no hub needed)."""

from __future__ import annotations

import math

import pytest
import torch

from influence_sdk import Analyzer, FineTuneRecipe, Probe, load_model

pytestmark = pytest.mark.integration

CAPITAL = "The capital of France is"


@pytest.fixture(scope="module")
def smollm2():
    return load_model()


def test_smollm2_prefers_paris_after_the_capital_of_france_prompt(smollm2):
    paris, london = smollm2.score(
        [Probe(text=" Paris.", context=CAPITAL), Probe(text=" London.", context=CAPITAL)]
    ).tolist()
    assert paris > london


def test_smollm2_prefers_paris_when_the_city_itself_is_scored(smollm2):
    # SmolLM2's tokenizer adds no BOS, so after a context the first text token is not scored
    # (as standalone). Putting a word before the city makes the city token itself scored.
    city = smollm2.tokenizer(" the city of Paris.", add_special_tokens=False)["input_ids"]
    encoded = smollm2.encode(Probe(text=" the city of Paris.", context=CAPITAL))
    assert encoded.input_ids[encoded.first_target :] == city[1:]

    paris, london = smollm2.score(
        [
            Probe(text=" the city of Paris.", context=CAPITAL),
            Probe(text=" the city of London.", context=CAPITAL),
        ]
    ).tolist()
    assert paris > london + 1.0  # about a nat per scored token or more, not a rounding effect


def test_smollm2_scores_a_true_sentence_above_a_false_one(smollm2):
    true, false = smollm2.score(
        [Probe(text=f"{CAPITAL} Paris."), Probe(text=f"{CAPITAL} London.")]
    ).tolist()
    assert true > false


def test_short_real_evaluate_gives_finite_matrices_with_positive_self_influence(smollm2):
    report = Analyzer(
        smollm2,
        suites=["chain_induces"],
        seeds=2,
        recipe=FineTuneRecipe(),
        properties=["memorization", "causal_direction"],
        progress=False,
    ).evaluate()

    assert [m["seed"] for m in report.matrices] == [0, 1]
    for matrix in report.matrices:
        values = torch.tensor(matrix["values"], dtype=torch.float64)
        assert values.shape == (5, 5)
        assert torch.isfinite(values).all()
        assert (values.diagonal() > 0).all()
        assert values.abs().sum() > 0
    names = {r.name for r in report.properties}
    assert names == {"memorization", "causal_direction"}
    assert all(r.n_seeds == 2 for r in report.properties)


def test_minilm_similarity_of_a_sentence_with_itself_is_one():
    from influence_sdk.properties.structure import text_similarity

    texts = (
        "The cat sat on the mat.",
        "A cat was sitting on the rug.",
        "Interest rates rose sharply in the third quarter.",
    )
    similarity = text_similarity(texts)

    assert similarity.shape == (3, 3)
    for k in range(3):
        assert similarity[k, k].item() == pytest.approx(1.0, abs=1e-5)
    assert similarity[0, 1] > similarity[0, 2]
    assert similarity[1, 0] > similarity[1, 2]
    assert all(math.isfinite(v) for v in similarity.flatten().tolist())
