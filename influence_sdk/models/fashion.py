"""The vision base model: a small CNN trained once on the full Fashion-MNIST, then cached.

The data come from the Debian package ``dataset-fashion-mnist`` (offline) or, where a network
exists, from torchvision's download. Training is seeded and takes a few minutes on two CPU
cores; the weights (safetensors), the training config and the measured test accuracy (JSON)
are written to ``cache_dir()/fashion-cnn/`` and reused by every later load.

Example:
    >>> from influence_sdk import load_model
    >>> cnn = load_model("fashion-cnn")  # trains on first use, then loads  # doctest: +SKIP
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from influence_sdk.errors import ModelLoadError
from influence_sdk.models.embedded import cache_dir
from influence_sdk.models.vision import ImageClassifier

logger = logging.getLogger(__name__)

ALIAS = "fashion-cnn"
INSTALL_COMMAND = "apt-get update && apt-get install -y dataset-fashion-mnist"
DEBIAN_FOLDER = Path("/usr/share/datasets/fashion-mnist")
CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
#: Everything that determines the trained weights; saved next to them and checked on load.
TRAINING: dict[str, Any] = {
    "seed": 0,
    "epochs": 4,
    "batch_size": 128,
    "optimizer": "adam",
    "lr": 1e-3,
    "lr_schedule": "cosine to 0 over all steps",
    "architecture": "FashionCNN(conv16-pool-conv32-pool-fc128-fc10)",
}
PIXEL_MEAN, PIXEL_STD = 0.2860, 0.3530  # Fashion-MNIST training-set pixel statistics


class FashionCNN(nn.Module):
    """Two conv layers and two dense layers on ``1×28×28`` images with pixels in ``[0, 1]``.

    Normalisation happens inside the module, so items carry plain ``[0, 1]`` pixels and the
    adapter needs no transform. No BatchNorm and no dropout: fine-tuning is deterministic.
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 16×14×14
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32×7×7
        )  # fmt: skip
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, num_classes)
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits, shape ``(batch, num_classes)``, of images shaped ``(batch, 1, 28, 28)``."""
        return self.classifier(self.features((images - PIXEL_MEAN) / PIXEL_STD))


def load_fashion_cnn(
    device: str = "cpu", dtype: str = "float32", **options: Any
) -> ImageClassifier:
    """The trained Fashion-MNIST CNN as an :class:`ImageClassifier`, training it on first use.

    Args:
        device: torch device for the model.
        dtype: Only ``float32`` (the CNN is trained and evaluated in float32).
        **options: Passed to :class:`ImageClassifier` (e.g. ``batch_size``).
    """
    if dtype != "float32":
        from influence_sdk.errors import ConfigError

        raise ConfigError(
            f"the fashion-cnn model runs in float32 only, got --dtype {dtype}; drop --dtype"
        )
    module, record = cached_fashion_cnn()
    # channels_last convolution weights and batches of 32 images: measured 3-5x faster
    # probe scoring on the CPU than the default layout with batches of 256, because the
    # batch's activations stay in cache (docs/performance.md, CNN benchmark).
    module = module.to(device).to(memory_format=torch.channels_last)
    options.setdefault("batch_size", 32)
    classifier = ImageClassifier(
        module, image_shape=(1, 28, 28), num_classes=10, name=ALIAS, **options
    )
    classifier.info = {"test_accuracy": record["test_accuracy"], "training": record["training"]}
    return classifier


def cached_fashion_cnn(folder: Path | None = None) -> tuple[FashionCNN, dict[str, Any]]:
    """The cached CNN and its record (training config, test accuracy), training if needed."""
    from safetensors.torch import load_file, save_file

    folder = folder or cache_dir() / ALIAS
    weights, record_file = folder / "model.safetensors", folder / "training.json"
    if weights.exists() and record_file.exists():
        record = json.loads(record_file.read_text(encoding="utf-8"))
        if record.get("training") == TRAINING:
            module = FashionCNN()
            module.load_state_dict(load_file(str(weights)))
            return module.eval(), record
        logger.info("cached %s was trained with another config; training again", ALIAS)
    module, record = train_fashion_cnn()
    folder.mkdir(parents=True, exist_ok=True)
    # Write to temporary names then rename, so a crash never leaves a half-written cache.
    save_file(module.state_dict(), str(folder / ".model.safetensors.tmp"))
    (folder / ".training.json.tmp").write_text(
        json.dumps(record, indent=1) + "\n", encoding="utf-8"
    )
    os.replace(folder / ".model.safetensors.tmp", weights)
    os.replace(folder / ".training.json.tmp", record_file)
    return module.eval(), record


def train_fashion_cnn(
    data: dict[str, np.ndarray] | None = None,
) -> tuple[FashionCNN, dict[str, Any]]:
    """Train :class:`FashionCNN` with :data:`TRAINING` on Fashion-MNIST; measure test accuracy."""
    data = data if data is not None else load_fashion_mnist()
    torch.manual_seed(TRAINING["seed"])
    generator = torch.Generator().manual_seed(TRAINING["seed"])
    module = FashionCNN()
    optimizer = torch.optim.Adam(module.parameters(), lr=TRAINING["lr"])
    steps_per_epoch = -(-len(data["train_labels"]) // TRAINING["batch_size"])
    # Cosine decay to 0: the last steps average out batch noise, worth ~1 point of accuracy.
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=TRAINING["epochs"] * steps_per_epoch
    )
    images = _as_float(data["train_images"])  # (60000, 1, 28, 28)
    labels = torch.from_numpy(data["train_labels"].astype(np.int64))
    started = time.perf_counter()
    module.train()
    for epoch in range(TRAINING["epochs"]):
        order = torch.randperm(len(labels), generator=generator)
        for batch in order.split(TRAINING["batch_size"]):
            loss = nn.functional.cross_entropy(module(images[batch]), labels[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
        logger.info(
            "fashion-cnn epoch %d/%d, last loss %.3f", epoch + 1, TRAINING["epochs"], loss.item()
        )
    module.eval()
    module.zero_grad(set_to_none=True)  # the cached model carries no training gradient
    accuracy = test_accuracy(module, data)
    logger.info(
        "fashion-cnn trained in %.0f s, test accuracy %.4f", time.perf_counter() - started, accuracy
    )
    record = {
        "training": TRAINING,
        "test_accuracy": accuracy,
        "train_size": int(len(labels)),
        "test_size": int(len(data["test_labels"])),
        "training_seconds": round(time.perf_counter() - started, 1),
        "torch": torch.__version__,
    }
    return module, record


def test_accuracy(module: nn.Module, data: dict[str, np.ndarray]) -> float:
    """Share of the 10,000 test images whose arg-max class is their label."""
    images = _as_float(data["test_images"])
    labels = torch.from_numpy(data["test_labels"].astype(np.int64))
    with torch.no_grad():
        predicted = torch.cat([module(batch).argmax(-1) for batch in images.split(1000)])
    return float((predicted == labels).double().mean())


def _as_float(images: np.ndarray) -> torch.Tensor:
    """uint8 ``(n, 28, 28)`` -> float32 ``(n, 1, 28, 28)`` in ``[0, 1]``."""
    return torch.from_numpy(images).float().div(255).unsqueeze(1)


# ---- data ---------------------------------------------------------------------------------


def load_fashion_mnist() -> dict[str, np.ndarray]:
    """The four Fashion-MNIST arrays, from the first folder that holds them all.

    Looks in ``$INFLUENCE_SDK_FASHION_MNIST``, the Debian package's folder, and the cache
    (where torchvision's download lands); tries the download last.
    """
    for folder in _candidate_folders():
        paths = {key: _find_file(folder, name) for key, name in FILES.items()}
        if all(path is not None for path in paths.values()):
            logger.info("reading Fashion-MNIST from %s", folder)
            return {key: read_idx(path) for key, path in paths.items() if path is not None}
    downloaded = _download()
    if downloaded is not None:
        return load_fashion_mnist_from(downloaded)
    raise ModelLoadError(
        "the fashion-cnn model is trained on Fashion-MNIST, which was not found in "
        f"{', '.join(str(f) for f in _candidate_folders())}; install it with: {INSTALL_COMMAND}"
    )


def load_fashion_mnist_from(folder: Path) -> dict[str, np.ndarray]:
    paths = {key: _find_file(folder, name) for key, name in FILES.items()}
    missing = [FILES[key] for key, path in paths.items() if path is None]
    if missing:
        raise ModelLoadError(
            f"Fashion-MNIST files {missing} missing in {folder}; install: {INSTALL_COMMAND}"
        )
    return {key: read_idx(path) for key, path in paths.items() if path is not None}


def _candidate_folders() -> list[Path]:
    folders = [DEBIAN_FOLDER, cache_dir() / "data" / "FashionMNIST" / "raw"]
    override = os.environ.get("INFLUENCE_SDK_FASHION_MNIST")
    return [Path(override)] + folders if override else folders


def _find_file(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (optionally gzipped) as a uint8 array: ``(n,)`` labels or ``(n, 28, 28)``."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
        dims = raw[3]
        shape = tuple(int.from_bytes(raw[4 + 4 * k : 8 + 4 * k], "big") for k in range(dims))
        return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape).copy()
    except (OSError, ValueError, IndexError, EOFError) as err:
        raise ModelLoadError(
            f"cannot read Fashion-MNIST file {path} ({type(err).__name__}); reinstall it with: "
            f"{INSTALL_COMMAND}"
        ) from err


def _download() -> Path | None:
    """torchvision's download into the cache; ``None`` without torchvision or a network."""
    if (
        os.environ.get("HF_HUB_OFFLINE") == "1"
        or os.environ.get("INFLUENCE_SDK_NO_DOWNLOAD") == "1"
    ):
        return None  # offline by declaration: do not wait for network time-outs
    try:
        from torchvision.datasets import FashionMNIST
    except ImportError:
        return None
    root = cache_dir() / "data"
    try:
        FashionMNIST(str(root), train=True, download=True)
        FashionMNIST(str(root), train=False, download=True)
    except (OSError, RuntimeError) as err:
        logger.info("Fashion-MNIST download failed: %s", err)
        return None
    return root / "FashionMNIST" / "raw"
