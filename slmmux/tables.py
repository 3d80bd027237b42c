"""The paper's tables regenerated from the workflow's outputs (Markdown, LaTeX and CSV).

Tables (file stem = name; see :func:`expected_tables`):

- ``method_comparison``: accuracy per (group, method) and benchmark: SLM-MUX, Single-Best,
  Single-Best-SC, Agent Forest, the discussion baselines when present, oracle (paper Table 1).
- ``searched_groups``: searched groups ``s<K>r<R>``: models, best single, SLM-MUX, gain (Table 2).
- ``agent_forest``: SLM-MUX vs Agent Forest at k=2 and each method's best k (Table 3).
- ``reference_model``: best SLM-MUX accuracy after sample scaling vs a reference model (Table 4).
- ``model_accuracy``: per-model accuracy, greedy (temperature 0) and sampled (appendix table).
- ``token_usage``: mean completion tokens per question per method.

Uncertainty (all numbers are accuracies in percent, ``mean ± standard error``):

- from decisions or samples: with several seeds the error is over seeds (``slmmux.metrics.mean_se``
  of the per-seed accuracies); with a single seed it is over questions (``slmmux.metrics.accuracy``),
  and the cell is marked ``†``;
- from the scaling sweeps: the ``stderr`` column of the sweep, over its Monte Carlo trials.

Every table carries footnotes naming what the error is taken over and which input files (path and
sha256 prefix) fed it; ``results/manifest.json`` traces those files further to prompts, model revisions,
seeds and package versions. Output is deterministic: rows are sorted, floats use fixed formats, and no
table contains a timestamp, so the same inputs give byte-identical files.

Where a configuration matches the paper's (same benchmark, same hub model ids), the paper's number
(:mod:`slmmux.paper_reference`) and our difference are shown beside ours.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import yaml

from slmmux import paper_reference as paper
from slmmux.config import SEARCHED_GROUP
from slmmux.data import file_sha256
from slmmux.metrics import accuracy, mean_se
from slmmux.scaling import ranked_subset


TABLES = ("method_comparison", "searched_groups", "agent_forest", "reference_model", "model_accuracy", "token_usage")
FORMATS = ("md", "tex", "csv")

BENCHMARK_ORDER = ("math", "gpqa", "gsm8k", "arith")
BENCHMARK_NAMES = {"math": "MATH", "gpqa": "GPQA", "gsm8k": "GSM8K", "arith": "Arith"}
METHOD_ORDER = ("slm_mux", "single_best", "single_best_sc", "agent_forest", "moa", "debate", "mav", "oracle")
METHOD_NAMES = {
    "slm_mux": "SLM-MUX",
    "single_best": "Single-Best",
    "single_best_sc": "Single-Best-SC",
    "agent_forest": "Agent Forest",
    "moa": "Mixture-of-Agents",
    "debate": "LLM-Debate",
    "mav": "Multi-Agent Verification",
    "oracle": "Oracle (upper bound)",
}
DISCUSSION_METHODS = ("moa", "debate", "mav")
DASH = "—"
QMARK = "†"


def expected_tables() -> list[str]:
    """File names (relative to the tables folder) that :func:`write_tables` always writes."""
    return [f"{name}.{fmt}" for name in TABLES for fmt in FORMATS]


def bench_key(b: str) -> tuple:
    return (BENCHMARK_ORDER.index(b) if b in BENCHMARK_ORDER else len(BENCHMARK_ORDER), b)


def method_key(m: str) -> tuple:
    return (METHOD_ORDER.index(m) if m in METHOD_ORDER else len(METHOD_ORDER), m)


def group_key(g: str) -> tuple:
    m = SEARCHED_GROUP.match(g)
    return (1, int(m.group(1)), int(m.group(2)), g) if m else (0, 0, 0, g)


# --------------------------------------------------------------------------- configuration


def read_mapping(path: str | Path) -> dict:
    """A YAML or JSON file holding a mapping."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"file not found: {path}")
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh) if path.suffix == ".json" else yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a mapping")
    return data


def model_sheet_ids(sheet: dict) -> dict[str, str]:
    """Model key -> hub id from a model sheet.

    Accepts the workflow's sheet (``{key: {model: hub_id, ...}}``), a whole config holding it under
    ``models``, or a plain ``{key: hub_id}`` mapping.
    """
    if isinstance(sheet.get("models"), dict):
        sheet = sheet["models"]
    out: dict[str, str] = {}
    for key, entry in sheet.items():
        if isinstance(entry, str):
            out[str(key)] = entry
        elif isinstance(entry, dict):
            for field_name in ("model", "hub_id", "id"):
                if isinstance(entry.get(field_name), str):
                    out[str(key)] = entry[field_name]
                    break
            else:
                raise ValueError(f"model sheet entry {key!r} has no 'model' (hub id) field")
        else:
            raise ValueError(f"model sheet entry {key!r} is neither a hub id nor a mapping")
    return out


# --------------------------------------------------------------------------- inputs


@dataclass
class Inputs:
    """Everything the tables read, already loaded. Frames may be empty when an input is absent."""

    decisions: pl.DataFrame
    search: dict[str, pl.DataFrame] = field(default_factory=dict)
    scaling_samples: pl.DataFrame | None = None
    scaling_models: pl.DataFrame | None = None
    samples: pl.DataFrame | None = None
    validation: pl.DataFrame | None = None
    questions: pl.DataFrame | None = None
    hub_ids: dict[str, str] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    reference_model: str | None = None
    sources: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # kind -> [(path, sha256)]

    def group_models(self, benchmark: str, group: str) -> list[str] | None:
        """Members of a fixed group (config) or a searched group ``s<K>r<R>`` (R-th best subset of size K)."""
        if group in self.groups:
            return sorted(self.groups[group])
        m = SEARCHED_GROUP.match(group)
        if m and benchmark in self.search:
            try:
                return ranked_subset(self.search[benchmark], int(m.group(1)), int(m.group(2)))
            except ValueError:
                return None
        return None

    def hub_set(self, models: list[str] | None) -> frozenset[str] | None:
        if not models or any(m not in self.hub_ids for m in models):
            return None
        return frozenset(self.hub_ids[m] for m in models)

    def benchmarks(self) -> list[str]:
        found: set[str] = set()
        if self.decisions.height:
            found |= set(self.decisions["benchmark"].unique().to_list())
        for frame in (self.scaling_samples, self.scaling_models, self.samples, self.validation):
            if frame is not None and frame.height:
                found |= set(frame["benchmark"].unique().to_list())
        found |= set(self.search)
        return sorted(found, key=bench_key)


def _sources(paths) -> list[tuple[str, str]]:
    return sorted((str(p), file_sha256(p)) for p in paths)


def _read_all(paths, what: str) -> pl.DataFrame | None:
    frames = []
    for p in paths:
        if not Path(p).exists():
            raise FileNotFoundError(f"{what} file not found: {p}")
        frames.append(pl.read_parquet(p))
    if not frames:
        return None
    return pl.concat(frames, how="diagonal_relaxed")


DECISION_COLUMNS = ("benchmark", "group", "seed", "question_id", "method", "correct")


def load_inputs(
    decisions=(),
    search=(),
    scaling_samples=(),
    scaling_models=(),
    samples=(),
    validation=(),
    questions=(),
    config: str | Path | None = None,
    model_sheet: str | Path | None = None,
    reference_model: str | None = None,
) -> Inputs:
    """Read every input file by kind (lists of paths) into :class:`Inputs`.

    ``decisions`` takes the selection files and the discussion-baseline files (same format, an optional
    ``completion_tokens`` column). ``search`` files are keyed by their ``benchmark`` column when present,
    else by the file stem (``results/search/{b}.parquet``). ``config`` (the workflow's YAML/JSON config)
    gives ``models`` (the model sheet), ``groups`` and ``report.reference_model``; ``model_sheet`` and
    ``reference_model`` override those.
    """
    from slmmux.samples import read_samples

    dec = _read_all(decisions, "decisions")
    if dec is None:
        dec = pl.DataFrame(schema={"benchmark": pl.String, "group": pl.String, "seed": pl.Int64,
                                   "question_id": pl.String, "method": pl.String, "correct": pl.Boolean})
    missing = [c for c in DECISION_COLUMNS if c not in dec.columns]
    if missing:
        raise ValueError(f"decisions lack columns: {', '.join(missing)}")
    search_frames: dict[str, pl.DataFrame] = {}
    for p in search:
        if not Path(p).exists():
            raise FileNotFoundError(f"search file not found: {p}")
        df = pl.read_parquet(p)
        b = df["benchmark"][0] if "benchmark" in df.columns and df.height else Path(p).stem
        search_frames[b] = df
    cfg = read_mapping(config) if config else {}
    hub_ids = model_sheet_ids(cfg) if isinstance(cfg.get("models"), dict) else {}
    if model_sheet:
        hub_ids = model_sheet_ids(read_mapping(model_sheet))
    groups = {str(k): list(v) for k, v in (cfg.get("groups") or {}).items()}
    ref = reference_model or (cfg.get("report") or {}).get("reference_model")
    sources = {
        "decisions": _sources(decisions), "search": _sources(search),
        "scaling_samples": _sources(scaling_samples), "scaling_models": _sources(scaling_models),
        "samples": _sources(samples), "validation": _sources(validation), "questions": _sources(questions),
        "config": _sources([p for p in (config, model_sheet) if p]),
    }
    return Inputs(
        decisions=dec,
        search=search_frames,
        scaling_samples=_read_all(scaling_samples, "scaling samples"),
        scaling_models=_read_all(scaling_models, "scaling models"),
        samples=read_samples(list(samples), graded=True) if samples else None,
        validation=_read_all(validation, "validation"),
        questions=_read_all(questions, "questions"),
        hub_ids=hub_ids,
        groups=groups,
        reference_model=ref,
        sources=sources,
    )


# --------------------------------------------------------------------------- numbers


@dataclass(frozen=True)
class Estimate:
    """An accuracy (fraction) with its standard error and what the error is taken over."""

    mean: float
    se: float
    over: str  # "seeds" | "questions" | "trials"
    n: int  # seeds, questions or trials the error is over

    def cell(self) -> str:
        s = f"{_num(100 * self.mean)}"
        if not math.isnan(self.se):
            s += f" ± {_num(100 * self.se)}"
        return s + (QMARK if self.over == "questions" else "")


def add_input_arguments(p: argparse.ArgumentParser) -> None:
    """The input options shared by scripts/make_tables.py and scripts/make_figures.py."""
    p.add_argument("--decisions", nargs="*", default=[], metavar="PARQUET",
                   help="decision files: results/selection/{b}/{g}.parquet and results/discussion/{b}/{method}.parquet")
    p.add_argument("--search", nargs="*", default=[], metavar="PARQUET",
                   help="results/search/{b}.parquet (ranked subsets; resolves searched groups s<K>r<R>)")
    p.add_argument("--scaling-samples", nargs="*", default=[], metavar="PARQUET",
                   help="results/scaling/{b}/samples_{g}.parquet (accuracy vs samples per model)")
    p.add_argument("--scaling-models", nargs="*", default=[], metavar="PARQUET",
                   help="results/scaling/{b}/models.parquet (accuracy vs number of models; recorded as input)")
    p.add_argument("--samples", nargs="*", default=[], metavar="PARQUET",
                   help="graded samples results/samples/graded/{b}/{m}/seed{s}.parquet (per-model accuracy, tokens, reference model)")
    p.add_argument("--validation", nargs="*", default=[], metavar="PARQUET",
                   help="results/validation/{b}.parquet (which group model is the single best)")
    p.add_argument("--questions", nargs="*", default=[], metavar="PARQUET",
                   help="results/questions/{b}.parquet (recorded as input)")
    p.add_argument("--config", metavar="YAML",
                   help="workflow config (YAML/JSON): models (model sheet key -> hub id), groups, report.reference_model")
    p.add_argument("--model-sheet", metavar="YAML",
                   help="model sheet overriding the config's: {key: {model: hub_id}} or {key: hub_id} (YAML/JSON)")
    p.add_argument("--reference-model", metavar="KEY",
                   help="model key of the larger reference model for the reference_model table (overrides the config)")


def inputs_from_arguments(a: argparse.Namespace) -> Inputs:
    """:func:`load_inputs` from the options of :func:`add_input_arguments`."""
    return load_inputs(
        decisions=a.decisions, search=a.search, scaling_samples=a.scaling_samples,
        scaling_models=a.scaling_models, samples=a.samples, validation=a.validation, questions=a.questions,
        config=a.config, model_sheet=a.model_sheet, reference_model=a.reference_model,
    )

def _num(x: float, signed: bool = False) -> str:
    v = round(x, 1) + 0.0  # no "-0.0"
    return f"{v:+.1f}" if signed else f"{v:.1f}"


def estimate_runs(frame: pl.DataFrame, value: str = "correct") -> Estimate | None:
    """Accuracy over ``frame`` (rows with ``seed``, ``question_id`` and a 0/1 ``value``).

    Several seeds: per-seed accuracy, mean ± standard error over seeds. One seed: per-question
    accuracy (the mean of the question's rows), mean ± standard error over questions.
    """
    if frame.height == 0:
        return None
    seeds = frame["seed"].unique()
    if seeds.len() >= 2:
        per_seed = frame.group_by("seed").agg(pl.col(value).cast(pl.Float64).mean()).sort("seed")
        m, se = mean_se(per_seed[value])
        return Estimate(m, se, "seeds", per_seed.height)
    per_q = frame.group_by("question_id").agg(pl.col(value).cast(pl.Float64).mean()).sort("question_id")
    vals = per_q[value]
    if vals.is_in([0.0, 1.0]).all():
        m, se = accuracy(vals)
    else:
        m, se = mean_se(vals)
    return Estimate(m, se, "questions", per_q.height)


def _paper_cells(ours: Estimate | None, rep: paper.Reported | None) -> tuple[str, str]:
    if rep is None:
        return DASH, DASH
    cell = _num(rep.mean) + (f" ± {_num(rep.se)}" if rep.se is not None else "")
    diff = _num(100 * ours.mean - rep.mean, signed=True) if ours is not None else DASH
    return cell, diff


def _paper_fields(ours: Estimate | None, rep: paper.Reported | None, prefix: str = "paper") -> dict:
    return {
        f"{prefix}_table": rep.table if rep else None,
        f"{prefix}_accuracy": rep.mean if rep else None,
        f"{prefix}_stderr": rep.se if rep else None,
        f"{prefix}_difference": (100 * ours.mean - rep.mean) if (rep and ours) else None,
    }


def _est_fields(e: Estimate | None, prefix: str) -> dict:
    return {
        f"{prefix}_accuracy": 100 * e.mean if e else None,
        f"{prefix}_stderr": (None if (e is None or math.isnan(e.se)) else 100 * e.se),
        f"{prefix}_error_over": e.over if e else None,
        f"{prefix}_n": e.n if e else None,
    }


# --------------------------------------------------------------------------- table object


@dataclass
class Table:
    name: str
    title: str
    header: list[str]
    rows: list[list[str]]
    notes: list[str]
    data: pl.DataFrame  # the numbers, tidy, for CSV

    def markdown(self) -> str:
        lines = [f"# {self.title}", ""]
        lines.append("| " + " | ".join(self.header) + " |")
        lines.append("|" + "|".join("---" for _ in self.header) + "|")
        for r in self.rows:
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
        if not self.rows:
            lines.append("| " + " | ".join(DASH for _ in self.header) + " |")
        lines.append("")
        lines += [f"{i + 1}. {n}" for i, n in enumerate(self.notes)]
        return "\n".join(lines) + "\n"

    def latex(self) -> str:
        cols = "l" * len(self.header)
        out = ["% " + self.title, "\\begin{table}[t]", "\\centering", f"\\caption{{{_tex(self.title)}}}",
               f"\\label{{tab:{self.name}}}", f"\\begin{{tabular}}{{{cols}}}", "\\toprule",
               " & ".join(_tex(h) for h in self.header) + " \\\\", "\\midrule"]
        for r in self.rows:
            out.append(" & ".join(_tex(c) for c in r) + " \\\\")
        out += ["\\bottomrule", "\\end{tabular}"]
        if self.notes:
            out.append("\\par\\footnotesize")
            out += [f"{i + 1}. {_tex(n)}\\\\" for i, n in enumerate(self.notes)]
        out.append("\\end{table}")
        return "\n".join(out) + "\n"

    def csv(self) -> str:
        return self.data.write_csv(float_precision=4, null_value="")


_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
        "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
        "±": r"$\pm$", "—": "---", "†": r"$^\dagger$", "Δ": r"$\Delta$", "≥": r"$\geq$"}


def _tex(s: str) -> str:
    return "".join(_TEX.get(ch, ch) for ch in s)


def _frame(records: list[dict], schema: dict) -> pl.DataFrame:
    return pl.DataFrame(records, schema=schema, orient="row") if records else pl.DataFrame(schema=schema)


def _inputs_note(inp: Inputs, kinds: list[str]) -> str:
    parts = []
    for kind in kinds:
        for path, sha in inp.sources.get(kind, []):
            parts.append(f"{path} (sha256 {sha[:12]})")
    if not parts:
        return "Inputs: none given."
    return "Inputs: " + "; ".join(parts) + ". Full provenance (prompts, revisions, seeds, versions): manifest.json."


def _error_note(ests: list[Estimate | None]) -> str:
    seeds = sorted({e.n for e in ests if e and e.over == "seeds"})
    qs = sorted({e.n for e in ests if e and e.over == "questions"})
    parts = []
    if seeds:
        parts.append(f"over seeds (n = {', '.join(map(str, seeds))} seeds) where a row has several seeds")
    if qs:
        parts.append(f"over questions (n = {', '.join(map(str, qs))}) where it has one seed, marked {QMARK}")
    if not parts:
        return "± is the standard error of the mean; no estimates in this table."
    return "± is the standard error of the mean accuracy (percent), " + "; ".join(parts) + "."


def _models_str(inp: Inputs, models: list[str] | None) -> str:
    if not models:
        return "unknown"
    return " + ".join(models)


# --------------------------------------------------------------------------- the tables


def method_comparison(inp: Inputs) -> Table:
    dec = inp.decisions
    benches = sorted(dec["benchmark"].unique().to_list(), key=bench_key) if dec.height else []
    keys = sorted({(g, m) for g, m in dec.select("group", "method").unique().iter_rows()},
                  key=lambda t: (group_key(t[0]), method_key(t[1])))
    header = ["Group", "Method"]
    for b in benches:
        name = BENCHMARK_NAMES.get(b, b)
        header += [name, f"{name} paper", f"{name} Δ"]
    rows, records, ests = [], [], []
    for g, m in keys:
        row = [g, METHOD_NAMES.get(m, m)]
        for b in benches:
            part = dec.filter((pl.col("benchmark") == b) & (pl.col("group") == g) & (pl.col("method") == m))
            e = estimate_runs(part)
            ests.append(e)
            models = inp.group_models(b, g)
            rep = None
            hub = inp.hub_set(models)
            for table in ("Table 1", "Table 2"):
                rep = rep or paper.lookup(table, b, m, hub)
            pc, pd = _paper_cells(e, rep)
            row += [e.cell() if e else DASH, pc, pd]
            if e:
                records.append({"benchmark": b, "group": g, "method": m, "models": _models_str(inp, models),
                                **_est_fields(e, "ours"), **_paper_fields(e, rep)})
        rows.append(row)
    notes = [_error_note(ests)]
    members = []
    for b in benches:
        for g in sorted(dec.filter(pl.col("benchmark") == b)["group"].unique().to_list(), key=group_key):
            models = inp.group_models(b, g)
            hubs = ", ".join(inp.hub_ids.get(x, "?") for x in models) if models else "unknown"
            members.append(f"{BENCHMARK_NAMES.get(b, b)} {g} = {_models_str(inp, models)} ({hubs})")
    if members:
        notes.append("Groups: " + "; ".join(members) + ".")
    notes.append("Paper numbers (docs/paper.md §4, Table 1 or 2) appear only where benchmark, method and the group's hub "
                 "model ids match; Δ = ours − paper, in points.")
    notes.append(_inputs_note(inp, ["decisions", "search", "config"]))
    schema = {"benchmark": pl.String, "group": pl.String, "method": pl.String, "models": pl.String,
              **_est_schema("ours"), **_paper_schema("paper")}
    data = _frame(records, schema)
    return Table("method_comparison", "Accuracy (%) of SLM-MUX and the baselines per benchmark", header, rows, notes, data)


def _est_schema(prefix: str) -> dict:
    return {f"{prefix}_accuracy": pl.Float64, f"{prefix}_stderr": pl.Float64,
            f"{prefix}_error_over": pl.String, f"{prefix}_n": pl.Int64}


def _paper_schema(prefix: str) -> dict:
    return {f"{prefix}_table": pl.String, f"{prefix}_accuracy": pl.Float64,
            f"{prefix}_stderr": pl.Float64, f"{prefix}_difference": pl.Float64}


def best_single_model(inp: Inputs, benchmark: str, models: list[str] | None, group: str | None = None) -> str | None:
    """The group's single best model: the ``selected_model`` of its ``single_best`` decisions when they
    record one, else the model with the highest validation accuracy (ties: the smallest key)."""
    if group is not None and "selected_model" in inp.decisions.columns:
        sel = inp.decisions.filter((pl.col("benchmark") == benchmark) & (pl.col("group") == group)
                                   & (pl.col("method") == "single_best"))["selected_model"].drop_nulls().unique().sort()
        if sel.len():
            return sel[0]
    if not models or inp.validation is None:
        return None
    v = inp.validation.filter((pl.col("benchmark") == benchmark) & pl.col("model").is_in(models))
    if v.height == 0:
        return None
    return v.sort(["validation_accuracy", "model"], descending=[True, False])["model"][0]


def searched_groups(inp: Inputs) -> Table:
    dec = inp.decisions
    pairs = sorted({(b, g) for b, g in dec.select("benchmark", "group").unique().iter_rows() if SEARCHED_GROUP.match(g)},
                   key=lambda t: (bench_key(t[0]), group_key(t[1])))
    header = ["Benchmark", "Group", "Models", "Best single", "SLM-MUX", "Gain",
              "Paper group", "Paper best single", "Paper SLM-MUX", "Paper gain"]
    rows, records, ests = [], [], []
    for b, g in pairs:
        part = dec.filter((pl.col("benchmark") == b) & (pl.col("group") == g))
        single = estimate_runs(part.filter(pl.col("method") == "single_best"))
        mux = estimate_runs(part.filter(pl.col("method") == "slm_mux"))
        ests += [single, mux]
        models = inp.group_models(b, g)
        best = best_single_model(inp, b, models, g)
        gain = 100 * (mux.mean - single.mean) if (mux and single) else None
        hub = inp.hub_set(models)
        rs = paper.lookup("Table 2", b, "single_best", hub)
        rm = paper.lookup("Table 2", b, "slm_mux", hub)
        pgain = (rm.mean - rs.mean) if (rs and rm) else None
        rows.append([
            BENCHMARK_NAMES.get(b, b), g, _models_str(inp, models),
            (single.cell() if single else DASH) + (f" ({best})" if best else ""),
            mux.cell() if mux else DASH,
            _num(gain, signed=True) if gain is not None else DASH,
            rm.paper_group if rm else DASH,
            _paper_cells(single, rs)[0], _paper_cells(mux, rm)[0],
            _num(pgain, signed=True) if pgain is not None else DASH,
        ])
        records.append({"benchmark": b, "group": g, "models": _models_str(inp, models), "best_single_model": best,
                        **_est_fields(single, "best_single"), **_est_fields(mux, "slm_mux"), "gain": gain,
                        "paper_group": rm.paper_group if rm else None,
                        "paper_best_single": rs.mean if rs else None, "paper_slm_mux": rm.mean if rm else None,
                        "paper_gain": pgain})
    notes = [_error_note(ests),
             "Searched groups are named s<K>r<R>: the R-th best subset of K models by the search objective "
             "(results/search); Best single is the group's Single-Best baseline (its model in parentheses: as "
             "its decisions record it, else the highest validation accuracy); Gain = SLM-MUX − Best single, in points.",
             "Paper columns (docs/paper.md Table 2) appear where benchmark and the group's hub model ids match.",
             _inputs_note(inp, ["decisions", "search", "validation", "config"])]
    schema = {"benchmark": pl.String, "group": pl.String, "models": pl.String, "best_single_model": pl.String,
              **_est_schema("best_single"), **_est_schema("slm_mux"), "gain": pl.Float64, "paper_group": pl.String,
              "paper_best_single": pl.Float64, "paper_slm_mux": pl.Float64, "paper_gain": pl.Float64}
    return Table("searched_groups", "Searched model groups on the test split: best single model vs SLM-MUX (%)",
                 header, rows, notes, _frame(records, schema))


def _sweep_estimate(row: dict | None) -> Estimate | None:
    if row is None:
        return None
    se = row["stderr"]
    return Estimate(float(row["mean"]), math.nan if se is None else float(se), "trials", int(row["trials"]))


def best_k(sweep: pl.DataFrame, method: str) -> dict | None:
    """The sweep row of ``method`` with the highest mean (ties: the smallest k)."""
    part = sweep.filter(pl.col("method") == method)
    if part.height == 0:
        return None
    return part.sort(["mean", "k"], descending=[True, False]).row(0, named=True)


def _k_row(sweep: pl.DataFrame, method: str, k: int) -> dict | None:
    part = sweep.filter((pl.col("method") == method) & (pl.col("k") == k))
    return part.row(0, named=True) if part.height else None


def _trials_note(ests) -> str:
    trials = sorted({e.n for e in ests if e})
    n = ", ".join(map(str, trials)) if trials else "—"
    return f"± is the standard error over the sweep's Monte Carlo trials (n = {n} trials) of k samples per model."


def agent_forest(inp: Inputs) -> Table:
    sw = inp.scaling_samples if inp.scaling_samples is not None else pl.DataFrame(
        schema={"benchmark": pl.String, "group": pl.String, "method": pl.String, "k": pl.Int64,
                "mean": pl.Float64, "stderr": pl.Float64, "trials": pl.Int64})
    pairs = sorted(set(sw.select("benchmark", "group").unique().iter_rows()),
                   key=lambda t: (bench_key(t[0]), group_key(t[1])))
    header = ["Benchmark", "Group", "Samples", "SLM-MUX", "Agent Forest", "Paper SLM-MUX", "Paper Agent Forest"]
    rows, records, ests = [], [], []
    for b, g in pairs:
        part = sw.filter((pl.col("benchmark") == b) & (pl.col("group") == g))
        hub = inp.hub_set(inp.group_models(b, g))
        for label, pick in (("2", lambda meth: _k_row(part, meth, 2)), ("best", lambda meth: best_k(part, meth))):
            rm, ra = pick("slm_mux"), pick("agent_forest")
            if rm is None and ra is None:
                continue
            em, ea = _sweep_estimate(rm), _sweep_estimate(ra)
            ests += [em, ea]
            samples = 2 if label == "2" else "best"
            pm = paper.lookup("Table 3", b, "slm_mux", hub, samples)
            pa = paper.lookup("Table 3", b, "agent_forest", hub, samples)

            def cell(e, r):
                if e is None:
                    return DASH
                return e.cell() + (f" (k={r['k']})" if label == "best" else "")

            rows.append([BENCHMARK_NAMES.get(b, b), g, "k=2" if label == "2" else "best k",
                         cell(em, rm), cell(ea, ra), _paper_cells(em, pm)[0], _paper_cells(ea, pa)[0]])
            records.append({"benchmark": b, "group": g, "samples": label,
                            "slm_mux_k": rm["k"] if rm else None, **_est_fields(em, "slm_mux"),
                            "agent_forest_k": ra["k"] if ra else None, **_est_fields(ea, "agent_forest"),
                            "paper_slm_mux": pm.mean if pm else None, "paper_agent_forest": pa.mean if pa else None})
    notes = [_trials_note(ests),
             "best k: each method's highest mean over the swept k (ties: the smallest k), k in parentheses.",
             "Paper columns (docs/paper.md Table 3, its group 2) appear where benchmark and hub model ids match.",
             _inputs_note(inp, ["scaling_samples", "search", "config"])]
    schema = {"benchmark": pl.String, "group": pl.String, "samples": pl.String, "slm_mux_k": pl.Int64,
              **_est_schema("slm_mux"), "agent_forest_k": pl.Int64, **_est_schema("agent_forest"),
              "paper_slm_mux": pl.Float64, "paper_agent_forest": pl.Float64}
    return Table("agent_forest", "SLM-MUX vs Agent Forest with the same samples per model (%)",
                 header, rows, notes, _frame(records, schema))


def single_model_runs(samples: pl.DataFrame, benchmark: str, model: str, seeds: list[int] | None = None) -> pl.DataFrame:
    """A model's one-answer-per-question runs on the test split: its greedy sample when generated,
    else its first sampled sample (the Single-Best definition of docs/dataflow.md)."""
    part = samples.filter((pl.col("benchmark") == benchmark) & (pl.col("model") == model) & (pl.col("split") == "test"))
    if seeds is not None:
        part = part.filter(pl.col("seed").is_in(seeds))
    greedy = part.filter(pl.col("decoding") == "greedy")
    if greedy.height:
        return greedy
    return part.filter((pl.col("decoding") == "sampled") & (pl.col("sample") == 0))


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
            e = _sweep_estimate(r)
            ests.append(e)
            rep = paper.lookup("Table 4", b, "best_after_scaling", inp.hub_set(inp.group_models(b, g)))
            pc, pd = _paper_cells(e, rep)
            rows.append([BENCHMARK_NAMES.get(b, b), f"SLM-MUX {g} (best k={r['k']})", e.cell(), pc, pd])
            records.append({"benchmark": b, "configuration": f"slm_mux:{g}", "k": r["k"], **_est_fields(e, "ours"),
                            "status": "ok", **_paper_fields(e, rep)})
        if ref is None:
            continue
        hub = inp.hub_ids.get(ref)
        rep = paper.lookup("Table 4", b, "reference", frozenset({hub}) if hub else None)
        runs = single_model_runs(inp.samples, b, ref) if inp.samples is not None else pl.DataFrame()
        e = estimate_runs(runs) if runs.height else None
        label = f"Reference {ref}" + (f" ({hub})" if hub else "")
        if e is None:
            rows.append([BENCHMARK_NAMES.get(b, b), label, "not generated", _paper_cells(None, rep)[0], DASH])
            status = "not generated"
        else:
            ests.append(e)
            pc, pd = _paper_cells(e, rep)
            rows.append([BENCHMARK_NAMES.get(b, b), label, e.cell(), pc, pd])
            status = "ok"
        records.append({"benchmark": b, "configuration": f"reference:{ref}", "k": None, **_est_fields(e, "ours"),
                        "status": status, **_paper_fields(e, rep)})
    notes = [_trials_note([e for e in ests if e.over == "trials"]).replace("± is", "For SLM-MUX rows ± is"),
             _error_note([e for e in ests if e.over != "trials"]).replace("± is", "For the reference model ± is"),
             "SLM-MUX rows: the best mean over the samples sweep (ties: the smallest k). Reference rows: the "
             "reference model's greedy test answers (its first sample when no greedy sample was generated); "
             "'not generated' when its samples are absent." if ref else "No reference model configured.",
             "Paper columns: docs/paper.md Table 4 (reference Qwen2.5 72B), where benchmark and hub model ids match.",
             _inputs_note(inp, ["scaling_samples", "samples", "search", "config"])]
    schema = {"benchmark": pl.String, "configuration": pl.String, "k": pl.Int64, **_est_schema("ours"),
              "status": pl.String, **_paper_schema("paper")}
    return Table("reference_model", "Best accuracy after sample scaling vs a larger reference model (%)",
                 header, rows, notes, _frame(records, schema))


def model_accuracy(inp: Inputs) -> Table:
    s = inp.samples
    header = ["Benchmark", "Model", "Hub id", "Greedy (T=0)", "Sampled", "Paper greedy", "Δ greedy"]
    rows, records, ests = [], [], []
    if s is not None:
        test = s.filter(pl.col("split") == "test")
        keys = sorted(set(test.select("benchmark", "model").unique().iter_rows()), key=lambda t: (bench_key(t[0]), t[1]))
        for b, m in keys:
            part = test.filter((pl.col("benchmark") == b) & (pl.col("model") == m))
            eg = estimate_runs(part.filter(pl.col("decoding") == "greedy"))
            es = estimate_runs(part.filter(pl.col("decoding") == "sampled"))
            ests += [eg, es]
            hub = inp.hub_ids.get(m)
            rep = paper.lookup("Appendix", b, "greedy", frozenset({hub}) if hub else None)
            pc, pd = _paper_cells(eg, rep)
            rows.append([BENCHMARK_NAMES.get(b, b), m, hub or DASH, eg.cell() if eg else DASH,
                         es.cell() if es else DASH, pc, pd])
            records.append({"benchmark": b, "model": m, "hub_id": hub, **_est_fields(eg, "greedy"),
                            **_est_fields(es, "sampled"), **_paper_fields(eg, rep)})
    notes = [_error_note(ests),
             "Greedy: the temperature-0 sample per question. Sampled: the fraction of correct sampled answers "
             "(all k samples of every question), per seed.",
             "Paper greedy: docs/paper.md appendix (single models at temperature 0), where the hub id matches.",
             _inputs_note(inp, ["samples", "config"])]
    schema = {"benchmark": pl.String, "model": pl.String, "hub_id": pl.String, **_est_schema("greedy"),
              **_est_schema("sampled"), **_paper_schema("paper")}
    return Table("model_accuracy", "Accuracy of each model on the test split (%)", header, rows, notes,
                 _frame(records, schema))


def _tokens_for(inp: Inputs, b: str, g: str, method: str, models: list[str] | None, seeds: list[int], qids: list[str]) -> tuple[float | None, str]:
    if inp.samples is None or not models:
        return None, "no samples"
    s = inp.samples.filter((pl.col("benchmark") == b) & (pl.col("split") == "test") & pl.col("seed").is_in(seeds)
                           & pl.col("question_id").is_in(qids))
    if method in ("slm_mux", "agent_forest", "oracle"):
        part, src = s.filter(pl.col("model").is_in(models) & (pl.col("decoding") == "sampled")), "sampled, all models"
    else:
        best = best_single_model(inp, b, models, g)
        if best is None:
            return None, "no validation accuracy"
        if method == "single_best_sc":
            part, src = s.filter((pl.col("model") == best) & (pl.col("decoding") == "sampled")), f"sampled, {best}"
        else:
            part = single_model_runs(s, b, best)
            src = f"{part['decoding'][0] if part.height else 'greedy'}, {best}"
    if part.height == 0:
        return None, "no samples"
    per_q = part.group_by(["seed", "question_id"]).agg(pl.col("completion_tokens").sum())
    return float(per_q["completion_tokens"].mean()), src


def token_usage(inp: Inputs) -> Table:
    dec = inp.decisions
    keys = sorted(set(dec.select("benchmark", "group", "method").unique().iter_rows()),
                  key=lambda t: (bench_key(t[0]), group_key(t[1]), method_key(t[2])))
    header = ["Benchmark", "Group", "Method", "Completion tokens / question", "Counted from"]
    rows, records = [], []
    for b, g, m in keys:
        part = dec.filter((pl.col("benchmark") == b) & (pl.col("group") == g) & (pl.col("method") == m))
        if "completion_tokens" in part.columns and part["completion_tokens"].null_count() < part.height:
            tok = float(part["completion_tokens"].drop_nulls().cast(pl.Float64).mean())
            src = "decisions (completion_tokens)"
        elif m in DISCUSSION_METHODS:
            tok, src = None, "not recorded"
        else:
            seeds = sorted(part["seed"].unique().to_list())
            qids = sorted(part["question_id"].unique().to_list())
            tok, src = _tokens_for(inp, b, g, m, inp.group_models(b, g), seeds, qids)
        rows.append([BENCHMARK_NAMES.get(b, b), g, METHOD_NAMES.get(m, m), DASH if tok is None else _num(tok), src])
        records.append({"benchmark": b, "group": g, "method": m, "completion_tokens_per_question": tok, "source": src})
    notes = ["Mean over (seed, test question) of the completion tokens a method spends on a question: SLM-MUX, "
             "Agent Forest and oracle read every sampled answer of every group model; Single-Best-SC the best "
             "model's sampled answers; Single-Best its greedy answer (first sample if none); discussion baselines "
             "their own recorded completion_tokens. No standard error: token counts are not an estimate of accuracy.",
             _inputs_note(inp, ["decisions", "samples", "validation", "config"])]
    schema = {"benchmark": pl.String, "group": pl.String, "method": pl.String,
              "completion_tokens_per_question": pl.Float64, "source": pl.String}
    return Table("token_usage", "Generation cost: completion tokens per question", header, rows, notes,
                 _frame(records, schema))


BUILDERS = {
    "method_comparison": method_comparison,
    "searched_groups": searched_groups,
    "agent_forest": agent_forest,
    "reference_model": reference_model,
    "model_accuracy": model_accuracy,
    "token_usage": token_usage,
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
