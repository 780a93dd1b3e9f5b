"""User classifiers named by a Python entry ``module:factory``, with safetensors weights.

``--model my_package.nets:make_net --weights net.safetensors`` imports ``my_package.nets``,
calls ``make_net()`` and loads the weights into what it returns. The factory returns either an
``nn.Module`` (wrapped with no transform, any image shape) or a ready :class:`ImageClassifier`
(to declare a transform, image shape or class count). Weights are read with safetensors only:
a user's file is never unpickled, so loading it cannot run code.
"""

from __future__ import annotations

import importlib
import logging
import re
from pathlib import Path
from typing import Any

from torch import nn

from influence_sdk.errors import ConfigError, ModelLoadError
from influence_sdk.models.vision import ImageClassifier

logger = logging.getLogger(__name__)

ENTRY_PATTERN = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def is_entry_point(name: str) -> bool:
    """Whether ``name`` looks like ``module:factory`` (and is not an existing path)."""
    return bool(ENTRY_PATTERN.match(name)) and not Path(name).exists()


def load_entry_classifier(
    entry: str, *, weights: str | Path | None = None, device: str = "cpu", dtype: str = "float32"
) -> ImageClassifier:
    """Build the classifier ``module:factory`` and load ``weights`` (a .safetensors file).

    Example:
        >>> load_entry_classifier("my_nets:cnn", weights="cnn.safetensors")  # doctest: +SKIP
    """
    if dtype != "float32":
        raise ConfigError(
            f"image classifiers run in float32 here, got --dtype {dtype}; drop --dtype"
        )
    built = _call_factory(entry)
    classifier = built if isinstance(built, ImageClassifier) else ImageClassifier(built, name=entry)
    if weights is not None:
        load_safetensors(classifier.module, Path(weights))
    else:
        logger.warning("no --weights given: %s keeps the weights its factory created", entry)
    classifier.module.to(device)
    return classifier


def _call_factory(entry: str) -> Any:
    module_name, _, factory_name = entry.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ModelLoadError(
            f"cannot import module {module_name!r} of --model {entry!r} ({err}); put it on "
            "PYTHONPATH or install its package"
        ) from err
    factory = getattr(module, factory_name, None)
    if not callable(factory):
        raise ModelLoadError(
            f"module {module_name!r} has no callable {factory_name!r}; --model takes "
            "module:factory where factory() returns an nn.Module or an ImageClassifier"
        )
    try:
        built = factory()
    except Exception as err:  # user code: any failure becomes one line naming the factory
        raise ModelLoadError(
            f"--model {entry!r}: {factory_name}() raised {type(err).__name__}: {err}; fix the "
            "factory (run it in Python to see the traceback, or pass --debug)"
        ) from err
    if not isinstance(built, nn.Module | ImageClassifier):
        raise ModelLoadError(
            f"{entry}() returned a {type(built).__name__}; it must return an nn.Module or an "
            "ImageClassifier"
        )
    return built


def load_safetensors(module: nn.Module, path: Path) -> None:
    """Load a safetensors state dict into ``module``, strictly (every key must match)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if path.suffix != ".safetensors":
        raise ModelLoadError(
            f"--weights must be a .safetensors file, got {str(path)!r}; convert it with "
            "safetensors.torch.save_file(model.state_dict(), 'weights.safetensors')"
        )
    if not path.is_file():
        raise ModelLoadError(f"weights file {str(path)!r} does not exist; check the path")
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError) as err:
        raise ModelLoadError(f"cannot read weights file {str(path)!r}: {err}") from err
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as err:
        first = str(err).splitlines()[1].strip() if "\n" in str(err) else str(err)
        raise ModelLoadError(
            f"weights in {str(path)!r} do not fit the module ({first}); save them from the same "
            "architecture the factory builds"
        ) from None
