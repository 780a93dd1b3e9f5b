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
        self.work = [torch.empty_like(p) for p in self.params]
        # Steps taken by each parameter on the current item; torch counts them per parameter
        # too, skipping a parameter whose gradient is None.
        self.param_steps = [0] * len(self.params)
        self._moments: tuple[list[torch.Tensor], list[torch.Tensor]] | None = None
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
        beta1, beta2 = BETAS
        t = self.param_steps[k]
        work = self.work[k]
        exp_avg, exp_avg_sq, denom = self._buffers(k, grad, persistent)
        if t == 1:
            # From a zero state, lerp_(grad, 1-β1) and mul_(β2).addcmul_(grad, grad, 1-β2)
            # reduce to these products: the state is written, never zeroed first.
            torch.mul(grad, 1 - beta1, out=exp_avg)
            torch.mul(grad, 1 - beta2, out=exp_avg_sq).mul_(grad)
            torch.mul(self.base[k], 1 - lr * weight_decay, out=work)
        else:
            if weight_decay:
                work.mul_(1 - lr * weight_decay)
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias_correction1 = 1 - beta1**t
        bias_correction2_sqrt = math.sqrt(1 - beta2**t)
        torch.sqrt(exp_avg_sq, out=denom).div_(bias_correction2_sqrt).add_(EPS)
        work.addcdiv_(exp_avg, denom, value=-lr / bias_correction1)

    def _buffers(
        self, k: int, grad: torch.Tensor, persistent: bool
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """AdamW's two moments and the denominator for parameter ``k``.

        With ``persistent`` the moments are weight-sized buffers kept across steps (allocated
        once per model); otherwise all three are views of scratch space, and the denominator
        overwrites the second moment, which a single step never needs again.
        """
        key = (grad.dtype, grad.device)
        if key not in self._scratch:
            largest = max(w.numel() for w in self.work)
            self._scratch[key] = [
                torch.empty(largest, dtype=grad.dtype, device=grad.device) for _ in range(2)
            ]
        n = grad.numel()
        scratch = [buffer[:n].view_as(grad) for buffer in self._scratch[key]]
        if not persistent:
            return scratch[0], scratch[1], scratch[1]
        if self._moments is None:
            self._moments = (
                [torch.empty_like(w) for w in self.work],
                [torch.empty_like(w) for w in self.work],
            )
        return self._moments[0][k], self._moments[1][k], scratch[0]
