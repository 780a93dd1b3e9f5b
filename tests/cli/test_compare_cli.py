"""``influence-sdk compare`` and strategy errors through click's test runner, on a tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from influence_sdk.cli import main
from influence_sdk.models import MODEL_ALIASES


@pytest.fixture
def tiny_alias(monkeypatch, tiny_lm_factory):
    """``--model tiny-test`` loads the tiny random Llama (removed again after the test)."""
    monkeypatch.setitem(MODEL_ALIASES, "tiny-test", lambda **options: tiny_lm_factory())
    return "tiny-test"


def test_compare_writes_table_report_and_figures(tmp_path: Path, tiny_alias: str):
    output = tmp_path / "run"
    result = CliRunner().invoke(
        main,
        [
            "-q",
            "compare",
            "--model",
            tiny_alias,
            "--strategy",
            "in-context",
            "--strategy",
            "qa",
            "--suite",
            "chain_induces",
            "--seeds",
            "2",
            "--property",
            "causal_direction",
            "--property",
            "memorization",
            "--output",
            str(output),
        ],
    )
    assert result.exit_code == 0, result.output

    report = json.loads((output / "report.json").read_text(encoding="utf-8"))
    comparison = report["extras"]["comparison"]
    assert comparison["strategies"] == ["plain", "in-context", "qa"]
    rows = {(r["property"], r["strategy"]) for r in comparison["table"]}
    assert rows == {
        (name, strategy)
        for name in ("causal_direction", "memorization")
        for strategy in ("plain", "in-context", "qa")
    }
    assert {(r["suite"], r["strategy"]) for r in comparison["symmetry"]} == {
        ("chain_induces", "plain"),
        ("chain_induces", "in-context"),
        ("chain_induces", "qa"),
    }
    for row in comparison["table"]:
        plain = next(
            r
            for r in comparison["table"]
            if r["property"] == row["property"] and r["strategy"] == "plain"
        )
        rescued = plain["verdict"] != "holds" and row["verdict"] == "holds"
        broken = plain["verdict"] == "holds" and row["verdict"] != "holds"
        expected = "rescues" if rescued and row["strategy"] != "plain" else None
        expected = "breaks" if broken and row["strategy"] != "plain" else expected
        assert row["change"] == expected

    figures = report["extras"]["figures"]
    assert len(figures) == 2
    markdown = (output / "report.md").read_text(encoding="utf-8")
    assert "## Strategy comparison (baseline `plain`)" in markdown
    for title, relative in figures.items():
        assert (output / relative).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"![{title}]({relative})" in markdown
    assert "causal_direction" in result.output and "symmetry index" in result.output


def test_compare_accepts_a_user_strategy_file(tmp_path: Path, tiny_alias: str):
    path = tmp_path / "told.toml"
    path.write_text(
        'name = "told"\nmode = "fine-tune"\ntemplate = "I was told: {text}"\n', encoding="utf-8"
    )
    result = CliRunner().invoke(
        main,
        [
            "-q",
            "compare",
            "--model",
            tiny_alias,
            "--strategy",
            str(path),
            "--suite",
            "chain_induces",
            "--seeds",
            "2",
            "--property",
            "causal_direction",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "told" in result.output


@pytest.mark.parametrize("command", ["compare", "evaluate"])
def test_malformed_strategy_file_exits_1_with_one_line_naming_file_and_field(
    tmp_path: Path, tiny_alias: str, command: str
):
    path = tmp_path / "broken.toml"
    path.write_text('mode = "fine-tune"\ntemplate = "{txt}"\n', encoding="utf-8")
    result = CliRunner().invoke(
        main, ["-q", command, "--model", tiny_alias, "--strategy", str(path), "--seeds", "1"]
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: strategy file ")
    assert str(path) in lines[0] and "'template'" in lines[0] and "txt" in lines[0]


def test_chat_strategy_on_model_without_template_exits_1(tiny_alias: str):
    result = CliRunner().invoke(
        main,
        ["-q", "compare", "--model", tiny_alias, "--strategy", "chat", "--suite", "chain_induces"],
    )
    assert result.exit_code == 1
    assert "has no chat template" in result.output
