"""Grade raw samples: extract answers, compute voting keys and correctness (the ``grade`` stage).

Reads a raw samples table and the questions table, writes the graded samples table
(``docs/dataflow.md``), and prints a short accuracy summary to stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys

import polars as pl

from slmmux.answers import DEFAULT_TIMEOUT, accuracy_summary, grade_samples
from slmmux.data import read_questions
from slmmux.samples import read_samples, write_samples


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--samples", required=True, help="raw samples Parquet file (slmmux.samples raw schema)")
    p.add_argument("--questions", required=True, help="questions Parquet file with the gold answers")
    p.add_argument("--out", required=True, help="where to write the graded samples Parquet file")
    p.add_argument("--workers", type=int, default=2,
                   help="worker processes for symbolic (math-verify) equivalence checks (default: 2)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help=f"seconds allowed per symbolic check; slower checks count as wrong (default: {DEFAULT_TIMEOUT})")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    if args.workers < 1 or args.timeout <= 0:
        print("error: --workers must be >= 1 and --timeout > 0", file=sys.stderr)
        return 2
    try:
        raw = read_samples(args.samples)
        if raw.height == 0:
            # a generation job always writes at least one sample per question: an empty file is a
            # broken one, and grading it "successfully" would hide the model from every table
            raise ValueError(f"{args.samples} holds no samples (zero rows); delete it so that it is generated again")
        questions = read_questions(args.questions)
        graded = grade_samples(raw, questions, workers=args.workers, timeout=args.timeout)
        write_samples(graded, args.out, graded=True)
    except (OSError, ValueError, pl.exceptions.PolarsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    summary = accuracy_summary(graded)
    print(f"graded {graded.height} samples -> {args.out}", file=sys.stderr)
    for r in summary.iter_rows(named=True):
        print(f"  {r['benchmark']} {r['model']} {r['split']} {r['decoding']}: rows={r['rows']} "
              f"accuracy={r['accuracy']:.3f} strict={r['strict_accuracy']:.3f} no_answer={r['no_answer']:.3f}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
