"""The public API is exactly ``influence_sdk.__all__``."""

from __future__ import annotations
import __future__

import types

import influence_sdk


def test_every_name_in_all_exists_and_is_importable():
    for name in influence_sdk.__all__:
        namespace: dict[str, object] = {}
        exec(f"from influence_sdk import {name}", namespace)
        assert namespace[name] is getattr(influence_sdk, name)


def test_star_import_gives_exactly_all():
    namespace: dict[str, object] = {}
    exec("from influence_sdk import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(influence_sdk.__all__)


def test_all_has_no_duplicates():
    assert len(set(influence_sdk.__all__)) == len(influence_sdk.__all__)


def test_nothing_else_is_public():
    # Submodules appear as package attributes once imported; they are reached by their own path,
    # not part of the flat API. The __future__ import is a compiler directive, not an export.
    extra = [
        name
        for name, value in vars(influence_sdk).items()
        if not name.startswith("_")
        and name not in influence_sdk.__all__
        and not isinstance(value, types.ModuleType)
        and not isinstance(value, __future__._Feature)
    ]
    assert extra == []


def test_public_classes_and_functions_have_docstrings():
    missing = [
        name
        for name in influence_sdk.__all__
        if callable(getattr(influence_sdk, name)) and not getattr(influence_sdk, name).__doc__
    ]
    assert missing == []


def test_errors_derive_from_the_base_error_and_a_builtin():
    for name in influence_sdk.__all__:
        value = getattr(influence_sdk, name)
        if isinstance(value, type) and name.endswith("Error") and name != "InfluenceError":
            assert issubclass(value, influence_sdk.InfluenceError)
            assert issubclass(value, (ValueError, OSError, ArithmeticError))


def test_version_is_a_string():
    assert isinstance(influence_sdk.__version__, str)
