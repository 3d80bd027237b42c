"""Speed of the compute-scaling sweeps and of the decisions table on a paper-sized synthetic table.

Target (issue #4): the samples-per-model sweep with 100 trials for 5 models x 500 questions x
k <= 9 takes under 5 s on 2 cores. Since issue 11 every seed is swept on its own pool (the paper's
3 runs of 9 test samples), so the table holds 3 seeds x 9 samples and the sweep does 3 seeds' work. Prints one line per measurement.

    .venv/bin/python benchmarks/bench_scaling.py [--trials 100] [--questions 500] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import polars as pl

from slmmux import mux, scaling
from slmmux.samples import GRADED_SCHEMA, validate

MODELS = ["gemma-2-27b", "llama-3.1-8b", "mistral-small-24b", "mixtral-8x7b", "qwen2.5-7b"]


def synthetic(n_questions: int, seeds: int, k: int, rng: np.random.Generator) -> pl.DataFrame:
    """A graded table: each model is right with its own per-question probability, else one of a
    few wrong answers (some samples without an answer)."""
    n_m = len(MODELS)
    shape = (n_questions, n_m, seeds, k)
    p = rng.beta(2, 1.5, size=(n_questions, n_m))[:, :, None, None]
    u = rng.random(shape)
    wrong = rng.integers(1, 6, size=shape)
    code = np.where(u < p, 0, wrong)
    code = np.where(rng.random(shape) < 0.05, -1, code)
    q, m, s, i = (a.ravel() for a in np.indices(shape))
    code = code.ravel()
    key = pl.Series(code.astype(str)).set(pl.Series(code < 0), None)
    n = code.size
    df = pl.DataFrame({
        "benchmark": ["math"] * n,
        "split": ["test"] * n,
        "question_id": pl.Series(q).cast(pl.String),
        "model": pl.Series(np.array(MODELS)[m]),
        "seed": s.astype(np.int64),
        "decoding": ["sampled"] * n,
        "sample": i.astype(np.int64),
        "text": ["t"] * n,
        "prompt_tokens": np.ones(n, dtype=np.int64),
        "completion_tokens": np.ones(n, dtype=np.int64),
        "finish_reason": ["stop"] * n,
        "mean_logprob": pl.Series([None] * n, dtype=pl.Float64),
        "answer": key,
        "answer_key": key,
        "correct": code == 0,
        "strict_answer": pl.Series([None] * n, dtype=pl.String),
        "strict_correct": code == 0,
    })
    return validate(df.cast(GRADED_SCHEMA), graded=True)


def timed(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=100, help="Monte Carlo trials (default 100)")
    parser.add_argument("--questions", type=int, default=500, help="test questions (default 500)")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions; the best is printed")
    args = parser.parse_args()

    graded = synthetic(args.questions, seeds=3, k=9, rng=np.random.default_rng(0))
    accs = {m: 0.5 + 0.05 * i for i, m in enumerate(MODELS)}
    print(f"table: {graded.height} samples, {len(MODELS)} models x {args.questions} questions x 3 seeds x 9 samples")

    t, out = timed(lambda: scaling.samples_sweep(graded, MODELS, accs, "all", k_max=9,
                                                 trials=args.trials, seed=0), args.repeat)
    print(f"samples_sweep k=1..9, {args.trials} trials: {t:.3f} s (target < 5 s)")
    best = out.filter(pl.col("k") == 9).select("method", "mean", "stderr")
    print("  k=9: " + ", ".join(f"{r['method']} {r['mean']:.4f}+-{r['stderr']:.4f}" for r in best.to_dicts()))

    seed0 = graded.filter(pl.col("seed") == 0)
    pools = scaling.sample_pools(seed0, MODELS)
    t, _ = timed(lambda: scaling.sample_pools(seed0, MODELS), args.repeat)
    print(f"  of which sample_pools (one seed): {t:.3f} s")
    t, drawn = timed(lambda: scaling.draw_subsamples(pools, 9, args.trials, 0), args.repeat)
    print(f"  of which draw_subsamples (one seed): {t:.3f} s")
    t, _ = timed(lambda: scaling.sweep_correct(pools, drawn, accs), args.repeat)
    print(f"  of which sweep_correct (one seed): {t:.3f} s")

    t, table = timed(lambda: mux.decisions(graded, MODELS, accs, "all", k=3), args.repeat)
    print(f"decisions (k=3 of 9), 5 models x {args.questions} questions x 3 seeds: {t:.3f} s ({table.height} rows)")

    sizes = [2, 3, 4, 5]
    search = pl.DataFrame({"models": [MODELS[:s] for s in sizes], "size": sizes,
                           "union_accuracy": [0.8] * 4, "contradiction": [0.1] * 4, "objective": [0.7] * 4,
                           "rank": [1] * 4})
    t, _ = timed(lambda: scaling.models_sweep(graded, accs, search, sizes), args.repeat)
    print(f"models_sweep, sizes 2..5: {t:.3f} s")


if __name__ == "__main__":
    main()
