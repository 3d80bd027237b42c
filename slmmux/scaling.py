"""Compute-scaling sweeps (paper §3.3): accuracy against samples per model and against number of models.

**Samples per model** (:func:`samples_sweep`). Each run seed is swept on its own, as the paper's
"mean accuracy over 3 runs": a model's *pool* for a test question is its sampled test samples of that
seed (e.g. 9), ordered by sample index. In each of T Monte Carlo trials, and for each model and
question, a random order of the pool is drawn (numpy ``default_rng``, seeded from the sweep seed and
the run seed, without replacement); the first k samples of that order are the model's k samples for
every k = 1..k_max (nested prefixes, so the sweep over k uses common random numbers; each prefix is a
uniform draw of k samples without replacement). SLM-MUX and Agent Forest are scored on those samples
with exactly the rules of :mod:`slmmux.mux` (the drawn order plays the role of the sample order in the
tie rules). A seed's accuracy is the mean over trials of the per-trial accuracy over questions. The
sweep reports ``mean`` = the mean over seeds, ``stderr`` = the standard error **over seeds**
(:func:`slmmux.metrics.mean_se`; NaN with one seed: the paper's ± in Tables 3-4 is over runs), and
separately ``mc_stderr`` = the Monte Carlo error of ``mean`` over trials
(``sqrt(sum_s var_s / T) / S`` with ``var_s`` the trial variance of seed s), which only measures how
well T trials pinned the expectation down.

Votes are counted on small integers: the answer keys of each question are encoded as 0..C-1
(-1 = no answer) and every count is a numpy reduction over a [trials, questions, models, k] tensor;
no Python loop runs over questions or trials.

**Number of models** (:func:`models_sweep`). For each size K the best subset of that size in the
search table (its top row, docs/dataflow.md "search"; :func:`slmmux.search.best_subsets`) is run on the test split with
:func:`slmmux.mux.decisions`; SLM-MUX and Agent Forest accuracies are reported as mean and standard
error over seeds (``trials`` = number of seeds), and ``union_accuracy`` is the mean over seeds of the
fraction of test questions on which some sample of some model of the subset is correct (the oracle,
the ceiling of any selection).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from slmmux import metrics, mux
from slmmux.search import best_subsets
from slmmux.vocabulary import SCALING_METHODS

log = logging.getLogger(__name__)


SAMPLES_SWEEP_SCHEMA: dict[str, pl.DataType] = {
    "benchmark": pl.String,
    "group": pl.String,
    "models": pl.List(pl.String),
    "method": pl.String,
    "k": pl.Int64,
    "mean": pl.Float64,
    "stderr": pl.Float64,
    "seeds": pl.Int64,
    "mc_stderr": pl.Float64,
    "trials": pl.Int64,
}

MODELS_SWEEP_SCHEMA: dict[str, pl.DataType] = {
    "benchmark": pl.String,
    "n_models": pl.Int64,
    "models": pl.List(pl.String),
    "method": pl.String,
    "mean": pl.Float64,
    "stderr": pl.Float64,
    "trials": pl.Int64,
    "union_accuracy": pl.Float64,
}


@dataclass(frozen=True)
class SamplePools:
    """Every model's pool of samples per test question, as integer arrays.

    ``codes[q, m, i]``: the answer key of pool entry i encoded per question (0..C-1, -1 = no answer or
    padding); ``correct[q, m, i]``: its verdict; ``sizes[q, m]``: the pool size (entries at
    ``i >= sizes[q, m]`` are padding). Axis order follows ``questions`` and ``models``.
    """

    benchmark: str
    questions: list[str]
    models: list[str]
    codes: np.ndarray
    correct: np.ndarray
    sizes: np.ndarray


def sample_pools(graded: pl.DataFrame, models: Sequence[str]) -> SamplePools:
    """Build the pools of ``models`` from the sampled test rows of a graded samples table.

    Raises ``ValueError`` when a model has no sampled test samples or lacks every sample of a
    question that another model answered, naming the model.
    """
    models = list(models)
    if not models:
        raise ValueError("no models given")
    if len(set(models)) != len(models):
        raise ValueError(f"a model is listed twice: {models}")
    rows = graded.filter(
        (pl.col("split") == "test") & (pl.col("decoding") == "sampled") & pl.col("model").is_in(models)
    )
    benchmarks = rows["benchmark"].unique().to_list()
    if len(benchmarks) > 1:
        raise ValueError(f"scaling takes one benchmark, the samples hold {sorted(benchmarks)}")
    present = set(rows["model"].unique().to_list())
    absent = [m for m in models if m not in present]
    if absent:
        raise ValueError(f"model(s) {', '.join(absent)} have no sampled test samples")
    questions = sorted(rows["question_id"].unique().to_list())
    q_index = pl.DataFrame({"question_id": questions, "_q": np.arange(len(questions), dtype=np.int64)})
    m_index = pl.DataFrame({"model": models, "_m": np.arange(len(models), dtype=np.int64)})
    rows = (
        rows.join(q_index, on="question_id")
        .join(m_index, on="model")
        .with_columns(
            _code=(pl.col("answer_key").rank("dense").over("question_id") - 1).cast(pl.Int64).fill_null(-1),
        )
        .sort(["_q", "_m", "seed", "sample"])
        .with_columns(_i=pl.int_range(pl.len()).over(["_q", "_m"]))
    )
    n_q, n_m = len(questions), len(models)
    sizes = np.zeros((n_q, n_m), dtype=np.int64)
    counts = rows.group_by(["_q", "_m"]).agg(n=pl.len())
    sizes[counts["_q"].to_numpy(), counts["_m"].to_numpy()] = counts["n"].to_numpy()
    empty = np.argwhere(sizes == 0)
    if empty.size:
        q, m = empty[0]
        raise ValueError(
            f"model {models[m]} has no sampled test samples for question {questions[q]!r} "
            f"({len(empty)} (question, model) pair(s) are empty)"
        )
    n_max = int(sizes.max())
    codes = np.full((n_q, n_m, n_max), -1, dtype=np.int64)
    correct = np.zeros((n_q, n_m, n_max), dtype=bool)
    qi, mi, ii = rows["_q"].to_numpy(), rows["_m"].to_numpy(), rows["_i"].to_numpy()
    codes[qi, mi, ii] = rows["_code"].to_numpy()
    correct[qi, mi, ii] = rows["correct"].to_numpy()
    return SamplePools(benchmarks[0], questions, models, codes, correct, sizes)


def draw_subsamples(pools: SamplePools, k_max: int, trials: int, seed: int) -> np.ndarray:
    """Random pool indices, shape [trials, questions, models, k_max], without replacement.

    Row ``[t, q, m]`` is the first ``k_max`` entries of a uniformly random order of the pool of model
    m on question q. Raises ``ValueError`` naming the model and question when a pool holds fewer
    than ``k_max`` samples.
    """
    if k_max < 1:
        raise ValueError(f"k_max must be at least 1, got {k_max}")
    if trials < 1:
        raise ValueError(f"trials must be at least 1, got {trials}")
    short = np.argwhere(pools.sizes < k_max)
    if short.size:
        q, m = short[0]
        raise ValueError(
            f"model {pools.models[m]} has only {pools.sizes[q, m]} sample(s) for question "
            f"{pools.questions[q]!r}, fewer than k = {k_max} ({len(short)} (question, model) pair(s) short)"
        )
    rng = np.random.default_rng(seed)
    n_q, n_m, n_max = pools.codes.shape
    u = rng.random((trials, n_q, n_m, n_max))
    u[:, np.arange(n_max)[None, None, :] >= pools.sizes[:, :, None]] = 2.0  # padding sorts last
    if k_max < n_max:
        part = np.argpartition(u, k_max - 1, axis=-1)[..., :k_max]
        order = np.argsort(np.take_along_axis(u, part, axis=-1), axis=-1)
        return np.take_along_axis(part, order, axis=-1)
    return np.argsort(u, axis=-1)


def sweep_correct(
    pools: SamplePools, drawn: np.ndarray, validation_accuracy: Mapping[str, float],
    confidence_denominator: str = "k",
) -> tuple[np.ndarray, np.ndarray]:
    """Correctness of SLM-MUX and Agent Forest for every k, trial and question.

    ``drawn``: indices from :func:`draw_subsamples`, shape [T, Q, M, K]. Returns two boolean arrays of
    shape [K, T, Q]; entry ``[k-1, t, q]`` scores the first k drawn samples of every model.
    ``confidence_denominator``: as :func:`slmmux.mux.model_majorities` (``"k"``, the paper, or
    ``"answered"``). A model's own tie goes to the first answer in the drawn (random) order, which is a
    uniformly random tie-break, so ``own_tie`` has no separate form here.
    """
    if confidence_denominator not in mux.CONFIDENCE_DENOMINATORS:
        raise ValueError(f"confidence_denominator must be one of {mux.CONFIDENCE_DENOMINATORS}, "
                         f"got {confidence_denominator!r}")
    n_t, n_q, n_m, k_max = drawn.shape
    lcm_k = math.lcm(*range(1, k_max + 1))
    q_ix = np.arange(n_q)[None, :, None, None]
    m_ix = np.arange(n_m)[None, None, :, None]
    codes = pools.codes[q_ix, m_ix, drawn]  # [T, Q, M, K]
    right = pools.correct[q_ix, m_ix, drawn]
    valid = codes >= 0

    # SLM-MUX tie-break order: rank 0 = highest validation accuracy (then name)
    priority = mux.model_priority(pools.models, validation_accuracy)
    tie_bonus = np.array([n_m - 1 - priority.index(m) for m in pools.models], dtype=np.int64)
    # Agent Forest pools models in priority order (ties: the better-supported answer, slmmux.mux)
    name_rank = np.array([priority.index(m) for m in pools.models], dtype=np.int64)

    n_codes = int(pools.codes.max()) + 1 if pools.codes.size else 0
    n_codes = max(n_codes, 1)
    votes = np.zeros((n_t, n_q, n_codes), dtype=np.int64)
    big = n_m * k_max
    first = np.full((n_t, n_q, n_codes), big, dtype=np.int64)  # pooled first occurrence
    tq = (np.arange(n_t)[:, None, None] * n_q + np.arange(n_q)[None, :, None]) * n_codes  # [T, Q, 1]

    mux_right = np.zeros((k_max, n_t, n_q), dtype=bool)
    forest_right = np.zeros((k_max, n_t, n_q), dtype=bool)
    t_ix = np.arange(n_t)[:, None]
    qq_ix = np.arange(n_q)[None, :]
    for k in range(1, k_max + 1):
        # --- SLM-MUX: per-model majority by pairwise equality over the k drawn samples
        a = codes[..., :k]
        same = (a[..., :, None] == a[..., None, :]) & valid[..., :k, None]
        count = same.sum(axis=-1)  # [T, Q, M, k]: votes for the answer at position j
        j_star = count.argmax(axis=-1)  # first position with the top count = first occurrence rule
        c_star = np.take_along_axis(count, j_star[..., None], axis=-1)[..., 0]  # [T, Q, M]
        if confidence_denominator == "k":  # every model has k samples: compare counts
            score = c_star
        else:  # count / answered as an exact integer: count * (lcm(1..k_max) / answered)
            answered = valid[..., :k].sum(axis=-1)
            score = np.where(answered > 0, c_star * (lcm_k // np.maximum(answered, 1)), 0)
        m_star = (score * n_m + tie_bonus).argmax(axis=-1)  # [T, Q]
        j_sel = j_star[t_ix, qq_ix, m_star]
        hit = right[t_ix, qq_ix, m_star, j_sel] & (c_star[t_ix, qq_ix, m_star] > 0)
        mux_right[k - 1] = hit

        # --- Agent Forest: add the k-th drawn sample of every model to the pooled counts
        col = codes[..., k - 1]  # [T, Q, M]
        ok = col >= 0
        flat = (tq + col)[ok]
        votes += np.bincount(flat, minlength=votes.size).reshape(votes.shape)
        pos = np.broadcast_to(name_rank * k_max + (k - 1), col.shape)[ok]
        np.minimum.at(first.reshape(-1), flat, pos)
        score = np.where(votes > 0, votes * (big + 1) + (big - first), -1)
        c_win = score.argmax(axis=-1)  # [T, Q]
        top = votes[t_ix, qq_ix, c_win]
        f = first[t_ix, qq_ix, c_win]
        f = np.where(top > 0, f, 0)
        m_first = np.argsort(name_rank)[f // k_max]
        forest_right[k - 1] = right[t_ix, qq_ix, m_first, f % k_max] & (top > 0)
    return mux_right, forest_right


def samples_sweep(
    graded: pl.DataFrame,
    models: Sequence[str],
    validation_accuracy: Mapping[str, float],
    group: str,
    k_max: int,
    trials: int,
    seed: int = 0,
    confidence_denominator: str = "k",
) -> pl.DataFrame:
    """Accuracy against samples per model, k = 1..k_max, by Monte Carlo subsampling of each run seed.

    Returns the "scaling" samples format of docs/dataflow.md: ``benchmark, group, models, method, k,
    mean, stderr, seeds, mc_stderr, trials`` with methods ``slm_mux`` and ``agent_forest``; ``stderr``
    is over seeds (NaN for one seed), ``mc_stderr`` the Monte Carlo error over trials (NaN for one
    trial); see the module docstring.
    """
    # models in name order, so the random draws (and the result) do not depend on the order given
    models = sorted(models)
    test = graded.filter((pl.col("split") == "test") & (pl.col("decoding") == "sampled") & pl.col("model").is_in(models))
    run_seeds = sorted(test["seed"].unique().to_list())
    if not run_seeds:
        raise ValueError(f"model(s) {', '.join(models)} have no sampled test samples")
    per_seed: dict[str, list[np.ndarray]] = {m: [] for m in SCALING_METHODS}  # [K, T] per seed
    benchmark = None
    for run_seed in run_seeds:
        pools = sample_pools(test.filter(pl.col("seed") == run_seed), models)
        benchmark = pools.benchmark
        draw_seed = int(np.random.SeedSequence([seed, run_seed]).generate_state(1)[0])
        drawn = draw_subsamples(pools, k_max, trials, draw_seed)
        for method, right in zip(SCALING_METHODS, sweep_correct(pools, drawn, validation_accuracy,
                                                                               confidence_denominator)):
            per_seed[method].append(right.mean(axis=2))
    rows = []
    for method in SCALING_METHODS:
        acc = np.stack(per_seed[method])  # [S, K, T]
        for k in range(1, k_max + 1):
            seed_means = acc[:, k - 1, :].mean(axis=1)
            mean, se = metrics.mean_se(seed_means)
            mc = math.nan if trials < 2 else float(
                math.sqrt((acc[:, k - 1, :].var(axis=1, ddof=1) / trials).sum()) / len(run_seeds))
            rows.append((benchmark, group, models, method, k, mean, se, len(run_seeds), mc, trials))
    return pl.DataFrame(rows, schema=SAMPLES_SWEEP_SCHEMA, orient="row")


def models_sweep(
    graded: pl.DataFrame,
    validation_accuracy: Mapping[str, float],
    search: pl.DataFrame,
    sizes: Sequence[int],
    confidence_denominator: str = "k",
    own_tie: str = "first",
) -> pl.DataFrame:
    """Accuracy against number of models: the best searched subset of each size on the test split
    (decisions with the selection options ``confidence_denominator`` and ``own_tie``).

    Sizes absent from the search table, or bigger than the pool (the models with sampled test
    samples), are skipped with a logged note. Returns the "scaling" models format of
    docs/dataflow.md: ``benchmark, n_models, models, method, mean, stderr, trials, union_accuracy``.
    """
    pool = set(
        graded.filter((pl.col("split") == "test") & (pl.col("decoding") == "sampled"))["model"]
        .unique()
        .to_list()
    )
    subsets = best_subsets(search, sizes)
    rows = []
    for size in sizes:
        if size > len(pool):
            log.warning("size %d skipped: the pool has only %d model(s) with test samples", size, len(pool))
            continue
        if size not in subsets:
            log.warning("size %d skipped: the search table has no subset of that size", size)
            continue
        subset = subsets[size]
        table = mux.decisions(graded, subset, validation_accuracy, group=f"best_{size}",
                              confidence_denominator=confidence_denominator, own_tie=own_tie)
        per_seed = (
            table.group_by(["method", "seed"]).agg(acc=pl.col("correct").cast(pl.Float64).mean())
        )
        union, _ = metrics.mean_se(per_seed.filter(pl.col("method") == "oracle")["acc"])
        for method in SCALING_METHODS:
            acc = per_seed.filter(pl.col("method") == method).sort("seed")["acc"]
            mean, se = metrics.mean_se(acc)
            rows.append((table["benchmark"][0], size, subset, method, mean, se, acc.len(), union))
    return pl.DataFrame(rows, schema=MODELS_SWEEP_SCHEMA, orient="row")
