"""The real fashion-cnn (trained on the full Fashion-MNIST, cached) and the real MNIST suite.

Uses the cached model when present; without it, the first run trains it (a few minutes).
Needs the Debian package: apt-get update && apt-get install -y dataset-fashion-mnist.
"""

from __future__ import annotations

import copy
import gzip
import json

import numpy as np
import pytest
import torch

from influence_sdk import FineTuneRecipe, build_suite, load_model
from influence_sdk.estimators import fine_tune_row
from influence_sdk.models import fashion

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (fashion.DEBIAN_FOLDER / "t10k-images-idx3-ubyte.gz").exists(),
        reason="needs: apt-get update && apt-get install -y dataset-fashion-mnist",
    ),
]


@pytest.fixture(scope="module")
def cnn():
    return load_model("fashion-cnn")


def read_test_set() -> tuple[torch.Tensor, torch.Tensor]:
    """The 10,000 test images and labels, parsed here without the SDK's reader."""
    with gzip.open(fashion.DEBIAN_FOLDER / "t10k-images-idx3-ubyte.gz", "rb") as handle:
        pixels = np.frombuffer(handle.read()[16:], dtype=np.uint8).reshape(10000, 1, 28, 28)
    with gzip.open(fashion.DEBIAN_FOLDER / "t10k-labels-idx1-ubyte.gz", "rb") as handle:
        labels = np.frombuffer(handle.read()[8:], dtype=np.uint8)
    return torch.tensor(pixels / 255, dtype=torch.float32), torch.tensor(labels, dtype=torch.long)


def test_cached_test_accuracy_is_real_and_at_least_89_percent(cnn):
    images, labels = read_test_set()
    with torch.no_grad():
        predicted = torch.cat([cnn.module(batch).argmax(-1) for batch in images.split(500)])
    accuracy = (predicted == labels).double().mean().item()
    record = json.loads((fashion.cache_dir() / "fashion-cnn" / "training.json").read_text())
    assert record["test_accuracy"] == pytest.approx(accuracy, abs=1e-4)
    assert accuracy >= 0.89


def test_one_influence_entry_on_real_digits_matches_a_plain_torch_step(cnn):
    items = build_suite("mnist_noise:k=1", seed=0).items
    probes = [item.probe() for item in items]
    recipe = FineTuneRecipe()  # the default: one AdamW step at lr 1e-6
    base = cnn.score(probes)
    row = fine_tune_row(cnn, [probes[3]], probes, base, recipe, seed=0)

    own = copy.deepcopy(cnn.module)
    optimizer = torch.optim.AdamW(own.parameters(), lr=recipe.lr, weight_decay=0.0)
    images = torch.stack([probe.image for probe in probes])  # (30, 1, 28, 28)
    labels = torch.tensor([probe.label for probe in probes])

    def log_probs(module):
        # the whole suite in one batch, as the adapter scores it: float32 logits of size ~10
        # carry ~1e-6 rounding that depends on the batch, which would swamp the comparison
        with torch.no_grad():
            logits = module(images).double()
        return torch.log_softmax(logits, -1)[torch.arange(len(probes)), labels]

    before = log_probs(own)
    (-torch.log_softmax(own(images[3:4])[0].double(), 0)[3]).backward()
    optimizer.step()
    expected = log_probs(own) - before
    torch.testing.assert_close(row, expected, atol=1e-9, rtol=0)
    assert row[3].item() > 0  # learning a digit raises its own label
