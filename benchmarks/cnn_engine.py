"""Benchmark: a 900×900 influence matrix on the Fashion-MNIST CNN, full fine-tuning, 1 AdamW step.

Workload: ``mnist_noise:k=30`` (3 noise levels × 10 classes × 30 digits = 900 items), seed 0,
one AdamW step at lr 1e-5 (no weight decay), ``fashion-cnn`` as loaded by
``influence_sdk.load_model`` (the same module, weights and memory layout for every approach).

Approaches, each run in its own subprocess so each has its own peak RSS:

* ``naive`` (a1) per item: ``copy.deepcopy(model)``, fresh ``torch.optim.AdamW``, one step on
  the item's cross-entropy, then every probe scored one forward at a time (base scores once,
  also one at a time). With ``--naive-rows N`` only N rows, drawn at random with seed 0, are
  fine-tuned and scored; the time of all 900 rows is extrapolated as
  ``base-score time + 900 × mean row time`` and only those rows' values are compared;
* ``sdk``   (b)  ``influence_sdk.Analyzer(...).evaluate()``: probe checks, base scores, 900
  rows, every property, the report;
* ``floor`` (c)  only the unavoidable work, each part as fast as torch allows: one
  forward+backward on the item, the closed-form first AdamW step written into a second weight
  buffer (in the weights' own layout), one forward over all 900 probes (stacked once, in
  chunks of 32 under ``inference_mode``, the fastest chunk size measured), nothing else.

Usage (the numbers in docs/performance.md)::

    OMP_NUM_THREADS=1 python benchmarks/cnn_engine.py --repeats 3 --naive-rows 45 \\
        --output runs/bench-cnn.json

Timings exclude imports, the model load and drawing the suite (the same for every approach)
and include the base scores. Ratios are taken within one repeat (the approaches of a repeat run
back to back) and the median over repeats is reported, because the machine is shared.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

SUITE, SEED, LR = "mnist_noise:k=30", 0, 1e-5
APPROACHES = ("sdk", "floor", "naive")
FLOOR_CHUNK = 32


def rss_mib() -> float:
    """Peak resident set size of this process so far, MiB.

    Read from ``VmHWM``, which starts afresh at ``exec``; ``getrusage``'s ``ru_maxrss`` is
    carried over from the forking parent, which holds every earlier run's matrix.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load():
    """The classifier, the suite's stacked images and labels (setup, not timed)."""
    from influence_sdk import build_suite, load_model

    classifier = load_model("fashion-cnn")
    items = build_suite(SUITE, SEED).items
    images = torch.stack([item.image for item in items])
    labels = torch.tensor([item.label for item in items])
    return classifier, images, labels


def naive_rows(count: int, subset: int | None) -> list[int]:
    if subset is None or subset >= count:
        return list(range(count))
    chosen = torch.randperm(count, generator=torch.Generator().manual_seed(0))[:subset]
    return sorted(chosen.tolist())


def score_one(model: torch.nn.Module, image: torch.Tensor, label: torch.Tensor) -> float:
    """log p(label | image) of one image: minus its cross-entropy."""
    with torch.no_grad():
        return -float(F.cross_entropy(model(image.unsqueeze(0)), label.unsqueeze(0)))


def run_naive(subset: int | None) -> dict:
    classifier, images, labels = load()
    model = classifier.module
    n = len(labels)
    rows = naive_rows(n, subset)
    start = time.perf_counter()
    base = torch.tensor([score_one(model, images[j], labels[j]) for j in range(n)])
    base_seconds = time.perf_counter() - start
    matrix = []
    for i in rows:
        tuned = copy.deepcopy(model)
        optimizer = torch.optim.AdamW(tuned.parameters(), lr=LR, weight_decay=0.0)
        F.cross_entropy(tuned(images[i : i + 1]), labels[i : i + 1]).backward()
        optimizer.step()
        tuned.eval()
        after = torch.tensor([score_one(tuned, images[j], labels[j]) for j in range(n)])
        matrix.append((after.double() - base.double()).tolist())
        del tuned, optimizer
    seconds = time.perf_counter() - start
    row_seconds = (seconds - base_seconds) / len(rows)
    return {
        "seconds": base_seconds + n * row_seconds,  # measured when every row ran
        "measured_seconds": seconds,
        "base_seconds": base_seconds,
        "row_seconds": row_seconds,
        "rows": rows,
        "extrapolated": len(rows) < n,
        "matrix": matrix,
    }


def run_sdk() -> dict:
    from influence_sdk import Analyzer, FineTuneRecipe

    classifier, _, _ = load()
    start = time.perf_counter()
    report = Analyzer(
        classifier, suites=[SUITE], seeds=[SEED], recipe=FineTuneRecipe(lr=LR), progress=False
    ).evaluate()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "matrix": report.influence_matrices()[0].values.tolist()}


def run_floor() -> dict:
    classifier, images, labels = load()
    model = classifier.module
    params = list(model.parameters())
    base_data = [p.data for p in params]
    work = [torch.empty_like(p, memory_format=torch.preserve_format) for p in params]
    start = time.perf_counter()

    def probe_scores() -> torch.Tensor:
        with torch.inference_mode():
            scores = [
                torch.log_softmax(model(chunk), -1).gather(-1, label.unsqueeze(-1)).squeeze(-1)
                for chunk, label in zip(
                    images.split(FLOOR_CHUNK), labels.split(FLOOR_CHUNK), strict=True
                )
            ]
            return torch.cat(scores).double()

    base = probe_scores()
    rows = []
    for k in range(len(labels)):
        F.cross_entropy(model(images[k : k + 1]), labels[k : k + 1]).backward()
        with torch.no_grad():  # first AdamW step from zero state: θ − lr·g/(|g| + eps)
            for p, b, w in zip(params, base_data, work, strict=True):
                torch.addcdiv(b, p.grad, p.grad.abs().add_(1e-8), value=-LR, out=w)
                p.grad = None
                p.data = w
        rows.append(probe_scores() - base)
        for p, b in zip(params, base_data, strict=True):
            p.data = b
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "matrix": torch.stack(rows).tolist()}


def child(approach: str, out: Path, subset: int | None) -> None:
    torch.manual_seed(0)
    before = rss_mib()
    runner = {"sdk": run_sdk, "floor": run_floor, "naive": lambda: run_naive(subset)}[approach]
    result = runner()
    result.update(
        approach=approach,
        peak_rss_mib=rss_mib(),
        rss_after_imports_mib=before,
        threads=torch.get_num_threads(),
    )
    out.write_text(json.dumps(result))


def main() -> None:
    global SUITE
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--approaches", nargs="+", default=list(APPROACHES), choices=APPROACHES)
    parser.add_argument("--naive-rows", type=int, default=None, help="rows of (a1) to run")
    parser.add_argument("--suite", default=SUITE, help="smaller suites for a smoke test")
    parser.add_argument("--output", type=Path, default=Path("runs/bench-cnn.json"))
    parser.add_argument("--child", choices=APPROACHES, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    SUITE = args.suite
    if args.child:
        child(args.child, args.child_out, args.naive_rows)
        return
    runs = []
    for repeat in range(args.repeats):
        for approach in args.approaches:
            with tempfile.NamedTemporaryFile(suffix=".json") as handle:
                command = [sys.executable, __file__, "--child", approach]
                command += ["--child-out", handle.name, "--suite", args.suite]
                if args.naive_rows is not None:
                    command += ["--naive-rows", str(args.naive_rows)]
                subprocess.run(command, check=True)
                run = json.loads(Path(handle.name).read_text())
            run["repeat"] = repeat
            runs.append(run)
            print(
                f"repeat {repeat} {approach:<6} {run['seconds']:8.2f} s"
                f"{' (extrapolated)' if run.get('extrapolated') else ''}  "
                f"peak RSS {run['peak_rss_mib']:6.0f} MiB",
                flush=True,
            )
    summary = summarize(runs)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"summary": summary, "runs": runs}))
    print(json.dumps(summary, indent=1))


def summarize(runs: list[dict]) -> dict:
    """Median per-repeat ratios, peak memory, and agreement of every matrix with the SDK's."""
    by = {(r["repeat"], r["approach"]): r for r in runs}
    repeats = sorted({r["repeat"] for r in runs})
    summary: dict = {"threads": runs[0]["threads"]}

    def ratio(a: str, b: str) -> float | None:
        values = [
            by[r, a]["seconds"] / by[r, b]["seconds"]
            for r in repeats
            if (r, a) in by and (r, b) in by
        ]
        return round(statistics.median(values), 2) if values else None

    summary["naive/sdk"] = ratio("naive", "sdk")
    summary["sdk/floor"] = ratio("sdk", "floor")
    for r in runs:
        entry = summary.setdefault(r["approach"], {"seconds": []})
        entry["seconds"].append(round(r["seconds"], 2))
        entry["median_seconds"] = round(statistics.median(entry["seconds"]), 2)
        entry["peak_rss_mib"] = round(max(entry.get("peak_rss_mib", 0), r["peak_rss_mib"]))
        entry["rss_after_imports_mib"] = round(r["rss_after_imports_mib"])
        if "rows" in r:
            entry["rows_run"] = len(r["rows"])
            entry["measured_seconds"] = round(r["measured_seconds"], 2)
        if (r["repeat"], "sdk") in by:
            sdk = torch.tensor(by[r["repeat"], "sdk"]["matrix"], dtype=torch.float64)
            rows = r.get("rows", list(range(len(sdk))))
            diff = (torch.tensor(r["matrix"], dtype=torch.float64) - sdk[rows]).abs().max()
            relative = float(diff / sdk.abs().max())
            entry["max_rel_diff_to_sdk"] = max(entry.get("max_rel_diff_to_sdk", 0.0), relative)
            summary["sdk_max_abs_entry"] = float(sdk.abs().max())
    return summary


if __name__ == "__main__":
    main()
