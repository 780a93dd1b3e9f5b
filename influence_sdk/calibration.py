"""Learning-rate calibration: sweep lr over a log grid and pick the plateau (PAPER.md §1).

Too small an lr gives ``M ≈ 0``: the entries sink into float rounding. Too large an lr leaves
the linear regime: the pattern of ``M`` changes from one lr to the next, or the loss diverges.
The rule, exactly (also in docs/performance.md, "Learning-rate calibration"):

1. For each lr of the grid and each seed, measure the influence matrix on the first ``items``
   items of the suite (rows) against all its items (columns).
2. *Size*: mean ``|M|`` off the diagonal, averaged over seeds; *seed spread*: the standard
   deviation of that mean over seeds divided by it.
3. *Rounding floor*: the largest change of a base score between scoring a probe alone and in a
   batch. An lr is *resolved* when its size is at least ``100 ×`` that floor (``1e-7`` minimum).
4. *Stability* of an lr: the mean over seeds of the Pearson correlation of its matrix with the
   matrix at each neighbouring lr of the grid; *stable* means ``≥ 0.9`` with every neighbour.
5. The plateau is the longest run of consecutive lrs that are finite, resolved and stable; the
   chosen lr is its middle (the lower middle for an even run). With no such lr the resolved,
   finite lr of highest stability is chosen and the result says ``plateau_found: false``.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from influence_sdk.errors import ConfigError, NumericalError
from influence_sdk.estimators import fine_tune_row
from influence_sdk.models.base import Model
from influence_sdk.recipe import FineTuneRecipe
from influence_sdk.suites import build_suite

logger = logging.getLogger(__name__)

RESOLVED_FACTOR = 100.0
STABLE_CORRELATION = 0.9


def log_grid(low: float, high: float, points: int) -> list[float]:
    """``points`` learning rates evenly spaced in log10 from ``low`` to ``high``."""
    if not 0 < low < high or points < 2:
        raise ConfigError(
            f"lr grid needs 0 < low < high and at least 2 points, got {low:g}, {high:g}, "
            f"{points}; e.g. --lr-min 1e-7 --lr-max 1e-3 --points 9"
        )
    step = (math.log10(high) - math.log10(low)) / (points - 1)
    return [10 ** (math.log10(low) + k * step) for k in range(points)]


def calibrate(
    model: Model,
    suite: str,
    lrs: Sequence[float],
    seeds: Sequence[int],
    recipe: FineTuneRecipe | None = None,
    items: int | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Sweep ``lrs`` and return the measurements and the chosen lr (see the module rule).

    Example:
        >>> grid = log_grid(1e-7, 1e-3, 9)
        >>> result = calibrate(load_model(), "transitivity", grid, [0, 1])  # doctest: +SKIP
        >>> result["lr"]  # doctest: +SKIP
    """
    recipe = recipe or FineTuneRecipe()
    matrices: dict[int, list[torch.Tensor | None]] = {seed: [] for seed in seeds}
    floor = 0.0
    for seed in seeds:
        probes = [item.probe() for item in build_suite(suite, seed).items]
        model.check(probes)
        base = model.score(probes)
        alone = torch.cat([model.score([probe]) for probe in probes])
        floor = max(floor, float((alone - base).abs().max()))
        trained = probes[: items or len(probes)]
        for lr in tqdm(lrs, desc=f"calibrate seed {seed}", disable=not progress):
            step = recipe.model_copy(update={"lr": lr})
            try:
                rows = [fine_tune_row(model, [t], probes, base, step, seed) for t in trained]
                matrices[seed].append(torch.stack(rows))
            except NumericalError:
                matrices[seed].append(None)  # diverged: too large an lr
    return choose(lrs, matrices, max(floor, 1e-7))


def choose(
    lrs: Sequence[float], matrices: dict[int, list[torch.Tensor | None]], floor: float
) -> dict[str, Any]:
    """Apply the plateau rule to measured matrices ``matrices[seed][k]`` (``None``: diverged)."""
    grid = []
    for k, lr in enumerate(lrs):
        per_seed = [m[k] for m in matrices.values()]
        finite = all(m is not None for m in per_seed)
        sizes = [_off_diagonal(m).abs().mean().item() for m in per_seed if m is not None]
        size = sum(sizes) / len(sizes) if sizes else math.nan
        spread = torch.tensor(sizes).std().item() / size if len(sizes) > 1 and size else math.nan
        diagonal = [m.diagonal().abs().mean().item() for m in per_seed if m is not None]
        neighbours = [j for j in (k - 1, k + 1) if 0 <= j < len(lrs)]
        stability = [_mean_correlation(matrices, k, j) for j in neighbours]
        grid.append(
            {
                "lr": lr,
                "finite": finite,
                "size_offdiag": size,
                "seed_spread": spread,
                "size_diag": sum(diagonal) / len(diagonal) if diagonal else math.nan,
                "stability": min(stability) if stability else math.nan,
                "resolved": finite and size >= RESOLVED_FACTOR * floor,
            }
        )
    for point in grid:
        point["on_plateau"] = point["resolved"] and point["stability"] >= STABLE_CORRELATION
    run = _longest_run([bool(p["on_plateau"]) for p in grid])
    if run:
        chosen = grid[run[(len(run) - 1) // 2]]["lr"]
    else:
        candidates = [p for p in grid if p["resolved"] and not math.isnan(p["stability"])]
        if not candidates:
            raise NumericalError(
                "no learning rate of the grid moved the scores above float rounding without "
                "diverging; widen the grid (--lr-min/--lr-max)"
            )
        chosen = max(candidates, key=lambda p: p["stability"])["lr"]
    return {
        "lr": chosen,
        "plateau_found": bool(run),
        "rounding_floor": floor,
        "rule": f"middle of the longest run with size >= {RESOLVED_FACTOR:g} x rounding floor "
        f"and neighbour correlation >= {STABLE_CORRELATION}",
        "grid": grid,
    }


def _off_diagonal(matrix: torch.Tensor) -> torch.Tensor:
    rows, columns = matrix.shape  # (trained items, probes); row k trained on probe k
    mask = torch.ones(rows, columns, dtype=torch.bool)
    mask[range(rows), range(rows)] = False
    return matrix[mask]


def _mean_correlation(matrices: dict[int, list[torch.Tensor | None]], k: int, j: int) -> float:
    values = []
    for per_lr in matrices.values():
        a, b = per_lr[k], per_lr[j]
        if a is None or b is None:
            return math.nan
        a, b = a.flatten() - a.mean(), b.flatten() - b.mean()
        norm = (a.norm() * b.norm()).item()
        values.append((a @ b).item() / norm if norm else math.nan)
    return sum(values) / len(values)


def _longest_run(flags: list[bool]) -> list[int]:
    best: list[int] = []
    current: list[int] = []
    for index, flag in enumerate(flags):
        current = [*current, index] if flag else []
        if len(current) > len(best):
            best = current
    return best


def write_calibration(result: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    """``calibration.json`` (the chosen lr and every measurement) and ``calibration.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    json_path, png_path = folder / "calibration.json", folder / "calibration.png"
    clean = json.loads(json.dumps(result, default=str).replace("NaN", "null"))
    json_path.write_text(json.dumps(clean, indent=1) + "\n", encoding="utf-8")

    grid = result["grid"]
    lrs = [p["lr"] for p in grid]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(6, 6), sharex=True, layout="constrained")
    top.errorbar(
        lrs,
        [p["size_offdiag"] for p in grid],
        yerr=[p["size_offdiag"] * (p["seed_spread"] or 0) for p in grid],
        marker="o",
        label="mean |M| off the diagonal (± seed spread)",
    )
    top.plot(lrs, [p["size_diag"] for p in grid], marker="s", label="mean |M| on the diagonal")
    top.axhline(
        RESOLVED_FACTOR * result["rounding_floor"],
        color="grey",
        linestyle="--",
        label=f"{RESOLVED_FACTOR:g} × rounding floor",
    )
    top.set(xscale="log", yscale="log", ylabel="influence size")
    top.legend(fontsize=8)
    bottom.plot(lrs, [p["stability"] for p in grid], marker="o")
    bottom.axhline(STABLE_CORRELATION, color="grey", linestyle="--")
    bottom.set(xscale="log", xlabel="learning rate", ylabel="correlation with neighbours")
    for axis in (top, bottom):
        axis.axvline(result["lr"], color="tab:red", label="chosen")
    figure.savefig(png_path, dpi=100)
    plt.close(figure)
    return json_path, png_path


def read_calibrated_lr(path: Path) -> float:
    """The chosen lr of a ``calibration.json`` (or of a folder holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / "calibration.json"
    try:
        lr = float(json.loads(path.read_text(encoding="utf-8"))["lr"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ConfigError(
            f"cannot read a learning rate from {path} ({type(err).__name__}); pass the "
            "calibration.json written by `influence-sdk calibrate`"
        ) from None
    return lr
