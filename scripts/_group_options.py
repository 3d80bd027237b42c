"""Command-line options naming a model group: ``--group`` with ``--models``, or a searched subset
``--search``/``--size``/``--rank`` (scripts/selection.py, scripts/scale.py, scripts/explorer.py).

Not an entry point: the scripts import it as a sibling module (``python scripts/x.py`` puts scripts/
first on ``sys.path``), and :mod:`slmmux.code_digest` follows that import, so editing an option here
reruns the rules whose scripts use it.
"""

from __future__ import annotations

import argparse

import polars as pl

from slmmux.search import ranked_subset


def add_group_arguments(p: argparse.ArgumentParser) -> None:
    """Command-line options naming a model group: --group plus --models, or --search/--size/--rank."""
    p.add_argument("--group", required=True, help="name of the model group, written to the table")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--models", nargs="+", metavar="M", help="model keys of the group")
    who.add_argument("--search", metavar="RANKING",
                     help="search table (results/search/{b}.parquet); the group is its --rank-th subset of --size")
    p.add_argument("--size", type=int, help="with --search: number of models in the subset")
    p.add_argument("--rank", type=int, default=1, help="with --search: 1 = best subset of that size (default 1)")


def group_from_arguments(args: argparse.Namespace) -> list[str]:
    """The group's models from the options of :func:`add_group_arguments`."""
    if args.models:
        return list(args.models)
    if args.size is None:
        raise ValueError("--search needs --size")
    return ranked_subset(pl.read_parquet(args.search), args.size, args.rank)
