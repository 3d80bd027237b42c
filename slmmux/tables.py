"""The paper's tables regenerated from the workflow's outputs (Markdown, LaTeX and CSV).

Tables (file stem = name; see :func:`expected_tables`):

- ``method_comparison``: accuracy per (group, method) and benchmark: SLM-MUX, Single-Best,
  Single-Best-SC, Agent Forest, the discussion baselines when present, oracle (paper Table 1).
- ``searched_groups``: searched groups ``s<K>r<R>``: models, best single, SLM-MUX, gain (Table 2).
- ``agent_forest``: SLM-MUX vs Agent Forest at k=2 and each method's best k (Table 3).
- ``reference_model``: best SLM-MUX accuracy after sample scaling vs a reference model (Table 4).
- ``model_accuracy``: per-model accuracy, greedy (temperature 0) and sampled (appendix table).
- ``token_usage``: mean completion tokens per question per method.
- ``paired_significance``: SLM-MUX vs each baseline on the same questions, per seed and pooled: exact
  McNemar p-value and paired bootstrap interval (:mod:`slmmux.significance`); the pooled numbers are
  also columns of ``method_comparison``.

Uncertainty (all numbers are accuracies in percent, ``mean ± standard error``), the same kind as the
paper's number beside it (issue 11, finding 4):

- **over questions** (:func:`estimate_over_questions`, the binomial ``sqrt(p (1 - p) / n)`` over the n
  test questions, as the paper's ±2.2 at 56.8% on 500): Single-Best, Single-Best-SC, the discussion
  baselines, the reference model and each model's greedy accuracy;
- **over runs** (:func:`estimate_over_runs`, the standard error of the per-seed accuracies): SLM-MUX,
  Agent Forest, the oracle and each model's sampled accuracy; with a single seed there is no error over
  runs, and the cell shows the error over questions instead, marked ``†``;
- **sweeps** (Tables 3-4 and the SLM-MUX rows of the reference table): over seeds (the sweep's
  ``stderr``); with a single seed the sweep's Monte Carlo error over trials (``mc_stderr``) instead,
  marked ``‡``; the CSV carries the Monte Carlo error in its own column either way.

Tables only aggregate: group members, the single best model, which samples a decision used and their
completion tokens are read from the decisions (``slmmux.mux.decisions``), never re-derived here.

Every table carries footnotes naming what the error is taken over and which input files (path and
sha256 prefix) fed it; ``results/manifest.json`` traces those files further to prompts, model revisions,
seeds and package versions. Output is deterministic: rows are sorted, floats use fixed formats, and no
table contains a timestamp, so the same inputs give byte-identical files.

Where a configuration matches the paper's (same benchmark, hub model ids, samples per model and
temperature), the paper's number (:mod:`slmmux.paper_reference`) and our difference are shown beside
ours; differences and gains are computed from unrounded values, the paper's gain is the one it prints.
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
from slmmux.artifacts import TABLE_FORMATS, TABLES, expected_tables  # noqa: F401
from slmmux.config import SEARCHED_GROUP
from slmmux.data import file_sha256
from slmmux.metrics import binomial_se, mean_se
from slmmux.vocabulary import (  # noqa: F401  (figures.py imports the labels from here)
    BENCHMARK_NAMES,
    BENCHMARK_ORDER,
    DISCUSSION_METHODS,
    METHOD_NAMES,
    METHOD_ORDER,
    bench_key,
    method_key,
)
from slmmux.significance import PAIRED_SCHEMA, paired_tests
from slmmux.significance import method_note as significance_note


FORMATS = TABLE_FORMATS

#: Methods whose paper ± is over runs (seeds); every other method's is over questions.
RUN_METHODS = ("slm_mux", "agent_forest", "oracle")
DASH = "—"
QMARK = "†"  # error over questions where the paper's is over runs (one seed)
MCMARK = "‡"  # Monte Carlo error over trials where the paper's is over runs (one seed)


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
    test_temperature: float | None = None
    reference_model: str | None = None
    sources: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # kind -> [(path, sha256)]

    def group_models(self, benchmark: str, group: str) -> list[str] | None:
        """The group's members as the selection recorded them (decisions ``members``), else as the
        samples sweep recorded them (its ``models``); None when neither records the group."""
        dec = self.decisions
        if "members" in dec.columns:
            m = dec.filter((pl.col("benchmark") == benchmark) & (pl.col("group") == group))["members"].drop_nulls()
            if m.len():
                return sorted(m[0].to_list())
        sw = self.scaling_samples
        if sw is not None and "models" in sw.columns:
            m = sw.filter((pl.col("benchmark") == benchmark) & (pl.col("group") == group))["models"].drop_nulls()
            if m.len():
                return sorted(m[0].to_list())
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
    gives ``models`` (the model sheet), ``sampling.test.temperature`` (compared with the paper's) and
    ``report.reference_model``; ``model_sheet`` and ``reference_model`` override those.
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
    temperature = ((cfg.get("sampling") or {}).get("test") or {}).get("temperature")
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
        test_temperature=None if temperature is None else float(temperature),
        reference_model=ref,
        sources=sources,
    )


# --------------------------------------------------------------------------- numbers


@dataclass(frozen=True)
class Estimate:
    """An accuracy (fraction) with its standard error and what the error is taken over.

    ``marker``: ``†`` / ``‡`` when the error is not the kind the paper gives for this number (one
    seed: over questions, or Monte Carlo over trials, in place of over runs), else empty."""

    mean: float
    se: float
    over: str  # "seeds" | "questions" | "trials"
    n: int  # seeds, questions or trials the error is over
    marker: str = ""

    def cell(self) -> str:
        s = f"{_num(100 * self.mean)}"
        if not math.isnan(self.se):
            s += f" ± {_num(100 * self.se)}"
        return s + self.marker


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


def estimate_over_questions(frame: pl.DataFrame, value: str = "correct") -> Estimate | None:
    """Accuracy over ``frame`` (rows with ``question_id`` and a 0/1 ``value``; any seeds) with the
    paper's binomial standard error over questions: p = the mean of every row, n = the number of
    distinct questions, se = sqrt(p (1 - p) / n)."""
    if frame.height == 0:
        return None
    p = float(frame[value].cast(pl.Float64).mean())
    n = frame["question_id"].n_unique()
    return Estimate(p, binomial_se(p, n), "questions", n)


def estimate_over_runs(frame: pl.DataFrame, value: str = "correct") -> Estimate | None:
    """Accuracy over ``frame`` (rows with ``seed``, ``question_id`` and a 0/1 ``value``).

    Several seeds: per-seed accuracy, mean ± standard error over seeds. One seed: no error over
    runs exists; the binomial error over questions (:func:`estimate_over_questions`), marked ``†``.
    """
    if frame.height == 0:
        return None
    seeds = frame["seed"].unique()
    if seeds.len() >= 2:
        per_seed = frame.group_by("seed").agg(pl.col(value).cast(pl.Float64).mean()).sort("seed")
        m, se = mean_se(per_seed[value])
        return Estimate(m, se, "seeds", per_seed.height)
    e = estimate_over_questions(frame, value)
    return Estimate(e.mean, e.se, e.over, e.n, QMARK)


def estimate_for(method: str, frame: pl.DataFrame) -> Estimate | None:
    """The estimate of the kind the paper gives for ``method``: over runs for :data:`RUN_METHODS`,
    over questions for the others."""
    return (estimate_over_runs if method in RUN_METHODS else estimate_over_questions)(frame)


def decision_setting(inp: "Inputs", part: pl.DataFrame) -> tuple[int | None, float | None]:
    """(samples per model, temperature) that produced a set of decisions, as the decisions record
    them (None when unrecorded or mixed): greedy samples have temperature 0, sampled ones the
    config's test temperature."""
    k = None
    if "k" in part.columns:
        ks = part["k"].drop_nulls().unique()
        k = int(ks[0]) if ks.len() == 1 and part["k"].null_count() == 0 else None
    t = None
    if "used_decoding" in part.columns:
        d = part["used_decoding"].unique()
        if d.len() == 1 and d[0] == "greedy":
            t = 0.0
        elif d.len() == 1 and d[0] == "sampled":
            t = inp.test_temperature
    return k, t


def _paper_cells(ours: Estimate | None, rep: paper.Reported | None) -> tuple[str, str]:
    """The paper's cell and Δ = ours − paper, from our unrounded mean."""
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
    """Footnote naming what every ± of the table is taken over."""
    ests = [e for e in ests if e]
    parts = []
    qs = sorted({e.n for e in ests if e.over == "questions" and not e.marker})
    seeds = sorted({e.n for e in ests if e.over == "seeds"})
    qs1 = sorted({e.n for e in ests if e.over == "questions" and e.marker == QMARK})
    trials = sorted({e.n for e in ests if e.over == "trials"})
    if qs:
        parts.append("over questions, sqrt(p(1-p)/n) as the paper's single-model and discussion rows "
                     f"(n = {', '.join(map(str, qs))} questions)")
    if seeds:
        parts.append(f"over runs: the standard error of the per-seed accuracies (n = {', '.join(map(str, seeds))} seeds), "
                     "as the paper's SLM-MUX and sweep rows")
    if qs1:
        parts.append(f"{QMARK}: one seed, so no error over runs exists; shown is the error over questions "
                     f"(n = {', '.join(map(str, qs1))}), not comparable with the paper's ± over runs")
    if trials:
        parts.append(f"{MCMARK}: one seed, so no error over runs exists; shown is the Monte Carlo error over "
                     f"the sweep's trials (n = {', '.join(map(str, trials))} trials), which only says how well "
                     "the trials pinned the mean down")
    if not parts:
        return "± is the standard error of the mean; no estimates in this table."
    return "± is the standard error of the mean accuracy (percent): " + "; ".join(parts) + "."


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
            e = estimate_for(m, part)
            ests.append(e)
            models = inp.group_models(b, g)
            hub = inp.hub_set(models)
            k, t = decision_setting(inp, part)
            rep = None
            for table in ("Table 1", "Table 2"):
                rep = rep or paper.lookup(table, b, m, hub, samples=k, temperature=t)
            pc, pd = _paper_cells(e, rep)
            row += [e.cell() if e else DASH, pc, pd]
            if e:
                records.append({"benchmark": b, "group": g, "method": m, "models": _models_str(inp, models),
                                "k": k, **_est_fields(e, "ours"), **_paper_fields(e, rep)})
        rows.append(row)
    notes = [_error_note(ests)]
    members = []
    for b in benches:
        for g in sorted(dec.filter(pl.col("benchmark") == b)["group"].unique().to_list(), key=group_key):
            models = inp.group_models(b, g)
            hubs = ", ".join(inp.hub_ids.get(x, "?") for x in models) if models else "unknown"
            members.append(f"{BENCHMARK_NAMES.get(b, b)} {g} = {_models_str(inp, models)} ({hubs})")
    if members:
        notes.append("Groups (as the decisions record them): " + "; ".join(members) + ".")
    notes.append("Paper numbers (docs/paper.md §4, Table 1 or 2) appear only where benchmark, method, the group's hub "
                 "model ids, the samples per model (k = 3) and the temperature (0.3 sampled, 0 for Single-Best's "
                 "greedy answer) match; Δ = ours − paper, in points, from our unrounded accuracy.")
    notes.append(_inputs_note(inp, ["decisions", "config"]))
    schema = {"benchmark": pl.String, "group": pl.String, "method": pl.String, "models": pl.String, "k": pl.Int64,
              **_est_schema("ours"), **_paper_schema("paper")}
    data = _frame(records, schema)
    table = Table("method_comparison", "Accuracy (%) of SLM-MUX and the baselines per benchmark", header, rows, notes, data)
    return with_paired_significance(table, dec)


def _est_schema(prefix: str) -> dict:
    return {f"{prefix}_accuracy": pl.Float64, f"{prefix}_stderr": pl.Float64,
            f"{prefix}_error_over": pl.String, f"{prefix}_n": pl.Int64}


def _paper_schema(prefix: str) -> dict:
    return {f"{prefix}_table": pl.String, f"{prefix}_accuracy": pl.Float64,
            f"{prefix}_stderr": pl.Float64, f"{prefix}_difference": pl.Float64}


def best_single_model(inp: Inputs, benchmark: str, group: str) -> str | None:
    """The group's single best model as its ``single_best`` decisions record it (None if absent)."""
    if "selected_model" not in inp.decisions.columns:
        return None
    sel = inp.decisions.filter((pl.col("benchmark") == benchmark) & (pl.col("group") == group)
                               & (pl.col("method") == "single_best"))["selected_model"].drop_nulls().unique().sort()
    return sel[0] if sel.len() else None


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
        rs = paper.lookup("Table 2", b, "single_best", hub, samples=ks, temperature=ts)
        rm = paper.lookup("Table 2", b, "slm_mux", hub, samples=km, temperature=tm)
        pgain = rm.gain if rm else None
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
             "(results/search); Best single is the group's Single-Best baseline (its model, as the decisions record "
             "it, in parentheses); Gain = SLM-MUX − Best single, in points, from unrounded accuracies.",
             "Paper columns (docs/paper.md Table 2) appear where benchmark, the group's hub model ids, k = 3 and the "
             "temperature match; Paper gain is the gain the paper prints.",
             _inputs_note(inp, ["decisions", "config"])]
    schema = {"benchmark": pl.String, "group": pl.String, "models": pl.String, "best_single_model": pl.String,
              **_est_schema("best_single"), **_est_schema("slm_mux"), "gain": pl.Float64, "paper_group": pl.String,
              "paper_best_single": pl.Float64, "paper_slm_mux": pl.Float64, "paper_gain": pl.Float64}
    return Table("searched_groups", "Searched model groups on the test split: best single model vs SLM-MUX (%)",
                 header, rows, notes, _frame(records, schema))


def sweep_estimate(row: dict | None) -> Estimate | None:
    """A samples-sweep row as an estimate: over seeds when it has several, else its Monte Carlo
    error over trials, marked ``‡``."""
    if row is None:
        return None
    if row["seeds"] >= 2:
        se = row["stderr"]
        return Estimate(float(row["mean"]), math.nan if se is None else float(se), "seeds", int(row["seeds"]))
    mc = row["mc_stderr"]
    return Estimate(float(row["mean"]), math.nan if mc is None else float(mc), "trials", int(row["trials"]), MCMARK)


def best_k(sweep: pl.DataFrame, method: str) -> dict | None:
    """The sweep row of ``method`` with the highest mean (ties: the smallest k)."""
    part = sweep.filter(pl.col("method") == method)
    if part.height == 0:
        return None
    return part.sort(["mean", "k"], descending=[True, False]).row(0, named=True)


def _k_row(sweep: pl.DataFrame, method: str, k: int) -> dict | None:
    part = sweep.filter((pl.col("method") == method) & (pl.col("k") == k))
    return part.row(0, named=True) if part.height else None


def _sweep_fields(e: Estimate | None, row: dict | None, prefix: str) -> dict:
    return {**_est_fields(e, prefix), f"{prefix}_mc_stderr": (100 * row["mc_stderr"] if row and row["mc_stderr"] is not None
                                                             and not math.isnan(row["mc_stderr"]) else None)}


def _sweep_schema(prefix: str) -> dict:
    return {**_est_schema(prefix), f"{prefix}_mc_stderr": pl.Float64}


def _empty_sweep() -> pl.DataFrame:
    from slmmux.scaling import SAMPLES_SWEEP_SCHEMA

    return pl.DataFrame(schema=SAMPLES_SWEEP_SCHEMA)


def agent_forest(inp: Inputs) -> Table:
    sw = inp.scaling_samples if inp.scaling_samples is not None else _empty_sweep()
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
            em, ea = sweep_estimate(rm), sweep_estimate(ra)
            ests += [em, ea]
            samples = 2 if label == "2" else "best"
            pm = paper.lookup("Table 3", b, "slm_mux", hub, samples, inp.test_temperature)
            pa = paper.lookup("Table 3", b, "agent_forest", hub, samples, inp.test_temperature)

            def cell(e, r):
                if e is None:
                    return DASH
                return e.cell() + (f" (k={r['k']})" if label == "best" else "")

            rows.append([BENCHMARK_NAMES.get(b, b), g, "k=2" if label == "2" else "best k",
                         cell(em, rm), cell(ea, ra), _paper_cells(em, pm)[0], _paper_cells(ea, pa)[0]])
            records.append({"benchmark": b, "group": g, "samples": label,
                            "slm_mux_k": rm["k"] if rm else None, **_sweep_fields(em, rm, "slm_mux"),
                            "agent_forest_k": ra["k"] if ra else None, **_sweep_fields(ea, ra, "agent_forest"),
                            "paper_slm_mux": pm.mean if pm else None, "paper_agent_forest": pa.mean if pa else None})
    notes = [_error_note(ests),
             "Each seed's samples are swept on their own (Monte Carlo draws of k samples per model and question, "
             "slmmux/scaling.py); the CSV's *_mc_stderr columns give the Monte Carlo error of each mean apart.",
             "best k: each method's highest mean over the swept k (ties: the smallest k), k in parentheses.",
             "Paper columns (docs/paper.md Table 3, its group 2) appear where benchmark, hub model ids and the "
             "temperature (0.3) match.",
             _inputs_note(inp, ["scaling_samples", "config"])]
    schema = {"benchmark": pl.String, "group": pl.String, "samples": pl.String, "slm_mux_k": pl.Int64,
              **_sweep_schema("slm_mux"), "agent_forest_k": pl.Int64, **_sweep_schema("agent_forest"),
              "paper_slm_mux": pl.Float64, "paper_agent_forest": pl.Float64}
    return Table("agent_forest", "SLM-MUX vs Agent Forest with the same samples per model (%)",
                 header, rows, notes, _frame(records, schema))


def single_model_runs(samples: pl.DataFrame, benchmark: str, model: str) -> pl.DataFrame:
    """A model's one-answer-per-question runs on the test split: its greedy samples when generated,
    else its first sampled samples."""
    part = samples.filter((pl.col("benchmark") == benchmark) & (pl.col("model") == model) & (pl.col("split") == "test"))
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
            e = sweep_estimate(r)
            ests.append(e)
            rep = paper.lookup("Table 4", b, "best_after_scaling", inp.hub_set(inp.group_models(b, g)), "best",
                               inp.test_temperature)
            pc, pd = _paper_cells(e, rep)
            rows.append([BENCHMARK_NAMES.get(b, b), f"SLM-MUX {g} (best k={r['k']})", e.cell(), pc, pd])
            records.append({"benchmark": b, "configuration": f"slm_mux:{g}", "k": r["k"], **_sweep_fields(e, r, "ours"),
                            "status": "ok", **_paper_fields(e, rep)})
        if ref is None:
            continue
        hub = inp.hub_ids.get(ref)
        runs = single_model_runs(inp.samples, b, ref) if inp.samples is not None else pl.DataFrame()
        greedy = runs.height > 0 and runs["decoding"][0] == "greedy"
        rep = paper.lookup("Table 4", b, "reference", frozenset({hub}) if hub else None,
                           temperature=0.0 if greedy else inp.test_temperature)
        e = estimate_over_questions(runs) if runs.height else None
        label = f"Reference {ref}" + (f" ({hub})" if hub else "")
        if e is None:
            rows.append([BENCHMARK_NAMES.get(b, b), label, "not generated", _paper_cells(None, rep)[0], DASH])
            status = "not generated"
        else:
            ests.append(e)
            pc, pd = _paper_cells(e, rep)
            rows.append([BENCHMARK_NAMES.get(b, b), label, e.cell(), pc, pd])
            status = "ok"
        records.append({"benchmark": b, "configuration": f"reference:{ref}", "k": None, **_sweep_fields(e, None, "ours"),
                        "status": status, **_paper_fields(e, rep)})
    notes = [_error_note(ests),
             "SLM-MUX rows: the best mean over the samples sweep (ties: the smallest k), ± as the sweep's. Reference "
             "rows: the reference model's greedy test answers (its first sample when no greedy sample was generated), "
             "± over questions; 'not generated' when its samples are absent." if ref else "No reference model configured.",
             "Paper columns: docs/paper.md Table 4 (reference Qwen2.5 72B), where benchmark, hub model ids and "
             "temperature match.",
             _inputs_note(inp, ["scaling_samples", "samples", "config"])]
    schema = {"benchmark": pl.String, "configuration": pl.String, "k": pl.Int64, **_sweep_schema("ours"),
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
            eg = estimate_over_questions(part.filter(pl.col("decoding") == "greedy"))
            es = estimate_over_runs(part.filter(pl.col("decoding") == "sampled"))
            ests += [eg, es]
            hub = inp.hub_ids.get(m)
            rep = paper.lookup("Appendix", b, "greedy", frozenset({hub}) if hub else None, temperature=0.0)
            pc, pd = _paper_cells(eg, rep)
            rows.append([BENCHMARK_NAMES.get(b, b), m, hub or DASH, eg.cell() if eg else DASH,
                         es.cell() if es else DASH, pc, pd])
            records.append({"benchmark": b, "model": m, "hub_id": hub, **_est_fields(eg, "greedy"),
                            **_est_fields(es, "sampled"), **_paper_fields(eg, rep)})
    notes = [_error_note(ests),
             "Greedy: the temperature-0 answer per question, ± over questions. Sampled: the fraction of correct sampled "
             "answers (all samples of every question), ± over runs.",
             "Paper greedy: docs/paper.md appendix (single models at temperature 0), where the hub id matches.",
             _inputs_note(inp, ["samples", "config"])]
    schema = {"benchmark": pl.String, "model": pl.String, "hub_id": pl.String, **_est_schema("greedy"),
              **_est_schema("sampled"), **_paper_schema("paper")}
    return Table("model_accuracy", "Accuracy of each model on the test split (%)", header, rows, notes,
                 _frame(records, schema))


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
            src = _token_source(part)
        else:
            tok, src = None, "not recorded"
        rows.append([BENCHMARK_NAMES.get(b, b), g, METHOD_NAMES.get(m, m), DASH if tok is None else _num(tok), src])
        records.append({"benchmark": b, "group": g, "method": m, "completion_tokens_per_question": tok, "source": src})
    notes = ["Mean over (seed, test question) of the completion tokens of the samples a decision used, as the decisions "
             "record them: SLM-MUX, Agent Forest and the oracle the k sampled answers of every group model; "
             "Single-Best-SC the best model's k; Single-Best its one answer; discussion baselines their recorded "
             "completion_tokens. No standard error: token counts are not an estimate of accuracy.",
             _inputs_note(inp, ["decisions", "config"])]
    schema = {"benchmark": pl.String, "group": pl.String, "method": pl.String,
              "completion_tokens_per_question": pl.Float64, "source": pl.String}
    return Table("token_usage", "Generation cost: completion tokens per question", header, rows, notes,
                 _frame(records, schema))


# --------------------------------------------------------------------------- paired significance


def _paired_cell(r: dict | None) -> str:
    if r is None:
        return DASH
    return (f"{_num(100 * r['difference'], signed=True)} [{_num(100 * r['ci_low'], signed=True)}, "
            f"{_num(100 * r['ci_high'], signed=True)}] p={r['p_value']:.3g}")


def with_paired_significance(table: Table, dec: pl.DataFrame) -> Table:
    """``table`` (method comparison) with, per benchmark, SLM-MUX − method pooled over seeds: the
    difference in points with its paired bootstrap interval and the exact McNemar p-value
    (:func:`slmmux.significance.paired_tests`); the same numbers join its CSV as ``vs_slm_mux_*``."""
    tests = paired_tests(dec).filter(pl.col("seed").is_null()) if dec.height else pl.DataFrame(schema=PAIRED_SCHEMA)
    pooled = {(r["benchmark"], r["group"], r["method"]): r for r in tests.iter_rows(named=True)}
    names = {v: k for k, v in METHOD_NAMES.items()}
    benches = sorted(dec["benchmark"].unique().to_list(), key=bench_key) if dec.height else []
    header = table.header + [f"{BENCHMARK_NAMES.get(b, b)} SLM-MUX − method [95% CI]" for b in benches]
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
    rows = [[BENCHMARK_NAMES.get(r["benchmark"], r["benchmark"]), r["group"], METHOD_NAMES.get(r["method"], r["method"]),
             "pooled" if r["seed"] is None else str(r["seed"]), str(r["n_pairs"]), str(r["slm_mux_only"]),
             str(r["baseline_only"]), _num(100 * r["difference"], signed=True),
             f"[{_num(100 * r['ci_low'], signed=True)}, {_num(100 * r['ci_high'], signed=True)}]", f"{r['p_value']:.3g}"]
            for r in ordered]
    data = _frame(ordered, PAIRED_SCHEMA).with_columns(pl.col("difference", "ci_low", "ci_high") * 100)
    notes = [significance_note(), "Differences and intervals in points (percent); seed 'pooled' combines every seed.",
             _inputs_note(inp, ["decisions"])]
    return Table("paired_significance", "Paired significance of SLM-MUX against each baseline (same test questions)",
                 header, rows, notes, data)


def _token_source(part: pl.DataFrame) -> str:
    if "used_decoding" not in part.columns or part["used_decoding"].null_count() == part.height:
        return "decisions (completion_tokens)"
    dec = ", ".join(sorted(part["used_decoding"].drop_nulls().unique().to_list()))
    ks = sorted(part["k"].drop_nulls().unique().to_list())
    models = sorted({x for lst in part["used_models"].drop_nulls().to_list() for x in lst})
    return f"{dec}, k={'/'.join(map(str, ks))}, {' + '.join(models)}"


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
