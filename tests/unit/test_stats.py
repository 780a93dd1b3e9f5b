"""Verdicts over seeds: mean, 95% t-interval and one-sided t-test, against scipy's own."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from influence_sdk.properties.stats import ALPHA, summarize

SAMPLES = [
    [0.3, 0.5, 0.2, 0.4],
    [0.01, -0.02, 0.015, 0.0, 0.005],
    [-1.0, -2.5, -0.5],
    [2.0, -1.0],
    [1e-4, 3e-4, 2e-4, 5e-5, 1.5e-4, 2.5e-4, 1e-4, 3e-4, 2e-4, 1e-4],
]


@pytest.mark.parametrize("values", SAMPLES)
@pytest.mark.parametrize("expected", [1, -1])
@pytest.mark.parametrize("null", [0.0, 0.1])
def test_interval_and_p_value_match_scipy(values, expected, null):
    summary = summarize(values, expected, null)

    alternative = "greater" if expected == 1 else "less"
    test = stats.ttest_1samp(values, popmean=null, alternative=alternative)
    low, high = stats.t.interval(
        0.95, len(values) - 1, loc=sum(values) / len(values), scale=stats.sem(values)
    )
    assert summary.n_seeds == len(values)
    assert summary.effect == pytest.approx(sum(values) / len(values), rel=1e-12)
    assert summary.p_value == pytest.approx(test.pvalue, rel=1e-9)
    assert summary.ci_low == pytest.approx(low, rel=1e-9)
    assert summary.ci_high == pytest.approx(high, rel=1e-9)


@pytest.mark.parametrize("values", SAMPLES)
@pytest.mark.parametrize("expected", [1, -1])
def test_verdict_follows_the_two_one_sided_tests(values, expected):
    summary = summarize(values, expected)

    toward = "greater" if expected == 1 else "less"
    away = "less" if expected == 1 else "greater"
    p_toward = stats.ttest_1samp(values, 0.0, alternative=toward).pvalue
    p_away = stats.ttest_1samp(values, 0.0, alternative=away).pvalue
    if p_toward < ALPHA:
        assert summary.verdict == "holds"
    elif p_away < ALPHA:
        assert summary.verdict == "violated"
    else:
        assert summary.verdict == "inconclusive"


def test_alpha_is_five_percent():
    assert ALPHA == 0.05


def test_clear_effects_give_clear_verdicts():
    assert summarize([0.3, 0.5, 0.2, 0.4], expected=1).verdict == "holds"
    assert summarize([0.3, 0.5, 0.2, 0.4], expected=-1).verdict == "violated"
    assert summarize([-1.0, -1.2, -0.9], expected=-1).verdict == "holds"
    assert summarize([2.0, -1.0], expected=1).verdict == "inconclusive"


def test_null_shifts_the_test():
    # The same values are above 0 but below 0.5.
    assert summarize([0.3, 0.35, 0.25, 0.3], expected=1, null=0.0).verdict == "holds"
    assert summarize([0.3, 0.35, 0.25, 0.3], expected=1, null=0.5).verdict == "violated"


def test_one_seed_is_inconclusive_without_interval_or_test():
    summary = summarize([0.7], expected=1)
    assert summary.verdict == "inconclusive"
    assert summary.effect == 0.7
    assert (summary.ci_low, summary.ci_high, summary.p_value) == (None, None, None)
    assert summary.n_seeds == 1


def test_no_usable_seed_is_inconclusive_with_nothing_to_report():
    for values in ([], [math.nan, math.nan]):
        summary = summarize(values, expected=1)
        assert summary.verdict == "inconclusive"
        assert summary.effect is None and summary.p_value is None
        assert summary.n_seeds == 0


def test_nan_seeds_are_dropped_before_testing():
    with_nan = summarize([0.3, math.nan, 0.5, 0.2, 0.4], expected=1)
    without = summarize([0.3, 0.5, 0.2, 0.4], expected=1)
    assert with_nan == without


@pytest.mark.parametrize(
    ("values", "expected", "verdict", "p_value"),
    [
        ([0.25, 0.25, 0.25], 1, "holds", 0.0),
        ([0.25, 0.25, 0.25], -1, "violated", 1.0),
        ([-0.125, -0.125], -1, "holds", 0.0),
        ([0.0, 0.0, 0.0], 1, "inconclusive", 1.0),
    ],
)
# Values exactly representable in binary, so the mean has no rounding and the spread is 0.
def test_zero_variance_is_decided_by_the_sign_alone(values, expected, verdict, p_value):
    summary = summarize(values, expected)
    assert summary.verdict == verdict
    assert summary.p_value == p_value
    assert summary.ci_low == summary.ci_high == values[0]  # no spread: a zero-width interval
