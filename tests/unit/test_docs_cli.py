"""docs/cli.md names every command and every option that cli.py defines."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from influence_sdk.cli import main

CLI_DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def documented_headings() -> set[str]:
    return set(re.findall(r"^## `([a-z-]+)`", CLI_DOC.read_text(encoding="utf-8"), re.M))


def test_every_command_has_a_section():
    assert set(main.commands) <= documented_headings()


def test_no_section_describes_a_command_that_does_not_exist():
    assert documented_headings() <= set(main.commands)


def section(command: str) -> str:
    text = CLI_DOC.read_text(encoding="utf-8")
    start = text.index(f"## `{command}`")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else None]


def option_names(command: click.Command) -> list[str]:
    names = []
    for param in command.params:
        if isinstance(param, click.Option) and "--help" not in param.opts:
            names.append(max(param.opts, key=len))  # the long form
    return names


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_option_of_a_command_is_documented_in_its_section(command):
    text = section(command)
    if command == "compare":
        text += section("evaluate")  # compare takes every option of evaluate
    missing = [name for name in option_names(main.commands[command]) if f"`{name}" not in text]
    assert missing == []


def test_every_global_option_is_documented():
    full = CLI_DOC.read_text(encoding="utf-8")
    text = full[full.index("## Global options") : full.index("## `evaluate`")]
    assert [n for n in option_names(main) if f"`{n}`" not in text] == []
