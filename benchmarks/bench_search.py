"""Benchmark of the model-subset search (slmmux.search), printing its measurements.

1. Synthetic pool, 50 models x 500 validation questions x k=5 samples: the exhaustive search over
   K = 2..5 (2,369,885 subsets), wall time and subsets/s, with top=10 per size and with every
   subset kept; the speed-up over the plain reference (loops over subsets and questions, as in
   tests/test_search.py), timed on a random sample of subsets and extrapolated to all of them.
2. Greedy and beam search against the exhaustive optimum, K = 2..5, on the synthetic pool and on
   two realistic pools of real model outputs (ZeroEval MATH level 5 and GSM8K, one greedy sample
   per model per question): the objective gap and whether the top subset matches.
3. Greedy / beam on a 200-model pool, where exhaustive K=5 (2.5e9 subsets) is out of reach.

Run: .venv/bin/python benchmarks/bench_search.py [--quick]
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

import numpy as np
import polars as pl

from slmmux.search import model_bitsets, rank_subsets, search_bitsets

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "real_outputs"


def synthetic_pool(n_models: int, n_questions: int, k: int, seed: int = 0) -> pl.DataFrame:
    """A graded-like sampled validation table shaped like small-model reasoning data: model skill
    vs question difficulty (mean single-sample accuracy about 0.5, 10% of questions no model
    solves); each model has a favourite wrong answer per question that it gives 85% of the times
    it errs (so consistent wrongness is common); 5% of wrong samples have no answer."""
    rng = np.random.default_rng(seed)
    skill = rng.normal(0.0, 1.0, n_models)
    difficulty = rng.normal(0.0, 2.0, n_questions)
    p = 1 / (1 + np.exp(-(skill[:, None] - difficulty[None, :])))  # (models, questions)
    p[:, rng.random(n_questions) < 0.10] = 0.0
    p = np.repeat(p[:, :, None], k, axis=2)
    correct = rng.random(p.shape) < p
    favourite = np.repeat(rng.integers(0, 4, size=p.shape[:2])[:, :, None], k, axis=2)
    other = rng.integers(0, 4, size=p.shape)
    distractor = np.where(rng.random(p.shape) < 0.85, favourite, other)
    none = rng.random(p.shape) < 0.05
    m_idx, q_idx, s_idx = np.indices(p.shape)
    key = np.where(correct, "gold", np.char.add("wrong", distractor.astype(str)))
    key = np.where(none & ~correct, None, key)
    return pl.DataFrame({
        "model": np.char.add("model", np.char.zfill(m_idx.ravel().astype(str), 3)),
        "seed": np.zeros(p.size, dtype=np.int64),
        "question_id": np.char.add("q", q_idx.ravel().astype(str)),
        "sample": s_idx.ravel().astype(np.int64),
        "split": "validation", "decoding": "sampled",
        "answer_key": pl.Series(key.ravel().tolist(), dtype=pl.String),
        "correct": correct.ravel(),
    })


def zeroeval(name: str) -> pl.DataFrame:
    if name == "mathl5":
        raw = pl.read_csv(FIXTURES / "zeroeval_mathl5_greedy_preds.csv", infer_schema_length=0)
        qid, corr = pl.col("mathl5_id"), pl.col("correct_approx") == "1"
    else:
        raw = pl.read_csv(FIXTURES / "zeroeval_gsm8k_test_greedy_preds.csv", infer_schema_length=0)
        qid, corr = pl.col("gsm8k_test_index"), pl.col("correct") == "1"
    return raw.select(
        "model", question_id=qid, seed=pl.lit(0, pl.Int64), sample=pl.lit(0, pl.Int64),
        split=pl.lit("validation"), decoding=pl.lit("sampled"),
        answer_key=pl.when(pl.col("pred").str.strip_chars() == "").then(None).otherwise(pl.col("pred")),
        correct=corr,
    )


# ---------------------------------------------------------------------------------------------
# plain reference (from the definitions: loops over subsets and questions)


def reference_scorer(samples: pl.DataFrame, robust_level: int = 1):
    per: dict[tuple, list[tuple]] = {}
    for m, s, q, key, c in samples.select("model", "seed", "question_id", "answer_key", "correct").iter_rows():
        per.setdefault((m, s, q), []).append((key, c))
    items = sorted({(s, q) for (_, s, q) in per})

    def correct(m, x):
        return sum(1 for _, c in per.get((m, *x), []) if c) >= robust_level

    def wrong(m, x):
        got = per.get((m, *x), [])
        keys = {k for k, _ in got}
        return bool(got) and len(keys) == 1 and None not in keys and not any(c for _, c in got)

    def score(subset, lam=1.0):
        u = sum(1 for x in items if any(correct(m, x) for m in subset))
        c = sum(1 for x in items if any(wrong(m, x) for m in subset) and any(correct(m, x) for m in subset))
        return u / len(items) - lam * c / len(items)

    return score


def bench_exhaustive(df: pl.DataFrame, sizes: list[int], quick: bool) -> None:
    models = sorted(df["model"].unique().to_list())
    n = len(models)
    total = sum(math.comb(n, k) for k in sizes)
    print(f"\n== exhaustive search: {n} models x {df['question_id'].n_unique()} questions x "
          f"k={df.group_by('model', 'question_id').len()['len'].max()}, K={sizes}: {total:,} subsets")
    t0 = time.perf_counter()
    bits = model_bitsets(df)
    t_bits = time.perf_counter() - t0
    print(f"bitsets from the samples table: {t_bits:.2f} s")
    times = {}
    for top in (10, None):
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            out = search_bitsets(bits, sizes, top=top)
            runs.append(time.perf_counter() - t0)
        dt = times[top] = float(np.median(runs))
        print(f"top={top!s:>4}: search over 3 runs min {min(runs):.2f} s / median {dt:.2f} s "
              f"({total / dt:,.0f} subsets/s at the median), {out.height:,} rows; with bitsets "
              f"{dt + t_bits:.2f} s; load avg {os.getloadavg()[0]:.2f}")
    t0 = time.perf_counter()
    full = rank_subsets(df, sizes, top=10)
    print(f"rank_subsets(samples, {sizes}, top=10) end to end: {time.perf_counter() - t0:.2f} s")
    print("best per size:", [(k, full.filter(pl.col('size') == k).row(0)[0], round(full.filter(pl.col('size') == k).row(0)[4], 4)) for k in sizes])

    # reference on a random sample of subsets, extrapolated (sample drawn per size, weighted by count)
    score = reference_scorer(df)
    rng = np.random.default_rng(1)
    n_sample = 100 if quick else 400
    ref_total = 0.0
    for k in sizes:
        m = max(5, round(n_sample * math.comb(n, k) / total))
        subsets = [sorted(rng.choice(n, size=k, replace=False)) for _ in range(m)]
        t0 = time.perf_counter()
        for s in subsets:
            score([models[i] for i in s])
        per_subset = (time.perf_counter() - t0) / m
        ref_total += per_subset * math.comb(n, k)
    vec = times[None]
    print(f"reference (plain Python loops) timed on ~{n_sample} sampled subsets, EXTRAPOLATED to {total:,}: "
          f"{ref_total:,.0f} s ({total / ref_total:,.0f} subsets/s); speed-up of the vectorised search "
          f"(top=None, bitsets excluded): {ref_total / vec:,.0f}x")


def bench_heuristics(name: str, df: pl.DataFrame, sizes: list[int], widths: list[int], lam: float = 1.0,
                     base: str = "all", robust_level: int = 1) -> None:
    bits = model_bitsets(df, robust_level)
    n = len(bits.models)
    print(f"\n== greedy / beam vs exhaustive on {name} ({n} models, {bits.n_items} items), "
          f"lam={lam}, contradiction_base={base}, robust_level={robust_level}")
    t0 = time.perf_counter()
    exh = search_bitsets(bits, sizes, top=1, lam=lam, contradiction_base=base)
    t_exh = time.perf_counter() - t0
    best = {r[1]: r for r in exh.iter_rows()}
    print(f"exhaustive: {t_exh:.2f} s")
    header = "method        time_s  " + "  ".join(f"K={k}: gap   match" for k in sizes)
    print(header)
    for method, width in [("greedy", 1)] + [("beam", w) for w in widths]:
        t0 = time.perf_counter()
        heur = search_bitsets(bits, sizes, top=1, method=method, beam_width=width, lam=lam, contradiction_base=base)
        dt = time.perf_counter() - t0
        got = {r[1]: r for r in heur.iter_rows()}
        cells = []
        for k in sizes:
            gap = best[k][4] - got[k][4]
            match = "yes" if got[k][0] == best[k][0] else ("tie" if gap == 0 else "no")
            cells.append(f"{gap:9.4f}  {match:>4}")
        label = method if method == "greedy" else f"beam w={width}"
        print(f"{label:<12} {dt:7.3f}  " + "  ".join(cells))
    print("(gap = exhaustive best objective - heuristic best objective; match: yes = same top subset, "
          "tie = another subset with the same objective, no = worse)")


def bench_three_seeds() -> None:
    """The paper repeats validation 3 times: 3 seeds x 500 questions = 1,500 items per bitset."""
    frames = [synthetic_pool(50, 500, 5, seed=10 + s).with_columns(seed=pl.lit(s, pl.Int64)) for s in range(3)]
    df = pl.concat(frames)
    t0 = time.perf_counter()
    out = rank_subsets(df, [2, 3, 4, 5], top=10)
    dt = time.perf_counter() - t0
    total = sum(math.comb(50, k) for k in range(2, 6))
    print(f"\n== 3 seeds x 500 questions (1,500 items), 50 models, K=2..5, top=10: rank_subsets end to end "
          f"{dt:.2f} s ({total / dt:,.0f} subsets/s), {out.height} rows; load avg {os.getloadavg()[0]:.2f}")


def bench_large_pool(n_models: int, quick: bool) -> None:
    df = synthetic_pool(n_models, 500, 5, seed=2)
    bits = model_bitsets(df)
    print(f"\n== {n_models}-model pool, K=2..5 (exhaustive would be "
          f"{sum(math.comb(n_models, k) for k in range(2, 6)):,} subsets)")
    for method, width in [("greedy", 1), ("beam", 10), ("beam", 50)]:
        t0 = time.perf_counter()
        out = search_bitsets(bits, [2, 3, 4, 5], top=1, method=method, beam_width=width)
        dt = time.perf_counter() - t0
        print(f"{method} w={width}: {dt:.2f} s; best objective per K: "
              f"{[round(v, 4) for v in out.sort('size')['objective'].to_list()]}")
    if not quick:
        t0 = time.perf_counter()
        out = search_bitsets(bits, [2, 3], top=1)
        print(f"exhaustive K=2..3 ({sum(math.comb(n_models, k) for k in (2, 3)):,} subsets): "
              f"{time.perf_counter() - t0:.2f} s; best {[round(v, 4) for v in out.sort('size')['objective'].to_list()]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller reference sample, skip the slowest extras")
    args = ap.parse_args()
    print(f"cpus: {os.cpu_count()}, load avg at start (1/5/15 min): {os.getloadavg()}, numpy {np.__version__}")
    syn = synthetic_pool(50, 500, 5)
    bench_exhaustive(syn, [2, 3, 4, 5], args.quick)
    bench_three_seeds()
    for lam, base, robust in [(1.0, "all", 1), (0.5, "union", 2)]:  # paper, authors' code
        bench_heuristics("synthetic 50-model pool", syn, [2, 3, 4, 5], [5, 20], lam, base, robust)
    for lam, base in [(1.0, "all"), (0.5, "union")]:  # one sample per question: robust_level 1 only
        bench_heuristics("ZeroEval MATH level 5", zeroeval("mathl5"), [2, 3, 4, 5], [3, 10], lam, base)
        bench_heuristics("ZeroEval GSM8K test", zeroeval("gsm8k"), [2, 3, 4, 5], [3, 10], lam, base)
    bench_large_pool(200, args.quick)
    print(f"\nload avg at end (1/5/15 min): {os.getloadavg()}")


if __name__ == "__main__":
    main()
