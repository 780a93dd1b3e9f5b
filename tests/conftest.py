"""Shared fixtures: tiny random language models for fast tests, offline settings for all.

Unit tests never touch the shipped models; integration tests (``-m integration``) do.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pytest  # noqa: E402
import torch  # noqa: E402

CORPUS = [
    "a klarbu is a pimjon",
    "all pimjons have a zorvek",
    "whenever rain happens, it causes floods",
    "the capital of France is Paris.",
    "Frogs and toads often hibernate in winter.",
    "every square is a rectangle.",
    "belongs to the set of",
    "does not have a",
    "might belong",
]


def make_tokenizer(add_bos: bool = False):
    """A small byte-level BPE tokenizer trained in memory (no download)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<pad>", "<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(CORPUS * 4, trainer)
    if add_bos:
        tokenizer.post_processor = processors.TemplateProcessing(
            single="<s> $A", special_tokens=[("<s>", tokenizer.token_to_id("<s>"))]
        )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", bos_token="<s>", eos_token="</s>"
    )


def make_tiny_lm(seed: int = 0, add_bos: bool = False, **kwargs):
    """A 2-layer random Llama with the tiny tokenizer, wrapped as an HFCausalLM."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from influence_sdk import HFCausalLM

    tokenizer = make_tokenizer(add_bos=add_bos)
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=1,
        eos_token_id=2,
    )
    model = LlamaForCausalLM(config).eval()
    return HFCausalLM(model, tokenizer, name="tiny-llama", **kwargs)


@pytest.fixture
def tiny_lm():
    return make_tiny_lm()


@pytest.fixture
def tiny_lm_factory():
    return make_tiny_lm


@pytest.fixture(scope="session")
def tiny_lm_folder(tmp_path_factory):
    """The tiny random Llama saved as a model folder (safetensors), for ``--model PATH``."""
    folder = tmp_path_factory.mktemp("tiny-llama")
    lm = make_tiny_lm()
    lm.model.save_pretrained(folder)
    lm.tokenizer.save_pretrained(folder)
    return folder
