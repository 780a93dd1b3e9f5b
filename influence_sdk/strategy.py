"""Strategies: how a training item is presented to the model (learned or placed in context).

A strategy is a declarative TOML file. Built-ins live in the top-level ``strategies/`` folder
(shipped inside the wheel as ``influence_sdk._builtin_strategies``); users pass their own by path.
Probes are never changed by a strategy: every strategy is scored on the same probe texts and the
same scored tokens, only what is learned (or placed before the probe) differs. See
docs/strategies.md for the schema and the built-ins.
"""

from __future__ import annotations

import string
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from influence_sdk.errors import StrategyError
from influence_sdk.items import Item

#: Placeholders a strategy's ``template`` may use.
PLACEHOLDERS = frozenset({"text", "generated"})
#: Placeholders ``generate.prompt`` may use (the generated text does not exist yet).
PROMPT_PLACEHOLDERS = frozenset({"text"})


class Generation(BaseModel):
    """A model-generated part: the model continues ``prompt`` greedily (at most
    ``max_new_tokens`` tokens), the continuation is cut at the first ``stop`` string and
    stripped, and the result fills ``{generated}`` in the strategy's template."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str = Field(min_length=1)
    max_new_tokens: int = Field(default=32, ge=1, le=512)
    stop: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_prompt(self) -> Generation:
        _check_placeholders("prompt", self.prompt, PROMPT_PLACEHOLDERS, required="text")
        if any(not marker for marker in self.stop):
            raise ValueError("field 'stop' holds an empty string; give non-empty stop strings")
        return self


class Strategy(BaseModel):
    """How an item is presented: learned by fine-tuning, or placed in context before probes.

    Attributes:
        name: Short name used on the command line and in run directories.
        description: One sentence for ``influence-sdk strategies``.
        mode: ``fine-tune`` (the rendered template is learned) or ``in-context`` (it is placed
            before every probe, unscored).
        template: Renders an item; must use ``{text}``; ``{generated}`` if ``generate`` is set.
        prefix: In-context only: fixed text before every probe, in the baseline too.
        separator: In-context only: text between the rendered item and the probe.
        chat: Fine-tune only: learn the rendered text as the assistant turn of the model's chat
            template, after ``chat_user`` as the user turn.
        chat_user: The user turn when ``chat`` is set.
        generate: Optional model-generated part.

    Example:
        >>> strategy = Strategy(name="quoted", mode="fine-tune", template='"{text}"')
        >>> strategy.render(Item(id="x", text="a klarbu is a pimjon"))
        '"a klarbu is a pimjon"'
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    description: str = ""
    mode: Literal["fine-tune", "in-context"]
    template: str
    prefix: str = ""
    separator: str = "\n"
    chat: bool = False
    chat_user: str = Field(default="Tell me something you know.", min_length=1)
    generate: Generation | None = None

    @model_validator(mode="after")
    def _check_fields(self) -> Strategy:
        names = _check_placeholders("template", self.template, PLACEHOLDERS, required="text")
        if "generated" in names and self.generate is None:
            raise ValueError(
                "field 'template' uses {generated} but field 'generate' is missing; add a "
                "[generate] table with a prompt, or remove {generated}"
            )
        if self.generate is not None and "generated" not in names:
            raise ValueError(
                "field 'generate' is set but field 'template' never uses {generated}; add "
                "{generated} to the template or remove [generate]"
            )
        if self.mode == "in-context" and self.chat:
            raise ValueError("field 'chat' = true needs mode 'fine-tune'; set chat = false")
        if self.mode == "fine-tune" and (self.prefix or self.separator != "\n"):
            raise ValueError(
                "fields 'prefix' and 'separator' apply to mode 'in-context' only; remove them"
            )
        return self

    def render(self, item: Item, generated: str = "") -> str:
        """The text that is learned (fine-tune) or placed in context (in-context)."""
        return self.template.format(text=item.text or "", generated=generated)

    def generation_prompt(self, item: Item) -> str:
        """The prompt the model continues to fill ``{generated}`` (needs ``generate``)."""
        if self.generate is None:
            raise StrategyError(
                f"strategy {self.name!r} has no [generate] table; add one to use a generated part"
            )
        return self.generate.prompt.format(text=item.text or "")

    def finish_generated(self, continuation: str) -> str:
        """The model's raw continuation cut at the first stop string, stripped."""
        text = continuation.strip()
        for marker in self.generate.stop if self.generate else []:
            text = text.split(marker, 1)[0]
        return text.strip()

    def context_for(self, rendered: str) -> str:
        """The unscored context placed before each probe when ``rendered`` is in context."""
        return f"{self.prefix}{rendered}{self.separator}"


def load_strategy(name_or_path: str | Path) -> Strategy:
    """A built-in strategy by name, or a user strategy from a ``.toml`` path.

    Example:
        >>> load_strategy("cot").mode
        'fine-tune'
    """
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.is_file():
        return _load_file(path)
    builtins = builtin_strategy_files()
    name = str(name_or_path)
    if name not in builtins:
        raise StrategyError(
            f"unknown strategy {name!r}; choose one of: {', '.join(sorted(builtins))}, "
            "or pass a path to a .toml strategy file"
        )
    return _load_file(builtins[name])


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
        return Strategy(**data)
    except ValidationError as err:
        raise StrategyError(f"strategy file {path}: {_describe(err)}") from None


def _describe(err: ValidationError) -> str:
    """One line naming each bad field (``generate.max_new_tokens``), its value and the rule."""
    parts = []
    for problem in err.errors():
        location = [str(part) for part in problem["loc"]]
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "value_error":
            # Our own checks name their field inside the message; qualify it when nested.
            prefix = ".".join(location)
            parts.append(message.replace("field '", f"field '{prefix}.") if prefix else message)
            continue
        field = ".".join(location) or "(root)"
        if problem["type"] == "missing":
            parts.append(f"field {field!r} is missing; add it")
            continue
        shown = repr(problem.get("input"))
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        parts.append(f"field {field!r} = {shown}: {message}")
    return "; ".join(parts).replace("\n", " ")


def _check_placeholders(
    field: str, template: str, allowed: frozenset[str], required: str
) -> set[str]:
    """The placeholder names of ``template``; ValueError naming ``field`` if one is unknown."""
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(template)]
    except ValueError as err:
        raise ValueError(
            f"field {field!r} is not a valid template ({err}); write literal braces as {{{{ }}}}"
        ) from None
    names = {name for name, _, _ in fields if name is not None}
    for name, spec, conversion in fields:
        # {text!x} or {text:d} would fail only when rendering, {text:>999999999} would eat memory.
        if name is not None and (spec or conversion):
            raise ValueError(
                f"field {field!r} writes {{{name}{'!' + conversion if conversion else ''}"
                f"{':' + spec if spec else ''}}}; write a plain {{{name}}} without ! or :"
            )
    unknown = names - allowed
    if unknown:
        raise ValueError(
            f"field {field!r} uses unknown placeholder(s) {sorted(unknown)}; "
            f"allowed: {sorted(allowed)}"
        )
    if required not in names:
        raise ValueError(f"field {field!r} never uses {{{required}}}; the item must appear in it")
    return names


def describe_strategy(strategy: Strategy) -> dict[str, Any]:
    """The strategy's resolved fields, for reports."""
    return strategy.model_dump(mode="json")
