"""Statistics over seeds: the mean effect, a 95% t-interval and a one-sided t-test.

Each seed draws new invented words, so seeds are independent replicates. For a property that
expects the effect to exceed ``null`` (``expected = +1``) or fall below it (``-1``):

* ``holds``     — one-sided t-test in the expected direction, p < ``ALPHA``;
* ``violated``  — one-sided t-test in the opposite direction, p < ``ALPHA``;
* ``inconclusive`` — neither, or fewer than 2 seeds (no spread, no test).

The reported ``p_value`` is that of the expected direction. Undefined numbers are ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

ALPHA = 0.05


@dataclass(frozen=True)
class SeedSummary:
    verdict: str
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n_seeds: int


def summarize(effects: Sequence[float], expected: int, null: float = 0.0) -> SeedSummary:
    """Verdict, mean, 95% interval and p-value of per-seed ``effects`` (NaNs dropped)."""
    values = [v for v in effects if not math.isnan(v)]
    n = len(values)
    if n == 0:
        return SeedSummary("inconclusive", None, None, None, None, 0)
    mean = sum(values) / n
    if n < 2:
        return SeedSummary("inconclusive", mean, None, None, None, n)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    p_expected, p_opposite = _one_sided(mean - null, sd, n, expected)
    if p_expected < ALPHA:
        verdict = "holds"
    elif p_opposite < ALPHA:
        verdict = "violated"
    else:
        verdict = "inconclusive"
    return SeedSummary(verdict, mean, mean - half, mean + half, p_expected, n)


def _one_sided(shift: float, sd: float, n: int, expected: int) -> tuple[float, float]:
    """p-values of the t-test for ``expected·shift > 0`` and for the reverse."""
    if sd == 0:
        # No spread: the sign alone decides; zero shift supports neither direction.
        if shift == 0:
            return 1.0, 1.0
        return (0.0, 1.0) if shift * expected > 0 else (1.0, 0.0)
    t = expected * shift / (sd / math.sqrt(n))
    return float(stats.t.sf(t, n - 1)), float(stats.t.cdf(t, n - 1))
