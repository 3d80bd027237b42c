#!/usr/bin/env python
"""Regenerate the paper's tables (Markdown, LaTeX, CSV) from the workflow's outputs.

Writes {outdir}/{name}.{md,tex,csv} for every name in slmmux.tables.TABLES (always all of them; a table
whose inputs are absent says so). Same inputs give byte-identical files.
"""

from __future__ import annotations

import argparse
import sys

from _report_options import add_input_arguments, inputs_from_arguments
from slmmux import tables


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_input_arguments(p)
    p.add_argument("--outdir", required=True, help="folder for the tables (e.g. results/tables)")
    return p


def main(argv: list[str] | None = None) -> int:
    a = parser().parse_args(argv)
    try:
        inp = inputs_from_arguments(a)
        written = tables.write_tables(tables.build_tables(inp), a.outdir)
    except (OSError, ValueError, KeyError) as exc:
        print(f"make_tables: error: {exc}".replace("\n", " "), file=sys.stderr)
        return 2
    print(f"make_tables: wrote {len(written)} files to {a.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
