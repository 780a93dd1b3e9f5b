"""Items (the stimuli of a suite) and probes (what a model measures on an item)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Probe:
    """What a model scores: a text (optionally after a context) or an image with its label.

    For text, only the tokens of ``text`` are scored; ``context`` is conditioned on but not
    scored. For images, the score is the log-probability of ``label``.

    Attributes:
        text: The scored text (language models).
        context: Unscored text placed before ``text``; empty for a plain probe.
        image: A ``C×H×W`` tensor (image classifiers).
        label: The class index whose log-probability is the score (image classifiers).
        item_id: The id of the item this probe came from, used in error messages.
    """

    text: str | None = None
    context: str = ""
    image: Any = None
    label: int | None = None
    item_id: str = ""


@dataclass(frozen=True)
class Item:
    """One stimulus of a suite.

    Attributes:
        id: Unique within its suite; rows and columns of influence matrices are keyed by it.
        text: The sentence(s); lines separated by ``\\n`` form one training sample.
        image: A ``C×H×W`` float tensor for image items.
        label: The class index for image items.
        tags: Free metadata: ``category``, ``expected`` sign, noise level, class, ...
    """

    id: str
    text: str | None = None
    image: Any = None
    label: int | None = None
    tags: Mapping[str, Any] = field(default_factory=dict)

    def probe(self, context: str = "") -> Probe:
        """The plain probe of this item: its own text (or image and label)."""
        return Probe(
            text=self.text, context=context, image=self.image, label=self.label, item_id=self.id
        )
