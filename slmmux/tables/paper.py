"""The glue to the paper's reported numbers (:mod:`slmmux.paper_reference`): the paper's cell beside
ours, our difference from it (computed from our unrounded mean), and the same as CSV columns."""

from __future__ import annotations

import polars as pl

from slmmux.paper_reference import Reported
from slmmux.tables.estimates import Estimate
from slmmux.tables.render import DASH, fmt_num


def paper_cells(ours: Estimate | None, rep: Reported | None) -> tuple[str, str]:
    """The paper's cell and Δ = ours − paper, from our unrounded mean."""
    if rep is None:
        return DASH, DASH
    cell = fmt_num(rep.mean) + (f" ± {fmt_num(rep.se)}" if rep.se is not None else "")
    diff = fmt_num(100 * ours.mean - rep.mean, signed=True) if ours is not None else DASH
    return cell, diff


def paper_fields(ours: Estimate | None, rep: Reported | None, prefix: str = "paper") -> dict:
    return {
        f"{prefix}_table": rep.table if rep else None,
        f"{prefix}_accuracy": rep.mean if rep else None,
        f"{prefix}_stderr": rep.se if rep else None,
        f"{prefix}_difference": (100 * ours.mean - rep.mean) if (rep and ours) else None,
    }


def paper_schema(prefix: str) -> dict:
    return {f"{prefix}_table": pl.String, f"{prefix}_accuracy": pl.Float64,
            f"{prefix}_stderr": pl.Float64, f"{prefix}_difference": pl.Float64}
