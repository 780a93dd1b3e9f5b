"""Where the CNN benchmark's (a1)-vs-(b) difference comes from: float32 rounding, not the engine.

Fine-tunes a few rows of ``mnist_noise:k=3`` (seed 0, default recipe) with a deep copy and a
fresh ``torch.optim.AdamW`` per item, in four arithmetic variants, and prints the largest
difference from the SDK's rows relative to the SDK's largest entry:

* probes scored one image per forward (as the naive benchmark does) or in batches of 32 (as
  the SDK does): different convolution kernels, so logits differ in the last float32 bits;
* loss and log-softmax in float32 (``F.cross_entropy`` on the logits) or in float64 (as the
  SDK does): AdamW's first step is ``lr·g/(|g|+eps)``, so coordinates whose gradient is near
  rounding level can move by ``±lr`` in one variant and not the other.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/cnn_precision.py
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from influence_sdk import FineTuneRecipe, build_suite, load_model
from influence_sdk.estimators import fine_tune_row

ROWS = (0, 5, 17, 40, 77)


def main() -> None:
    classifier = load_model("fashion-cnn")
    items = build_suite("mnist_noise:k=3", 0).items
    probes = [item.probe() for item in items]
    images = torch.stack([item.image for item in items])
    labels = torch.tensor([item.label for item in items])
    base = classifier.score(probes)
    sdk = torch.stack(
        [fine_tune_row(classifier, [probes[i]], probes, base, FineTuneRecipe(), 0) for i in ROWS]
    )

    def scores(model: torch.nn.Module, single: bool, in_float64: bool) -> torch.Tensor:
        with torch.no_grad():
            chunks = images.split(1 if single else 32)
            logits = torch.cat([model(chunk) for chunk in chunks])
            logits = logits.double() if in_float64 else logits
            log_probs = torch.log_softmax(logits, -1)
            return log_probs.gather(-1, labels[:, None]).squeeze(-1).double()

    print(f"largest |entry| of the SDK rows: {float(sdk.abs().max()):.4g}")
    for single in (True, False):
        for in_float64 in (False, True):
            before = scores(classifier.module, single, in_float64)
            rows = []
            for i in ROWS:
                tuned = copy.deepcopy(classifier.module)
                optimizer = torch.optim.AdamW(tuned.parameters(), lr=1e-5, weight_decay=0.0)
                logits = tuned(images[i : i + 1])
                logits = logits.double() if in_float64 else logits
                F.cross_entropy(logits, labels[i : i + 1]).backward()
                optimizer.step()
                rows.append(scores(tuned, single, in_float64) - before)
            diff = (torch.stack(rows) - sdk).abs().max() / sdk.abs().max()
            print(
                f"probes {'one per forward' if single else 'batches of 32':<16} "
                f"loss+softmax {'float64' if in_float64 else 'float32'}: "
                f"max|M - M_sdk| / max|M_sdk| = {float(diff):.2e}"
            )


if __name__ == "__main__":
    main()
