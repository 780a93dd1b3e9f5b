#!/usr/bin/env bash
# One-shot GPU measurement of the per-item cost of full fine-tuning (1 AdamW step + re-scoring
# 12 probes), for a machine with CUDA. Not run on the development machine (no GPU there).
#
#   bash benchmarks/gpu.sh [MODEL_FOLDER_OR_ALIAS] [DTYPE]
#
# MODEL defaults to the embedded SmolLM2-135M (no download is possible on the lent machines);
# pass the largest local model folder at hand. DTYPE defaults to bfloat16.
# Prints one JSON line: model, parameters, dtype, device, seconds per item (median of the
# rows after a warm-up row), peak GPU memory, and the weights+AdamW-state size for scale.
set -euo pipefail
MODEL="${1:-smollm2-135m}"
DTYPE="${2:-bfloat16}"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}"
"$PYTHON" - "$MODEL" "$DTYPE" <<'PY'
import json, statistics, sys, time

import torch

from influence_sdk import FineTuneRecipe, build_suite, load_model
from influence_sdk.estimators import fine_tune_row

name, dtype = sys.argv[1], sys.argv[2]
if not torch.cuda.is_available():
    sys.exit("no CUDA device: this script measures the GPU path only")
model = load_model(name, device="cuda", dtype=dtype)
probes = [item.probe() for item in build_suite("transitivity", 0).items]
recipe = FineTuneRecipe()
base = model.score(probes)
times = []
for k, probe in enumerate(probes):
    torch.cuda.synchronize()
    start = time.perf_counter()
    row = fine_tune_row(model, [probe], probes, base, recipe, seed=0)
    torch.cuda.synchronize()
    times.append(time.perf_counter() - start)
    assert torch.isfinite(row).all(), f"non-finite row {k}"
weights = sum(p.numel() * p.element_size() for p in model.model.parameters())
print(json.dumps({
    "model": name, "parameters": model.describe()["parameters"], "dtype": dtype,
    "device": torch.cuda.get_device_name(), "items": len(probes),
    "seconds_per_item_median": statistics.median(times[1:]), "first_item_s": times[0],
    "peak_gpu_mib": torch.cuda.max_memory_allocated() / 2**20,
    "weights_plus_adamw_state_mib": 3 * weights / 2**20,
}))
PY
