"""A corpus of bad input: each case gives one ``Error:`` line, exit code 1 (2 for usage errors),
no traceback and no report.

Every CLI case runs ``influence-sdk evaluate`` on the tiny random Llama saved as a model folder,
with one seed and one property, writing to a fresh ``--output`` that must hold no report after.
``{tmp}`` and ``{model}`` in a case's arguments stand for the test's folder and the tiny model.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from influence_sdk import (
    Analyzer,
    ConfigError,
    FineTuneRecipe,
    HFCausalLM,
    InfluenceError,
    ItemError,
    ModelLoadError,
    NumericalError,
    PropertyError,
    StrategyError,
    SuiteError,
    build_suite,
    get_property,
    load_strategy,
)
from influence_sdk.cli import main

LONG_TEXT = " ".join(["a klarbu is a pimjon"] * 200)  # far past the tiny model's 512 tokens
GOOD_LINES = '{"id": "a", "text": "a klarbu is a pimjon"}\n{"id": "b", "text": "all pimjons"}\n'


def jsonl(*records: object) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


@dataclass
class Case:
    """One bad input: extra CLI arguments, files to create first, the expected message."""

    name: str
    args: list[str]
    message: str  # regex searched in the single "Error: ..." line
    exit_code: int = 1
    files: dict[str, str | bytes] = field(default_factory=dict)
    defaults: bool = True  # add --model, --seeds, --property, --output


CASES = [
    # ---- names that do not exist: the valid ones are listed -------------------------------
    Case(
        "unknown suite", ["--suite", "nope"], r"unknown suite 'nope'; choose one of: .*transitivity"
    ),
    Case(
        "unknown property",
        ["--suite", "transitivity", "--property", "nope"],
        r"unknown property 'nope'; choose one of: .*memorization",
    ),
    Case(
        "unknown strategy",
        ["--suite", "transitivity", "--strategy", "nope"],
        r"unknown strategy 'nope'; choose one of: .*plain",
    ),
    # ---- recipe values ----------------------------------------------------------------------
    Case(
        "lr zero",
        ["--suite", "transitivity", "--lr", "0"],
        r"lr=0\.0: Input should be greater than 0",
    ),
    Case(
        "lr negative",
        ["--suite", "transitivity", "--lr", "-1e-4"],
        r"lr=-0\.0001: .*greater than 0",
    ),
    Case(
        "lr nan",
        ["--suite", "transitivity", "--lr", "nan"],
        r"lr=nan: Input should be a finite number",
    ),
    Case("lr infinite", ["--suite", "transitivity", "--lr", "inf"], r"lr=inf: .*finite number"),
    Case(
        "steps zero",
        ["--suite", "transitivity", "--steps", "0"],
        r"steps=0: .*greater than or equal to 1",
    ),
    Case(
        "steps negative",
        ["--suite", "transitivity", "--steps", "-2"],
        r"steps=-2: .*greater than or equal",
    ),
    Case("lora rank zero", ["--suite", "transitivity", "--lora-rank", "0"], r"lora_rank=0"),
    # ---- usage errors (click): exit code 2 ---------------------------------------------------
    Case(
        "seeds zero",
        ["--suite", "transitivity", "--seeds", "0"],
        r"'--seeds'.*0 is not in the range",
        exit_code=2,
        defaults=False,
    ),
    Case(
        "method unknown",
        ["--suite", "transitivity", "--method", "qlora"],
        r"'--method'.*'qlora'",
        exit_code=2,
    ),
    Case(
        "optimizer unknown",
        ["--suite", "transitivity", "--optimizer", "adam"],
        r"'--optimizer'",
        exit_code=2,
    ),
    Case(
        "lr not a number",
        ["--suite", "transitivity", "--lr", "fast"],
        r"'fast' is not a valid float",
        exit_code=2,
    ),
    Case(
        "dtype unknown", ["--suite", "transitivity", "--dtype", "int8"], r"'--dtype'", exit_code=2
    ),
    Case(
        "unknown option",
        ["--suite", "transitivity", "--epochs", "3"],
        r"No such option '--epochs'",
        exit_code=2,
    ),
    # ---- models -------------------------------------------------------------------------------
    Case(
        "model folder missing",
        ["--suite", "transitivity", "--model", "{tmp}/no-such-model"],
        r"model folder '.*no-such-model' does not exist",
    ),
    Case(
        "model relative path missing",
        ["--suite", "transitivity", "--model", "./no/such/model"],
        r"model folder './no/such/model' does not exist",
    ),
    Case(
        "model hub id offline",
        ["--suite", "transitivity", "--model", "nobody/no-such-model"],
        r"cannot load model 'nobody/no-such-model'",
    ),
    Case(
        "model is a file",
        ["--suite", "transitivity", "--model", "{tmp}/weights.bin"],
        r"--model '.*weights\.bin' is a file",
        files={"weights.bin": b"\x80\x04"},
    ),
    Case(
        "model folder without config",
        ["--suite", "transitivity", "--model", "{tmp}/empty"],
        r"model folder '.*empty' has no config\.json",
        files={"empty/notes.txt": "x"},
    ),
    Case(
        "model folder with pickled weights only",
        ["--suite", "transitivity", "--model", "{tmp}/pickled"],
        r"has no \.safetensors weights \(found pytorch_model\.bin\); influence-sdk never unpickles",
        files={"pickled/config.json": "{}", "pickled/pytorch_model.bin": b"\x80\x04K\x01."},
    ),
    Case(
        "device unknown",
        ["--suite", "transitivity", "--device", "quantum"],
        r"cannot move the model to device 'quantum'",
    ),
    # ---- suite files ----------------------------------------------------------------------
    Case(
        "suite file missing",
        ["--suite", "{tmp}/missing.jsonl"],
        r"suite file .*missing\.jsonl does not exist",
    ),
    Case("suite file empty", ["--suite", "{tmp}/s.jsonl"], r"has no items", files={"s.jsonl": ""}),
    Case(
        "suite file blank lines only",
        ["--suite", "{tmp}/s.jsonl"],
        r"has no items",
        files={"s.jsonl": "\n\n  \n"},
    ),
    Case(
        "suite file one item",
        ["--suite", "{tmp}/s.jsonl"],
        r"has 1 item; an influence matrix needs at least 2",
        files={"s.jsonl": jsonl({"id": "a", "text": "a klarbu"})},
    ),
    Case(
        "suite malformed line",
        ["--suite", "{tmp}/s.jsonl"],
        r"s\.jsonl line 3: not valid JSON",
        files={"s.jsonl": GOOD_LINES + '{"id": "c", "text": "oops"\n'},
    ),
    Case(
        "suite line not an object",
        ["--suite", "{tmp}/s.jsonl"],
        r"line 2: expected a JSON object, got list",
        files={"s.jsonl": jsonl({"id": "a", "text": "x y"}, ["b", "x y"])},
    ),
    Case(
        "suite not utf-8",
        ["--suite", "{tmp}/s.jsonl"],
        r"s\.jsonl is not UTF-8 \(byte \d+\)",
        files={"s.jsonl": GOOD_LINES.encode() + '{"id": "c", "text": "café"}\n'.encode("latin-1")},
    ),
    Case(
        "suite empty text",
        ["--suite", "{tmp}/s.jsonl"],
        r"line 2: 'text' must be a non-empty string, got ''",
        files={"s.jsonl": jsonl({"id": "a", "text": "x y"}, {"id": "b", "text": ""})},
    ),
    Case(
        "suite blank text",
        ["--suite", "{tmp}/s.jsonl"],
        r"line 1: 'text' must be a non-empty string",
        files={"s.jsonl": jsonl({"id": "a", "text": " \t "}, {"id": "b", "text": "x y"})},
    ),
    Case(
        "suite text not a string",
        ["--suite", "{tmp}/s.jsonl"],
        r"line 1: 'text' must be a non-empty string, got 5",
        files={"s.jsonl": jsonl({"id": "a", "text": 5}, {"id": "b", "text": "x y"})},
    ),
    Case(
        "suite missing id",
        ["--suite", "{tmp}/s.jsonl"],
        r"line 2: 'id' must be a non-empty string, got None",
        files={"s.jsonl": jsonl({"id": "a", "text": "x y"}, {"text": "x y"})},
    ),
    Case(
        "suite duplicate ids",
        ["--suite", "{tmp}/s.jsonl"],
        r"item id 'a' (is used )?twice",
        files={"s.jsonl": jsonl({"id": "a", "text": "x y"}, {"id": "a", "text": "y z"})},
    ),
    Case(
        "suite unknown key",
        ["--suite", "{tmp}/s.jsonl"],
        r"line 1: unknown keys \['label'\]",
        files={
            "s.jsonl": jsonl({"id": "a", "text": "x y", "label": 1}, {"id": "b", "text": "y z"})
        },
    ),
    Case(
        "suite tags not an object",
        ["--suite", "{tmp}/s.jsonl"],
        r"line 2: 'tags' must be an object, got list",
        files={
            "s.jsonl": jsonl({"id": "a", "text": "x y"}, {"id": "b", "text": "y z", "tags": []})
        },
    ),
    Case(
        "suite contrast unknown ids",
        ["--suite", "{tmp}/s.jsonl"],
        r"names unknown item ids \['zz'\]",
        files={
            "s.jsonl": GOOD_LINES
            + jsonl(
                {
                    "contrast": {
                        "property": "rewording",
                        "trained_on": ["a"],
                        "tested_on": ["zz"],
                        "baseline": ["b"],
                    }
                }
            )
        },
    ),
    Case(
        "suite text longer than context",
        ["--suite", "{tmp}/s.jsonl"],
        r"item 'long' is \d+ tokens long .*more than the model's context of 512; shorten it",
        files={"s.jsonl": jsonl({"id": "a", "text": "x y"}, {"id": "long", "text": LONG_TEXT})},
    ),
    # ---- strategy files -------------------------------------------------------------------
    Case(
        "strategy file missing",
        ["--suite", "transitivity", "--strategy", "{tmp}/nope.toml"],
        r"strategy file .*nope\.toml does not exist",
    ),
    Case(
        "strategy not toml",
        ["--suite", "transitivity", "--strategy", "{tmp}/st.toml"],
        r"st\.toml: not valid TOML",
        files={"st.toml": "mode = fine-tune\n"},
    ),
    Case(
        "strategy not utf-8",
        ["--suite", "transitivity", "--strategy", "{tmp}/st.toml"],
        r"st\.toml is not UTF-8",
        files={"st.toml": 'template = "caf\xe9 {text}"\n'.encode("latin-1")},
    ),
    Case(
        "strategy unknown placeholder",
        ["--suite", "transitivity", "--strategy", "{tmp}/st.toml"],
        r"unknown placeholder\(s\) \['answer'\]",
        files={"st.toml": 'mode = "fine-tune"\ntemplate = "{text} {answer}"\n'},
    ),
    Case(
        "strategy makes items longer than context",
        ["--suite", "transitivity", "--strategy", "{tmp}/st.toml"],
        r"item 't01' is \d+ tokens long .*more than the model's context of 512",
        files={"st.toml": f'mode = "fine-tune"\ntemplate = "{LONG_TEXT} {{text}}"\n'},
    ),
    Case(
        "in-context strategy makes pairs longer than context",
        ["--suite", "{tmp}/s.jsonl", "--strategy", "in-context"],
        r"item '.* after .*' is \d+ tokens long .*more than the model's context of 512",
        files={
            "s.jsonl": jsonl(
                {"id": "a", "text": LONG_TEXT[:1100]}, {"id": "b", "text": LONG_TEXT[:1100]}
            )
        },
    ),
    Case(
        "two strategies with one name",
        ["--suite", "transitivity", "--strategy", "{tmp}/a/x.toml", "--strategy", "{tmp}/b/x.toml"],
        r"two strategies of this run are both named 'x'",
        files={
            "a/x.toml": 'mode = "fine-tune"\ntemplate = "{text}"\n',
            "b/x.toml": 'mode = "fine-tune"\ntemplate = "Q: {text}"\n',
        },
    ),
    Case(
        "strategy given twice",
        ["--suite", "transitivity", "--strategy", "plain", "--strategy", "plain"],
        r"two strategies of this run are both named 'plain'",
    ),
    # ---- run directories ------------------------------------------------------------------
    Case(
        "output is a file",
        ["--suite", "transitivity", "--output", "{tmp}/taken"],
        r"--output .*taken is a file; pass a directory",
        files={"taken": "x"},
        defaults=False,
    ),
    Case(
        "output made by another config",
        ["--suite", "transitivity", "--output", "{tmp}/old"],
        r"holds a run made with another config \(.*model: 'another-model' -> ",
        defaults=False,
        files={"old/config.json": json.dumps({"model": "another-model"})},
    ),
    Case(
        "output config unreadable",
        ["--suite", "transitivity", "--output", "{tmp}/old"],
        r"old/config\.json is not a config written by influence-sdk",
        defaults=False,
        files={"old/config.json": b"\xff\xfe garbage"},
    ),
    # ---- numbers --------------------------------------------------------------------------
    Case(
        "learning rate that diverges",
        ["--suite", "transitivity", "--lr", "1e30"],
        r"score of item 't01' became nan after learning 't01' at step 1 .* with lr 1e\+30",
    ),
]


def expand(value: str, tmp: Path, model: Path) -> str:
    return value.replace("{tmp}", str(tmp)).replace("{model}", str(model))


def run_case(case: Case, tmp: Path, model: Path):
    for name, content in case.files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    args = [expand(arg, tmp, model) for arg in case.args]
    given = set(args)
    defaults = {"--model": str(model), "--seeds": "1", "--property": "memorization"}
    extra = [x for key, value in defaults.items() if key not in given for x in (key, value)]
    output = [] if "--output" in given else ["--output", str(tmp / "run")]
    if case.defaults or "--output" in given:
        args = args + extra + output
    return CliRunner().invoke(main, ["-q", "evaluate", *args])


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_gives_one_error_line_and_no_report(case, tmp_path, tiny_lm_folder):
    result = run_case(case, tmp_path, tiny_lm_folder)

    assert result.exit_code == case.exit_code, result.output
    assert isinstance(result.exception, SystemExit), "an exception escaped the CLI"
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    assert re.search(case.message, errors[0]), errors[0]
    assert not list(tmp_path.rglob("report.json")) and not list(tmp_path.rglob("report.md"))


def test_corpus_holds_at_least_thirty_cases():
    assert len(CASES) + len(PYTHON_CASES) >= 30


def test_debug_flag_shows_the_traceback(tmp_path, tiny_lm_folder):
    args = ["--debug", "evaluate", "--model", str(tiny_lm_folder), "--suite", "nope"]
    result = CliRunner().invoke(main, args)
    assert type(result.exception).__name__ == "SuiteError"  # re-raised, so click shows it


# ---- Python calls ---------------------------------------------------------------------------


def _long_suite(tmp: Path) -> Path:
    path = tmp / "long.jsonl"
    path.write_text(jsonl({"id": "a", "text": "x y"}, {"id": "long", "text": LONG_TEXT}))
    return path


def _nan_weights(lm):
    import torch

    with torch.no_grad():
        next(lm.model.parameters()).fill_(float("nan"))
    return lm


PYTHON_CASES = [
    (
        "seeds zero",
        lambda tmp, lm: Analyzer(lm, seeds=0),
        ConfigError,
        r"seeds must be a positive count or a list of seeds, got 0",
    ),
    (
        "seeds repeated",
        lambda tmp, lm: Analyzer(lm, seeds=[1, 1], properties=["memorization"]),
        ConfigError,
        r"seeds must be distinct",
    ),
    (
        "recipe lr negative",
        lambda tmp, lm: FineTuneRecipe.from_options(lr=-1.0),
        ConfigError,
        r"lr=-1\.0: Input should be greater than 0",
    ),
    (
        "recipe unknown option",
        lambda tmp, lm: FineTuneRecipe.from_options(epochs=3),
        ConfigError,
        r"epochs=3: Extra inputs are not permitted",
    ),
    (
        "unknown suite",
        lambda tmp, lm: build_suite("nope", 0),
        SuiteError,
        r"unknown suite 'nope'; choose one of: .*transitivity",
    ),
    (
        "unknown property",
        lambda tmp, lm: get_property("nope"),
        PropertyError,
        r"unknown property 'nope'; choose one of: .*memorization",
    ),
    (
        "unknown strategy",
        lambda tmp, lm: load_strategy("nope"),
        StrategyError,
        r"unknown strategy 'nope'; choose one of: .*plain",
    ),
    (
        "missing model folder",
        lambda tmp, lm: HFCausalLM.from_pretrained(str(tmp / "none")),
        ModelLoadError,
        r"model folder '.*none' does not exist",
    ),
    (
        "text longer than context",
        lambda tmp, lm: Analyzer(lm, suites=[str(_long_suite(tmp))], seeds=1).evaluate(),
        ItemError,
        r"item 'long' is \d+ tokens long .*context of 512",
    ),
    (
        "nan loss names item, step and lr",  # step 1 is finite, its update overflows step 2
        lambda tmp, lm: Analyzer(
            lm,
            suites=["transitivity"],
            seeds=1,
            properties=["memorization"],
            recipe=FineTuneRecipe(lr=1e30, steps=3),
            output=tmp / "run",
        ).evaluate(),
        NumericalError,
        r"loss became nan on item 't01' at step 2 with lr 1e\+30",
    ),
    (
        "nan score before fine-tuning",
        lambda tmp, lm: Analyzer(
            _nan_weights(lm),
            suites=["transitivity"],
            seeds=1,
            properties=["memorization"],
        ).evaluate(),
        NumericalError,
        r"score of item 't01' became nan before any fine-tuning",
    ),
]


@pytest.mark.parametrize(
    "build, error, message", [case[1:] for case in PYTHON_CASES], ids=[c[0] for c in PYTHON_CASES]
)
def test_bad_python_call_raises_the_sdk_error(build, error, message, tmp_path, tiny_lm):
    with pytest.raises(error) as caught:
        build(tmp_path, tiny_lm)
    assert isinstance(caught.value, InfluenceError)
    assert "\n" not in str(caught.value)  # one line
    assert re.search(message, str(caught.value)), str(caught.value)
    assert not list(tmp_path.rglob("report.json"))


@pytest.mark.parametrize("name", ["/no/such/model", "./no-such-model", "~/no-such-model", "a/b/c"])
def test_missing_model_path_fails_before_any_hub_request(name, monkeypatch):
    import transformers

    def contacted(*args, **kwargs):
        raise AssertionError("transformers was asked to load a path that does not exist")

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", contacted)
    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", contacted)
    with pytest.raises(ModelLoadError, match="does not exist"):
        HFCausalLM.from_pretrained(name)
