"""Same config and seed -> the same report, byte for byte; another seed -> other entities."""

from __future__ import annotations

import itertools

import pytest

from influence_sdk import Analyzer, FineTuneRecipe, build_suite
from influence_sdk.suites.base import SUITES

PAPER_SUITES = ["transitivity", "belongs_to", "chain_induces", "squares"]


def run(lm, output, seeds=(0,), method="full"):
    recipe = FineTuneRecipe(method=method, lr=1e-3, steps=2)
    analyzer = Analyzer(
        lm, suites=["transitivity"], seeds=list(seeds), recipe=recipe,
        properties=["memorization", "symmetry"], output=output, progress=False,
    )  # fmt: skip
    return analyzer.evaluate()


@pytest.mark.parametrize("method", ["full", "lora"])
def test_same_config_and_seed_give_the_same_report_bytes(method, tiny_lm_factory, tmp_path):
    # Two fresh model objects built the same way, two run directories.
    run(tiny_lm_factory(), tmp_path / "first", method=method)
    run(tiny_lm_factory(), tmp_path / "second", method=method)

    first = (tmp_path / "first" / "report.json").read_bytes()
    assert first == (tmp_path / "second" / "report.json").read_bytes()
    assert b'"values"' in first


def test_report_json_is_the_same_with_or_without_a_run_directory(tiny_lm_factory, tmp_path):
    in_memory = run(tiny_lm_factory(), None)
    run(tiny_lm_factory(), tmp_path / "run")
    assert in_memory.to_json() == (tmp_path / "run" / "report.json").read_text(encoding="utf-8")


def test_one_model_object_gives_the_same_numbers_on_a_second_run(tiny_lm, tmp_path):
    # The base weights are restored exactly after every item, so a rerun on the same object
    # (with nothing loaded from disk) repeats every number.
    first = run(tiny_lm, None)
    second = run(tiny_lm, None)
    assert first.matrices == second.matrices


@pytest.mark.parametrize("suite", PAPER_SUITES)
def test_different_seeds_draw_different_entities(suite):
    texts = {seed: [item.text for item in build_suite(suite, seed).items] for seed in range(5)}
    for a, b in itertools.combinations(range(5), 2):
        assert texts[a] != texts[b], f"{suite}: seeds {a} and {b} drew the same entities"


@pytest.mark.parametrize("suite", PAPER_SUITES + ["random_claim"])
def test_the_same_seed_draws_the_same_items_every_time(suite):
    assert SUITES[suite].build(3) == SUITES[suite].build(3)


def test_report_matrices_of_two_seeds_hold_different_texts(tiny_lm):
    report = run(tiny_lm, None, seeds=(0, 1))
    by_seed = {m["seed"]: m for m in report.matrices}
    assert by_seed[0]["texts"] != by_seed[1]["texts"]
    assert by_seed[0]["values"] != by_seed[1]["values"]
    assert report.config["seeds"] == [0, 1]
    assert {"versions", "model"} <= set(report.environment)
    assert report.config["device"] == "cpu" and report.config["dtype"] == "float32"
