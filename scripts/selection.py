#!/usr/bin/env python
"""SLM-MUX selection (the paper's Algorithm 1) and the baselines for one model group, on the test split.

Writes the decisions table (docs/dataflow.md "decisions"): one row per (seed, question, method),

    benchmark, group, seed, question_id, method, answer, answer_key, correct, selected_model, confidence,
    members, used_models, used_decoding, used_seed, k, completion_tokens

with methods slm_mux, single_best, single_best_sc, agent_forest, oracle (tie rules: slmmux/mux.py).

The group is either --models M1 M2 ... or a searched subset: --search RANKING --size K --rank R
(the R-th best subset of size K, 1 = best). Every model of the group must have sampled test samples
for every (seed, question). A model without a validation accuracy is logged and ranks below every
model with one in confidence ties and for single-best; remaining ties go to the model name that
sorts first.

Example:
  python scripts/selection.py --samples results/samples/graded/math/*/seed*.parquet \\
      --answer-clusters results/clusters/math.parquet \\
      --validation-accuracy results/validation/math.parquet --group table1 \\
      --models gemma-2-27b llama-3.1-8b mixtral-8x7b --k 3 --out results/selection/math/table1.parquet
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
    decisions,
    read_clustered_samples,
)
from slmmux.samples import SamplesSchemaError, write_atomic
from slmmux.validation import validation_accuracy_for

log = logging.getLogger("selection")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="selection.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", required=True, nargs="+", metavar="GRADED",
                    help="graded samples Parquet files of one benchmark (other models are ignored)")
    ap.add_argument("--answer-clusters", required=True, metavar="CLUSTERS",
                    help="answer clusters of the benchmark (results/clusters/{b}.parquet, scripts/answer_clusters.py): "
                        "equivalent answers vote together")
    ap.add_argument("--validation-accuracy", required=True, metavar="VAL",
                    help="validation accuracy table (results/validation/{b}.parquet)")
    add_group_arguments(ap)
    ap.add_argument("--k", type=int, default=None,
                    help="use only the first K sampled samples (index < K) of every model per question and seed "
                         "(default: all of them)")
    ap.add_argument("--confidence-denominator", choices=CONFIDENCE_DENOMINATORS, default="k",
                    help="a model's confidence: votes / k, every sample (paper, default), or votes / samples with an "
                         "answer (the authors' code)")
    ap.add_argument("--own-tie", choices=OWN_TIES, default="first",
                    help="a model's own tied answers: the first in sample order (default) or a seeded random one")
    ap.add_argument("--out", required=True, help="output Parquet file (results/selection/{b}/{g}.parquet)")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    try:
        models = group_from_arguments(args)
        graded = read_clustered_samples(args.samples, args.answer_clusters)
        accs = validation_accuracy_for(args.validation_accuracy, graded, models)
        table = decisions(graded, models, accs, args.group, k=args.k,
                          confidence_denominator=args.confidence_denominator, own_tie=args.own_tie)
        write_atomic(table, args.out)
    except (ValueError, OSError, SamplesSchemaError, pl.exceptions.PolarsError) as exc:
        print(f"selection.py: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    summary = table.group_by("method").agg(pl.col("correct").mean()).sort("method")
    log.info("group %s (%s): %d seeds x %d questions; accuracy %s", args.group, ", ".join(models),
             table["seed"].n_unique(), table["question_id"].n_unique(),
             ", ".join(f"{m} {c:.4f}" for m, c in summary.iter_rows()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
