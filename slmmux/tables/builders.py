"""The paper's tables, one builder each: what a table shows, its footnotes and its CSV columns.

Each builder takes the loaded :class:`~slmmux.tables.inputs.Inputs` and returns a
:class:`~slmmux.tables.render.Table`; :func:`build_tables` builds every table of
:data:`slmmux.artifacts.TABLES` and :func:`write_tables` writes each as Markdown, LaTeX and CSV.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from slmmux.artifacts import TABLES
from slmmux.config import SEARCHED_GROUP
from slmmux.paper_reference import lookup
from slmmux.tables.estimates import (
    best_k,
    best_single_model,
    decision_setting,
    empty_sweep,
    est_fields,
    est_schema,
    estimate_for,
    estimate_over_questions,
    estimate_over_runs,
    k_row,
    single_model_runs,
    sweep_estimate,
    sweep_fields,
    sweep_schema,
    token_source,
)
from slmmux.tables.inputs import Inputs, group_key
from slmmux.tables.paired import paired_significance, with_paired_significance
from slmmux.tables.paper import paper_cells, paper_fields, paper_schema
from slmmux.tables.render import DASH, Table, error_note, fmt_num, frame, inputs_note, models_str
from slmmux.vocabulary import bench_key, benchmark_name, method_key, method_name


def method_comparison(inp: Inputs) -> Table:
    dec = inp.decisions
    benches = sorted(dec["benchmark"].unique().to_list(), key=bench_key) if dec.height else []
    keys = sorted({(g, m) for g, m in dec.select("group", "method").unique().iter_rows()},
                  key=lambda t: (group_key(t[0]), method_key(t[1])))
    header = ["Group", "Method"]
    for b in benches:
        name = benchmark_name(b)
        header += [name, f"{name} paper", f"{name} Δ"]
    rows, records, ests = [], [], []
    for g, m in keys:
        row = [g, method_name(m)]
        for b in benches:
            part = dec.filter((pl.col("benchmark") == b) & (pl.col("group") == g) & (pl.col("method") == m))
            e = estimate_for(m, part)
            ests.append(e)
            models = inp.group_models(b, g)
            hub = inp.hub_set(models)
            k, t = decision_setting(inp, part)
            rep = None
            for table in ("Table 1", "Table 2"):
                rep = rep or lookup(table, b, m, hub, samples=k, temperature=t)
            pc, pd = paper_cells(e, rep)
            row += [e.cell() if e else DASH, pc, pd]
            if e:
                records.append({"benchmark": b, "group": g, "method": m, "models": models_str(models),
                                "k": k, **est_fields(e, "ours"), **paper_fields(e, rep)})
        rows.append(row)
    notes = [error_note(ests)]
    members = []
    for b in benches:
        for g in sorted(dec.filter(pl.col("benchmark") == b)["group"].unique().to_list(), key=group_key):
            models = inp.group_models(b, g)
            hubs = ", ".join(inp.hub_ids.get(x, "?") for x in models) if models else "unknown"
            members.append(f"{benchmark_name(b)} {g} = {models_str(models)} ({hubs})")
    if members:
        notes.append("Groups (as the decisions record them): " + "; ".join(members) + ".")
    notes.append("Paper numbers (the paper, §4, Table 1 or 2) appear only where benchmark, method, the group's hub "
                 "model ids, the samples per model (k = 3) and the temperature (0.3 sampled, 0 for Single-Best's "
                 "greedy answer) match; Δ = ours − paper, in points, from our unrounded accuracy.")
    notes.append(inputs_note(inp, ["decisions", "config"]))
    schema = {"benchmark": pl.String, "group": pl.String, "method": pl.String, "models": pl.String, "k": pl.Int64,
              **est_schema("ours"), **paper_schema("paper")}
    data = frame(records, schema)
    table = Table("method_comparison", "Accuracy (%) of SLM-MUX and the baselines per benchmark", header, rows, notes, data)
    return with_paired_significance(table, dec)


def searched_groups(inp: Inputs) -> Table:
    dec = inp.decisions
    pairs = sorted({(b, g) for b, g in dec.select("benchmark", "group").unique().iter_rows() if SEARCHED_GROUP.match(g)},
                   key=lambda t: (bench_key(t[0]), group_key(t[1])))
    header = ["Benchmark", "Group", "Models", "Best single", "SLM-MUX", "Gain",
              "Paper group", "Paper best single", "Paper SLM-MUX", "Paper gain"]
    rows, records, ests = [], [], []
    for b, g in pairs:
        part = dec.filter((pl.col("benchmark") == b) & (pl.col("group") == g))
        single_part = part.filter(pl.col("method") == "single_best")
        mux_part = part.filter(pl.col("method") == "slm_mux")
        single = estimate_for("single_best", single_part)
        mux = estimate_for("slm_mux", mux_part)
        ests += [single, mux]
        models = inp.group_models(b, g)
        best = best_single_model(inp, b, g)
        gain = 100 * (mux.mean - single.mean) if (mux and single) else None
        hub = inp.hub_set(models)
        ks, ts = decision_setting(inp, single_part)
        km, tm = decision_setting(inp, mux_part)
        rs = lookup("Table 2", b, "single_best", hub, samples=ks, temperature=ts)
        rm = lookup("Table 2", b, "slm_mux", hub, samples=km, temperature=tm)
        pgain = rm.gain if rm else None
        rows.append([
            benchmark_name(b), g, models_str(models),
            (single.cell() if single else DASH) + (f" ({best})" if best else ""),
            mux.cell() if mux else DASH,
            fmt_num(gain, signed=True) if gain is not None else DASH,
            rm.paper_group if rm else DASH,
            paper_cells(single, rs)[0], paper_cells(mux, rm)[0],
            fmt_num(pgain, signed=True) if pgain is not None else DASH,
        ])
        records.append({"benchmark": b, "group": g, "models": models_str(models), "best_single_model": best,
                        **est_fields(single, "best_single"), **est_fields(mux, "slm_mux"), "gain": gain,
                        "paper_group": rm.paper_group if rm else None,
                        "paper_best_single": rs.mean if rs else None, "paper_slm_mux": rm.mean if rm else None,
                        "paper_gain": pgain})
    notes = [error_note(ests),
             "Searched groups are named s<K>r<R>: the R-th best subset of K models by the search objective "
             "(results/search); Best single is the group's Single-Best baseline (its model, as the decisions record "
             "it, in parentheses); Gain = SLM-MUX − Best single, in points, from unrounded accuracies.",
             "Paper columns (the paper, Table 2) appear where benchmark, the group's hub model ids, k = 3 and the "
             "temperature match; Paper gain is the gain the paper prints.",
             inputs_note(inp, ["decisions", "config"])]
    schema = {"benchmark": pl.String, "group": pl.String, "models": pl.String, "best_single_model": pl.String,
              **est_schema("best_single"), **est_schema("slm_mux"), "gain": pl.Float64, "paper_group": pl.String,
              "paper_best_single": pl.Float64, "paper_slm_mux": pl.Float64, "paper_gain": pl.Float64}
    return Table("searched_groups", "Searched model groups on the test split: best single model vs SLM-MUX (%)",
                 header, rows, notes, frame(records, schema))


def agent_forest(inp: Inputs) -> Table:
    sw = inp.scaling_samples if inp.scaling_samples is not None else empty_sweep()
    pairs = sorted(set(sw.select("benchmark", "group").unique().iter_rows()),
                   key=lambda t: (bench_key(t[0]), group_key(t[1])))
    header = ["Benchmark", "Group", "Samples", "SLM-MUX", "Agent Forest", "Paper SLM-MUX", "Paper Agent Forest"]
    rows, records, ests = [], [], []
    for b, g in pairs:
        part = sw.filter((pl.col("benchmark") == b) & (pl.col("group") == g))
        hub = inp.hub_set(inp.group_models(b, g))
        for label, pick in (("2", lambda meth: k_row(part, meth, 2)), ("best", lambda meth: best_k(part, meth))):
            rm, ra = pick("slm_mux"), pick("agent_forest")
            if rm is None and ra is None:
                continue
            em, ea = sweep_estimate(rm), sweep_estimate(ra)
            ests += [em, ea]
            samples = 2 if label == "2" else "best"
            pm = lookup("Table 3", b, "slm_mux", hub, samples, inp.test_temperature)
            pa = lookup("Table 3", b, "agent_forest", hub, samples, inp.test_temperature)

            def cell(e, r):
                if e is None:
                    return DASH
                return e.cell() + (f" (k={r['k']})" if label == "best" else "")

            rows.append([benchmark_name(b), g, "k=2" if label == "2" else "best k",
                         cell(em, rm), cell(ea, ra), paper_cells(em, pm)[0], paper_cells(ea, pa)[0]])
            records.append({"benchmark": b, "group": g, "samples": label,
                            "slm_mux_k": rm["k"] if rm else None, **sweep_fields(em, rm, "slm_mux"),
                            "agent_forest_k": ra["k"] if ra else None, **sweep_fields(ea, ra, "agent_forest"),
                            "paper_slm_mux": pm.mean if pm else None, "paper_agent_forest": pa.mean if pa else None})
    notes = [error_note(ests),
             "Each seed's samples are swept on their own (Monte Carlo draws of k samples per model and question, "
             "slmmux/scaling.py); the CSV's *_mc_stderr columns give the Monte Carlo error of each mean apart.",
             "best k: each method's highest mean over the swept k (ties: the smallest k), k in parentheses.",
             "Paper columns (the paper, Table 3, its group 2) appear where benchmark, hub model ids and the "
             "temperature (0.3) match.",
             inputs_note(inp, ["scaling_samples", "config"])]
    schema = {"benchmark": pl.String, "group": pl.String, "samples": pl.String, "slm_mux_k": pl.Int64,
              **sweep_schema("slm_mux"), "agent_forest_k": pl.Int64, **sweep_schema("agent_forest"),
              "paper_slm_mux": pl.Float64, "paper_agent_forest": pl.Float64}
    return Table("agent_forest", "SLM-MUX vs Agent Forest with the same samples per model (%)",
                 header, rows, notes, frame(records, schema))


def reference_model(inp: Inputs) -> Table:
    sw = inp.scaling_samples
    benches = inp.benchmarks()
    header = ["Benchmark", "Configuration", "Accuracy", "Paper", "Δ"]
    rows, records, ests = [], [], []
    ref = inp.reference_model
    for b in benches:
        groups = sorted(sw.filter(pl.col("benchmark") == b)["group"].unique().to_list(), key=group_key) if sw is not None else []
        for g in groups:
            r = best_k(sw.filter((pl.col("benchmark") == b) & (pl.col("group") == g)), "slm_mux")
            if r is None:
                continue
            e = sweep_estimate(r)
            ests.append(e)
            rep = lookup("Table 4", b, "best_after_scaling", inp.hub_set(inp.group_models(b, g)), "best",
                               inp.test_temperature)
            pc, pd = paper_cells(e, rep)
            rows.append([benchmark_name(b), f"SLM-MUX {g} (best k={r['k']})", e.cell(), pc, pd])
            records.append({"benchmark": b, "configuration": f"slm_mux:{g}", "k": r["k"], **sweep_fields(e, r, "ours"),
                            "status": "ok", **paper_fields(e, rep)})
        if ref is None:
            continue
        hub = inp.hub_ids.get(ref)
        runs = single_model_runs(inp.samples, b, ref) if inp.samples is not None else pl.DataFrame()
        greedy = runs.height > 0 and runs["decoding"][0] == "greedy"
        rep = lookup("Table 4", b, "reference", frozenset({hub}) if hub else None,
                           temperature=0.0 if greedy else inp.test_temperature)
        e = estimate_over_questions(runs) if runs.height else None
        label = f"Reference {ref}" + (f" ({hub})" if hub else "")
        if e is None:
            rows.append([benchmark_name(b), label, "not generated", paper_cells(None, rep)[0], DASH])
            status = "not generated"
        else:
            ests.append(e)
            pc, pd = paper_cells(e, rep)
            rows.append([benchmark_name(b), label, e.cell(), pc, pd])
            status = "ok"
        records.append({"benchmark": b, "configuration": f"reference:{ref}", "k": None, **sweep_fields(e, None, "ours"),
                        "status": status, **paper_fields(e, rep)})
    notes = [error_note(ests),
             "SLM-MUX rows: the best mean over the samples sweep (ties: the smallest k), ± as the sweep's. Reference "
             "rows: the reference model's greedy test answers (its first sample when no greedy sample was generated), "
             "± over questions; 'not generated' when its samples are absent." if ref else "No reference model configured.",
             "Paper columns: the paper's Table 4 (reference Qwen2.5 72B), where benchmark, hub model ids and "
             "temperature match.",
             inputs_note(inp, ["scaling_samples", "samples", "config"])]
    schema = {"benchmark": pl.String, "configuration": pl.String, "k": pl.Int64, **sweep_schema("ours"),
              "status": pl.String, **paper_schema("paper")}
    return Table("reference_model", "Best accuracy after sample scaling vs a larger reference model (%)",
                 header, rows, notes, frame(records, schema))


def model_accuracy(inp: Inputs) -> Table:
    s = inp.samples
    header = ["Benchmark", "Model", "Hub id", "Greedy (T=0)", "Sampled", "Paper greedy", "Δ greedy"]
    rows, records, ests = [], [], []
    if s is not None:
        test = s.filter(pl.col("split") == "test")
        keys = sorted(set(test.select("benchmark", "model").unique().iter_rows()), key=lambda t: (bench_key(t[0]), t[1]))
        for b, m in keys:
            part = test.filter((pl.col("benchmark") == b) & (pl.col("model") == m))
            eg = estimate_over_questions(part.filter(pl.col("decoding") == "greedy"))
            es = estimate_over_runs(part.filter(pl.col("decoding") == "sampled"))
            ests += [eg, es]
            hub = inp.hub_ids.get(m)
            rep = lookup("Appendix", b, "greedy", frozenset({hub}) if hub else None, temperature=0.0)
            pc, pd = paper_cells(eg, rep)
            rows.append([benchmark_name(b), m, hub or DASH, eg.cell() if eg else DASH,
                         es.cell() if es else DASH, pc, pd])
            records.append({"benchmark": b, "model": m, "hub_id": hub, **est_fields(eg, "greedy"),
                            **est_fields(es, "sampled"), **paper_fields(eg, rep)})
    notes = [error_note(ests),
             "Greedy: the temperature-0 answer per question, ± over questions. Sampled: the fraction of correct sampled "
             "answers (all samples of every question), ± over runs.",
             "Paper greedy: the paper's appendix (single models at temperature 0), where the hub id matches.",
             inputs_note(inp, ["samples", "config"])]
    schema = {"benchmark": pl.String, "model": pl.String, "hub_id": pl.String, **est_schema("greedy"),
              **est_schema("sampled"), **paper_schema("paper")}
    return Table("model_accuracy", "Accuracy of each model on the test split (%)", header, rows, notes,
                 frame(records, schema))


def token_usage(inp: Inputs) -> Table:
    dec = inp.decisions
    keys = sorted(set(dec.select("benchmark", "group", "method").unique().iter_rows()),
                  key=lambda t: (bench_key(t[0]), group_key(t[1]), method_key(t[2])))
    header = ["Benchmark", "Group", "Method", "Completion tokens / question", "Counted from"]
    rows, records = [], []
    for b, g, m in keys:
        part = dec.filter((pl.col("benchmark") == b) & (pl.col("group") == g) & (pl.col("method") == m))
        if "completion_tokens" in part.columns and part["completion_tokens"].null_count() == 0 and part.height:
            tok = float(part["completion_tokens"].cast(pl.Float64).mean())
            src = token_source(part)
        else:
            tok, src = None, "not recorded"
        rows.append([benchmark_name(b), g, method_name(m), DASH if tok is None else fmt_num(tok), src])
        records.append({"benchmark": b, "group": g, "method": m, "completion_tokens_per_question": tok, "source": src})
    notes = ["Mean over (seed, test question) of the completion tokens of the samples a decision used, as the decisions "
             "record them: SLM-MUX, Agent Forest and the oracle the k sampled answers of every group model; "
             "Single-Best-SC the best model's k; Single-Best its one answer; discussion baselines their recorded "
             "completion_tokens. No standard error: token counts are not an estimate of accuracy.",
             inputs_note(inp, ["decisions", "config"])]
    schema = {"benchmark": pl.String, "group": pl.String, "method": pl.String,
              "completion_tokens_per_question": pl.Float64, "source": pl.String}
    return Table("token_usage", "Generation cost: completion tokens per question", header, rows, notes,
                 frame(records, schema))


BUILDERS = {
    "method_comparison": method_comparison,
    "searched_groups": searched_groups,
    "agent_forest": agent_forest,
    "reference_model": reference_model,
    "model_accuracy": model_accuracy,
    "token_usage": token_usage,
    "paired_significance": paired_significance,
}


def build_tables(inp: Inputs) -> list[Table]:
    return [BUILDERS[name](inp) for name in TABLES]


def write_tables(tables: list[Table], outdir: str | Path) -> list[Path]:
    """Write each table as ``{name}.md``, ``{name}.tex`` and ``{name}.csv`` under ``outdir``."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for t in tables:
        for fmt, text in (("md", t.markdown()), ("tex", t.latex()), ("csv", t.csv())):
            p = outdir / f"{t.name}.{fmt}"
            p.write_text(text, encoding="utf-8", newline="\n")
            written.append(p)
    return written
