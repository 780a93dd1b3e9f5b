"""Tiny random image classifiers for the vision unit tests (no training, no dataset)."""

from __future__ import annotations

import torch
from torch import nn

from influence_sdk import ImageClassifier, Probe


class TinyCNN(nn.Module):
    """One strided conv (with optional BatchNorm) and one dense layer on ``1×28×28`` images."""

    def __init__(self, num_classes: int = 10, batch_norm: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, stride=2)  # 4×13×13
        self.norm = nn.BatchNorm2d(4) if batch_norm else nn.Identity()
        self.head = nn.Linear(4 * 13 * 13, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        hidden = torch.relu(self.norm(self.conv(images)))
        return self.head(hidden.flatten(1))


def make_tiny_cnn(seed: int = 0, num_classes: int = 10, batch_norm: bool = False) -> TinyCNN:
    torch.manual_seed(seed)
    module = TinyCNN(num_classes, batch_norm)
    if batch_norm:  # non-trivial running statistics, so a change would show
        module.norm.running_mean.uniform_(-0.5, 0.5)
        module.norm.running_var.uniform_(0.5, 1.5)
    return module.eval()


def tiny_classifier(seed: int = 0, **kwargs: object) -> ImageClassifier:
    return ImageClassifier(
        make_tiny_cnn(seed, batch_norm=bool(kwargs.pop("batch_norm", False))),
        image_shape=(1, 28, 28),
        name="tiny-cnn",
        **kwargs,
    )  # type: ignore[arg-type]


def random_probes(count: int, seed: int = 0, shape: tuple[int, ...] = (1, 28, 28)) -> list[Probe]:
    generator = torch.Generator().manual_seed(seed)
    return [
        Probe(image=torch.rand(shape, generator=generator), label=k % 10, item_id=f"p{k}")
        for k in range(count)
    ]


def state_copy(module: nn.Module) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().clone() for name, tensor in module.state_dict().items()}


def states_equal(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
