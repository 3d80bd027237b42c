#!/usr/bin/env python
"""Regenerate the paper's figures (PNG and PDF) from the workflow's outputs.

Writes {outdir}/{stem}.{png,pdf} for each figure whose inputs are present (fixed stems, see
slmmux.figures; --list prints what a configuration produces). A figure with absent inputs is skipped
with a note on stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys

from _report_options import add_input_arguments, inputs_from_arguments
from slmmux import figures, tables


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_input_arguments(p)
    p.add_argument("--outdir", help="folder for the figures (e.g. results/figures); required unless --list")
    p.add_argument("--list", nargs="+", metavar="BENCHMARK",
                   help="print the figure file names produced for these benchmarks (groups from --config) and exit")
    return p


def main(argv: list[str] | None = None) -> int:
    a = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="make_figures: %(message)s")
    if a.list:
        groups = tables.read_mapping(a.config).get("groups") or {} if a.config else {}
        print("\n".join(figures.expected_figures(a.list, list(groups) or ["searched"])))
        return 0
    if not a.outdir:
        print("make_figures: error: --outdir is required", file=sys.stderr)
        return 2
    try:
        inp = inputs_from_arguments(a)
        written = figures.make_figures(inp, a.outdir)
    except (OSError, ValueError, KeyError) as exc:
        print(f"make_figures: error: {exc}".replace("\n", " "), file=sys.stderr)
        return 2
    print(f"make_figures: wrote {len(written)} files to {a.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
