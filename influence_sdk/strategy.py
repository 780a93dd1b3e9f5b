"""Strategies: how a training item is presented to the model (learned or placed in context).

A strategy is a declarative TOML file. Built-ins live in the top-level ``strategies/`` folder
(shipped inside the wheel as ``influence_sdk._builtin_strategies``); users pass their own by path.
Probes are never changed by a strategy: every strategy is scored on the same probe texts and the
same scored tokens, only what is learned (or placed before the probe) differs.
"""

from __future__ import annotations

import string
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from influence_sdk.errors import StrategyError
from influence_sdk.items import Item
from influence_sdk.recipe import describe_validation

PLACEHOLDERS = {"text", "generated"}


class Generation(BaseModel):
    """A model-generated part: the model continues ``prompt`` greedily; the result fills
    ``{generated}`` in the strategy's template."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str
    max_new_tokens: int = Field(default=48, ge=1, le=512)


class Strategy(BaseModel):
    """How an item is presented: learned by fine-tuning, or placed in context before probes.

    Attributes:
        name: Short name used on the command line.
        description: One sentence for ``influence-sdk strategies``.
        mode: ``fine-tune`` (the rendered template is learned) or ``in-context``.
        template: Renders an item; placeholders ``{text}`` and ``{generated}``.
        prefix: In-context only: fixed text before every probe, in the baseline too.
        separator: In-context only: text between the rendered item and the probe.
        chat: Wrap the rendered text as the assistant turn of the model's chat template,
            after ``chat_user`` as the user turn.
        generate: Optional model-generated part.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str = ""
    mode: Literal["fine-tune", "in-context"] = "fine-tune"
    template: str = "{text}"
    prefix: str = ""
    separator: str = "\n"
    chat: bool = False
    chat_user: str = "Tell me something you know."
    generate: Generation | None = None

    def render(self, item: Item, generated: str = "") -> str:
        """The text that is learned (fine-tune) or placed in context (in-context)."""
        return self.template.format(text=item.text or "", generated=generated)

    def context_for(self, rendered: str) -> str:
        """The unscored context placed before each probe when ``rendered`` is in context."""
        return f"{self.prefix}{rendered}{self.separator}"


def load_strategy(name_or_path: str) -> Strategy:
    """A built-in strategy by name, or a user strategy from a ``.toml`` path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.is_file():
        return _load_file(path)
    builtins = builtin_strategy_files()
    if name_or_path not in builtins:
        raise StrategyError(
            f"unknown strategy {name_or_path!r}; choose one of: {', '.join(sorted(builtins))}, "
            "or pass a path to a .toml strategy file"
        )
    return _load_file(builtins[name_or_path])


def builtin_strategy_files() -> dict[str, Path]:
    """Built-in strategy files by name."""
    return {path.stem: path for path in sorted(_builtin_folder().glob("*.toml"))}


def _builtin_folder() -> Path:
    try:
        folder = Path(str(resources.files("influence_sdk._builtin_strategies")))
        if folder.is_dir():
            return folder
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "strategies"  # source checkout


def _load_file(path: Path) -> Strategy:
    if not path.is_file():
        raise StrategyError(f"strategy file {path} does not exist; pass an existing .toml file")
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise StrategyError(f"strategy file {path} is not UTF-8; save it as UTF-8") from None
    except tomllib.TOMLDecodeError as err:
        raise StrategyError(f"strategy file {path}: not valid TOML ({err})") from None
    data.setdefault("name", path.stem)
    try:
        strategy = Strategy(**data)
    except ValidationError as err:
        raise StrategyError(f"strategy file {path}: {describe_validation(err)}") from None
    _check_placeholders(path, "template", strategy.template)
    if strategy.generate is not None:
        _check_placeholders(path, "generate.prompt", strategy.generate.prompt, allowed={"text"})
    return strategy


def _check_placeholders(path: Path, field: str, template: str, allowed: set[str] = PLACEHOLDERS) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as err:
        raise StrategyError(f"strategy file {path}: field {field!r} is not a valid template ({err})") from None
    unknown = names - allowed
    if unknown:
        raise StrategyError(
            f"strategy file {path}: field {field!r} uses unknown placeholder(s) "
            f"{sorted(unknown)}; allowed: {sorted(allowed)}"
        )


def describe_strategy(strategy: Strategy) -> dict[str, Any]:
    """The strategy's resolved fields, for reports."""
    return strategy.model_dump()
