"""Property-based tests of every parser of user input: any input is accepted or rejected with
an :class:`InfluenceError`, never another exception.

Parsers covered: suite JSONL files, strategy TOML files, the run config (``RunConfig`` and a
run directory's ``config.json`` on resume) and fine-tuning recipe options. What a parser
accepts must also be usable: an accepted strategy renders an item, an accepted suite has
unique ids and non-empty texts.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from influence_sdk import ConfigError, FineTuneRecipe, InfluenceError, Item, load_strategy
from influence_sdk.config import RunConfig
from influence_sdk.runstore import RunStore
from influence_sdk.suites import load_jsonl_suite

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# JSON values, small and nested, with the awkward ones (NaN, huge ints, odd unicode) included.
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
# Text built from the characters templates and JSON are made of, so parsers see near misses.
template_text = st.text(alphabet="{}!:.[]0 text generated\\\"'\n\t\u2028é", max_size=30)
# Near misses that str.format() parses but cannot render, or renders into something huge.
near_misses = st.sampled_from(
    ["{text!x}", "{text:d}", "{text!r}", "{text:>999999999}", "{text[0]}", "{text.upper}",
     "{0}", "{}", "{{text}}", "{text", "text}", "{generated!s}", "{text}{generated:^3}"]
)  # fmt: skip
template_text = template_text | near_misses


def write(folder: str, name: str, content: bytes) -> Path:
    path = Path(folder) / name
    path.write_bytes(content)
    return path


def accepted_or_sdk_error(parse: Any, *args: Any) -> Any | None:
    """The parser's result, or None when it raised the SDK's error (anything else fails)."""
    try:
        return parse(*args)
    except InfluenceError as err:
        assert "\n" not in str(err), "error messages are one line"
        return None


# ---- suite JSONL ------------------------------------------------------------------------------


item_records = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=6) | st.integers() | json_values,
        "text": template_text | json_values,
        "tags": st.dictionaries(st.text(max_size=6), json_values, max_size=3) | json_values,
        "extra": json_values,
    },
)
contrast_records = st.fixed_dictionaries(
    {
        "contrast": st.fixed_dictionaries(
            {},
            optional={
                key: st.lists(st.sampled_from(["a", "b", "c", 1]), max_size=3) | json_values
                for key in ("trained_on", "tested_on", "baseline")
            }
            | {
                "property": st.sampled_from(["rewording", ""]) | json_values,
                "expected": st.sampled_from([1, -1, 0, True]) | json_values,
                "note": json_values,
            },
        )
    }
)
jsonl_lines = st.lists(
    item_records.map(json.dumps)
    | contrast_records.map(json.dumps)
    | json_values.map(lambda value: json.dumps(value, ensure_ascii=False))
    | st.text(max_size=30),
    max_size=8,
)


def check_suite(path: Path) -> None:
    suite = accepted_or_sdk_error(load_jsonl_suite, path)
    if suite is not None:
        ids = [item.id for item in suite.items]
        assert len(ids) == len(set(ids)) >= 2
        assert all(isinstance(item.text, str) and item.text.strip() for item in suite.items)


@FUZZ
@given(lines=jsonl_lines)
def test_suite_jsonl_lines_are_accepted_or_rejected_with_suite_error(lines):
    with tempfile.TemporaryDirectory() as folder:
        check_suite(write(folder, "fuzz.jsonl", "\n".join(lines).encode("utf-8", "surrogatepass")))


@FUZZ
@given(content=st.binary(max_size=200))
def test_suite_jsonl_bytes_are_accepted_or_rejected_with_suite_error(content):
    with tempfile.TemporaryDirectory() as folder:
        check_suite(write(folder, "fuzz.jsonl", content))


def test_suite_jsonl_keeps_line_separators_inside_strings(tmp_path):
    text = "first part\u2028second part"  # U+2028 is a line break for str.splitlines()
    lines = [{"id": "a", "text": text}, {"id": "b", "text": "x y"}]
    path = write(
        str(tmp_path),
        "s.jsonl",
        "\n".join(json.dumps(r, ensure_ascii=False) for r in lines).encode(),
    )
    assert load_jsonl_suite(path).items[0].text == text


# ---- strategy TOML ---------------------------------------------------------------------------


def toml_value(value: Any) -> str:
    """A TOML literal for strings, numbers, booleans and lists (enough for these tests)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value))  # JSON string escapes are valid TOML basic-string escapes


toml_scalars = (
    template_text
    | st.integers(-5, 600)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
    | st.lists(template_text, max_size=2)
)
strategy_tables = st.fixed_dictionaries(
    {},
    optional={
        "name": st.sampled_from(["fuzz", "", "../up", "a b", "x" * 70]) | template_text,
        "description": template_text,
        "mode": st.sampled_from(["fine-tune", "in-context", "both"]) | toml_scalars,
        "template": st.sampled_from(["{text}", "Q: {text}", "{text} {generated}"]) | toml_scalars,
        "prefix": toml_scalars,
        "separator": toml_scalars,
        "chat": toml_scalars,
        "chat_user": toml_scalars,
        "unknown": toml_scalars,
    },
)
generate_tables = st.fixed_dictionaries(
    {},
    optional={
        "prompt": st.sampled_from(["Why? {text}", "{generated}"]) | toml_scalars,
        "max_new_tokens": st.integers(-2, 600) | toml_scalars,
        "stop": st.lists(template_text, max_size=2) | toml_scalars,
    },
)


def strategy_file(table: dict[str, Any], generate: dict[str, Any] | None) -> str:
    lines = [f"{key} = {toml_value(value)}" for key, value in table.items()]
    if generate is not None:
        lines += ["[generate]"] + [
            f"{key} = {toml_value(value)}" for key, value in generate.items()
        ]
    return "\n".join(lines) + "\n"


def check_strategy(path: Path) -> None:
    strategy = accepted_or_sdk_error(load_strategy, str(path))
    if strategy is not None:  # accepted means usable: it renders an item
        rendered = strategy.render(Item(id="a", text="a klarbu is a pimjon"), "because")
        assert isinstance(strategy.context_for(rendered), str)
        if strategy.generate is not None:
            assert isinstance(strategy.generation_prompt(Item(id="a", text="x y")), str)


@FUZZ
@given(table=strategy_tables, generate=st.none() | generate_tables)
def test_strategy_tables_are_accepted_or_rejected_with_strategy_error(table, generate):
    with tempfile.TemporaryDirectory() as folder:
        check_strategy(write(folder, "fuzz.toml", strategy_file(table, generate).encode()))


@FUZZ
@given(content=st.binary(max_size=200) | template_text.map(str.encode))
def test_strategy_bytes_are_accepted_or_rejected_with_strategy_error(content):
    with tempfile.TemporaryDirectory() as folder:
        check_strategy(write(folder, "fuzz.toml", content))


# ---- run config and config.json on resume -------------------------------------------------


config_fields = st.fixed_dictionaries(
    {},
    optional={
        "model": st.text(max_size=10) | json_values,
        "suites": st.lists(st.sampled_from(["transitivity", ""]), max_size=2) | json_values,
        "strategies": st.lists(st.sampled_from(["plain"]), max_size=2) | json_values,
        "properties": st.lists(st.sampled_from(["memorization"]), max_size=2) | json_values,
        "seeds": st.lists(st.integers(-3, 3), max_size=3) | json_values,
        "recipe": st.dictionaries(st.sampled_from(["lr", "steps", "method", "x"]), json_values)
        | json_values,
        "device": json_values,
        "dtype": json_values,
        "options": json_values,
    },
)


@FUZZ
@given(fields=config_fields)
def test_run_config_is_built_or_rejected_with_config_error(fields):
    config = accepted_or_sdk_error(lambda: RunConfig.build(**fields))
    if config is not None:  # a saved config reads back as the same config
        assert RunConfig.build(**config.model_dump(mode="json")) == config


VALID_CONFIG = RunConfig.build(
    model="tiny", suites=["transitivity"], properties=["memorization"], seeds=[0]
)


@FUZZ
@given(
    saved=st.binary(max_size=120)
    | json_values.map(lambda value: json.dumps(value).encode())
    | config_fields.map(lambda fields: json.dumps(fields).encode())
)
def test_saved_config_json_is_resumed_or_refused_with_run_directory_error(saved):
    with tempfile.TemporaryDirectory() as folder:
        write(folder, "config.json", saved)
        store = accepted_or_sdk_error(RunStore, folder, VALID_CONFIG)
        if store is not None:  # only the very same config resumes
            assert json.loads(saved) == VALID_CONFIG.model_dump(mode="json")


# ---- recipe options ------------------------------------------------------------------------


recipe_options = st.dictionaries(
    st.sampled_from(
        [
            "method",
            "optimizer",
            "lr",
            "steps",
            "weight_decay",
            "lora_rank",
            "lora_alpha",
            "lora_targets",
            "epochs",
        ]
    ),  # fmt: skip
    json_values | st.sampled_from(["full", "lora", "adamw", "sgd"]) | st.floats(),
    max_size=5,
)


@FUZZ
@given(options=recipe_options)
def test_recipe_options_are_accepted_or_rejected_with_config_error(options):
    try:
        recipe = FineTuneRecipe.from_options(**options)
    except ConfigError as err:
        assert "\n" not in str(err)
        return
    assert recipe.lr > 0 and recipe.steps >= 1
    assert all(abs(value) < float("inf") for value in (recipe.lr, recipe.weight_decay))
