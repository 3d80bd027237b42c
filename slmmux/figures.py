"""The paper's figures regenerated from the workflow's outputs (PNG and PDF, headless, reproducible).

Fixed file names (each written as ``{stem}.png`` and ``{stem}.pdf``; see :func:`expected_figures`):

- ``attribution_{b}``: output attribution, one pie per group: which model's answer SLM-MUX selected.
- ``math_subject_radar``: SLM-MUX accuracy per MATH subject for two groups (one if only one exists).
- ``search_objectives_{b}``: best subset per size K: union accuracy, contradiction and objective vs K.
- ``samples_scaling_{b}``: accuracy vs samples per model, SLM-MUX and Agent Forest, error bars.
- ``models_scaling_{b}``: SLM-MUX accuracy (left axis) and union accuracy (right axis) vs number of models.
- ``calibration_{b}``: SLM-MUX accuracy per confidence s_i value, with counts.
- ``theory_majority``: A(N, p), majority-vote accuracy of N samples (paper §1.4), for a few N.
- ``discussion_{b}`` (when discussion baselines ran): MoA, LLM-Debate and MAV beside Single-Best,
  Single-Best-SC and SLM-MUX of the same group, on the questions the discussion methods answered.

What a figure plots is computed by its plain ``*_data`` function (``attribution_data``,
``search_objectives_data``, ``samples_scaling_data``, ``models_scaling_data``, ``calibration_data``,
``discussion_data``, ``subject_radar_data``, ``theory_majority_data``): a polars frame of exactly the
plotted values, in percent and drawing order, which tests/test_figures.py recomputes by hand; the
drawing functions only draw it.

Error bars: as the tables' ± (slmmux.tables.estimates): over questions for Single-Best, Single-Best-SC and the
discussion baselines, over seeds for SLM-MUX (over questions with one seed); the samples-sweep figure
uses the sweep's ``stderr`` over seeds (its Monte Carlo error ``mc_stderr`` when there is one seed). A figure whose inputs
are absent is skipped with a logged note. Rendering is deterministic: Agg backend, fixed rcParams and
``svg.hashsalt``, no creation dates in the PDF/PNG metadata.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

from slmmux.artifacts import FIGURE_FORMATS, FIGURE_KINDS, expected_figures  # noqa: E402, F401
from slmmux.tables.estimates import estimate_for, estimate_over_runs  # noqa: E402
from slmmux.tables.inputs import Inputs, group_key  # noqa: E402
from slmmux.vocabulary import DISCUSSION_METHODS, SCALING_METHODS, benchmark_name, method_name  # noqa: E402

log = logging.getLogger(__name__)

MATH_SUBJECTS = ("Prealgebra", "Algebra", "Intermediate Algebra", "Number Theory", "Counting & Probability",
                 "Geometry", "Precalculus")
THEORY_N = (1, 3, 5, 9)
#: The search objectives the search_objectives figure draws (columns of the search table).
OBJECTIVES = ("union_accuracy", "contradiction", "objective")
FORMATS = FIGURE_FORMATS

RC = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "svg.hashsalt": "slmmux",
    "pdf.compression": 6,
    "path.simplify": True,
}
METADATA = {
    "png": {"Software": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}


def majority_accuracy(n: int, p: float | np.ndarray) -> float | np.ndarray:
    """A(N, p) = sum_{j >= ceil(N/2)} C(N, j) p^j (1-p)^(N-j) (paper §1.4)."""
    p = np.asarray(p, dtype=float)
    return sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(math.ceil(n / 2), n + 1))


def _save(fig, outdir: Path, stem: str) -> list[Path]:
    out = []
    for fmt in FORMATS:
        path = outdir / f"{stem}.{fmt}"
        fig.savefig(path, format=fmt, metadata=METADATA[fmt])
        out.append(path)
    plt.close(fig)
    return out


def _mux(inp: Inputs, b: str) -> pl.DataFrame:
    d = inp.decisions
    return d.filter((pl.col("benchmark") == b) & (pl.col("method") == "slm_mux"))


def _groups(frame: pl.DataFrame) -> list[str]:
    return sorted(frame["group"].unique().to_list(), key=group_key)


# --------------------------------------------------------------------------- what each figure plots
#
# Each ``*_data`` function returns exactly what its figure draws (accuracies in percent), in drawing
# order; an empty frame (or None) when the figure's inputs are absent. The drawing functions below
# only draw it.


def attribution_data(inp: Inputs, b: str) -> pl.DataFrame:
    """Per group, how many SLM-MUX decisions took each model's answer: ``group, selected_model, count``."""
    schema = {"group": pl.String, "selected_model": pl.String, "count": pl.Int64}
    mux = _mux(inp, b)
    if "selected_model" not in mux.columns:
        return pl.DataFrame(schema=schema)
    mux = mux.filter(pl.col("selected_model").is_not_null())
    parts = [mux.filter(pl.col("group") == g).group_by("selected_model").len().sort("selected_model")
             .select(pl.lit(g).alias("group"), "selected_model", pl.col("len").cast(pl.Int64).alias("count"))
             for g in _groups(mux)]
    return pl.concat(parts) if parts else pl.DataFrame(schema=schema)


def subject_radar_data(inp: Inputs, groups: int = 2) -> pl.DataFrame:
    """SLM-MUX accuracy (%) per MATH subject of the first ``groups`` groups: ``group, subject, accuracy``
    (mean over seeds of the per-seed accuracy, :func:`~slmmux.tables.estimates.estimate_over_runs`;
    0 where a group has no decision on a subject), subjects in :data:`MATH_SUBJECTS` order."""
    schema = {"group": pl.String, "subject": pl.String, "accuracy": pl.Float64}
    mux = _mux(inp, "math")
    if mux.height == 0 or inp.questions is None or "subject" not in inp.questions.columns:
        return pl.DataFrame(schema=schema)
    q = inp.questions.filter(pl.col("benchmark") == "math").select("question_id", "subject").unique("question_id")
    joined = mux.join(q, on="question_id", how="inner").filter(pl.col("subject").is_not_null())
    present = set(joined["subject"].unique().to_list())
    subjects = [s for s in MATH_SUBJECTS if s in present] + sorted(present - set(MATH_SUBJECTS))
    rows = []
    for g in _groups(joined)[:groups]:
        for s in subjects:
            e = estimate_over_runs(joined.filter((pl.col("group") == g) & (pl.col("subject") == s)))
            rows.append((g, s, 100 * e.mean if e else 0.0))
    return pl.DataFrame(rows, schema=schema, orient="row")


def search_objectives_data(inp: Inputs, b: str) -> pl.DataFrame:
    """The best subset of each size K (the search's rank 1): ``size, union_accuracy, contradiction,
    objective``, in percent of validation questions."""
    s = inp.search.get(b)
    if s is None or s.height == 0:
        return pl.DataFrame(schema={"size": pl.Int64, "union_accuracy": pl.Float64, "contradiction": pl.Float64,
                                    "objective": pl.Float64})
    best = s.filter(pl.col("rank") == 1).sort("size")  # the search's exact ranking
    return best.select(pl.col("size").cast(pl.Int64), *(pl.col(c) * 100 for c in OBJECTIVES))


def samples_scaling_data(inp: Inputs, b: str) -> pl.DataFrame:
    """Accuracy (%) against samples per model: ``group, method, k, accuracy, error``; the error bar is the
    sweep's standard error over seeds, its Monte Carlo error when it has one seed (0 when undefined)."""
    schema = {"group": pl.String, "method": pl.String, "k": pl.Int64, "accuracy": pl.Float64, "error": pl.Float64}
    sw = inp.scaling_samples
    part = sw.filter(pl.col("benchmark") == b) if sw is not None else None
    if part is None or part.height == 0:
        return pl.DataFrame(schema=schema)
    frames = []
    for g in _groups(part):
        for method in SCALING_METHODS:
            pts = part.filter((pl.col("group") == g) & (pl.col("method") == method)).sort("k")
            if pts.height == 0:
                continue
            err = pts["stderr"] if pts["seeds"][0] >= 2 else pts["mc_stderr"]
            frames.append(pl.DataFrame({"group": g, "method": method, "k": pts["k"].cast(pl.Int64),
                                        "accuracy": 100 * pts["mean"], "error": 100 * err.fill_nan(0).fill_null(0)},
                                       schema=schema))
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


def models_scaling_data(inp: Inputs, b: str) -> dict[str, pl.DataFrame] | None:
    """Accuracy against number of models: ``{"accuracy": method, n_models, accuracy, error (over seeds),
    "union": n_models, union_accuracy}``, all in percent; None without a models sweep."""
    sw = inp.scaling_models
    part = sw.filter(pl.col("benchmark") == b) if sw is not None else None
    if part is None or part.height == 0:
        return None
    acc = pl.concat([part.filter(pl.col("method") == method).sort("n_models")
                     .select("method", pl.col("n_models").cast(pl.Int64), accuracy=100 * pl.col("mean"),
                             error=100 * pl.col("stderr").fill_null(0))
                     for method in SCALING_METHODS])
    union = (part.select("n_models", "union_accuracy").unique("n_models").sort("n_models")
             .select(pl.col("n_models").cast(pl.Int64), union_accuracy=100 * pl.col("union_accuracy")))
    return {"accuracy": acc, "union": union}


def calibration_data(inp: Inputs, b: str) -> pl.DataFrame:
    """SLM-MUX accuracy (%) per confidence value of the selected model (rounded to 3 decimals), per group:
    ``group, confidence, accuracy, stderr, n`` with stderr = sqrt(p (1 - p) / max(n - 1, 1)) over the n
    decisions at that confidence."""
    schema = {"group": pl.String, "confidence": pl.Float64, "accuracy": pl.Float64, "stderr": pl.Float64,
              "n": pl.Int64}
    mux = _mux(inp, b)
    if "confidence" not in mux.columns:
        return pl.DataFrame(schema=schema)
    mux = mux.filter(pl.col("confidence").is_not_null()).with_columns(conf=pl.col("confidence").round(3))
    frames = []
    for g in _groups(mux):
        per = (mux.filter(pl.col("group") == g).group_by("conf")
               .agg(acc=pl.col("correct").cast(pl.Float64).mean(), n=pl.len()).sort("conf"))
        p, n = per["acc"].to_numpy(), per["n"].to_numpy()
        se = np.sqrt(p * (1 - p) / np.maximum(n - 1, 1))
        frames.append(pl.DataFrame({"group": g, "confidence": per["conf"], "accuracy": 100 * p, "stderr": 100 * se,
                                    "n": n}, schema=schema))
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


DISCUSSION_COMPARED = ("single_best", "single_best_sc", "slm_mux", *DISCUSSION_METHODS)


def discussion_data(inp: Inputs, b: str) -> pl.DataFrame:
    """Per group with discussion decisions, each of :data:`DISCUSSION_COMPARED` present, on the questions
    the discussion methods answered: ``group, method, accuracy, stderr`` (%), the estimate of the kind
    the tables give that method (:func:`~slmmux.tables.estimates.estimate_for`; stderr 0 when undefined)."""
    schema = {"group": pl.String, "method": pl.String, "accuracy": pl.Float64, "stderr": pl.Float64}
    dec = inp.decisions.filter(pl.col("benchmark") == b)
    disc = dec.filter(pl.col("method").is_in(DISCUSSION_METHODS))
    rows = []
    for g in _groups(disc):
        answered = disc.filter(pl.col("group") == g)["question_id"].unique()
        for m in DISCUSSION_COMPARED:
            e = estimate_for(m, dec.filter((pl.col("group") == g) & (pl.col("method") == m) & pl.col("question_id").is_in(answered.implode())))
            if e is not None:
                se = 0.0 if e.se is None or math.isnan(e.se) else e.se
                rows.append((g, m, 100 * e.mean, 100 * se))
    return pl.DataFrame(rows, schema=schema, orient="row")


def theory_majority_data(ns: Iterable[int] = THEORY_N, points: int = 201) -> pl.DataFrame:
    """A(N, p) on a grid of p in [0, 1] for each N: ``n, p, accuracy`` (fractions)."""
    p = np.linspace(0, 1, points)
    return pl.concat([pl.DataFrame({"n": n, "p": p, "accuracy": majority_accuracy(n, p)},
                                   schema={"n": pl.Int64, "p": pl.Float64, "accuracy": pl.Float64}) for n in ns])


# --------------------------------------------------------------------------- drawing


def attribution(inp: Inputs, b: str, outdir: Path) -> list[Path]:
    data = attribution_data(inp, b)
    if data.height == 0:
        log.info("attribution_%s: skipped, no SLM-MUX decisions for %s", b, b)
        return []
    groups = data["group"].unique(maintain_order=True).to_list()
    fig, axes = plt.subplots(1, len(groups), figsize=(3.2 * len(groups), 3.4), squeeze=False)
    for ax, g in zip(axes[0], groups):
        counts = data.filter(pl.col("group") == g)
        ax.pie(counts["count"].to_list(), labels=counts["selected_model"].to_list(), autopct="%1.0f%%",
               startangle=90, counterclock=False)
        ax.set_title(f"{g} (n = {int(counts['count'].sum())})")
    fig.suptitle(f"{benchmark_name(b)}: which model's answer SLM-MUX selected")
    fig.tight_layout()
    return _save(fig, outdir, f"attribution_{b}")


def subject_radar(inp: Inputs, outdir: Path) -> list[Path]:
    data = subject_radar_data(inp)
    if data.height == 0:
        log.info("math_subject_radar: skipped, needs MATH SLM-MUX decisions and the MATH questions table, "
                 "with a subject on some decided question")
        return []
    groups = data["group"].unique(maintain_order=True).to_list()
    subjects = data.filter(pl.col("group") == groups[0])["subject"].to_list()
    angles = np.linspace(0, 2 * np.pi, len(subjects), endpoint=False).tolist()
    fig = plt.figure(figsize=(5.5, 5))
    ax = fig.add_subplot(projection="polar")
    for g in groups:
        vals = data.filter(pl.col("group") == g)["accuracy"].to_list()
        ax.plot(angles + angles[:1], vals + vals[:1], marker="o", label=g)
        ax.fill(angles + angles[:1], vals + vals[:1], alpha=0.15)
    ax.set_xticks(angles)
    ax.set_xticklabels(subjects)
    ax.set_ylim(0, 100)
    ax.set_title("MATH: SLM-MUX accuracy (%) per subject")
    ax.legend(loc="lower right", bbox_to_anchor=(1.15, -0.1))
    fig.tight_layout()
    return _save(fig, outdir, "math_subject_radar")


def search_objectives(inp: Inputs, b: str, outdir: Path) -> list[Path]:
    data = search_objectives_data(inp, b)
    if data.height == 0:
        log.info("search_objectives_%s: skipped, no search results for %s", b, b)
        return []
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for col in OBJECTIVES:
        ax.plot(data["size"].to_list(), data[col].to_list(), marker="o", label=col.replace("_", " "))
    ax.set_xticks(data["size"].to_list())
    ax.set_xlabel("number of models K (best subset per K)")
    ax.set_ylabel("percent of validation questions")
    ax.set_title(f"{benchmark_name(b)}: model-subset search objectives")
    ax.legend()
    fig.tight_layout()
    return _save(fig, outdir, f"search_objectives_{b}")


STYLES = {"slm_mux": "-o", "agent_forest": "--s"}


def samples_scaling(inp: Inputs, b: str, outdir: Path) -> list[Path]:
    data = samples_scaling_data(inp, b)
    if data.height == 0:
        log.info("samples_scaling_%s: skipped, no samples sweep for %s", b, b)
        return []
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for (g, method), pts in data.group_by(["group", "method"], maintain_order=True):
        ax.errorbar(pts["k"].to_list(), pts["accuracy"].to_list(), yerr=pts["error"].to_list(),
                    fmt=STYLES[method], capsize=3, label=f"{method_name(method)} {g}")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("samples per model k")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"{benchmark_name(b)}: accuracy vs samples per model (± s.e. over seeds)")
    ax.legend()
    fig.tight_layout()
    return _save(fig, outdir, f"samples_scaling_{b}")


def models_scaling(inp: Inputs, b: str, outdir: Path) -> list[Path]:
    data = models_scaling_data(inp, b)
    if data is None:
        log.info("models_scaling_%s: skipped, no models sweep for %s", b, b)
        return []
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for (method,), pts in data["accuracy"].group_by(["method"], maintain_order=True):
        ax.errorbar(pts["n_models"].to_list(), pts["accuracy"].to_list(), yerr=pts["error"].to_list(),
                    fmt=STYLES[method], capsize=3, label=method_name(method))
    union = data["union"]
    ax2 = ax.twinx()
    ax2.plot(union["n_models"].to_list(), union["union_accuracy"].to_list(), ":^", color="tab:red",
             label="union accuracy")
    ax2.set_ylabel("union accuracy (%)", color="tab:red")
    ax2.grid(False)
    ax.set_xticks(union["n_models"].to_list())
    ax.set_xlabel("number of models K")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"{benchmark_name(b)}: accuracy and union accuracy vs number of models")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="lower right")
    fig.tight_layout()
    return _save(fig, outdir, f"models_scaling_{b}")


def calibration(inp: Inputs, b: str, outdir: Path) -> list[Path]:
    data = calibration_data(inp, b)
    if data.height == 0:
        log.info("calibration_%s: skipped, no SLM-MUX confidences for %s", b, b)
        return []
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for (g,), per in data.group_by(["group"], maintain_order=True):
        ax.errorbar(per["confidence"].to_list(), per["accuracy"].to_list(), yerr=per["stderr"].to_list(), fmt="-o",
                    capsize=3, label=g)
        for x, y, c in zip(per["confidence"].to_list(), per["accuracy"].to_list(), per["n"].to_list()):
            ax.annotate(f"n={c}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.plot([0, 1], [0, 100], color="gray", lw=0.8, ls=":", label="accuracy = confidence")
    ax.set_xlim(0, 1.05)
    ax.set_ylim(-5, 105)
    ax.set_xlabel("confidence s_i of the selected model")
    ax.set_ylabel("SLM-MUX accuracy (%)")
    ax.set_title(f"{benchmark_name(b)}: accuracy per confidence (± s.e. over decisions)")
    ax.legend()
    fig.tight_layout()
    return _save(fig, outdir, f"calibration_{b}")


def discussion(inp: Inputs, b: str, outdir: Path) -> list[Path]:
    """Discussion baselines vs the group's best single model (and SLM-MUX), per group, on the same questions."""
    data = discussion_data(inp, b)
    if data.height == 0:
        log.info("discussion_%s: skipped, no discussion-baseline decisions for %s", b, b)
        return []
    groups = data["group"].unique(maintain_order=True).to_list()
    colors = dict(zip(DISCUSSION_COMPARED, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    fig, ax = plt.subplots(figsize=(3.0 + 2.4 * len(groups), 3.8))
    labelled: set[str] = set()
    for gi, g in enumerate(groups):
        bars = data.filter(pl.col("group") == g).rows()
        width = 0.8 / len(bars)
        for mi, (_, m, acc, se) in enumerate(bars):
            ax.bar(gi + (mi - (len(bars) - 1) / 2) * width, acc, width, yerr=se, capsize=2,
                   color=colors[m], label=None if m in labelled else method_name(m))
            labelled.add(m)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups)
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 105)
    ax.set_title(f"{benchmark_name(b)}: discussion vs single model")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return _save(fig, outdir, f"discussion_{b}")


def theory_majority(outdir: Path, ns: Iterable[int] = THEORY_N) -> list[Path]:
    data = theory_majority_data(ns)
    fig, ax = plt.subplots(figsize=(5, 3.8))
    for (n,), curve in data.group_by(["n"], maintain_order=True):
        ax.plot(curve["p"].to_numpy(), curve["accuracy"].to_numpy(), label=f"N = {n}")
    ax.axvline(0.5, color="gray", lw=0.8, ls=":")
    ax.set_xlabel("per-sample accuracy p")
    ax.set_ylabel("majority-vote accuracy A(N, p)")
    ax.set_title("Majority voting helps only when p > 0.5")
    ax.legend()
    fig.tight_layout()
    return _save(fig, outdir, "theory_majority")


def make_figures(inp: Inputs, outdir: str | Path) -> list[Path]:
    """Render every figure whose inputs are present; returns the files written (sorted)."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with plt.rc_context(RC):
        for b in inp.benchmarks():
            np.random.seed(0)
            written += attribution(inp, b, outdir)
            written += search_objectives(inp, b, outdir)
            written += samples_scaling(inp, b, outdir)
            written += models_scaling(inp, b, outdir)
            written += calibration(inp, b, outdir)
            written += discussion(inp, b, outdir)
        written += subject_radar(inp, outdir)
        written += theory_majority(outdir)
    return sorted(written)
