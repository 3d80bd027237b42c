"""Paired significance of SLM-MUX against each baseline on the same test questions.

SLM-MUX and a baseline answer the same questions, so their accuracies are compared pair by pair:

- **Exact McNemar test.** Only the discordant pairs carry information: ``b`` = questions SLM-MUX got
  right and the baseline wrong, ``c`` = the reverse. Under the null hypothesis (equal accuracy) each
  discordant pair falls either way with probability 1/2, so ``b ~ Binomial(b + c, 1/2)``; the
  two-sided p-value is :func:`scipy.stats.binomtest`'s. No discordant pair: p = 1.
- **Paired bootstrap confidence interval** of the accuracy difference (SLM-MUX − baseline, as a
  fraction): questions are resampled with replacement (:func:`scipy.stats.bootstrap`, percentile
  method, :data:`RESAMPLES` resamples, :data:`CONFIDENCE` level, fixed :data:`BOOTSTRAP_SEED`), each
  question carrying its own pair, so the interval reflects the pairing.

Both are computed per seed and pooled over seeds. Pooled, the bootstrap resamples *questions*, each
with all its seeds (a question answered under several seeds is one cluster, not several independent
draws); the McNemar test counts every (seed, question) pair as one pair, which treats the seeds of a
question as independent and is therefore approximate when there are several seeds.

The oracle is an upper bound, not a method one can run, and is not compared. Pairs exist only for
questions both methods answered (discussion baselines may cover fewer questions than SLM-MUX).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import stats

REFERENCE = "slm_mux"
NOT_COMPARED = ("slm_mux", "oracle")
RESAMPLES = 10_000
CONFIDENCE = 0.95
BOOTSTRAP_SEED = 0

PAIRED_SCHEMA: dict[str, pl.DataType] = {
    "benchmark": pl.String,
    "group": pl.String,
    "method": pl.String,
    "seed": pl.Int64,  # null: pooled over seeds
    "n_pairs": pl.Int64,
    "n_questions": pl.Int64,
    "slm_mux_only": pl.Int64,  # pairs SLM-MUX got right and the baseline wrong
    "baseline_only": pl.Int64,  # pairs the baseline got right and SLM-MUX wrong
    "difference": pl.Float64,  # accuracy(SLM-MUX) - accuracy(baseline), a fraction
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "p_value": pl.Float64,
}


@dataclass(frozen=True)
class McNemar:
    """Exact McNemar test: discordant counts and the two-sided p-value."""

    first_only: int
    second_only: int
    p_value: float


def mcnemar_exact(first: np.ndarray, second: np.ndarray) -> McNemar:
    """Exact McNemar test of two paired 0/1 (or bool) correctness vectors of equal length."""
    first = np.asarray(first, dtype=bool)
    second = np.asarray(second, dtype=bool)
    if first.shape != second.shape or first.ndim != 1:
        raise ValueError(f"paired vectors must be one-dimensional and of equal length, got {first.shape} and {second.shape}")
    b = int(np.sum(first & ~second))
    c = int(np.sum(~first & second))
    p = 1.0 if b + c == 0 else float(stats.binomtest(b, b + c, 0.5, alternative="two-sided").pvalue)
    return McNemar(b, c, min(1.0, p))


def paired_bootstrap_ci(differences: np.ndarray, confidence: float = CONFIDENCE, resamples: int = RESAMPLES,
                        seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of per-question paired differences.

    ``differences[q]`` is SLM-MUX's minus the baseline's correctness on question q (averaged over
    seeds when pooled). Resampling these values is resampling the pairs. All values equal: the
    interval is that value on both ends (every resample gives it).
    """
    d = np.asarray(differences, dtype=float)
    if d.ndim != 1 or d.size == 0:
        raise ValueError("the bootstrap needs at least one paired difference")
    if np.all(d == d[0]):
        return float(d[0]), float(d[0])
    res = stats.bootstrap((d,), np.mean, n_resamples=resamples, confidence_level=confidence,
                          method="percentile", vectorized=True, rng=np.random.default_rng(seed))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def _compare(pairs: pl.DataFrame) -> dict:
    """One comparison from joined pairs (columns question_id, seed, ref, base: booleans)."""
    test = mcnemar_exact(pairs["ref"].to_numpy(), pairs["base"].to_numpy())
    per_q = (pairs.group_by("question_id")
             .agg(d=(pl.col("ref").cast(pl.Float64) - pl.col("base").cast(pl.Float64)).mean())
             .sort("question_id"))
    d = per_q["d"].to_numpy()
    lo, hi = paired_bootstrap_ci(d)
    return {"n_pairs": pairs.height, "n_questions": per_q.height, "slm_mux_only": test.first_only,
            "baseline_only": test.second_only, "difference": float(d.mean()), "ci_low": lo, "ci_high": hi,
            "p_value": test.p_value}


def paired_tests(decisions: pl.DataFrame) -> pl.DataFrame:
    """SLM-MUX against every other method of each (benchmark, group), per seed and pooled.

    ``decisions``: rows with (at least) ``benchmark, group, seed, question_id, method, correct``, read
    by column name. Returns :data:`PAIRED_SCHEMA`, one row per (benchmark, group, baseline, seed) and
    one with ``seed`` null for the pooled comparison; sorted. Groups without SLM-MUX decisions are skipped.
    """
    need = ["benchmark", "group", "seed", "question_id", "method", "correct"]
    missing = [c for c in need if c not in decisions.columns]
    if missing:
        raise ValueError(f"decisions lack column(s) {', '.join(missing)}")
    dec = decisions.select(need).with_columns(pl.col("correct").fill_null(False))
    dup = dec.group_by(["benchmark", "group", "seed", "question_id", "method"]).len().filter(pl.col("len") > 1)
    if dup.height:
        r = dup.row(0, named=True)
        raise ValueError(f"decisions hold {r['len']} rows for {r['benchmark']}/{r['group']} seed {r['seed']} "
                         f"question {r['question_id']!r} method {r['method']}")
    records = []
    for (b, g), part in sorted(dec.group_by(["benchmark", "group"]), key=lambda t: t[0]):
        ref = part.filter(pl.col("method") == REFERENCE).select("seed", "question_id", ref="correct")
        if ref.height == 0:
            continue
        for m in sorted(set(part["method"].to_list()) - set(NOT_COMPARED)):
            base = part.filter(pl.col("method") == m).select("seed", "question_id", base="correct")
            pairs = ref.join(base, on=["seed", "question_id"], how="inner")
            if pairs.height == 0:
                continue
            key = {"benchmark": b, "group": g, "method": m}
            for s in sorted(pairs["seed"].unique().to_list()):
                records.append({**key, "seed": s, **_compare(pairs.filter(pl.col("seed") == s))})
            records.append({**key, "seed": None, **_compare(pairs)})
    out = pl.DataFrame(records, schema=PAIRED_SCHEMA, orient="row") if records else pl.DataFrame(schema=PAIRED_SCHEMA)
    return out.sort(["benchmark", "group", "method", "seed"], nulls_last=True)


def method_note() -> str:
    """The footnote naming the tests, for every table that shows their numbers."""
    return (f"Paired tests of SLM-MUX against each baseline on the same test questions: two-sided exact McNemar "
            f"test (binomial test on the discordant pairs, scipy.stats.binomtest) and a {CONFIDENCE:.0%} paired "
            f"bootstrap interval of the accuracy difference SLM-MUX − baseline in points (percentile method, "
            f"{RESAMPLES} resamples of the questions, seed {BOOTSTRAP_SEED}, scipy.stats.bootstrap). Pooled over "
            f"seeds, the bootstrap resamples questions with all their seeds and McNemar counts every (seed, "
            f"question) pair; not corrected for multiple comparisons.")
