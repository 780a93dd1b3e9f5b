"""Guards found by trying to break the SDK as a newcomer would (resume, run dirs, API misuse)."""

from __future__ import annotations

import json

import pytest
import torch

from influence_sdk import Analyzer, ConfigError, FineTuneRecipe, RunDirectoryError
from influence_sdk.report_markdown import cell

SUITE = ["chain_induces"]


def _analyzer(model, output, **kwargs):
    return Analyzer(
        model, suites=SUITE, seeds=1, properties=["memorization"], progress=False,
        output=output, **kwargs,
    )


def test_resume_with_other_weights_behind_the_same_name_is_refused(tiny_lm_factory, tmp_path):
    _analyzer(tiny_lm_factory(seed=0), tmp_path / "run").evaluate()
    other = tiny_lm_factory(seed=0)
    with torch.no_grad():
        next(other.model.parameters()).add_(1e-3)  # same name, same shapes, other weights

    with pytest.raises(RunDirectoryError, match="model_fingerprint"):
        _analyzer(other, tmp_path / "run").evaluate()


def test_resume_with_the_same_weights_loads_every_unit(tiny_lm_factory, tmp_path):
    first = _analyzer(tiny_lm_factory(seed=0), tmp_path / "run")
    first.evaluate()
    again = _analyzer(tiny_lm_factory(seed=0), tmp_path / "run")
    again.evaluate()
    assert again.store.computed == 0 and again.store.loaded == first.store.computed


def test_a_users_hidden_tmp_files_under_output_are_never_deleted(tiny_lm, tmp_path):
    mine = tmp_path / "run" / "notes" / ".draft.tmp"
    mine.parent.mkdir(parents=True)
    mine.write_text("keep me")
    _analyzer(tiny_lm, tmp_path / "run").evaluate()
    assert mine.read_text() == "keep me"


def test_a_unit_of_the_wrong_shape_is_computed_again(tiny_lm, tmp_path):
    first = _analyzer(tiny_lm, tmp_path / "run")
    reference = first.evaluate()
    row = next((tmp_path / "run" / "units").rglob("row-0000.json"))
    row.write_text(json.dumps({"values": [1, 2]}))  # valid JSON, not a row

    again = _analyzer(tiny_lm, tmp_path / "run")
    report = again.evaluate()
    assert again.store.computed == 1
    assert report.matrices[0]["values"] == reference.matrices[0]["values"]


def test_float16_with_adamw_is_refused_before_any_work(tiny_lm):
    tiny_lm.model.half()
    with pytest.raises(ConfigError, match="float16.*--optimizer sgd"):
        Analyzer(tiny_lm, suites=SUITE, seeds=1)


def test_a_contrast_naming_an_unknown_property_is_an_error(tiny_lm, tmp_path):
    suite = tmp_path / "s.jsonl"
    lines = [
        {"id": "a", "text": "a klarbu is a pimjon"},
        {"id": "b", "text": "all pimjons have a zorvek"},
        {"contrast": {"property": "negaton", "trained_on": ["a"], "tested_on": ["b"],
                      "baseline": ["a"]}},
    ]
    suite.write_text("\n".join(json.dumps(line) for line in lines))
    with pytest.raises(ConfigError, match="unknown properties \\['negaton'\\]"):
        Analyzer(tiny_lm, suites=[str(suite)], seeds=1, progress=False).evaluate()


@pytest.mark.parametrize("model", [None, "smollm2-135m", 3])
def test_analyzer_needs_a_model_object(model):
    with pytest.raises(ConfigError, match="must be an influence_sdk Model"):
        Analyzer(model)


@pytest.mark.parametrize("seeds", ["10", 2.5, None, [2**70], [-1], 0, True])
def test_bad_seed_values_are_config_errors(tiny_lm, seeds):
    with pytest.raises(ConfigError, match="seeds"):
        Analyzer(tiny_lm, suites=SUITE, seeds=seeds)


def test_a_single_suite_name_as_a_string_is_one_suite(tiny_lm):
    analyzer = Analyzer(tiny_lm, suites="chain_induces", seeds=1, properties="memorization")
    assert analyzer.config.suites == ["chain_induces"]
    assert analyzer.config.properties == ["memorization"]


def test_markdown_cells_escape_pipes_and_show_line_breaks():
    assert cell("a|b\nc") == "a\\|b\\nc"


def test_default_recipe_uses_the_calibrated_learning_rate():
    assert FineTuneRecipe().lr == 1e-6
