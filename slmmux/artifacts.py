"""The file names the tables and figures steps write, for a configuration (no plotting, no data).

The workflow lists these names while it builds the DAG, on the submitting host and again in every
cluster job, so this module imports only the standard library; :mod:`slmmux.tables` and
:mod:`slmmux.figures` (polars, matplotlib) re-export them.
"""

from __future__ import annotations

from collections.abc import Iterable

TABLES = ("method_comparison", "searched_groups", "agent_forest", "reference_model", "model_accuracy", "token_usage",
          "paired_significance")
TABLE_FORMATS = ("md", "tex", "csv")

FIGURE_KINDS = ("attribution", "search_objectives", "samples_scaling", "models_scaling", "calibration")
FIGURE_FORMATS = ("png", "pdf")

from slmmux.vocabulary import BENCHMARK_ORDER, bench_key  # noqa: F401  (re-exported for the table and figure code)


def expected_tables() -> list[str]:
    """File names (relative to the tables folder) that :func:`slmmux.tables.write_tables` always writes."""
    return [f"{name}.{fmt}" for name in TABLES for fmt in TABLE_FORMATS]


def expected_figures(benchmarks: Iterable[str], groups: Iterable[str] | dict | None = None,
                     discussion: bool = False) -> list[str]:
    """File names the figures step produces for a configuration with all its inputs present.

    ``groups``: the group names (or a mapping with them as keys); with none, the group-based figures
    (attribution, radar, calibration) are not produced. ``discussion``: whether the discussion
    baselines ran (adds ``discussion_{b}``).
    """
    benchmarks = sorted(set(benchmarks), key=bench_key)
    has_groups = bool(list(groups) if groups is not None else [])
    stems = []
    for b in benchmarks:
        for kind in FIGURE_KINDS:
            if kind in ("attribution", "calibration") and not has_groups:
                continue
            stems.append(f"{kind}_{b}")
        if discussion:
            stems.append(f"discussion_{b}")
    if "math" in benchmarks and has_groups:
        stems.append("math_subject_radar")
    stems.append("theory_majority")
    return [f"{s}.{fmt}" for s in sorted(stems) for fmt in FIGURE_FORMATS]
