"""Full fine-tuning on one item without copying the model: the base weights are never written.

The fast path behind ``fine_tuned(..., recipe with method="full")``. Per item, the unavoidable
work is one forward+backward per step, the weight update and the re-scoring of the probes.
Everything else (a snapshot copy of the weights, a fresh optimizer that allocates two zeroed
weight-sized state tensors, restoring the snapshot) is overhead, removed here as follows:

* The fine-tuned weights ``θ_i`` are written into a *work* buffer allocated once per model, and
  each parameter's ``.data`` is pointed at it for the duration of the item. Restoring is
  pointing ``.data`` back at the untouched base tensors: O(1) and bit-identical by construction.
* The first optimizer step reads the base weights and the gradient and writes ``θ_i`` in one
  pass, with the same arithmetic as ``torch.optim.AdamW`` / ``torch.optim.SGD`` from a zero
  state (no state tensors to zero, only two scratch buffers of the largest parameter's size).
* Optimizer state for further steps lives in buffers allocated once and overwritten (not
  zeroed) by the first step of every item.

The arithmetic follows torch's single-tensor AdamW (``decoupled`` weight decay, betas
``(0.9, 0.999)``, eps ``1e-8``) and plain SGD, so results match a fresh torch optimizer per item
to float rounding (tests/unit/test_updates.py compares them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import torch

BETAS = (0.9, 0.999)
EPS = 1e-8
CPU_CHUNK = 1 << 18  # elements per pass of the update on the CPU (1 MiB of float32)


class SwappedWeights:
    """Trainable parameters whose fine-tuned values live in a reusable work buffer.

    Args:
        params: The parameters to train (distinct tensors; tied weights appear once).

    Example:
        >>> weights = SwappedWeights(list(model.parameters()))  # doctest: +SKIP
        >>> loss.backward(); weights.step("adamw", lr=1e-5, weight_decay=0.0)  # doctest: +SKIP
        >>> weights.restore()  # every parameter is the base tensor again  # doctest: +SKIP
    """

    def __init__(self, params: Sequence[torch.nn.Parameter]) -> None:
        self.params = list(params)
        self.base = [p.data for p in self.params]
        # The parameters' own memory layout (e.g. channels_last convolution weights, which
        # run several times faster on the CPU), so the fine-tuned model is as fast as the base.
        self.work = [_empty_in_layout(p.data) for p in self.params]
        # Steps taken by each parameter on the current item; torch counts them per parameter
        # too, skipping a parameter whose gradient is None.
        self.param_steps = [0] * len(self.params)
        self._moments: tuple[list[torch.Tensor], list[torch.Tensor]] | None = None  # AdamW
        self._scratch: dict[tuple[torch.dtype, torch.device], list[torch.Tensor]] = {}

    def matches(self, params: Sequence[torch.nn.Parameter]) -> bool:
        """Whether ``params`` are the same parameter objects this buffer was built for."""
        # A model moved or reloaded in place since has new storage: rebuild then.
        return len(params) == len(self.params) and all(
            a is b and a.data_ptr() == base.data_ptr()
            for a, b, base in zip(params, self.params, self.base, strict=True)
        )

    def step(
        self,
        optimizer: Literal["adamw", "sgd"],
        lr: float,
        weight_decay: float,
        total_steps: int = 1,
    ) -> None:
        """One optimizer step from the gradients in ``param.grad``, then drop the gradients.

        Args:
            optimizer: ``"adamw"`` or ``"sgd"`` (no momentum), as in :class:`FineTuneRecipe`.
            lr: Learning rate.
            weight_decay: Decoupled for AdamW, added to the gradient for SGD (as torch does).
            total_steps: Steps this item takes in all; with one step, AdamW needs no
                weight-sized state, only scratch space of the largest parameter's size.
        """
        if optimizer == "adamw" and total_steps > 1:
            self.ensure_moments()
        with torch.no_grad():
            for k, param in enumerate(self.params):
                grad = param.grad
                if grad is None:  # not reached by this item's loss: torch skips it too
                    continue
                self.param_steps[k] += 1
                if self.param_steps[k] == 1:
                    param.data = self.work[k]
                if optimizer == "sgd":
                    self._sgd(k, grad, lr, weight_decay)
                else:
                    self._adamw(k, grad, lr, weight_decay, persistent=total_steps > 1)
                param.grad = None

    def restore(self) -> None:
        """Point every parameter back at its base tensor (which was never written)."""
        for param, base in zip(self.params, self.base, strict=True):
            param.data = base
            param.grad = None
        self.param_steps = [0] * len(self.params)

    # ---- the arithmetic of torch's optimizers, first step fused with the copy -------------

    def _sgd(self, k: int, grad: torch.Tensor, lr: float, weight_decay: float) -> None:
        current = self.base[k] if self.param_steps[k] == 1 else self.work[k]
        if weight_decay:
            grad = grad.add(current, alpha=weight_decay)
        torch.add(current, grad, alpha=-lr, out=self.work[k])

    def _adamw(
        self, k: int, grad: torch.Tensor, lr: float, weight_decay: float, persistent: bool
    ) -> None:
        t = self.param_steps[k]
        # One element order for all three: the work buffer's memory order.
        order = _memory_order(self.work[k])
        flat_grad = grad.permute(order).contiguous().view(-1)
        flat_base = self.base[k].permute(order).contiguous().view(-1)
        flat_work = self.work[k].permute(order).view(-1)
        scratch = self._scratch_for(grad)
        # The update takes several elementwise passes; done chunk by chunk, the chunk stays
        # in cache between passes, so main memory is read and written about once.
        for start in range(0, flat_grad.numel(), len(scratch[0])):
            span = slice(start, start + len(scratch[0]))
            g, work = flat_grad[span], flat_work[span]
            n = len(g)
            if persistent:
                assert self._moments is not None
                exp_avg = self._moments[0][k].permute(order).view(-1)[span]
                exp_avg_sq = self._moments[1][k].permute(order).view(-1)[span]
                denom = scratch[0][:n]
            else:  # one step only: the second moment is not needed after the denominator
                exp_avg, exp_avg_sq = scratch[0][:n], scratch[1][:n]
                denom = exp_avg_sq
            base = flat_base[span] if t == 1 else None
            adamw_update(t, g, work, base, exp_avg, exp_avg_sq, denom, lr, weight_decay)

    def _scratch_for(self, grad: torch.Tensor) -> list[torch.Tensor]:
        """Two chunk-sized scratch buffers for ``grad``'s dtype and device (made once)."""
        key = (grad.dtype, grad.device)
        if key not in self._scratch:
            largest = max(w.numel() for w in self.work)
            size = min(CPU_CHUNK, largest) if grad.device.type == "cpu" else largest
            self._scratch[key] = [
                torch.empty(size, dtype=grad.dtype, device=grad.device) for _ in range(2)
            ]
        return self._scratch[key]

    def ensure_moments(self) -> None:
        """Allocate AdamW's weight-sized moment buffers (once per model) for multi-step items."""
        if self._moments is None:
            self._moments = (
                [torch.empty_like(w) for w in self.work],
                [torch.empty_like(w) for w in self.work],
            )


def _empty_in_layout(tensor: torch.Tensor) -> torch.Tensor:
    """An uninitialised tensor with ``tensor``'s strides when it is dense, else contiguous."""
    like = torch.empty_like(tensor, memory_format=torch.preserve_format)
    if like.permute(_memory_order(like)).is_contiguous():
        return like
    return torch.empty(tensor.shape, dtype=tensor.dtype, device=tensor.device)


def _memory_order(tensor: torch.Tensor) -> list[int]:
    """Dimensions from the largest stride to the smallest: the order they lie in memory.

    Permuted by it, a dense tensor (contiguous, channels_last, ...) is contiguous, so its
    elements can be walked as one flat view in memory order.
    """
    # sorted() is stable, so dimensions of equal stride (size-1 ones) keep their order.
    strides = tensor.stride()
    return sorted(range(tensor.dim()), key=lambda dim: -strides[dim])


def adamw_update(
    t: int,
    grad: torch.Tensor,
    work: torch.Tensor,
    base: torch.Tensor | None,
    exp_avg: torch.Tensor,
    exp_avg_sq: torch.Tensor,
    denom: torch.Tensor,
    lr: float,
    weight_decay: float,
) -> None:
    """Step ``t`` of torch's single-tensor AdamW on flat views; ``base`` is given at ``t == 1``.

    At ``t == 1`` the state is zero, so ``lerp_(grad, 1−β1)`` and
    ``mul_(β2).addcmul_(grad, grad, 1−β2)`` reduce to the products written here: the state is
    written, never zeroed first, and ``work`` is written from ``base`` in the same pass.
    ``denom`` may alias ``exp_avg_sq`` when the state is not kept.
    """
    beta1, beta2 = BETAS
    if base is not None:
        torch.mul(grad, 1 - beta1, out=exp_avg)
        torch.mul(grad, 1 - beta2, out=exp_avg_sq).mul_(grad)
        torch.mul(base, 1 - lr * weight_decay, out=work)
    else:
        if weight_decay:
            work.mul_(1 - lr * weight_decay)
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    bias_correction1 = 1 - beta1**t
    bias_correction2_sqrt = math.sqrt(1 - beta2**t)
    torch.sqrt(exp_avg_sq, out=denom).div_(bias_correction2_sqrt).add_(EPS)
    work.addcdiv_(exp_avg, denom, value=-lr / bias_correction1)
