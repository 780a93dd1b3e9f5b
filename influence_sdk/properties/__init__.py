"""Properties (desiderata) checked on influence matrices, and their registry."""

from __future__ import annotations

from influence_sdk.properties import contrasts, structure, vision  # noqa: F401  (registers built-ins)
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
