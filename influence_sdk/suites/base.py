"""Suites: named sets of items with declared expectations, and their registry."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from influence_sdk.errors import SuiteError
from influence_sdk.items import Item
from influence_sdk.matrix import Contrast


@dataclass(frozen=True)
class Suite:
    """One draw of a suite: its items and the contrasts the properties check on them."""

    name: str
    items: list[Item]
    contrasts: list[Contrast] = field(default_factory=list)
    description: str = ""

    def __post_init__(self) -> None:
        if not self.items:
            raise SuiteError(f"suite {self.name!r} has no items; add at least two items")
        seen: set[str] = set()
        for item in self.items:
            if item.id in seen:
                raise SuiteError(
                    f"suite {self.name!r} has the item id {item.id!r} twice; ids must be unique"
                )
            seen.add(item.id)
        for contrast in self.contrasts:
            unknown = [
                i
                for i in (*contrast.trained_on, *contrast.tested_on, *contrast.baseline)
                if i not in seen
            ]
            if unknown:
                raise SuiteError(
                    f"suite {self.name!r}: contrast for {contrast.property!r} names unknown "
                    f"item ids {unknown}; use ids of the suite's items"
                )


@dataclass(frozen=True)
class SuiteSpec:
    """A registered suite: ``build(seed)`` draws its items (fixed suites ignore the seed)."""

    name: str
    build: Callable[..., Suite]
    description: str
    modality: Literal["text", "image"] = "text"
    default: bool = False  # part of the default suites of its modality
    #: Size options accepted as ``NAME:key=value,...`` (key -> type), passed to ``build``.
    options: Mapping[str, type] = field(default_factory=dict)


SUITES: dict[str, SuiteSpec] = {}


def register_suite(spec: SuiteSpec) -> SuiteSpec:
    """Add a suite to the registry so ``--suite NAME`` and ``Analyzer(suites=[NAME])`` find it."""
    SUITES[spec.name] = spec
    return spec


def get_suite_spec(name: str) -> SuiteSpec:
    """The registered suite ``name``; an unknown name lists the valid ones."""
    if name not in SUITES:
        valid = ", ".join(sorted(SUITES))
        raise SuiteError(
            f"unknown suite {name!r}; choose one of: {valid}, or pass a path to a .jsonl file"
        )
    return SUITES[name]


def parse_suite_options(name: str) -> tuple[SuiteSpec, dict[str, object]]:
    """The spec and typed options of ``NAME`` or ``NAME:key=value,...`` (``mnist_noise:k=3``)."""
    base, _, text = name.partition(":")
    spec = get_suite_spec(base)
    options: dict[str, object] = {}
    for part in filter(None, text.split(",")):
        key, _, value = part.partition("=")
        if key not in spec.options:
            valid = ", ".join(spec.options) or "none"
            raise SuiteError(
                f"suite {base!r} has no option {key!r} (in {name!r}); its options: {valid}"
            )
        try:
            options[key] = spec.options[key](value)
        except ValueError:
            raise SuiteError(
                f"suite option {key}={value!r} in {name!r} is not a valid "
                f"{spec.options[key].__name__}"
            ) from None
    return spec, options


def default_suites(modality: str) -> list[str]:
    """Names of the suites run when the user names none."""
    return [spec.name for spec in SUITES.values() if spec.default and spec.modality == modality]


def make_items(rows: Sequence[tuple[str, str, dict[str, object]]]) -> list[Item]:
    """Items from ``(id, text, tags)`` rows."""
    return [Item(id=item_id, text=text, tags=tags) for item_id, text, tags in rows]
