"""The lr calibration rule, on hand-made matrices and on a tiny model."""

from __future__ import annotations

import json
import math

import pytest
import torch

from influence_sdk import ConfigError, FineTuneRecipe
from influence_sdk.calibration import (
    calibrate,
    choose,
    log_grid,
    read_calibrated_lr,
    write_calibration,
)

PATTERN = torch.tensor([[1.0, 0.5, -0.2], [0.3, 2.0, 0.1], [-0.4, 0.2, 1.5]])


def test_log_grid_is_evenly_spaced_in_log10():
    assert log_grid(1e-6, 1e-3, 4) == pytest.approx([1e-6, 1e-5, 1e-4, 1e-3])


def test_log_grid_refuses_reversed_bounds():
    with pytest.raises(ConfigError, match="0 < low < high"):
        log_grid(1e-3, 1e-6, 4)


def test_plateau_is_the_middle_of_the_stable_resolved_run():
    noise = torch.tensor([[0.0, 1.0, -1.0], [1.0, 0.0, 1.0], [-1.0, -1.0, 0.0]])
    other = torch.tensor([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [1.0, 1.0, 0.0]])
    # lr 1: below 100 x floor; lrs 2-4: the same pattern scaled; lr 5: a different pattern.
    per_lr = [PATTERN * 1e-9, PATTERN * 1e-3, PATTERN * 1e-2, PATTERN * 1e-1, noise + other]
    result = choose([1, 2, 3, 4, 5], {0: per_lr, 1: per_lr}, floor=1e-7)

    flags = [p["on_plateau"] for p in result["grid"]]
    assert flags == [False, True, True, False, False]  # lr 4 correlates badly with lr 5
    assert result["lr"] == 2 and result["plateau_found"]
    assert result["grid"][2]["size_offdiag"] == pytest.approx(
        1e-2 * (0.5 + 0.2 + 0.3 + 0.1 + 0.4 + 0.2) / 6
    )


def test_diverged_lr_is_never_chosen():
    per_lr = [PATTERN * 1e-2, PATTERN * 1e-1, None]
    result = choose([1, 2, 3], {0: per_lr}, floor=1e-7)
    assert result["grid"][2]["finite"] is False
    assert result["lr"] == 1  # lr 2 neighbours a diverged lr, so it is not stable


def test_calibration_on_a_tiny_model_writes_json_and_png(tiny_lm, tmp_path):
    grid = log_grid(1e-4, 1e-1, 4)
    result = calibrate(
        tiny_lm, "transitivity", grid, [0, 1], FineTuneRecipe(optimizer="sgd"), items=2
    )
    json_path, png_path = write_calibration(result, tmp_path)

    assert result["lr"] in grid
    saved = json.loads(json_path.read_text())
    assert saved["lr"] == result["lr"] and len(saved["grid"]) == 4
    assert png_path.read_bytes()[:4] == b"\x89PNG"
    assert read_calibrated_lr(tmp_path) == result["lr"]
    assert all(math.isfinite(p["size_offdiag"]) for p in result["grid"])


def test_reading_a_file_without_lr_names_the_fix(tmp_path):
    path = tmp_path / "calibration.json"
    path.write_text("{}")
    with pytest.raises(ConfigError, match="calibration.json written by"):
        read_calibrated_lr(path)
