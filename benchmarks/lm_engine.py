"""Benchmark: a 12×12 influence matrix on SmolLM2-135M, full fine-tuning, one AdamW step.

Approaches, each run in its own subprocess so each has its own peak RSS:

* ``naive``   (a1) per item: ``copy.deepcopy(model)``, fresh ``torch.optim.AdamW``, one step,
  then every probe scored one forward at a time (base scores once, also one at a time);
* ``trainer`` (a2) as ``naive``, but the step is taken by ``transformers.Trainer``;
* ``sdk``     (b)  ``influence_sdk.Analyzer(...).evaluate()`` on the same suite, seed and recipe;
* ``floor``   (c)  only the unavoidable work, each part as fast as torch allows: one
  forward+backward on the item, the closed-form first AdamW step written into a second weight
  buffer, one batched forward over all probes (tokenized once), nothing else.

Usage (the numbers in docs/performance.md)::

    OMP_NUM_THREADS=1 python benchmarks/lm_engine.py --repeats 3 --output runs/bench-lm.json

Timings exclude imports and the model load (the same for every approach) and include the base
scores. Ratios are taken within one repeat (the approaches of a repeat run back to back) and
the median over repeats is reported, because the machine is shared.
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
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402

SUITE, SEED, LR = "transitivity", 0, 1e-5
APPROACHES = ("sdk", "floor", "naive", "trainer")


def rss_mib() -> float:
    """Peak resident set size of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def texts() -> list[str]:
    from influence_sdk import build_suite

    return [item.text for item in build_suite(SUITE, SEED).items]


WEIGHT_BYTES: list[int] = []


def load():
    from influence_sdk import load_model

    lm = load_model()
    WEIGHT_BYTES.append(sum(p.numel() * p.element_size() for p in lm.model.parameters()))
    return lm


def score_one(model, tokenizer, text: str) -> float:
    """Mean log-prob of tokens 1..n-1 of ``text``: minus the standard causal-LM loss."""
    ids = tokenizer(text, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        return -float(model(input_ids=ids, labels=ids).loss)


def run_naive(trainer: bool) -> tuple[torch.Tensor, float]:
    lm = load()
    model, tokenizer = lm.model, lm.tokenizer
    items = texts()
    start = time.perf_counter()
    base = torch.tensor([score_one(model, tokenizer, t) for t in items], dtype=torch.float64)
    rows = []
    for text in items:
        tuned = copy.deepcopy(model)
        if trainer:
            trainer_step(tuned, tokenizer, text)
        else:
            optimizer = torch.optim.AdamW(tuned.parameters(), lr=LR, weight_decay=0.0)
            ids = tokenizer(text, return_tensors="pt")["input_ids"]
            tuned(input_ids=ids, labels=ids).loss.backward()
            optimizer.step()
        tuned.eval()
        after = torch.tensor([score_one(tuned, tokenizer, t) for t in items], dtype=torch.float64)
        rows.append(after - base)
        del tuned
    return torch.stack(rows), time.perf_counter() - start


def trainer_step(model, tokenizer, text: str) -> None:
    from transformers import Trainer, TrainingArguments

    ids = tokenizer(text)["input_ids"]
    with tempfile.TemporaryDirectory() as folder:
        args = TrainingArguments(
            output_dir=folder,
            per_device_train_batch_size=1,
            max_steps=1,
            learning_rate=LR,
            weight_decay=0.0,
            lr_scheduler_type="constant",
            warmup_steps=0,
            max_grad_norm=0.0,
            optim="adamw_torch",
            report_to=[],
            save_strategy="no",
            logging_strategy="no",
            eval_strategy="no",
            disable_tqdm=True,
            use_cpu=True,
            dataloader_num_workers=0,
        )
        dataset = [{"input_ids": ids, "labels": ids}]
        Trainer(model=model, args=args, train_dataset=dataset).train()


def run_sdk() -> tuple[torch.Tensor, float]:
    from influence_sdk import Analyzer, FineTuneRecipe

    lm = load()
    start = time.perf_counter()
    report = Analyzer(
        lm, suites=[SUITE], seeds=[SEED], recipe=FineTuneRecipe(lr=LR), progress=False
    ).evaluate()
    seconds = time.perf_counter() - start
    return report.influence_matrices()[0].values, seconds


def run_floor() -> tuple[torch.Tensor, float]:
    lm = load()
    model, tokenizer = lm.model, lm.tokenizer
    items = texts()
    start = time.perf_counter()
    encoded = [tokenizer(t)["input_ids"] for t in items]
    width = max(len(e) for e in encoded)
    ids = torch.full((len(items), width), tokenizer.pad_token_id or 0)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    for row, e in enumerate(encoded):
        ids[row, : len(e)], mask[row, : len(e)] = torch.tensor(e), 1
    targets, scored = ids[:, 1:], mask[:, 1:].bool()

    def probe_scores() -> torch.Tensor:
        with torch.inference_mode():
            logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]
            token = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1) - logits.logsumexp(-1)
            return ((token * scored).sum(-1) / scored.sum(-1)).double()

    params = list(model.parameters())
    base_data = [p.data for p in params]
    work = [torch.empty_like(p) for p in params]
    base = probe_scores()
    rows = []
    for k in range(len(items)):
        item = ids[k : k + 1, : len(encoded[k])]
        model(input_ids=item, labels=item).loss.backward()
        with torch.no_grad():  # first AdamW step from zero state: θ − lr·g/(|g| + eps)
            for p, b, w in zip(params, base_data, work, strict=True):
                torch.addcdiv(b, p.grad, p.grad.abs().add_(1e-8), value=-LR, out=w)
                p.grad = None
                p.data = w
        rows.append(probe_scores() - base)
        for p, b in zip(params, base_data, strict=True):
            p.data = b
    return torch.stack(rows), time.perf_counter() - start


def child(approach: str, out: Path) -> None:
    torch.manual_seed(0)
    before = rss_mib()
    runner = {
        "sdk": run_sdk,
        "floor": run_floor,
        "naive": lambda: run_naive(False),
        "trainer": lambda: run_naive(True),
    }[approach]
    matrix, seconds = runner()
    out.write_text(
        json.dumps(
            {
                "approach": approach,
                "seconds": seconds,
                "peak_rss_mib": rss_mib(),
                "rss_after_imports_mib": before,
                "weights_mib": WEIGHT_BYTES[0] / 2**20,
                "matrix": matrix.tolist(),
                "threads": torch.get_num_threads(),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--approaches", nargs="+", default=list(APPROACHES), choices=APPROACHES)
    parser.add_argument("--output", type=Path, default=Path("runs/bench-lm.json"))
    parser.add_argument("--child", choices=APPROACHES, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.child_out)
        return
    runs = []
    for repeat in range(args.repeats):
        for approach in args.approaches:
            with tempfile.NamedTemporaryFile(suffix=".json") as handle:
                subprocess.run(
                    [sys.executable, __file__, "--child", approach, "--child-out", handle.name],
                    check=True,
                )
                run = json.loads(Path(handle.name).read_text())
            run["repeat"] = repeat
            runs.append(run)
            print(
                f"repeat {repeat} {approach:<8} {run['seconds']:8.2f} s  "
                f"peak RSS {run['peak_rss_mib']:7.0f} MiB",
                flush=True,
            )
    summary = summarize(runs)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"summary": summary, "runs": runs}, indent=1))
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
        return statistics.median(values) if values else None

    summary["naive/sdk"] = ratio("naive", "sdk")
    summary["trainer/sdk"] = ratio("trainer", "sdk")
    summary["sdk/floor"] = ratio("sdk", "floor")
    for r in runs:
        name = r["approach"]
        entry = summary.setdefault(name, {"seconds": []})
        entry["seconds"].append(round(r["seconds"], 2))
        entry["peak_rss_mib"] = round(max(entry.get("peak_rss_mib", 0), r["peak_rss_mib"]))
        entry["rss_after_imports_mib"] = round(r["rss_after_imports_mib"])
        if (r["repeat"], "sdk") in by:
            sdk = torch.tensor(by[r["repeat"], "sdk"]["matrix"])
            diff = (torch.tensor(r["matrix"]) - sdk).abs().max() / sdk.abs().max()
            entry["max_rel_diff_to_sdk"] = max(entry.get("max_rel_diff_to_sdk", 0), float(diff))
    weights = runs[0]["weights_mib"]
    summary["weights_mib"] = round(weights)
    summary["weights_plus_adamw_state_mib"] = round(3 * weights)
    return summary


if __name__ == "__main__":
    main()
