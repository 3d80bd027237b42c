"""Rank model subsets by UnionAcc - lam * Contradiction over the validation split (paper §1.2).

Reads graded samples files, keeps the validation split and sampled decoding, and writes
results/search/{b}.parquet: models (list[str], sorted), size, union_accuracy, contradiction,
objective, ordered by objective, then union accuracy, descending. See slmmux/search.py.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from slmmux.mux import read_clustered_samples
from slmmux.samples import SamplesSchemaError, write_atomic
from slmmux.search import CONTRADICTION_BASES, EMPTY_SAMPLES, METHODS, rank_subsets


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--samples", nargs="+", required=True, metavar="GRADED",
                   help="graded samples Parquet files (any number; all models of the pool)")
    p.add_argument("--answer-clusters", required=True, metavar="CLUSTERS",
                   help="answer clusters of the benchmark (results/clusters/{b}.parquet, scripts/answer_clusters.py): "
                       "equivalent answers vote together")
    p.add_argument("--sizes", nargs="+", type=int, required=True, metavar="K",
                   help="subset sizes to search (sizes larger than the pool are skipped with a note)")
    p.add_argument("--lam", type=float, default=1.0,
                   help="weight of the contradiction penalty, >= 0 (paper 1.0, authors' code 0.5; default 1.0)")
    p.add_argument("--robust-level", type=int, default=1,
                   help="samples that must be correct for a model to count as correct on a question, "
                        "1..k (paper 1, authors' code 2; default 1)")
    p.add_argument("--contradiction-base", choices=CONTRADICTION_BASES, default="all",
                   help="divide the contradiction count by all validation items ('all', paper) or by the "
                        "union-correct items ('union', authors' code); default all")
    p.add_argument("--empty-samples", choices=EMPTY_SAMPLES, default="break",
                   help="'break' (default): a sample without an answer keeps a model from being consistently wrong; "
                        "'ignore': its answered samples decide")
    p.add_argument("--single-sample-consistent", choices=["yes", "no"], default="yes",
                   help="with one (answered) sample, is a wrong answer consistently wrong? (default yes)")
    p.add_argument("--method", choices=METHODS, default="exhaustive",
                   help="exhaustive (every subset), greedy (grow the best subset one model at a time) or "
                        "beam (keep --beam-width subsets per size); default exhaustive")
    p.add_argument("--beam-width", type=int, default=10, help="beam width for --method beam (default 10)")
    p.add_argument("--top", type=int, default=None,
                   help="keep only the best N subsets per size (default: every scored subset)")
    p.add_argument("--out", required=True, help="output Parquet file, e.g. results/search/math.parquet")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="search: %(message)s", stream=sys.stderr)
    log = logging.getLogger("search")
    t0 = time.perf_counter()
    try:
        samples = read_clustered_samples(args.samples, args.answer_clusters)
        result = rank_subsets(samples, args.sizes, lam=args.lam, robust_level=args.robust_level,
                              contradiction_base=args.contradiction_base, top=args.top, method=args.method,
                              beam_width=args.beam_width, empty_samples=args.empty_samples,
                              single_sample_consistent=args.single_sample_consistent == "yes")
    except (ValueError, FileNotFoundError, SamplesSchemaError) as exc:
        print(f"search: error: {exc}", file=sys.stderr)
        return 2
    write_atomic(result, args.out)
    log.info("wrote %d subsets to %s in %.1f s", result.height, args.out, time.perf_counter() - t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
