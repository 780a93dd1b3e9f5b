"""Adapter for torch image classifiers: any ``nn.Module`` mapping images to class logits.

Score of an item: ``log p(label | image)``, i.e. minus the cross-entropy of its label. Works for
hand-written CNNs and for torchvision models (e.g. ``torchvision.models.resnet18``) alike.

The module stays in eval mode for scoring *and* fine-tuning. That keeps BatchNorm running
statistics frozen (a single-item training step in train mode would overwrite them with one
image's statistics) and turns dropout off, so each fine-tune is deterministic and the influence
matrix measures what the gradient step taught, not a shift of normalisation statistics.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from influence_sdk.errors import ConfigError, ItemError
from influence_sdk.items import Probe
from influence_sdk.models.base import Model, check_loss, clear_gradients, iter_batches
from influence_sdk.models.updates import SwappedWeights
from influence_sdk.recipe import FineTuneRecipe

logger = logging.getLogger(__name__)

#: Maps a float batch ``(N, C, H, W)`` of item images to the module's input batch.
Transform = Callable[[torch.Tensor], torch.Tensor]


class ImageClassifier(Model):
    """A torch image classifier as an influence-sdk :class:`Model`.

    Args:
        module: Any ``nn.Module`` that maps an image batch to logits ``(N, num_classes)``.
        transform: Applied to each stacked batch of item images ``(N, C, H, W)`` before the
            module (resizing, channel repetition, normalisation); ``None`` = identity.
        image_shape: The ``C×H×W`` shape every item image must have; ``None`` accepts any
            3-D image the module can digest.
        num_classes: Number of classes; ``None`` = read from the module's output on first use.
        batch_size: Images scored per forward pass.
        name: Shown in reports.

    Example:
        >>> import torchvision
        >>> resnet = torchvision.models.resnet18(num_classes=10)
        >>> classifier = ImageClassifier(
        ...     resnet, transform=lambda x: x.repeat(1, 3, 1, 1), image_shape=(1, 32, 32)
        ... )
        >>> classifier.score([Probe(image=torch.zeros(1, 32, 32), label=3)]).shape
        torch.Size([1])
    """

    modality = "image"

    def __init__(
        self,
        module: nn.Module,
        *,
        transform: Transform | None = None,
        image_shape: Sequence[int] | None = None,
        num_classes: int | None = None,
        batch_size: int = 256,
        name: str | None = None,
    ) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
        if image_shape is not None and len(image_shape) != 3:
            raise ConfigError(f"image_shape must be C×H×W (3 numbers), got {tuple(image_shape)}")
        self.module = module.eval()
        self.transform = transform
        self.image_shape = tuple(image_shape) if image_shape is not None else None
        self._num_classes = num_classes
        self.batch_size = batch_size
        self.name = name or type(module).__name__
        self.info: dict[str, Any] = {}  # extra facts for reports, e.g. a base model's accuracy
        self._swapped: SwappedWeights | None = None  # work buffers for fine-tuning
        self._base_buffers: list[torch.Tensor] | None = None
        # (identity of each probe's image, its version and label), stacked images, labels
        self._stack_cache: tuple[list[tuple[Any, int, Any]], torch.Tensor, torch.Tensor] | None
        self._stack_cache = None

    # ---- input checks -------------------------------------------------------------------

    @property
    def num_classes(self) -> int | None:
        """Number of classes; ``None`` until given or read from a forward pass in :meth:`check`."""
        if self._num_classes is None and self.image_shape is not None:
            self._read_num_classes(torch.zeros(self.image_shape))
        return self._num_classes

    def _read_num_classes(self, image: torch.Tensor) -> int:
        """The width of the module's output on one image (used when not given)."""
        if self._num_classes is None:
            with torch.no_grad():
                self._num_classes = int(self._logits(image.unsqueeze(0)).shape[-1])
        return self._num_classes

    def check(self, probes: Sequence[Probe]) -> None:
        for probe in probes:
            image = probe.image
            if not isinstance(image, torch.Tensor):
                raise ItemError(
                    f"item {probe.item_id!r} has no image tensor (got {type(image).__name__}); "
                    "an image classifier needs items with a C×H×W float tensor"
                )
            if image.dim() != 3 or (self.image_shape and tuple(image.shape) != self.image_shape):
                wanted = "×".join(map(str, self.image_shape)) if self.image_shape else "C×H×W"
                raise ItemError(
                    f"item {probe.item_id!r} has image shape {tuple(image.shape)}; this model "
                    f"takes {wanted} images; resize the item or pass a transform"
                )
            label, classes = probe.label, self._read_num_classes(image)
            if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < classes:
                raise ItemError(
                    f"item {probe.item_id!r} has label {label!r}; this model has classes "
                    f"0..{classes - 1}; use a label in that range"
                )
            if not bool(torch.isfinite(image).all()):
                raise ItemError(
                    f"item {probe.item_id!r} has NaN or infinite pixels; clean the image"
                )

    # ---- scoring ------------------------------------------------------------------------

    def score(self, probes: Sequence[Probe]) -> torch.Tensor:
        images, labels = self._stacked(probes)
        scores = []
        with torch.no_grad():
            for batch in iter_batches(len(probes), self.batch_size):
                scores.append(self._log_probs(images[batch], labels[batch]).double().cpu())
        return torch.cat(scores) if scores else torch.zeros(0, dtype=torch.float64)

    def _stacked(self, probes: Sequence[Probe]) -> tuple[torch.Tensor, torch.Tensor]:
        """All probe images as one batch on the model's device, and their labels.

        The same probes are re-scored after every fine-tune, so the last stack is kept and
        reused while every probe still holds the same image tensor, unmodified, and label.
        """
        key = [(probe.image, probe.image._version, probe.label) for probe in probes]
        cached = self._stack_cache
        if cached is not None and _same_probes(key, cached[0]):
            return cached[1], cached[2]
        first = next(self.module.parameters())
        images = torch.stack([probe.image for probe in probes]) if probes else torch.zeros(0)
        images = images.to(device=first.device, dtype=first.dtype)
        labels = torch.tensor([probe.label for probe in probes], dtype=torch.long)
        self._stack_cache = (key, images, labels.to(first.device))
        return images, labels.to(first.device)

    def _score_batch(self, probes: Sequence[Probe]) -> torch.Tensor:
        """``log p(label | image)`` of each probe, shape ``(len(probes),)``, with grad."""
        images = torch.stack([probe.image for probe in probes])  # (batch, C, H, W)
        labels = torch.tensor([probe.label for probe in probes], dtype=torch.long)
        return self._log_probs(images, labels)

    def _log_probs(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """``log p(label | image)`` of a stacked batch, shape ``(batch,)``."""
        logits = self._logits(images)  # (batch, num_classes)
        # float64 for the normalisation: influence is a small difference of two scores, and
        # float32 rounding of a score near -5 would already be ~5e-7 of it.
        log_probs = torch.log_softmax(logits.double(), dim=-1)
        return log_probs.gather(-1, labels.to(log_probs.device).unsqueeze(-1)).squeeze(-1)

    def _logits(self, images: torch.Tensor) -> torch.Tensor:
        first = next(self.module.parameters())
        images = images.to(device=first.device, dtype=first.dtype)
        if self.transform is not None:
            images = self.transform(images)
        return self.module(images)

    # ---- fine-tuning --------------------------------------------------------------------

    @contextmanager
    def fine_tuned(
        self, probes: Sequence[Probe], recipe: FineTuneRecipe, seed: int
    ) -> Iterator[None]:
        if recipe.method == "lora":
            raise ConfigError(
                "LoRA does not apply to image classifiers (it adapts attention and linear "
                "layers of language models); use method 'full' (--method full)"
            )
        params, buffers = self._prepare()
        clear_gradients(params)
        try:
            self._train(probes, recipe, seed)
            yield
        finally:
            self._restore(params, buffers)

    def _prepare(self) -> tuple[list[nn.Parameter], list[torch.Tensor]]:
        """Trainable parameters and all buffers; work buffers and buffer values saved once."""
        params = [p for p in self.module.parameters() if p.requires_grad]
        buffers = list(self.module.buffers())
        if self._swapped is None or not self._swapped.matches(params):
            # One work buffer for the whole run: the base weights are never written, nothing
            # weight-sized is copied or allocated per item (see models/updates.py).
            self._swapped = SwappedWeights(params)
            # Buffers are saved too, so restore stays exact even for a module that updates
            # them in eval mode (BatchNorm does not; they are usually tiny or absent).
            self._base_buffers = [b.detach().clone() for b in buffers]
        self.module.eval()
        return params, buffers

    def _train(self, probes: Sequence[Probe], recipe: FineTuneRecipe, seed: int) -> None:
        assert self._swapped is not None  # set by _prepare before any training
        torch.manual_seed(seed)
        for step in range(recipe.steps):
            loss = -self._score_batch(probes).mean()
            check_loss(loss, probes, step, recipe)
            loss.backward()
            # The step of a fresh torch AdamW/SGD, written into the work buffer.
            self._swapped.step(recipe.optimizer, recipe.lr, recipe.weight_decay, recipe.steps)

    def _restore(self, params: list[nn.Parameter], buffers: list[torch.Tensor]) -> None:
        if self._swapped is not None:
            self._swapped.restore()  # O(1): every parameter points at its base tensor again
        assert self._base_buffers is not None  # set by _prepare before any training
        with torch.no_grad():
            for tensor, saved in zip(buffers, self._base_buffers, strict=True):
                tensor.copy_(saved)
        for param in params:
            param.grad = None

    # ---- misc ---------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        first = next(self.module.parameters())
        described = {
            "name": self.name,
            "class": type(self.module).__name__,
            "parameters": sum(p.numel() for p in self.module.parameters()),
            "device": str(first.device),
            "dtype": str(first.dtype).removeprefix("torch."),
            "image_shape": list(self.image_shape) if self.image_shape else None,
        }
        return {**described, **self.info}


def _same_probes(key: list[tuple[Any, int, Any]], cached: list[tuple[Any, int, Any]]) -> bool:
    """Whether every probe holds the very same image tensor, unmodified, and the same label."""
    return len(key) == len(cached) and all(
        image is old and version == old_version and label == old_label
        for (image, version, label), (old, old_version, old_label) in zip(key, cached, strict=True)
    )


#: The name the design documents use; any torch classifier works, torchvision's included.
TorchvisionClassifier = ImageClassifier
