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
from slmmux.vocabulary import DISCUSSION_METHODS, benchmark_name, method_name  # noqa: E402

log = logging.getLogger(__name__)

MATH_SUBJECTS = ("Prealgebra", "Algebra", "Intermediate Algebra", "Number Theory", "Counting & Probability",
                 "Geometry", "Precalculus")
THEORY_N = (1, 3, 5, 9)
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


def attribution(inp: Inputs, b: str, outdir: Path) -> list[Path]:
    mux = _mux(inp, b)
    if "selected_model" in mux.columns:
        mux = mux.filter(pl.col("selected_model").is_not_null())
    if mux.height == 0:
        log.info("attribution_%s: skipped, no SLM-MUX decisions for %s", b, b)
        return []
    groups = sorted(mux["group"].unique().to_list(), key=group_key)
    fig, axes = plt.subplots(1, len(groups), figsize=(3.2 * len(groups), 3.4), squeeze=False)
    for ax, g in zip(axes[0], groups):
        counts = mux.filter(pl.col("group") == g).group_by("selected_model").len().sort("selected_model")
        ax.pie(counts["len"].to_list(), labels=counts["selected_model"].to_list(), autopct="%1.0f%%",
               startangle=90, counterclock=False)
        ax.set_title(f"{g} (n = {int(counts['len'].sum())})")
    fig.suptitle(f"{benchmark_name(b)}: which model's answer SLM-MUX selected")
    fig.tight_layout()
    return _save(fig, outdir, f"attribution_{b}")


def subject_radar(inp: Inputs, outdir: Path) -> list[Path]:
    mux = _mux(inp, "math")
    if mux.height == 0 or inp.questions is None or "subject" not in inp.questions.columns:
        log.info("math_subject_radar: skipped, needs MATH SLM-MUX decisions and the MATH questions table")
        return []
    q = inp.questions.filter(pl.col("benchmark") == "math").select("question_id", "subject").unique("question_id")
    joined = mux.join(q, on="question_id", how="inner").filter(pl.col("subject").is_not_null())
    if joined.height == 0:
        log.info("math_subject_radar: skipped, no decision matches a question with a subject")
        return []
    present = set(joined["subject"].unique().to_list())
    subjects = [s for s in MATH_SUBJECTS if s in present] + sorted(present - set(MATH_SUBJECTS))
    groups = sorted(joined["group"].unique().to_list(), key=group_key)[:2]
    angles = np.linspace(0, 2 * np.pi, len(subjects), endpoint=False).tolist()
    fig = plt.figure(figsize=(5.5, 5))
    ax = fig.add_subplot(projection="polar")
    for g in groups:
        vals = []
        for s in subjects:
            e = estimate_over_runs(joined.filter((pl.col("group") == g) & (pl.col("subject") == s)))
            vals.append(100 * e.mean if e else 0.0)
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
    s = inp.search.get(b)
    if s is None or s.height == 0:
        log.info("search_objectives_%s: skipped, no search results for %s", b, b)
        return []
    best = s.filter(pl.col("rank") == 1).sort("size")  # the search's exact ranking
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for col, label in (("union_accuracy", "union accuracy"), ("contradiction", "contradiction"), ("objective", "objective")):
        ax.plot(best["size"].to_list(), (100 * best[col]).to_list(), marker="o", label=label)
    ax.set_xticks(best["size"].to_list())
    ax.set_xlabel("number of models K (best subset per K)")
    ax.set_ylabel("percent of validation questions")
    ax.set_title(f"{benchmark_name(b)}: model-subset search objectives")
    ax.legend()
    fig.tight_layout()
    return _save(fig, outdir, f"search_objectives_{b}")


def samples_scaling(inp: Inputs, b: str, outdir: Path) -> list[Path]:
    sw = inp.scaling_samples
    part = sw.filter(pl.col("benchmark") == b) if sw is not None else None
    if part is None or part.height == 0:
        log.info("samples_scaling_%s: skipped, no samples sweep for %s", b, b)
        return []
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for g in sorted(part["group"].unique().to_list(), key=group_key):
        for method, style in (("slm_mux", "-o"), ("agent_forest", "--s")):
            pts = part.filter((pl.col("group") == g) & (pl.col("method") == method)).sort("k")
            if pts.height == 0:
                continue
            err = pts["stderr"] if pts["seeds"][0] >= 2 else pts["mc_stderr"]
            ax.errorbar(pts["k"].to_list(), (100 * pts["mean"]).to_list(), yerr=(100 * err.fill_nan(0).fill_null(0)).to_list(),
                        fmt=style, capsize=3, label=f"{'SLM-MUX' if method == 'slm_mux' else 'Agent Forest'} {g}")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("samples per model k")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"{benchmark_name(b)}: accuracy vs samples per model (± s.e. over seeds)")
    ax.legend()
    fig.tight_layout()
    return _save(fig, outdir, f"samples_scaling_{b}")


def models_scaling(inp: Inputs, b: str, outdir: Path) -> list[Path]:
    sw = inp.scaling_models
    part = sw.filter(pl.col("benchmark") == b) if sw is not None else None
    if part is None or part.height == 0:
        log.info("models_scaling_%s: skipped, no models sweep for %s", b, b)
        return []
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for method, style in (("slm_mux", "-o"), ("agent_forest", "--s")):
        pts = part.filter(pl.col("method") == method).sort("n_models")
        if pts.height:
            ax.errorbar(pts["n_models"].to_list(), (100 * pts["mean"]).to_list(),
                        yerr=(100 * pts["stderr"].fill_null(0)).to_list(), fmt=style, capsize=3,
                        label="SLM-MUX" if method == "slm_mux" else "Agent Forest")
    union = part.select("n_models", "union_accuracy").unique("n_models").sort("n_models")
    ax2 = ax.twinx()
    ax2.plot(union["n_models"].to_list(), (100 * union["union_accuracy"]).to_list(), ":^", color="tab:red",
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
    mux = _mux(inp, b)
    if "confidence" in mux.columns:
        mux = mux.filter(pl.col("confidence").is_not_null())
    if mux.height == 0 or "confidence" not in mux.columns:
        log.info("calibration_%s: skipped, no SLM-MUX confidences for %s", b, b)
        return []
    mux = mux.with_columns(conf=pl.col("confidence").round(3))
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for g in sorted(mux["group"].unique().to_list(), key=group_key):
        per = (mux.filter(pl.col("group") == g).group_by("conf")
               .agg(acc=pl.col("correct").cast(pl.Float64).mean(), n=pl.len()).sort("conf"))
        p, n = per["acc"].to_numpy(), per["n"].to_numpy()
        se = np.sqrt(p * (1 - p) / np.maximum(n - 1, 1))
        ax.errorbar(per["conf"].to_list(), (100 * p).tolist(), yerr=(100 * se).tolist(), fmt="-o", capsize=3, label=g)
        for x, y, c in zip(per["conf"].to_list(), (100 * p).tolist(), n.tolist()):
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


DISCUSSION_COMPARED = ("single_best", "single_best_sc", "slm_mux", *DISCUSSION_METHODS)


def discussion(inp: Inputs, b: str, outdir: Path) -> list[Path]:
    """Discussion baselines vs the group's best single model (and SLM-MUX), per group, on the same questions."""
    dec = inp.decisions.filter(pl.col("benchmark") == b)
    disc = dec.filter(pl.col("method").is_in(DISCUSSION_METHODS))
    if disc.height == 0:
        log.info("discussion_%s: skipped, no discussion-baseline decisions for %s", b, b)
        return []
    groups = sorted(disc["group"].unique().to_list(), key=group_key)
    colors = dict(zip(DISCUSSION_COMPARED, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    fig, ax = plt.subplots(figsize=(3.0 + 2.4 * len(groups), 3.8))
    labelled: set[str] = set()
    for gi, g in enumerate(groups):
        answered = disc.filter(pl.col("group") == g)["question_id"].unique()
        bars = []
        for m in DISCUSSION_COMPARED:
            e = estimate_for(m, dec.filter((pl.col("group") == g) & (pl.col("method") == m) & pl.col("question_id").is_in(answered.implode())))
            if e is not None:
                bars.append((m, e))
        width = 0.8 / len(bars)
        for mi, (m, e) in enumerate(bars):
            se = 0.0 if e.se is None or math.isnan(e.se) else e.se
            ax.bar(gi + (mi - (len(bars) - 1) / 2) * width, 100 * e.mean, width, yerr=100 * se, capsize=2,
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
    p = np.linspace(0, 1, 201)
    fig, ax = plt.subplots(figsize=(5, 3.8))
    for n in ns:
        ax.plot(p, majority_accuracy(n, p), label=f"N = {n}")
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
