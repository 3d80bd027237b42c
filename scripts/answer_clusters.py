#!/usr/bin/env python
"""Which answers of each question are one answer: the clusters of equivalent answer keys.

Reads the graded samples of every model of one benchmark and writes, for every distinct answer key
of every question, the key of its cluster (docs/dataflow.md "answer clusters"):

    benchmark, split, question_id, answer_key, cluster

MATH keys are canonical forms that do not simplify (\\sqrt{12} and 2\\sqrt{3} differ), so every pair
of a question's distinct keys is checked with the grader's equivalence (bounded in time) and
equivalent keys are merged transitively; a cluster is named by its smallest key. Other benchmarks'
keys are exact: each is its own cluster. Selection, the subset search and the sweeps all vote on
these clusters, computed once per benchmark over every model's samples so that each group sees
the same ones.

Example:
  python scripts/answer_clusters.py --samples results/samples/graded/math/*/seed*.parquet \\
      --out results/clusters/math.parquet
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

import polars as pl

from slmmux.answers import DEFAULT_TIMEOUT, WorkerPool, equivalent_many
from slmmux.mux import answer_clusters
from slmmux.samples import SamplesSchemaError, read_samples, write_atomic

log = logging.getLogger("answer_clusters")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="answer_clusters.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", required=True, nargs="+", metavar="GRADED",
                    help="graded samples Parquet files of one benchmark, every model and seed")
    ap.add_argument("--out", required=True, help="output Parquet file (results/clusters/{b}.parquet)")
    ap.add_argument("--workers", type=int, default=2,
                    help="worker processes for symbolic (math-verify) equivalence checks (default: 2)")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                    help=f"seconds allowed per symbolic check; slower pairs count as different answers "
                         f"(default: {DEFAULT_TIMEOUT})")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    t0 = time.perf_counter()
    try:
        if args.workers < 1 or args.timeout <= 0:
            raise ValueError("--workers must be >= 1 and --timeout > 0")
        graded = read_samples(args.samples, graded=True)
        benchmarks = graded["benchmark"].unique().to_list()
        if len(benchmarks) != 1:
            raise ValueError(f"the samples must hold one benchmark, not {sorted(map(str, benchmarks)) or 'none'}")
        with WorkerPool(args.workers, args.timeout) as pool:
            table = answer_clusters(graded, lambda pairs, benchmark: equivalent_many(pairs, benchmark, pool=pool))
        write_atomic(table, args.out)
    except (ValueError, OSError, SamplesSchemaError, pl.exceptions.PolarsError) as exc:
        print(f"answer_clusters.py: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    merged = table.filter(pl.col("answer_key") != pl.col("cluster")).height
    log.info("%s: %d distinct answers of %d questions, %d merged into an equivalent answer's cluster, in %.1f s",
             benchmarks[0], table.height, table.select("split", "question_id").n_unique(), merged,
             time.perf_counter() - t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
