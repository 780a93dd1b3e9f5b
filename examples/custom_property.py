"""A user-defined property: "concept introduction" (PAPER.md §3, transitivity table).

Learning the premises "a {A} is a {B} / all {B}s have a {C}" should make the bare entity names
"{A}", "{B}", "{C}" a little more likely: the model has been introduced to the concepts. The
property compares that rise with the rise of the unrelated control item "a {D} is a {E}".

It reads only the matrix and the items' tags (``source``, ``category``, ``control``), so it works
on any suite that tags its items this way, and on saved reports (``Report.recheck``).

Run it on the embedded SmolLM2-135M (a few minutes on a laptop CPU)::

    python examples/custom_property.py --seeds 3

or on any model folder or hub id::

    python examples/custom_property.py --model path/to/model --seeds 2 --lr 1e-4
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from influence_sdk import (
    Analyzer,
    FineTuneRecipe,
    InfluenceMatrix,
    Property,
    Report,
    load_model,
    register_property,
)


@register_property
class ConceptIntroduction(Property):
    """Learning the source items raises the bare entity names more than the control item."""

    name = "concept_introduction"
    description = "learning premises raises the bare entity names more than an unrelated control"
    expected = 1  # the effect should be above ``null`` (0)

    def applies_to(self, matrix: InfluenceMatrix) -> bool:
        return all(self._ids(matrix, key) for key in ("source", "concept", "control"))

    def effect(self, matrix: InfluenceMatrix) -> float:
        sources = self._ids(matrix, "source")
        concepts = matrix.block_mean(sources, self._ids(matrix, "concept"))
        control = matrix.block_mean(sources, self._ids(matrix, "control"))
        return concepts - control

    @staticmethod
    def _ids(matrix: InfluenceMatrix, key: str) -> list[str]:
        """Item ids whose tags mark them as source items, concept names or controls."""
        if key == "concept":
            return [
                item_id
                for item_id, tags in zip(matrix.items, matrix.tags, strict=True)
                if tags.get("category") == "concept introduction"
            ]
        return [
            item_id
            for item_id, tags in zip(matrix.items, matrix.tags, strict=True)
            if tags.get(key)
        ]


def main(argv: Sequence[str] | None = None) -> Report:
    """Evaluate ``concept_introduction`` (and memorization, for scale) on ``transitivity``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model folder or hub id [SmolLM2-135M]")
    parser.add_argument("--seeds", type=int, default=3, help="number of seeds [3]")
    parser.add_argument("--lr", type=float, default=None, help="learning rate [recipe default]")
    parser.add_argument("--steps", type=int, default=None, help="optimizer steps per item [1]")
    parser.add_argument("--output", default=None, help="run directory for report.json/.md")
    args = parser.parse_args(argv)

    recipe = FineTuneRecipe.from_options(lr=args.lr, steps=args.steps)
    analyzer = Analyzer(
        load_model(args.model),
        suites=["transitivity"],
        seeds=args.seeds,
        recipe=recipe,
        properties=["concept_introduction", "memorization"],
        output=args.output,
        progress=False,
    )
    report = analyzer.evaluate()
    print(report.summary())
    return report


if __name__ == "__main__":
    main()
