"""Vision properties on hand-built matrices whose effects are known exactly."""

from __future__ import annotations

import pytest
import torch

from influence_sdk import InfluenceMatrix, get_property


def labelled_matrix(values: torch.Tensor, classes: list[int], levels: list[str]) -> InfluenceMatrix:
    tags = [{"class": c, "noise_level": lv} for c, lv in zip(classes, levels, strict=True)]
    items = [f"i{k}" for k in range(len(classes))]
    return InfluenceMatrix("toy", "plain", 0, items, values, texts=[None] * len(items), tags=tags)


def test_class_structure_is_within_minus_between_mean():
    classes = [0, 0, 1, 1]
    values = torch.tensor([[9.0, 2, 0, 0], [4, 9, 0, 1], [0, 0, 9, 6], [1, 0, 2, 9]])
    # within off-diagonal: 2, 4, 6, 2 -> 3.5; between: the 8 entries sum to 2 -> 0.25
    effect = get_property("class_structure").effect(labelled_matrix(values, classes, ["clean"] * 4))
    assert effect == pytest.approx(3.5 - 0.25)


def test_class_structure_details_list_the_most_interacting_pair():
    classes = [0, 0, 1, 1, 2, 2]
    values = torch.zeros(6, 6)
    values[0, 4] = values[4, 0] = 6.0  # classes 0 and 2 interact
    matrix = labelled_matrix(values, classes, ["clean"] * 6)
    details = get_property("class_structure").details([matrix])
    top = details["top_between_class_pairs"][0]
    assert top["classes"] == [0, 2] and top["mean_influence"] == pytest.approx(6.0 / 4)


def test_noise_selectivity_compares_clean_to_noisy_with_the_reverse():
    levels = ["clean", "clean", "high", "high"]
    values = torch.zeros(4, 4)
    values[0:2, 2:4] = torch.tensor([[3.0, -1.0], [1.0, 3.0]])  # clean -> noisy: mean |.| = 2
    values[2:4, 0:2] = torch.tensor([[0.5, 0.5], [-0.5, 0.5]])  # noisy -> clean: mean |.| = 0.5
    effect = get_property("noise_selectivity").effect(labelled_matrix(values, [0, 1, 0, 1], levels))
    assert effect == pytest.approx(1.5)


def test_noisy_teach_less_compares_row_magnitudes():
    levels = ["clean", "low", "high"]
    values = torch.tensor([[5.0, 2.0, -4.0], [1.0, 5.0, 1.0], [0.0, -2.0, 5.0]])
    # clean row off-diagonal |.|: 3.0; noisy rows: (1 + 1 + 0 + 2) / 4 = 1.0
    effect = get_property("noisy_teach_less").effect(labelled_matrix(values, [0, 1, 2], levels))
    assert effect == pytest.approx(2.0)


def test_vision_properties_skip_language_matrices():
    tags = [{"category": "memorization", "expected": "+"}] * 3
    text = InfluenceMatrix(
        "transitivity", "plain", 0, ["a", "b", "c"], torch.eye(3), texts=["x", "y", "z"], tags=tags
    )
    for name in ("class_structure", "noise_selectivity", "noisy_teach_less"):
        assert get_property(name).evaluate([text]) is None


def test_language_properties_skip_image_matrices():
    matrix = labelled_matrix(torch.eye(4), [0, 0, 1, 1], ["clean", "low", "clean", "low"])
    for name in ("semantic_decay", "rewording", "negation", "transitivity", "causal_direction"):
        assert get_property(name).evaluate([matrix]) is None
    for name in ("symmetry", "sparsity", "memorization", "class_structure", "noise_selectivity"):
        assert get_property(name).evaluate([matrix]) is not None
