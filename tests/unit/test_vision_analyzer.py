"""The Analyzer on an image classifier: mnist_noise matrices, vision verdicts, figures."""

from __future__ import annotations

import json

import pytest
import torch
from vision_helpers import tiny_classifier

from influence_sdk import Analyzer, ConfigError, FineTuneRecipe, build_suite
from influence_sdk.estimators import fine_tune_row

RECIPE = FineTuneRecipe(optimizer="sgd", lr=0.05)


def test_evaluate_on_mnist_noise_gives_vision_verdicts_and_skips_language_ones(tmp_path):
    analyzer = Analyzer(
        tiny_classifier(), suites=["mnist_noise:k=1"], seeds=2, recipe=RECIPE,
        output=tmp_path / "run", progress=False,
    )  # fmt: skip
    report = analyzer.evaluate()

    matrices = report.influence_matrices()
    assert [len(m.items) for m in matrices] == [30, 30]
    names = {result.name for result in report.properties}
    assert {"class_structure", "noise_selectivity", "noisy_teach_less", "symmetry"} <= names
    assert {"sparsity", "memorization"} <= names
    assert not names & {"semantic_decay", "negation", "transitivity", "rewording"}
    assert all(result.n_seeds == 2 for result in report.properties)


def test_matrix_row_equals_a_direct_fine_tune_of_that_item(tmp_path):
    report = Analyzer(
        tiny_classifier(), suites=["mnist_noise:k=1"], seeds=[5], recipe=RECIPE, progress=False
    ).evaluate()
    matrix = report.influence_matrices()[0]
    items = build_suite("mnist_noise:k=1", seed=5).items
    probes = [item.probe() for item in items]
    classifier = tiny_classifier()
    base = classifier.score(probes)
    row = fine_tune_row(classifier, [probes[7]], probes, base, RECIPE, seed=5)
    torch.testing.assert_close(matrix.values[7], row, atol=1e-12, rtol=0)


def test_figures_are_written_next_to_the_report_and_linked(tmp_path):
    output = tmp_path / "run"
    Analyzer(
        tiny_classifier(), suites=["mnist_noise:k=1"], seeds=1, recipe=RECIPE,
        output=output, progress=False,
    ).evaluate()  # fmt: skip
    saved = json.loads((output / "report.json").read_text())
    figures = saved["extras"]["figures"]
    assert len(figures) == 2
    markdown = (output / "report.md").read_text()
    for name in figures.values():
        assert (output / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name})" in markdown


def test_text_suite_on_an_image_model_is_refused():
    analyzer = Analyzer(tiny_classifier(), suites=["transitivity"], seeds=1, progress=False)
    with pytest.raises(ConfigError, match="holds text items; this model classifies images"):
        analyzer.evaluate()
