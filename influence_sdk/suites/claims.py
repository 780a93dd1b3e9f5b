"""``random_claim``: unrelated factual sentences, a control with no logical structure.

The paper drew such sentences from paper abstracts; these were written for influence-sdk. Each
seed draws ``CLAIMS_PER_DRAW`` of them in a seeded order.
"""

from __future__ import annotations

from influence_sdk.suites.base import Suite, SuiteSpec, make_items, register_suite
from influence_sdk.suites.words import rng_for

CLAIMS_PER_DRAW = 10

CLAIMS = [
    "Water boils at a lower temperature at high altitude.",
    "The octopus has three hearts and blue blood.",
    "Basalt forms when lava cools quickly at the surface.",
    "Honey stored in a sealed jar can stay edible for decades.",
    "The Danube flows through ten countries before reaching the Black Sea.",
    "Bamboo is a grass, not a tree.",
    "Copper turns green as it slowly oxidizes in moist air.",
    "Owls cannot move their eyes inside their sockets.",
    "The first printed books in Europe used movable metal type.",
    "Glaciers carve U-shaped valleys as they slide downhill.",
    "A violin has four strings tuned in fifths.",
    "Penguins live almost entirely in the Southern Hemisphere.",
    "Yeast produces carbon dioxide when it ferments sugar.",
    "The Sahara was a green savanna several thousand years ago.",
    "Lightning heats the air around it to several times the temperature of the sun's surface.",
    "Sea otters hold hands while they sleep so they do not drift apart.",
    "Concrete keeps getting harder for years after it is poured.",
    "Tomatoes were once thought to be poisonous in parts of Europe.",
    "The human skeleton of an adult has about two hundred bones.",
    "Salt lowers the freezing point of water on winter roads.",
    "Monarch butterflies migrate thousands of kilometres every year.",
    "Chess was played in Persia more than a thousand years ago.",
    "Bats find insects in the dark by listening to echoes.",
    "Most of the oxygen we breathe comes from marine plankton.",
    "The Great Wall of China is not visible to the naked eye from orbit.",
    "A hummingbird's heart can beat more than a thousand times a minute.",
    "Iron is the most common element in the Earth's core.",
    "Cotton fibres are nearly pure cellulose.",
    "Venus rotates in the opposite direction to most planets.",
    "Coffee plants grow best on tropical mountain slopes.",
]


def random_claim(seed: int) -> Suite:
    """``CLAIMS_PER_DRAW`` claims drawn by ``seed``; ids stay tied to the sentence."""
    rng = rng_for("random_claim", seed)
    chosen = sorted(rng.sample(range(len(CLAIMS)), CLAIMS_PER_DRAW))
    tags: dict[str, object] = {"category": "random claim", "expected": "0"}
    rows = [(f"r{k:02d}", CLAIMS[k], dict(tags)) for k in chosen]
    return Suite("random_claim", make_items(rows))


register_suite(
    SuiteSpec(
        "random_claim", random_claim, "10 unrelated factual sentences (control)", default=True
    )
)
