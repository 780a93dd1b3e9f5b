"""Properties checked through the contrasts a suite declares (../docs/concepts.md).

Each property averages the effects of its contrasts on one matrix; e.g. ``negation`` on
``transitivity`` averages "A is not B must not raise A is B" and its siblings.
"""

from __future__ import annotations

from typing import ClassVar

from influence_sdk.matrix import InfluenceMatrix
from influence_sdk.properties.base import Property, mean_or_nan, register_property


class ContrastProperty(Property):
    """A property whose per-seed effect is the mean of its declared contrasts' effects.

    A contrast's effect is ``mean M[trained_on, tested_on] − mean M[trained_on, baseline]``;
    its sign is flipped when the contrast expects a decrease, so that for every contrast
    property a positive effect means "the desideratum points the right way".
    """

    expected: ClassVar[int] = 1

    def applies_to(self, matrix: InfluenceMatrix) -> bool:
        return any(c.property == self.name for c in matrix.contrasts)

    def effect(self, matrix: InfluenceMatrix) -> float:
        effects = [
            c.expected * matrix.contrast_effect(c)
            for c in matrix.contrasts
            if c.property == self.name
        ]
        return mean_or_nan(effects)


@register_property
class Rewording(ContrastProperty):
    name = "rewording"
    description = "learning a statement raises its rewordings more than an unrelated control"


@register_property
class Negation(ContrastProperty):
    name = "negation"
    description = "learning 'A is not B' does not raise 'A is B' (and premises lower negations)"


@register_property
class Transitivity(ContrastProperty):
    name = "transitivity"
    description = "learning A→B and B→C raises the composed conclusion A→C"


@register_property
class CausalDirection(ContrastProperty):
    name = "causal_direction"
    description = "learning a causal chain A→…→Z raises A→Z more than the reversed Z→A"


@register_property
class SetDirection(ContrastProperty):
    name = "set_direction"
    description = "learning A ⊂ B raises statements in the same direction more than reversed ones"


@register_property
class ControlSelectivity(ContrastProperty):
    name = "control_selectivity"
    description = "related items move more than the unrelated control item"
