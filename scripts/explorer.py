#!/usr/bin/env python
"""Write the question explorer of one benchmark and model group: a static, self-contained HTML page
listing every test question with each model's samples and confidence, the SLM-MUX decision and every
baseline's answer, with filters (slmmux/explorer.py). It opens from disk; nothing is fetched.

The group is --models M1 M2 ... or a searched subset --search RANKING --size K --rank R, as for
scripts/selection.py. --decisions takes the group's selection decisions and, when run, its discussion
decisions (read by column name).

Example:
  python scripts/explorer.py --samples results/samples/graded/math/*/seed*.parquet \\
      --answer-clusters results/clusters/math.parquet \\
      --questions results/questions/math.parquet --decisions results/selection/math/trio.parquet \\
      --benchmark math --group trio --models tiny-a tiny-b tiny-c \\
      --out results/explorer/math/explorer_math_trio.html
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import polars as pl

from _group_options import add_group_arguments, group_from_arguments
from slmmux.data import read_questions
from slmmux.explorer import FLAGS, write_explorer
from slmmux.mux import read_clustered_samples
from slmmux.samples import SamplesSchemaError

log = logging.getLogger("explorer")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="explorer.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", required=True, nargs="+", metavar="GRADED", help="graded samples Parquet files")
    ap.add_argument("--answer-clusters", required=True, metavar="CLUSTERS",
                    help="answer clusters of the benchmark (results/clusters/{b}.parquet): the confidences shown "
                         "count equivalent answers together, as the selection does")
    ap.add_argument("--questions", required=True, help="questions table (results/questions/{b}.parquet)")
    ap.add_argument("--decisions", required=True, nargs="+", metavar="PARQUET",
                    help="decisions of the group: results/selection/{b}/{g}.parquet and any discussion decisions")
    ap.add_argument("--benchmark", required=True, help="benchmark key")
    add_group_arguments(ap)
    ap.add_argument("--out", required=True, help="output HTML file")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    try:
        models = group_from_arguments(args)
        samples = read_clustered_samples(args.samples, args.answer_clusters)
        questions = read_questions(args.questions)
        decisions = pl.concat([pl.read_parquet(p) for p in args.decisions], how="diagonal_relaxed")
        data = write_explorer(args.out, samples, questions, decisions, models, args.benchmark, args.group)
    except (ValueError, OSError, SamplesSchemaError, pl.exceptions.PolarsError) as exc:
        print(f"explorer.py: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    counts = {f: sum(f in r["flags"] for r in data["rows"]) for f in FLAGS}
    log.info("%s/%s: %d rows (seed x question), models %s; %s; %d bytes", args.benchmark, args.group,
             len(data["rows"]), ", ".join(models), ", ".join(f"{f} {n}" for f, n in counts.items()),
             Path(args.out).stat().st_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
