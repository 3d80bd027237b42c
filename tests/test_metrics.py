"""Accuracy, standard errors and bootstrap intervals."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slmmux import metrics


def test_accuracy_standard_error_over_questions():
    correct = [True] * 284 + [False] * 216  # 56.8 % of 500, as Single-Best on MATH in Table 1
    mean, se = metrics.accuracy(correct)
    assert mean == pytest.approx(0.568)
    assert se == pytest.approx(math.sqrt(0.568 * 0.432 / 499))
    assert round(100 * se, 1) == 2.2  # the paper's +- 2.2


def test_mean_se_over_seeds():
    mean, se = metrics.mean_se([0.60, 0.62, 0.64])
    assert mean == pytest.approx(0.62)
    assert se == pytest.approx(0.02 / math.sqrt(3))
    mean, se = metrics.mean_se(pl.Series([0.5]))
    assert mean == 0.5 and math.isnan(se)


def test_bad_inputs():
    with pytest.raises(ValueError, match="empty"):
        metrics.mean_se([])
    with pytest.raises(ValueError, match="NaN"):
        metrics.mean_se([0.1, float("nan")])
    with pytest.raises(ValueError, match="0/1"):
        metrics.accuracy([0, 2])
    with pytest.raises(ValueError, match="level"):
        metrics.bootstrap_ci([1.0, 2.0], level=1.0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=2, max_size=30))
def test_mean_se_matches_numpy(values):
    mean, se = metrics.mean_se(values)
    arr = np.array(values)
    assert mean == pytest.approx(arr.mean())
    assert se == pytest.approx(arr.std(ddof=1) / math.sqrt(len(arr)), abs=1e-12)


def test_bootstrap_ci_is_reproducible_and_covers_the_mean():
    rng = np.random.default_rng(1)
    values = rng.random(200) < 0.7
    low, high = metrics.bootstrap_ci(values, n_boot=2000, seed=3)
    assert (low, high) == metrics.bootstrap_ci(values, n_boot=2000, seed=3)
    assert low < values.mean() < high
    _, se = metrics.accuracy(values)
    # a 95 % percentile interval spans about 2 x 1.96 standard errors
    assert (high - low) == pytest.approx(2 * 1.96 * se, rel=0.15)
    narrow = metrics.bootstrap_ci(values, n_boot=2000, level=0.5, seed=3)
    assert low < narrow[0] < narrow[1] < high
    assert metrics.bootstrap_ci([0.3, 0.3, 0.3], n_boot=50) == pytest.approx((0.3, 0.3))


def test_binomial_se_is_the_papers_error_over_questions():
    assert round(100 * metrics.binomial_se(0.568, 500), 1) == 2.2  # Table 1, Single-Best MATH
    assert round(100 * metrics.binomial_se(0.389, 198), 1) == 3.5  # Table 1, Single-Best GPQA
    assert metrics.binomial_se(1.0, 10) == 0.0 and math.isnan(metrics.binomial_se(0.5, 0))
    with pytest.raises(ValueError):
        metrics.binomial_se(1.5, 3)
