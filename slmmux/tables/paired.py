"""SLM-MUX against each baseline on the same test questions: the paired-significance table, and the
pooled numbers as columns of the method comparison (:mod:`slmmux.significance` computes them)."""

from __future__ import annotations

import polars as pl

from slmmux.significance import PAIRED_SCHEMA, paired_tests
from slmmux.significance import method_note as significance_note
from slmmux.tables.inputs import Inputs, group_key
from slmmux.tables.render import DASH, Table, fmt_num, frame, inputs_note
from slmmux.vocabulary import METHOD_NAMES, bench_key, benchmark_name, method_key, method_name


def _paired_cell(r: dict | None) -> str:
    if r is None:
        return DASH
    return (f"{fmt_num(100 * r['difference'], signed=True)} [{fmt_num(100 * r['ci_low'], signed=True)}, "
            f"{fmt_num(100 * r['ci_high'], signed=True)}] p={r['p_value']:.3g}")


def with_paired_significance(table: Table, dec: pl.DataFrame) -> Table:
    """``table`` (method comparison) with, per benchmark, SLM-MUX − method pooled over seeds: the
    difference in points with its paired bootstrap interval and the exact McNemar p-value
    (:func:`slmmux.significance.paired_tests`); the same numbers join its CSV as ``vs_slm_mux_*``."""
    tests = paired_tests(dec).filter(pl.col("seed").is_null()) if dec.height else pl.DataFrame(schema=PAIRED_SCHEMA)
    pooled = {(r["benchmark"], r["group"], r["method"]): r for r in tests.iter_rows(named=True)}
    names = {v: k for k, v in METHOD_NAMES.items()}
    benches = sorted(dec["benchmark"].unique().to_list(), key=bench_key) if dec.height else []
    header = table.header + [f"{benchmark_name(b)} SLM-MUX − method [95% CI]" for b in benches]
    rows = [row + [_paired_cell(pooled.get((b, row[0], names.get(row[1], row[1])))) for b in benches]
            for row in table.rows]
    cols = {"vs_slm_mux_difference": 100, "vs_slm_mux_ci_low": 100, "vs_slm_mux_ci_high": 100,
            "vs_slm_mux_p_value": 1, "vs_slm_mux_n_pairs": None}
    extra = pl.DataFrame(
        [{"benchmark": b, "group": g, "method": m,
          **{c: (r[c.removeprefix("vs_slm_mux_")] * f if f else r[c.removeprefix("vs_slm_mux_")]) for c, f in cols.items()}}
         for (b, g, m), r in pooled.items()],
        schema={"benchmark": pl.String, "group": pl.String, "method": pl.String,
                **{c: (pl.Int64 if f is None else pl.Float64) for c, f in cols.items()}}, orient="row")
    data = table.data.join(extra, on=["benchmark", "group", "method"], how="left")
    return Table(table.name, table.title, header, rows, table.notes + [significance_note()], data)


def paired_significance(inp: Inputs) -> Table:
    """SLM-MUX against each baseline on the same test questions, per seed and pooled over seeds."""
    tests = paired_tests(inp.decisions) if inp.decisions.height else pl.DataFrame(schema=PAIRED_SCHEMA)
    ordered = sorted(tests.iter_rows(named=True), key=lambda r: (bench_key(r["benchmark"]), group_key(r["group"]),
                     method_key(r["method"]), r["seed"] is None, r["seed"] or 0))
    header = ["Benchmark", "Group", "Baseline", "Seed", "Pairs", "SLM-MUX only", "Baseline only",
              "SLM-MUX − baseline", "95% CI", "McNemar p"]
    rows = [[benchmark_name(r["benchmark"]), r["group"], method_name(r["method"]),
             "pooled" if r["seed"] is None else str(r["seed"]), str(r["n_pairs"]), str(r["slm_mux_only"]),
             str(r["baseline_only"]), fmt_num(100 * r["difference"], signed=True),
             f"[{fmt_num(100 * r['ci_low'], signed=True)}, {fmt_num(100 * r['ci_high'], signed=True)}]", f"{r['p_value']:.3g}"]
            for r in ordered]
    data = frame(ordered, PAIRED_SCHEMA).with_columns(pl.col("difference", "ci_low", "ci_high") * 100)
    notes = [significance_note(), "Differences and intervals in points (percent); seed 'pooled' combines every seed.",
             inputs_note(inp, ["decisions"])]
    return Table("paired_significance", "Paired significance of SLM-MUX against each baseline (same test questions)",
                 header, rows, notes, data)
