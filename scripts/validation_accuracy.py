#!/usr/bin/env python
"""Per-model validation accuracy: the fraction of correct sampled validation samples, over all seeds.

SLM-MUX breaks confidence ties with it and the single-best baseline is chosen by it. Reads graded
samples tables, uses only rows with split == "validation" and decoding == "sampled", and writes
(docs/dataflow.md "validation accuracy"):

    benchmark, model, validation_accuracy, n_questions, n_samples

Example:
  python scripts/validation_accuracy.py --samples results/samples/graded/math/*/seed*.parquet \\
      --out results/validation/math.parquet
"""

from __future__ import annotations

import argparse
import logging
import sys

from slmmux.validation import validation_accuracy_table
from slmmux.samples import SamplesSchemaError, read_samples, write_atomic

log = logging.getLogger("validation_accuracy")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="validation_accuracy.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", required=True, nargs="+", metavar="GRADED",
                    help="graded samples Parquet files (results/samples/graded/{b}/{m}/seed{s}.parquet)")
    ap.add_argument("--out", required=True, help="output Parquet file (results/validation/{b}.parquet)")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    try:
        graded = read_samples(args.samples, graded=True)
        table = validation_accuracy_table(graded)
        if table.height == 0:
            raise ValueError("the samples hold no sampled validation rows (split 'validation', decoding 'sampled')")
        write_atomic(table, args.out)
    except (ValueError, OSError, SamplesSchemaError) as exc:
        print(f"validation_accuracy.py: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    for row in table.iter_rows(named=True):
        log.info("%s %s: %.4f over %d questions, %d samples", row["benchmark"], row["model"],
                 row["validation_accuracy"], row["n_questions"], row["n_samples"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
