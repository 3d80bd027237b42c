"""Accuracy and its uncertainty, as the paper reports it (mean +- standard error, paper §4).

Two different errors appear in the paper's tables and this module names them apart:

- :func:`binomial_se` gives the standard error **over questions** as the paper computes it,
  ``sqrt(p (1 - p) / n)``: the error of the single-model and discussion rows of Table 1 (e.g.
  56.8 +- 2.2 on 500 MATH questions). :func:`accuracy` is the sample-sd form of the same
  (``sqrt(p (1 - p) / (n - 1))`` for a 0/1 vector).
- :func:`mean_se` gives the standard error **over seeds or trials**: the spread of whole-run
  accuracies, ``sd(values, ddof=1) / sqrt(n_runs)``. It is the error of the SLM-MUX rows and of the
  Monte Carlo scaling sweeps.

Both are NaN when there is a single value (a standard error needs two). :func:`bootstrap_ci` gives a
percentile bootstrap interval of the mean, for either kind of values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import polars as pl


def _as_array(values: Iterable[float] | np.ndarray | pl.Series, what: str) -> np.ndarray:
    if isinstance(values, pl.Series):
        if values.null_count():
            raise ValueError(f"{what} contains {values.null_count()} null value(s)")
        arr = values.to_numpy()
    else:
        arr = np.asarray(list(values) if not isinstance(values, np.ndarray) else values)
    arr = arr.astype(float).ravel()
    if arr.size == 0:
        raise ValueError(f"{what} is empty")
    if np.isnan(arr).any():
        raise ValueError(f"{what} contains NaN")
    return arr


def mean_se(values: Iterable[float] | np.ndarray | pl.Series) -> tuple[float, float]:
    """Mean and standard error of the mean over runs (seeds or Monte Carlo trials).

    ``se = sd(values, ddof=1) / sqrt(n)``; NaN when ``n == 1``. Raises ``ValueError`` when empty.
    """
    arr = _as_array(values, "values")
    n = arr.size
    mean = float(arr.mean())
    if n < 2:
        return mean, math.nan
    return mean, float(arr.std(ddof=1) / math.sqrt(n))


def binomial_se(p: float, n: int) -> float:
    """The paper's standard error over questions of an accuracy ``p`` on ``n`` questions:
    ``sqrt(p (1 - p) / n)`` (e.g. 2.2 points at 56.8% on 500 questions). NaN when ``n < 1``."""
    if n < 1:
        return math.nan
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"an accuracy lies in [0, 1], got {p}")
    return math.sqrt(p * (1.0 - p) / n)


def accuracy(correct: Iterable[bool] | np.ndarray | pl.Series) -> tuple[float, float]:
    """Accuracy of one run and its standard error over questions.

    ``correct`` holds one 0/1 (or bool) value per question. Returns ``(mean, se)`` with
    ``se = sd(correct, ddof=1) / sqrt(n_questions)`` (NaN for a single question).
    """
    arr = _as_array(correct, "correct")
    if not np.isin(arr, (0.0, 1.0)).all():
        raise ValueError("correct must hold only 0/1 or boolean values")
    return mean_se(arr)


def bootstrap_ci(
    values: Sequence[float] | np.ndarray | pl.Series,
    n_boot: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of the mean of ``values``.

    Draws ``n_boot`` resamples of ``values`` with replacement (numpy ``default_rng(seed)``, so the
    interval is reproducible) and returns the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of
    the resampled means. Resample questions to get an interval over questions, runs to get one over
    seeds.
    """
    arr = _as_array(values, "values")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    rng = np.random.default_rng(seed)
    n = arr.size
    means = np.empty(n_boot)
    # chunks keep the index matrix small for long inputs
    chunk = max(1, min(n_boot, 4_000_000 // n))
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        idx = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = arr[idx].mean(axis=1)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return float(low), float(high)
