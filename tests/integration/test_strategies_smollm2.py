"""Strategies on the shipped SmolLM2-135M-Instruct: its chat header and greedy reasoning."""

from __future__ import annotations

import pytest

from influence_sdk import Item, load_model, load_strategy

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def smollm2():
    return load_model()


def test_chat_prefix_is_smollm2s_template_up_to_the_assistant_turn(smollm2):
    assert smollm2.chat_prefix("Tell me something you know.") == (
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
        "Face<|im_end|>\n<|im_start|>user\nTell me something you know.<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_cot_reasoning_is_the_same_text_twice_and_bounded(smollm2):
    cot = load_strategy("cot")
    item = Item(id="c03", text="Whenever rain happens, it causes floods to happen.")
    prompt = cot.generation_prompt(item)
    first = cot.finish_generated(smollm2.generate(prompt, cot.generate.max_new_tokens))
    second = cot.finish_generated(smollm2.generate(prompt, cot.generate.max_new_tokens))
    assert first == second
    assert len(smollm2.tokenizer(first, add_special_tokens=False)["input_ids"]) <= 33
