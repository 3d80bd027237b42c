#!/usr/bin/env python3
"""Write the questions table of one benchmark: validation and test splits."""

from __future__ import annotations

import argparse
import logging
import sys

from slmmux.data import BENCHMARKS, make_questions
from slmmux.samples import write_atomic


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--benchmark", required=True, choices=BENCHMARKS, help="benchmark name")
    p.add_argument("--validation-source", choices=["bundled", "hub"], default="bundled",
                   help="bundled: a seeded hold-out of the bundled file (offline); hub: the training split via `datasets`")
    p.add_argument("--validation-size", type=int, required=True, help="number of validation questions")
    p.add_argument("--test-size", default="all", help="number of test questions (seeded sample), or 'all'")
    p.add_argument("--seed", type=int, default=0, help="seed of the split and of the test sample")
    p.add_argument("--out", required=True, help="output Parquet file")
    return p.parse_args(argv)


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = parse_args(argv)
    test_size = None if args.test_size == "all" else int(args.test_size)
    try:
        questions = make_questions(args.benchmark, args.validation_source, args.validation_size, test_size, args.seed)
    except (ValueError, OSError) as exc:
        print(f"prepare.py: error: {exc}", file=sys.stderr)
        return 2
    write_atomic(questions, args.out)
    counts = questions.group_by("split").len().sort("split")
    logging.info("%s: %s", args.benchmark, ", ".join(f"{r['split']}={r['len']}" for r in counts.iter_rows(named=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
