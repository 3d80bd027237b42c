#!/usr/bin/env python
"""Compute-scaling sweeps (paper §3.3, docs/dataflow.md "scaling").

  scale.py samples  accuracy of SLM-MUX and Agent Forest against samples per model k = 1..--k-max:
                    for each run seed, in each of --trials Monte Carlo trials, every model's k samples
                    per test question are drawn without replacement from its sampled test samples of
                    that seed; mean and standard error over seeds, Monte Carlo error apart. Columns:
                    benchmark, group, models, method, k, mean, stderr, seeds, mc_stderr, trials
  scale.py models   for each --sizes K, the best subset of size K in the search table, run on the
                    test split; mean and standard error over seeds, plus its union accuracy (any
                    sample of any model of the subset correct, mean over seeds). Output columns:
                    benchmark, n_models, models, method, mean, stderr, trials, union_accuracy
                    Sizes absent from the search table or bigger than the pool are skipped (logged).

Examples:
  python scripts/scale.py samples --samples results/samples/graded/math/*/seed*.parquet \\
      --answer-clusters results/clusters/math.parquet --validation-accuracy results/validation/math.parquet \\
      --group g1 --models qwen2.5-7b llama-3.1-8b \\
      --k-max 9 --trials 100 --seed 0 --out results/scaling/math/samples_g1.parquet
  python scripts/scale.py models --samples results/samples/graded/math/*/seed*.parquet \\
      --answer-clusters results/clusters/math.parquet --validation-accuracy results/validation/math.parquet \\
      --search results/search/math.parquet \\
      --sizes 2 3 4 5 --k 3 --out results/scaling/math/models.parquet
"""

from __future__ import annotations

import argparse
import logging
import sys

import polars as pl

from _group_options import add_group_arguments, group_from_arguments
from slmmux.mux import (
    CONFIDENCE_DENOMINATORS,
    OWN_TIES,
    first_k_samples,
    read_clustered_samples,
)
from slmmux.samples import SamplesSchemaError, write_atomic
from slmmux.scaling import models_sweep, samples_sweep
from slmmux.validation import validation_accuracy_for

log = logging.getLogger("scale")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="scale.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="sweep", required=True, metavar="{samples,models}")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--samples", required=True, nargs="+", metavar="GRADED",
                       help="graded samples Parquet files of one benchmark")
        p.add_argument("--answer-clusters", required=True, metavar="CLUSTERS",
                       help="answer clusters of the benchmark (results/clusters/{b}.parquet, scripts/answer_clusters.py): "
                            "equivalent answers vote together")
        p.add_argument("--validation-accuracy", required=True, metavar="VAL",
                       help="validation accuracy table (results/validation/{b}.parquet); models without one "
                            "rank last in SLM-MUX ties, then by name")
        p.add_argument("--confidence-denominator", choices=CONFIDENCE_DENOMINATORS, default="k",
                       help="a model's confidence: votes / k (paper, default) or votes / samples with an answer")
        p.add_argument("--out", required=True, help="output Parquet file")

    s = sub.add_parser("samples", help="accuracy against samples per model (Monte Carlo)",
                       description="Accuracy of SLM-MUX and Agent Forest against samples per model.")
    common(s)
    add_group_arguments(s)
    s.add_argument("--k-max", type=int, required=True,
                   help="largest samples per model; every model needs at least this many per test question")
    s.add_argument("--trials", type=int, default=100, help="Monte Carlo trials (default 100)")
    s.add_argument("--seed", type=int, default=0, help="seed of the random draws (default 0)")

    m = sub.add_parser("models", help="accuracy against number of models (best searched subsets)",
                       description="Accuracy and union accuracy of the best searched subset of each size.")
    common(m)
    m.add_argument("--search", required=True, metavar="RANKING", help="search table (results/search/{b}.parquet)")
    m.add_argument("--sizes", required=True, nargs="+", type=int, metavar="K", help="subset sizes, e.g. 2 3 4 5")
    m.add_argument("--own-tie", choices=OWN_TIES, default="first",
                   help="a model's own tied answers: the first in sample order (default) or a seeded random one")
    m.add_argument("--k", type=int, default=None,
                   help="use only the first K sampled samples (index < K) per model, question and seed "
                        "(default: all of them)")
    return ap


def run_samples(args: argparse.Namespace) -> pl.DataFrame:
    models = group_from_arguments(args)
    graded = read_clustered_samples(args.samples, args.answer_clusters)
    accs = validation_accuracy_for(args.validation_accuracy, graded, models)
    out = samples_sweep(graded, models, accs, args.group, k_max=args.k_max, trials=args.trials, seed=args.seed,
                        confidence_denominator=args.confidence_denominator)
    for row in out.iter_rows(named=True):
        log.info("%s k=%d: %.4f +- %.4f", row["method"], row["k"], row["mean"], row["stderr"])
    return out


def run_models(args: argparse.Namespace) -> pl.DataFrame:
    graded = read_clustered_samples(args.samples, args.answer_clusters)
    search = pl.read_parquet(args.search)
    if args.k is not None:
        in_search = set(search["models"].explode().to_list()) if "models" in search.columns else set()
        graded = first_k_samples(graded.filter(pl.col("model").is_in(list(in_search))), args.k)
    out = models_sweep(graded, validation_accuracy_for(args.validation_accuracy, graded), search, args.sizes,
                       confidence_denominator=args.confidence_denominator, own_tie=args.own_tie)
    for row in out.iter_rows(named=True):
        log.info("K=%d %s (%s): %.4f +- %.4f, union %.4f", row["n_models"], row["method"],
                 ", ".join(row["models"]), row["mean"], row["stderr"], row["union_accuracy"])
    return out


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    try:
        out = run_samples(args) if args.sweep == "samples" else run_models(args)
        write_atomic(out, args.out)
    except (ValueError, OSError, SamplesSchemaError, pl.exceptions.PolarsError) as exc:
        print(f"scale.py: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
