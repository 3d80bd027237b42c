"""The numbers of the tables: accuracies with the standard error of the kind the paper gives beside
each number (over questions, over runs, or a sweep's), and the facts read from the decisions and
sweeps (the single best model, the setting of a set of decisions, a sweep's best k).

All accuracies are fractions here; the tables show them in percent (:mod:`slmmux.tables.render`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from slmmux.metrics import binomial_se, mean_se
from slmmux.tables.render import MCMARK, QMARK, fmt_num

if TYPE_CHECKING:
    from slmmux.tables.inputs import Inputs

#: Methods whose paper ± is over runs (seeds); every other method's is over questions.
RUN_METHODS = ("slm_mux", "agent_forest", "oracle")


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
        s = f"{fmt_num(100 * self.mean)}"
        if not math.isnan(self.se):
            s += f" ± {fmt_num(100 * self.se)}"
        return s + self.marker


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


def k_row(sweep: pl.DataFrame, method: str, k: int) -> dict | None:
    """The sweep row of ``method`` at ``k`` samples per model (None when not swept)."""
    part = sweep.filter((pl.col("method") == method) & (pl.col("k") == k))
    return part.row(0, named=True) if part.height else None


def empty_sweep() -> pl.DataFrame:
    from slmmux.scaling import SAMPLES_SWEEP_SCHEMA

    return pl.DataFrame(schema=SAMPLES_SWEEP_SCHEMA)


def decision_setting(inp: Inputs, part: pl.DataFrame) -> tuple[int | None, float | None]:
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


def best_single_model(inp: Inputs, benchmark: str, group: str) -> str | None:
    """The group's single best model as its ``single_best`` decisions record it (None if absent)."""
    if "selected_model" not in inp.decisions.columns:
        return None
    sel = inp.decisions.filter((pl.col("benchmark") == benchmark) & (pl.col("group") == group)
                               & (pl.col("method") == "single_best"))["selected_model"].drop_nulls().unique().sort()
    return sel[0] if sel.len() else None


def single_model_runs(samples: pl.DataFrame, benchmark: str, model: str) -> pl.DataFrame:
    """A model's one-answer-per-question runs on the test split: its greedy samples when generated,
    else its first sampled samples."""
    part = samples.filter((pl.col("benchmark") == benchmark) & (pl.col("model") == model) & (pl.col("split") == "test"))
    greedy = part.filter(pl.col("decoding") == "greedy")
    if greedy.height:
        return greedy
    return part.filter((pl.col("decoding") == "sampled") & (pl.col("sample") == 0))


def token_source(part: pl.DataFrame) -> str:
    """Which samples the completion tokens of a set of decisions were counted from, as they record it."""
    if "used_decoding" not in part.columns or part["used_decoding"].null_count() == part.height:
        return "decisions (completion_tokens)"
    dec = ", ".join(sorted(part["used_decoding"].drop_nulls().unique().to_list()))
    ks = sorted(part["k"].drop_nulls().unique().to_list())
    models = sorted({x for lst in part["used_models"].drop_nulls().to_list() for x in lst})
    return f"{dec}, k={'/'.join(map(str, ks))}, {' + '.join(models)}"


# --------------------------------------------------------------------------- CSV columns of an estimate


def est_fields(e: Estimate | None, prefix: str) -> dict:
    return {
        f"{prefix}_accuracy": 100 * e.mean if e else None,
        f"{prefix}_stderr": (None if (e is None or math.isnan(e.se)) else 100 * e.se),
        f"{prefix}_error_over": e.over if e else None,
        f"{prefix}_n": e.n if e else None,
    }


def est_schema(prefix: str) -> dict:
    return {f"{prefix}_accuracy": pl.Float64, f"{prefix}_stderr": pl.Float64,
            f"{prefix}_error_over": pl.String, f"{prefix}_n": pl.Int64}


def sweep_fields(e: Estimate | None, row: dict | None, prefix: str) -> dict:
    return {**est_fields(e, prefix), f"{prefix}_mc_stderr": (100 * row["mc_stderr"] if row and row["mc_stderr"] is not None
                                                            and not math.isnan(row["mc_stderr"]) else None)}


def sweep_schema(prefix: str) -> dict:
    return {**est_schema(prefix), f"{prefix}_mc_stderr": pl.Float64}
