"""HFCausalLM scoring: batching, padding side, context layout and agreement with transformers."""

from __future__ import annotations

import pytest
import torch

from influence_sdk import Probe

TEXTS = [
    "a klarbu is a pimjon",
    "all pimjons have a zorvek, and every zorvek has a longer name than this one",
    "every square is a rectangle.",
    "Frogs and toads often hibernate in winter.",
]
CONTEXTS = ["", "the capital of France is Paris.", "whenever rain happens, it causes floods\n"]


def all_probes() -> list[Probe]:
    return [Probe(text=text, context=context) for context in CONTEXTS for text in TEXTS]


@pytest.mark.parametrize("add_bos", [False, True], ids=["no-bos", "bos"])
@pytest.mark.parametrize("padding_side", ["left", "right"])
def test_batched_padded_scores_equal_one_by_one_scores(tiny_lm_factory, add_bos, padding_side):
    lm = tiny_lm_factory(add_bos=add_bos, padding_side=padding_side, batch_size=16)
    probes = all_probes()  # texts of different lengths, so every batch is padded

    batched = lm.score(probes)
    one_by_one = torch.cat([lm.score([probe]) for probe in probes])

    assert batched.shape == (len(probes),)
    assert batched.dtype == torch.float64
    torch.testing.assert_close(batched, one_by_one, rtol=0, atol=1e-5)


@pytest.mark.parametrize("add_bos", [False, True], ids=["no-bos", "bos"])
def test_scores_do_not_depend_on_padding_side(tiny_lm_factory, add_bos):
    left = tiny_lm_factory(add_bos=add_bos, padding_side="left", batch_size=16)
    right = tiny_lm_factory(add_bos=add_bos, padding_side="right", batch_size=16)
    torch.testing.assert_close(
        left.score(all_probes()), right.score(all_probes()), rtol=0, atol=1e-5
    )


@pytest.mark.parametrize("add_bos", [False, True], ids=["no-bos", "bos"])
def test_standalone_score_is_minus_the_transformers_loss(tiny_lm_factory, add_bos):
    lm = tiny_lm_factory(add_bos=add_bos)
    for text in TEXTS:
        input_ids = lm.tokenizer(text, return_tensors="pt")["input_ids"]
        with torch.no_grad():
            loss = lm.model(input_ids, labels=input_ids).loss.item()
        assert lm.score([Probe(text=text)]).item() == pytest.approx(-loss, abs=1e-5)


def test_tiny_tokenizer_with_bos_really_adds_it(tiny_lm_factory):
    # Guards the BOS parametrisation above: without this, both cases could silently be the same.
    with_bos, without = tiny_lm_factory(add_bos=True), tiny_lm_factory(add_bos=False)
    assert with_bos.tokenizer("a klarbu")["input_ids"][0] == with_bos.tokenizer.bos_token_id
    assert without.tokenizer("a klarbu")["input_ids"][0] != without.tokenizer.bos_token_id


@pytest.mark.parametrize("add_bos", [False, True], ids=["no-bos", "bos"])
def test_context_scoring_scores_exactly_the_standalone_text_tokens(tiny_lm_factory, add_bos):
    lm = tiny_lm_factory(add_bos=add_bos)
    for text in TEXTS:
        alone = lm.encode(Probe(text=text))
        placed = lm.encode(Probe(text=text, context="the capital of France is Paris."))
        scored_alone = alone.input_ids[alone.first_target :]
        scored_placed = placed.input_ids[placed.first_target :]

        assert scored_placed == scored_alone
        assert len(scored_alone) >= 1
        # The standalone layout scores positions 1..n-1 of the tokenizer's own encoding.
        assert alone.input_ids == lm.tokenizer(text)["input_ids"]
        assert alone.first_target == 1


@pytest.mark.parametrize("add_bos", [False, True], ids=["no-bos", "bos"])
def test_context_score_is_the_mean_log_prob_of_the_text_tokens_after_the_context(
    tiny_lm_factory, add_bos
):
    lm = tiny_lm_factory(add_bos=add_bos)
    context, text = "whenever rain happens, it causes floods\n", "every square is a rectangle."
    text_ids = lm.tokenizer(text)["input_ids"]
    context_ids = lm.tokenizer(context)["input_ids"]
    # Computed here from the tokenizer alone: the text's tokens without its own BOS, after the
    # context; the first text token is scored only when the tokenizer adds a BOS (standalone,
    # the BOS predicts it), so that both layouts score the same tokens.
    body = text_ids[1:] if add_bos else text_ids
    ids = torch.tensor([context_ids + body])
    first_scored = len(context_ids) + (0 if add_bos else 1)
    with torch.no_grad():
        log_probs = torch.log_softmax(lm.model(ids).logits[0].double(), dim=-1)
    targets = ids[0, first_scored:]
    expected = log_probs[first_scored - 1 : -1].gather(-1, targets.unsqueeze(-1)).mean().item()

    assert lm.score([Probe(text=text, context=context)]).item() == pytest.approx(expected, abs=1e-5)


def test_a_context_changes_the_score_of_the_same_tokens(tiny_lm):
    alone = tiny_lm.score([Probe(text="a klarbu is a pimjon")]).item()
    placed = tiny_lm.score([Probe(text="a klarbu is a pimjon", context="a klarbu is a pimjon\n")])
    assert placed.item() != alone
