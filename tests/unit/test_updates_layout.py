"""Swapped-weight fine-tuning keeps a parameter's memory layout (channels_last convolutions)
and still matches a fresh torch optimizer and restores bit for bit."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from influence_sdk.models.updates import SwappedWeights


def channels_last_net() -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Conv2d(8, 4, 3), nn.Flatten())
    return net.to(memory_format=torch.channels_last)


def loss_of(net: nn.Module) -> torch.Tensor:
    images = torch.linspace(-1, 1, 2 * 3 * 7 * 7).view(2, 3, 7, 7)
    return net(images).square().mean()


@pytest.mark.parametrize(
    ("optimizer", "steps", "decay"), [("adamw", 1, 0.0), ("adamw", 3, 0.1), ("sgd", 2, 0.01)]
)
def test_channels_last_weights_match_torch_and_keep_their_layout(optimizer, steps, decay):
    net = channels_last_net()
    assert not net[2].weight.is_contiguous()  # the case under test: a non-contiguous layout
    twin = copy.deepcopy(net)
    if optimizer == "sgd":
        reference = torch.optim.SGD(twin.parameters(), lr=0.1, weight_decay=decay)
    else:
        reference = torch.optim.AdamW(twin.parameters(), lr=0.01, weight_decay=decay, foreach=False)
    for _ in range(steps):
        loss_of(twin).backward()
        reference.step()
        reference.zero_grad(set_to_none=True)

    before = [p.detach().clone() for p in net.parameters()]
    weights = SwappedWeights(list(net.parameters()))
    for _ in range(steps):
        loss_of(net).backward()
        weights.step(
            optimizer, lr=0.1 if optimizer == "sgd" else 0.01, weight_decay=decay, total_steps=steps
        )
    for ours, theirs in zip(net.parameters(), twin.parameters(), strict=True):
        assert ours.stride() == theirs.stride()
        torch.testing.assert_close(ours.detach(), theirs.detach(), atol=1e-6, rtol=0)
    weights.restore()
    for param, saved in zip(net.parameters(), before, strict=True):
        assert torch.equal(param.detach(), saved) and param.stride() == saved.stride()
