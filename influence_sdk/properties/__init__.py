"""Properties (desiderata) checked on influence matrices, and their registry."""

from __future__ import annotations

# Importing the built-in modules registers their properties.
from influence_sdk.properties import contrasts, structure, vision  # noqa: F401
from influence_sdk.properties.base import (
    PROPERTIES,
    Property,
    PropertyResult,
    get_property,
    register_property,
)
from influence_sdk.properties.contrasts import ContrastProperty

__all__ = [
    "PROPERTIES",
    "ContrastProperty",
    "Property",
    "PropertyResult",
    "get_property",
    "register_property",
]
