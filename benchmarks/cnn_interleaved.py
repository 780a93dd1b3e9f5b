"""Same-process, interleaved check of (b) against (c) for the CNN benchmark: 12 rows each.

The separate-process benchmark runs the approaches one after another, so a load change on a
shared machine shifts their ratio; here an SDK row and a floor row alternate.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/cnn_interleaved.py
"""

import time

import torch
import torch.nn.functional as F

from influence_sdk import FineTuneRecipe, build_suite, load_model
from influence_sdk.estimators import fine_tune_row

cnn = load_model("fashion-cnn")
model = cnn.module
items = build_suite("mnist_noise:k=30", 0).items
probes = [it.probe() for it in items]
images = torch.stack([it.image for it in items])
labels = torch.tensor([it.label for it in items])
base = cnn.score(probes)
params = list(model.parameters())
base_data = [p.data for p in params]
work = [torch.empty_like(p, memory_format=torch.preserve_format) for p in params]


def probe_scores(mode):
    with mode():
        return torch.cat(
            [
                torch.log_softmax(model(c), -1).gather(-1, lab.unsqueeze(-1)).squeeze(-1)
                for c, lab in zip(images.split(32), labels.split(32), strict=True)
            ]
        ).double()


def floor_row(k, mode):
    F.cross_entropy(model(images[k : k + 1]), labels[k : k + 1]).backward()
    with torch.no_grad():
        for p, b, w in zip(params, base_data, work, strict=True):
            torch.addcdiv(b, p.grad, p.grad.abs().add_(1e-8), value=-1e-5, out=w)
            p.grad = None
            p.data = w
    r = probe_scores(mode)
    for p, b in zip(params, base_data, strict=True):
        p.data = b
    return r


t = {"sdk": 0, "floor_inf": 0, "floor_nograd": 0}
for k in range(12):
    s = time.perf_counter()
    fine_tune_row(cnn, [probes[k]], probes, base, FineTuneRecipe(), 0)
    t["sdk"] += time.perf_counter() - s
    s = time.perf_counter()
    floor_row(k, torch.inference_mode)
    t["floor_inf"] += time.perf_counter() - s
    s = time.perf_counter()
    floor_row(k, torch.no_grad)
    t["floor_nograd"] += time.perf_counter() - s
print({k: round(v / 12 * 1e3, 1) for k, v in t.items()}, "ms/row")
