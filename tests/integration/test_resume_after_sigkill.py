"""A real ``influence-sdk evaluate`` process, killed with SIGKILL five times, resumes exactly.

The run uses the tiny random Llama saved as a model folder, so each process spends its time in
fine-tuning rather than loading. Each unit (base scores or one matrix row) is written exactly
once: this is checked from the file system itself (inode and modification time of every unit
file), independently of the counters the SDK logs.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX only"),
]

SEEDS = 2
ITEMS = 12  # the transitivity suite
UNITS = SEEDS * (1 + ITEMS)  # per seed: base scores + one row per item
KILLS = 5
UNITS_LINE = re.compile(r"units: (\d+) computed, (\d+) loaded")


def command(model: Path, output: Path) -> list[str]:
    script = Path(sys.executable).parent / "influence-sdk"
    entry = [str(script)] if script.exists() else [sys.executable, "-m", "influence_sdk.cli"]
    return entry + [
        "evaluate", "--model", str(model), "--suite", "transitivity", "--seeds", str(SEEDS),
        "--steps", "4", "--property", "memorization", "--property", "transitivity",
        "--output", str(output),
    ]  # fmt: skip


def environment() -> dict[str, str]:
    return {
        **os.environ,
        "OMP_NUM_THREADS": "1",  # identical threading in every process: identical numbers
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }


def unit_files(output: Path) -> dict[str, tuple[int, int]]:
    """Every finished unit file: relative path -> (inode, mtime_ns)."""
    units = output / "units"
    if not units.exists():
        return {}
    found = {}
    for path in units.rglob("*.json"):
        if path.name == "base.json" or path.name.startswith("row-"):
            stat = path.stat()
            found[str(path.relative_to(output))] = (stat.st_ino, stat.st_mtime_ns)
    return found


def start(model: Path, output: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command(model, output), env=environment(), stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


def run_to_end(model: Path, output: Path, log: Path) -> tuple[int, int]:
    """Run to completion; return the (computed, loaded) unit counts the run logged."""
    process = start(model, output, log)
    assert process.wait(timeout=600) == 0, log.read_text(errors="replace")[-3000:]
    counts = UNITS_LINE.findall(log.read_text(errors="replace"))
    assert len(counts) == 1, "the run logs its unit counts once"
    return int(counts[0][0]), int(counts[0][1])


def assert_units_whole(output: Path) -> None:
    """Every visible unit file is complete JSON of the right shape (never half-written)."""
    for relative in unit_files(output):
        value = json.loads((output / relative).read_text(encoding="utf-8"))
        if relative.endswith("base.json"):
            assert len(value["scores"]) == ITEMS
        else:
            assert len(value["values"]) == ITEMS and isinstance(value["item"], str)


def kill_after_new_units(
    model: Path, output: Path, log: Path, new_units: int, delay: float
) -> set[str]:
    """Start a run, SIGKILL it ``delay`` s after it finished ``new_units`` more units."""
    before = unit_files(output)
    process = start(model, output, log)
    deadline = time.monotonic() + 600
    while len(unit_files(output)) < len(before) + new_units:
        assert process.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.005)
    time.sleep(delay)
    assert process.poll() is None, "the run finished before the kill; raise UNITS"
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL

    after = unit_files(output)
    for relative, identity in before.items():  # a finished unit is never written again
        assert after[relative] == identity, f"{relative} was recomputed"
    assert not (output / "report.json").exists(), "a killed run left a report"
    assert not (output / "report.md").exists()
    assert_units_whole(output)
    return set(after) - set(before)


def test_run_killed_five_times_resumes_to_the_uninterrupted_report(tiny_lm_folder, tmp_path):
    reference = tmp_path / "uninterrupted"
    start_time = time.monotonic()
    assert run_to_end(tiny_lm_folder, reference, tmp_path / "reference.log") == (UNITS, 0)
    unit_time = (time.monotonic() - start_time) / UNITS  # an upper bound, startup included
    assert len(unit_files(reference)) == UNITS

    rng = random.Random(20240605)
    resumed = tmp_path / "resumed"
    computed_by_process: list[set[str]] = []
    for kill in range(KILLS):
        new_units = rng.randint(1, 3)
        delay = rng.uniform(0.0, min(unit_time, 0.2))  # somewhere inside the next unit
        log = tmp_path / f"killed-{kill}.log"
        computed = kill_after_new_units(tiny_lm_folder, resumed, log, new_units, delay)
        assert len(computed) >= new_units
        computed_by_process.append(computed)

    before_last = unit_files(resumed)
    computed, loaded = run_to_end(tiny_lm_folder, resumed, tmp_path / "final.log")
    final_new = set(unit_files(resumed)) - set(before_last)
    computed_by_process.append(final_new)

    # Each unit was computed by exactly one process, and each process computed at least the
    # units it was waited for; the final run reports the same counts the file system shows.
    assert (computed, loaded) == (len(final_new), len(before_last))
    assert sum(len(units) for units in computed_by_process) == UNITS
    assert set().union(*computed_by_process) == set(unit_files(reference))
    for relative, identity in before_last.items():
        assert unit_files(resumed)[relative] == identity, f"{relative} was recomputed"

    assert (resumed / "report.json").read_bytes() == (reference / "report.json").read_bytes()
    assert (resumed / "report.md").read_bytes() == (reference / "report.md").read_bytes()
    assert not list(resumed.rglob(".*.tmp")), "temporary files of killed runs were left behind"
    shutil.rmtree(resumed)  # the tiny model's files stay in the session folder
