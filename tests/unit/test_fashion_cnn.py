"""The fashion-cnn base model: IDX reading, caching with its record, the missing-data error."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
import torch

from influence_sdk import ModelLoadError
from influence_sdk.models import fashion


def write_idx(path, array: np.ndarray) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def small_dataset(tmp_path, monkeypatch):
    """A 64/32-image stand-in for Fashion-MNIST in IDX format, found through the env variable."""
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (64, 28, 28)),
        "train_labels": rng.integers(0, 10, 64),
        "test_images": rng.integers(0, 256, (32, 28, 28)),
        "test_labels": rng.integers(0, 10, 32),
    }
    for key, name in fashion.FILES.items():
        write_idx(tmp_path / f"{name}.gz", arrays[key])
    monkeypatch.setenv("INFLUENCE_SDK_FASHION_MNIST", str(tmp_path))
    monkeypatch.setenv("INFLUENCE_SDK_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(fashion, "DEBIAN_FOLDER", tmp_path / "no-debian-package")
    return arrays


def test_idx_files_are_read_exactly(small_dataset):
    data = fashion.load_fashion_mnist()
    for key, array in small_dataset.items():
        assert np.array_equal(data[key], array.astype(np.uint8))


def test_trained_model_is_cached_with_config_and_accuracy_then_reused(small_dataset, monkeypatch):
    monkeypatch.setitem(fashion.TRAINING, "epochs", 1)
    module, record = fashion.cached_fashion_cnn()
    folder = fashion.cache_dir() / fashion.ALIAS
    saved = json.loads((folder / "training.json").read_text())
    assert saved["training"] == fashion.TRAINING and saved["test_size"] == 32
    predicted = module(
        torch.tensor(small_dataset["test_images"] / 255, dtype=torch.float32).unsqueeze(1)
    )
    accuracy = (predicted.argmax(-1).numpy() == small_dataset["test_labels"]).mean()
    assert saved["test_accuracy"] == pytest.approx(accuracy)

    def no_training(*args, **kwargs):
        raise AssertionError("the cached model should have been reused")

    monkeypatch.setattr(fashion, "train_fashion_cnn", no_training)
    again, _ = fashion.cached_fashion_cnn()
    assert all(
        torch.equal(a, b)
        for a, b in zip(module.state_dict().values(), again.state_dict().values(), strict=True)
    )
    classifier = fashion.load_fashion_cnn()
    assert classifier.describe()["test_accuracy"] == saved["test_accuracy"]


def test_missing_dataset_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.delenv("INFLUENCE_SDK_FASHION_MNIST", raising=False)
    monkeypatch.setenv("INFLUENCE_SDK_CACHE", str(tmp_path))
    monkeypatch.setenv("INFLUENCE_SDK_NO_DOWNLOAD", "1")
    monkeypatch.setattr(fashion, "DEBIAN_FOLDER", tmp_path / "absent")
    with pytest.raises(ModelLoadError) as raised:
        fashion.load_fashion_cnn()
    message = str(raised.value)
    assert "apt-get update && apt-get install -y dataset-fashion-mnist" in message
    assert "\n" not in message


def test_only_float32_is_offered(small_dataset):
    with pytest.raises(ValueError, match="float32 only"):
        fashion.load_fashion_cnn(dtype="bfloat16")
