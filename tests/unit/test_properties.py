"""Properties on hand-built influence matrices whose effects are known exactly."""

from __future__ import annotations

import math

import pytest
import torch

from influence_sdk import (
    Contrast,
    ContrastProperty,
    InfluenceMatrix,
    Property,
    PropertyError,
    Report,
    build_suite,
    get_property,
    register_property,
)
from influence_sdk.analyzer import evaluate_properties
from influence_sdk.properties import PROPERTIES, structure


def matrix_of(
    values, items=None, contrasts=(), texts=None, seed=0, suite="hand"
) -> InfluenceMatrix:
    n = len(values)
    items = items or [f"i{k}" for k in range(n)]
    return InfluenceMatrix(
        suite=suite,
        strategy="plain",
        seed=seed,
        items=items,
        values=torch.as_tensor(values, dtype=torch.float64),
        texts=texts or [f"text {k}" for k in range(n)],
        tags=[{} for _ in range(n)],
        contrasts=list(contrasts),
    )


def suite_matrix(
    name: str, entries: dict[tuple[str, str], float], seed: int = 0
) -> InfluenceMatrix:
    """A zero matrix over a real suite draw, with the given (trained_on, tested_on) entries set."""
    suite = build_suite(name, seed)
    ids = [item.id for item in suite.items]
    values = torch.zeros(len(ids), len(ids), dtype=torch.float64)
    for (row, col), value in entries.items():
        values[ids.index(row), ids.index(col)] = value
    return InfluenceMatrix(
        suite=name,
        strategy="plain",
        seed=seed,
        items=ids,
        values=values,
        texts=[item.text for item in suite.items],
        tags=[dict(item.tags) for item in suite.items],
        contrasts=list(suite.contrasts),
    )


# ---- whole-matrix properties --------------------------------------------------------------


def test_symmetry_effect_is_one_for_a_symmetric_matrix():
    a = torch.randn(6, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert get_property("symmetry").effect(matrix_of(a + a.T)) == pytest.approx(1.0, abs=1e-12)


def test_symmetry_effect_is_minus_one_for_an_antisymmetric_matrix():
    a = torch.randn(6, 6, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert get_property("symmetry").effect(matrix_of(a - a.T)) == pytest.approx(-1.0, abs=1e-12)


def test_symmetry_index_is_one_over_the_frobenius_norm_of_the_asymmetry():
    # M - Mᵀ = [[0, 3], [-3, 0]] has Frobenius norm sqrt(18).
    assert matrix_of([[1.0, 3.0], [0.0, 2.0]]).symmetry_index() == pytest.approx(1 / math.sqrt(18))
    assert matrix_of([[1.0, 2.0], [2.0, 5.0]]).symmetry_index() == math.inf


def test_memorization_is_mean_diagonal_minus_mean_off_diagonal():
    values = [[4.0, 1.0, 0.0], [2.0, 6.0, 0.0], [0.0, 3.0, 2.0]]
    # diagonal mean 4; off-diagonal entries 1, 0, 2, 0, 0, 3 have mean 1.
    assert get_property("memorization").effect(matrix_of(values)) == pytest.approx(3.0)


def test_sparsity_is_the_share_of_entries_below_a_tenth_of_their_rows_self_influence():
    values = [
        [1.0, 0.05, -0.5],  # row 0: |0.05| < 0.1 small, |-0.5| not
        [0.0, 2.0, -0.1],  # row 1: 0 and |-0.1| < 0.2 both small
        [3.0, 0.2, -1.0],  # row 2: threshold 0.1; 3.0 and 0.2 not small
    ]
    assert get_property("sparsity").effect(matrix_of(values)) == pytest.approx(3 / 6)
    assert get_property("sparsity").null == 0.5


def test_semantic_decay_correlates_influence_with_text_similarity(monkeypatch):
    similarity = torch.tensor(
        [[1.0, 0.8, 0.1, 0.3], [0.8, 1.0, 0.2, 0.4], [0.1, 0.2, 1.0, 0.6], [0.3, 0.4, 0.6, 1.0]],
        dtype=torch.float64,
    )
    monkeypatch.setattr(structure, "text_similarity", lambda texts: similarity)
    prop = get_property("semantic_decay")

    assert prop.effect(matrix_of(2 * similarity - 1)) == pytest.approx(1.0)
    assert prop.effect(matrix_of(-similarity)) == pytest.approx(-1.0)


# ---- contrast properties ------------------------------------------------------------------


def test_contrast_effect_is_block_mean_minus_baseline_mean_without_the_diagonal():
    values = [
        [9.0, 2.0, 4.0, 1.0],
        [6.0, 9.0, 8.0, 3.0],
        [0.0, 0.0, 9.0, 0.0],
        [0.0, 0.0, 0.0, 9.0],
    ]
    contrast = Contrast("rewording", ("i0", "i1"), ("i1", "i2"), ("i3",), 1)
    # Tested block without M[i1, i1]: M[i0,i1]=2, M[i0,i2]=4, M[i1,i2]=8 -> mean 14/3.
    # Baseline block: M[i0,i3]=1, M[i1,i3]=3 -> mean 2.
    assert matrix_of(values).contrast_effect(contrast) == pytest.approx(14 / 3 - 2)


def test_transitivity_on_a_matrix_with_known_entries():
    m = suite_matrix(
        "transitivity", {("t01", "t07"): 1.0, ("t01", "t08"): 0.5, ("t01", "t12"): 0.25}
    )
    # Conclusions t07, t08 have mean 0.75; the control t12 has 0.25.
    assert get_property("transitivity").effect(m) == pytest.approx(0.5)
    # Related items t02 t03 t04 t07 t08 have mean 1.5 / 5; the control 0.25.
    assert get_property("control_selectivity").effect(m) == pytest.approx(0.3 - 0.25)


def test_negation_effect_is_oriented_so_that_a_decrease_counts_positive():
    # Learning "A is not B" (t05) raises "A is B" (t02): the wrong way, so a negative effect.
    m = suite_matrix("transitivity", {("t05", "t02"): 0.4})
    # Three negation contrasts; only the first sees the entry: -(0.4 - 0) / 3.
    assert get_property("negation").effect(m) == pytest.approx(-0.4 / 3)
    lowered = suite_matrix("transitivity", {("t05", "t02"): -0.4})
    assert get_property("negation").effect(lowered) == pytest.approx(0.4 / 3)


def test_causal_direction_compares_the_conclusion_with_the_reversed_one():
    m = suite_matrix(
        "chain_induces",
        {("c03", "c01"): 0.3, ("c04", "c01"): 0.1, ("c03", "c05"): 0.2, ("c04", "c05"): 0.0},
    )
    assert get_property("causal_direction").effect(m) == pytest.approx(0.2 - 0.1)


def test_contrast_property_does_not_apply_without_its_contrast():
    m = matrix_of([[1.0, 0.0], [0.0, 1.0]])
    assert get_property("transitivity").evaluate([m]) is None
    assert get_property("causal_direction").evaluate([suite_matrix("transitivity", {})]) is None


# ---- evaluate over seeds ------------------------------------------------------------------


def test_evaluate_gives_per_seed_effects_and_a_verdict():
    effects = [3.0, 2.0, 4.0]  # memorization effects, by construction below
    matrices = [matrix_of([[e, 0.0], [0.0, e]], seed=s) for s, e in enumerate(effects)]

    result = get_property("memorization").evaluate(matrices)

    assert result.per_seed == effects
    assert result.effect == pytest.approx(3.0)
    assert result.n_seeds == 3
    assert result.verdict == "holds"
    assert (result.suite, result.strategy, result.expected) == ("hand", "plain", 1)


def test_an_undefined_seed_is_recorded_as_none_and_left_out():
    constant = matrix_of([[1.0, 1.0, 1.0]] * 3, seed=0)  # symmetry: correlation undefined
    a = torch.randn(3, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    symmetric = matrix_of(a + a.T, seed=1)
    result = get_property("symmetry").evaluate([constant, symmetric])
    assert result.per_seed[0] is None
    assert result.n_seeds == 1
    assert result.verdict == "inconclusive"


# ---- registry -------------------------------------------------------------------------------


def test_unknown_property_lists_every_valid_name():
    with pytest.raises(PropertyError) as caught:
        get_property("transitivty")
    message = str(caught.value)
    assert "transitivty" in message
    for name in PROPERTIES:
        assert name in message


def test_registering_a_property_without_a_name_is_an_error():
    class Nameless(Property):
        def effect(self, matrix):
            return 0.0

    with pytest.raises(PropertyError, match="Nameless"):
        register_property(Nameless)


def test_a_registered_property_is_found_by_name(monkeypatch):
    monkeypatch.setattr("influence_sdk.properties.base.PROPERTIES", dict(PROPERTIES))

    @register_property
    class FirstRowSum(Property):
        name = "first_row_sum"

        def effect(self, matrix):
            return float(matrix.values[0].sum())

    assert isinstance(get_property("first_row_sum"), FirstRowSum)


# ---- re-checking a saved report -----------------------------------------------------------


class DiagonalMean(Property):
    name = "diagonal_mean"
    expected = -1

    def effect(self, matrix):
        return float(matrix.values.diagonal().mean())


class RewordingTwice(ContrastProperty):
    name = "rewording"  # reuses the suites' rewording contrasts

    def effect(self, matrix):
        return 2 * super().effect(matrix)


def test_recheck_evaluates_new_properties_on_a_saved_report_without_a_model(tmp_path):
    diagonals = [-1.0, -2.0, -1.5]
    matrices = [
        suite_matrix("belongs_to", {("b01", "b01"): d, ("b01", "b02"): 0.5 * k})
        for k, d in enumerate(diagonals)
    ]
    report = Report.build(
        config={"model": "none"},
        environment={},
        matrices=matrices,
        properties=evaluate_properties([get_property("memorization")], matrices),
    )
    path = tmp_path / "report.json"
    path.write_text(report.to_json(), encoding="utf-8")

    loaded = Report.load(path)
    diagonal, rewording = loaded.recheck([DiagonalMean(), RewordingTwice()])

    # Only b01's diagonal entry is set, so the diagonal mean over 10 items is d / 10.
    assert diagonal.per_seed == pytest.approx([d / 10 for d in diagonals])
    assert diagonal.verdict == "holds"  # expected below zero
    # Rewording contrast b01 -> b02 against the control b10: 0.5·k, doubled.
    assert rewording.per_seed == pytest.approx([0.0, 1.0, 2.0])
    assert (rewording.suite, rewording.n_seeds) == ("belongs_to", 3)


def test_report_round_trips_matrices_through_json(tmp_path):
    m = suite_matrix("squares", {("s03", "s07"): 0.125, ("s04", "s06"): -0.5})
    report = Report.build(config={}, environment={}, matrices=[m], properties=[])
    path = tmp_path / "report.json"
    path.write_text(report.to_json(), encoding="utf-8")

    (loaded,) = Report.load(path).influence_matrices()
    assert torch.equal(loaded.values, m.values)
    assert loaded.items == m.items and loaded.contrasts == m.contrasts


def test_identical_seed_matrices_count_as_one_draw_and_are_inconclusive():
    import warnings as _warnings

    from influence_sdk.matrix import InfluenceMatrix as _Matrix
    from influence_sdk.properties import get_property as _get

    values = [[1.0, 0.1], [0.2, 1.0]]
    same = [_Matrix("fixed", "plain", seed, ["a", "b"], values) for seed in range(3)]
    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        result = _get("memorization").evaluate(same)
    assert result is not None
    assert result.n_seeds == 1 and result.verdict == "inconclusive"
    assert any("identical" in str(w.message) for w in caught)
