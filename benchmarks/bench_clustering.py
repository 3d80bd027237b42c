"""Cost of merging equivalent answers before voting (slmmux.mux.answer_clusters, issue 11 finding 3) on a paper-sized pool, beside the cost of grading the same answers.

Pool: 5 models x 500 MATH-500 questions x k = 9 sampled answers (22,500 answers), synthesised from
the bundled golds: each model answers a question with the gold in one of several spellings (as is,
``\\dfrac`` for ``\\frac``, ``x = gold``, padded) with its own accuracy, else with a wrong answer (a
perturbation of the gold or a small integer), sometimes with no answer. Grading = voting keys
(``answer_keys``) plus the verdict against the gold (``equivalent_many``), as the grade rule does.
Both run with cold caches on the same worker pool. Usage:

    .venv/bin/python benchmarks/bench_clustering.py [--questions 500] [--k 9] [--workers 2]

Measured (2 shared CPU cores, 2 workers, 2026-12-01):

    pool: 5 models x 500 MATH questions x k=9 = 22500 answers; 2 workers, timeout 5 s, 0 timeouts
    grading (voting keys + verdicts, cold cache): 14.19 s
    clustering (pairwise equivalence of distinct keys per question, cold cache): 7.09 s = 50.0% of grading
    distinct keys per question: mean 3.53 before, 3.50 after; 2320 pairs compared; 154 answers re-keyed

Nearly all of the clustering time is the grader's own equivalence checks (7.49 of 7.54 s in
``equivalent_many`` in a profile): this synthetic mix gives every question three recurring symbolic
wrong answers, so most of its 2320 pairs need a worker round trip. It is half of grading, not the
small fraction hoped for, so the workflow pays it once per benchmark (rule ``answer_clusters``,
``results/clusters/{b}.parquet``), not in each selection, search and sweep job, and it is bounded by
the pool's timeout per pair.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from importlib import resources

import polars as pl

from slmmux.answers import WorkerPool, answer_keys, clear_cache, equivalent_many
from slmmux.mux import cluster_equivalent_answers

MODELS = ["gemma-2-27b", "llama-3.1-8b", "mistral-small-24b", "mixtral-8x7b", "qwen2.5-7b"]


def spelling(gold: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.5:
        return gold
    if r < 0.65:
        return gold.replace(r"\frac", r"\dfrac")
    if r < 0.8:
        return f"x = {gold}"
    return f" {gold} "


def wrong(gold: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.4:
        return str(rng.randint(-20, 200))
    if r < 0.7:
        return f"{gold}+1"
    return f"2({gold})"


def synthesise(golds: list[str], k: int, rng: random.Random) -> pl.DataFrame:
    rows = []
    skill = {m: 0.35 + 0.1 * i for i, m in enumerate(MODELS)}
    for qi, gold in enumerate(golds):
        wrongs = [wrong(gold, rng) for _ in range(3)]  # a few recurring wrong answers per question
        for m in MODELS:
            for j in range(k):
                u = rng.random()
                ans = None if u < 0.05 else spelling(gold, rng) if u < skill[m] else rng.choice(wrongs)
                rows.append({"benchmark": "math", "split": "test", "question_id": f"q{qi}", "model": m, "seed": 0,
                             "decoding": "sampled", "sample": j, "answer": ans, "gold": gold})
    return pl.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--k", type=int, default=9)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    with open(str(resources.files("slmmux") / "bundled" / "math_500.json"), encoding="utf-8") as fh:
        golds = [r["answer"] for r in json.load(fh)][: args.questions]
    table = synthesise(golds, args.k, random.Random(0))
    answers = table["answer"].to_list()
    with WorkerPool(args.workers, 5.0) as pool:
        pool.run([("equivalent", ("1", "1"))] * args.workers)  # start the workers outside the timing
        clear_cache()
        t = time.perf_counter()
        keys = answer_keys(answers, "math", pool=pool)
        verdicts = equivalent_many(list(zip(answers, table["gold"].to_list())), "math", pool=pool)
        grading = time.perf_counter() - t
        graded = table.with_columns(answer_key=pl.Series(keys, dtype=pl.String), correct=pl.Series(verdicts))
        clear_cache()

        def equivalent(pairs, benchmark):
            return equivalent_many(pairs, benchmark, pool=pool)

        t = time.perf_counter()
        merged = cluster_equivalent_answers(graded, equivalent)
        clustering = time.perf_counter() - t
        timeouts = pool.timeouts
    distinct = graded.drop_nulls("answer_key").group_by("question_id").agg(n=pl.col("answer_key").n_unique())
    after = merged.drop_nulls("answer_key").group_by("question_id").agg(n=pl.col("answer_key").n_unique())
    pairs = int((distinct["n"] * (distinct["n"] - 1) // 2).sum())
    print(f"pool: {len(MODELS)} models x {args.questions} MATH questions x k={args.k} = {table.height} answers; "
          f"{args.workers} workers, timeout 5 s, {timeouts} timeouts")
    print(f"grading (voting keys + verdicts, cold cache): {grading:.2f} s")
    print(f"clustering (pairwise equivalence of distinct keys per question, cold cache): {clustering:.2f} s "
          f"= {100 * clustering / grading:.1f}% of grading")
    print(f"distinct keys per question: mean {distinct['n'].mean():.2f} before, {after['n'].mean():.2f} after; "
          f"{pairs} pairs compared; {int((merged['answer_key'] != graded['answer_key']).sum())} answers re-keyed")


if __name__ == "__main__":
    main()
