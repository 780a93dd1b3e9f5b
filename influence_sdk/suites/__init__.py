"""Suites: the paper's language domains, the random-claim control and user JSONL suites."""

from __future__ import annotations

from pathlib import Path

# Registration order is listing order (and the order of default suites): the paper's domains
# first, then the random-claim control, then vision.
from influence_sdk.suites import paper  # noqa: F401  (registers built-ins)

# isort: split
from influence_sdk.suites import claims, mnist_noise  # noqa: F401
from influence_sdk.suites.base import (
    SUITES,
    Suite,
    SuiteSpec,
    default_suites,
    get_suite_spec,
    parse_suite_options,
    register_suite,
)
from influence_sdk.suites.jsonl import load_jsonl_suite


def build_suite(name_or_path: str, seed: int) -> Suite:
    """The suite ``name_or_path`` drawn with ``seed``: a registered name (with options, e.g.
    ``mnist_noise:k=3``) or a .jsonl file."""
    if name_or_path.endswith(".jsonl") or Path(name_or_path).is_file():
        return load_jsonl_suite(name_or_path)
    spec, options = parse_suite_options(name_or_path)
    return spec.build(seed, **options)


__all__ = [
    "SUITES",
    "Suite",
    "SuiteSpec",
    "build_suite",
    "default_suites",
    "get_suite_spec",
    "load_jsonl_suite",
    "register_suite",
]
