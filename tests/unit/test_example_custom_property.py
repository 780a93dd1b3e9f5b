"""examples/custom_property.py runs end to end on a tiny model saved to disk."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from influence_sdk.properties import base

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "custom_property.py"


@pytest.fixture
def isolated_registry(monkeypatch):
    # The example registers its property; keep that out of the registry other tests see.
    monkeypatch.setattr(base, "PROPERTIES", dict(base.PROPERTIES))


def test_custom_property_example_runs_on_a_tiny_model(tiny_lm, tmp_path, capsys, isolated_registry):
    folder = tmp_path / "tiny"
    tiny_lm.model.save_pretrained(folder)
    tiny_lm.tokenizer.save_pretrained(folder)

    example = runpy.run_path(str(EXAMPLE), run_name="custom_property_example")
    report = example["main"](["--model", str(folder), "--seeds", "2", "--lr", "1e-3"])

    (result,) = [r for r in report.properties if r.name == "concept_introduction"]
    assert (result.suite, result.n_seeds) == ("transitivity", 2)
    assert result.verdict in {"holds", "violated", "inconclusive"}
    for matrix, effect in zip(report.influence_matrices(), result.per_seed, strict=True):
        # The transitivity suite's ids (PAPER.md §3): t01 is learned, t09-t11 are the bare
        # names, t12 the unrelated control.
        m = matrix.values
        row = matrix.items.index("t01")
        names = [m[row, matrix.items.index(i)].item() for i in ("t09", "t10", "t11")]
        control = m[row, matrix.items.index("t12")].item()
        assert effect == pytest.approx(sum(names) / 3 - control, abs=1e-12)
    assert "concept_introduction" in capsys.readouterr().out
    assert "concept_introduction" in base.PROPERTIES
