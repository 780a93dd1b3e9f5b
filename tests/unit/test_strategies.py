"""Strategy files: built-in rendering on fixed items, user files by path, malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest

from influence_sdk import Item, Strategy, StrategyError, load_strategy
from influence_sdk.strategy import builtin_strategy_files

PREMISES = Item(id="t01", text="a klarbu is a pimjon\nall pimjons have a zorvek")
SHORT = Item(id="c01", text="Whenever rain happens, it causes floods to happen.")
REASONING = "So a klarbu has a zorvek."


def test_builtins_are_the_six_documented_strategies():
    assert sorted(builtin_strategy_files()) == [
        "chat",
        "cot",
        "in-context",
        "in-context-cot",
        "plain",
        "qa",
    ]


def test_plain_learns_the_item_as_it_is():
    plain = load_strategy("plain")
    assert plain.mode == "fine-tune"
    assert plain.render(PREMISES) == "a klarbu is a pimjon\nall pimjons have a zorvek"
    assert plain.generate is None and not plain.chat


def test_in_context_places_the_item_and_a_newline_before_the_probe():
    in_context = load_strategy("in-context")
    assert in_context.mode == "in-context"
    rendered = in_context.render(SHORT)
    assert in_context.context_for(rendered) == (
        "Whenever rain happens, it causes floods to happen.\n"
    )


def test_cot_prompts_for_reasoning_and_learns_item_plus_reasoning():
    cot = load_strategy("cot")
    assert cot.mode == "fine-tune"
    assert cot.generation_prompt(PREMISES) == (
        "a klarbu is a pimjon\nall pimjons have a zorvek\n"
        "Let's think step by step about what follows from this.\n"
    )
    assert cot.render(PREMISES, REASONING) == (
        "a klarbu is a pimjon\nall pimjons have a zorvek\nSo a klarbu has a zorvek."
    )
    assert cot.generate is not None and cot.generate.max_new_tokens == 32


def test_cot_keeps_the_reasoning_up_to_the_first_blank_line_stripped():
    cot = load_strategy("cot")
    raw = "\n  So a klarbu has a zorvek.\n\nQuestion: something else"
    assert cot.finish_generated(raw) == "So a klarbu has a zorvek."


def test_in_context_cot_places_item_and_reasoning_before_the_probe():
    strategy = load_strategy("in-context-cot")
    assert strategy.mode == "in-context"
    assert strategy.generation_prompt(SHORT) == (
        "Whenever rain happens, it causes floods to happen.\n"
        "Let's think step by step about what follows from this.\n"
    )
    rendered = strategy.render(SHORT, "Rain leads to floods.")
    assert strategy.context_for(rendered) == (
        "Whenever rain happens, it causes floods to happen.\nRain leads to floods.\n"
    )


def test_qa_restates_the_item_as_a_question_with_its_answer():
    qa = load_strategy("qa")
    assert qa.mode == "fine-tune"
    assert qa.render(SHORT) == (
        "Question: Is the following true?\n"
        "Whenever rain happens, it causes floods to happen.\n"
        "Answer: Yes."
    )


def test_chat_learns_the_item_as_the_assistant_reply():
    chat = load_strategy("chat")
    assert chat.mode == "fine-tune" and chat.chat
    assert chat.chat_user == "Tell me something you know."
    assert chat.render(SHORT) == "Whenever rain happens, it causes floods to happen."


def test_user_strategy_file_by_path_is_loaded(tmp_path: Path):
    path = tmp_path / "quoted.toml"
    path.write_text(
        'description = "The item in quotes after a fixed preamble."\n'
        'mode = "in-context"\n'
        'template = "Fact: \\"{text}\\""\n'
        'prefix = "Facts follow.\\n"\n'
        'separator = "\\n\\n"\n',
        encoding="utf-8",
    )
    strategy = load_strategy(str(path))
    assert strategy.name == "quoted"  # the file name when the file has no name field
    assert strategy.context_for(strategy.render(SHORT)) == (
        'Facts follow.\nFact: "Whenever rain happens, it causes floods to happen."\n\n'
    )


BASE = 'mode = "fine-tune"\n'
MALFORMED = [
    ("unknown_placeholder", BASE + 'template = "{txt} and {text}"\n', ["'template'", "txt"]),
    ("missing_mode", 'template = "{text}"\n', ["field 'mode' is missing"]),
    ("bad_mode", 'mode = "sometimes"\ntemplate = "{text}"\n', ["field 'mode'", "'sometimes'"]),
    ("no_text", BASE + 'template = "hello"\n', ["'template'", "never uses {text}"]),
    ("unknown_field", BASE + 'template = "{text}"\ntemperature = 1\n', ["field 'temperature'"]),
    (
        "zero_tokens",
        BASE + 'template = "{text} {generated}"\n[generate]\nprompt = "{text}"\nmax_new_tokens = 0',
        ["generate.max_new_tokens", "0"],
    ),
    (
        "generated_without_generate",
        BASE + 'template = "{text} {generated}"\n',
        ["'generate' is missing"],
    ),
    (
        "prompt_uses_generated",
        BASE + 'template = "{text} {generated}"\n[generate]\nprompt = "{text} {generated}"\n',
        ["field 'generate.prompt'", "generated"],
    ),
    ("chat_in_context", 'mode = "in-context"\ntemplate = "{text}"\nchat = true\n', ["'chat'"]),
    ("prefix_when_fine_tuning", BASE + 'template = "{text}"\nprefix = "x"\n', ["'prefix'"]),
    ("bad_name", 'name = "a b/c"\n' + BASE + 'template = "{text}"\n', ["field 'name'"]),
    ("stray_brace", BASE + 'template = "{text"\n', ["'template'", "not a valid template"]),
    ("not_toml", "mode = \n", ["not valid TOML"]),
]


@pytest.mark.parametrize(("stem", "content", "expected"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_strategy_file_gives_one_line_error_naming_file_and_field(
    tmp_path: Path, stem: str, content: str, expected: list[str]
):
    path = tmp_path / f"{stem}.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(StrategyError) as caught:
        load_strategy(str(path))
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    for part in expected:
        assert part in message


def test_missing_strategy_file_is_named(tmp_path: Path):
    with pytest.raises(StrategyError, match="does not exist"):
        load_strategy(str(tmp_path / "absent.toml"))


def test_unknown_builtin_lists_the_valid_names():
    with pytest.raises(StrategyError, match="unknown strategy 'cott'; choose one of: chat, cot"):
        load_strategy("cott")


def test_strategy_built_in_python_is_validated_too():
    with pytest.raises(ValueError, match="unknown placeholder"):
        Strategy(name="x", mode="fine-tune", template="{item}")


def test_every_strategy_file_shown_in_the_docs_loads(tmp_path: Path):
    import re

    docs = Path(__file__).resolve().parents[2] / "docs" / "strategies.md"
    blocks = re.findall(r"```toml\n(.*?)```", docs.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 2
    for k, block in enumerate(blocks):
        path = tmp_path / f"example{k}.toml"
        path.write_text(block, encoding="utf-8")
        assert load_strategy(str(path)).name in {"told", "socratic"}
