"""Validation accuracy: each model's share of correct sampled answers on the validation split.

The paper uses it twice: SLM-MUX breaks confidence ties between models with it (the model with the
higher validation accuracy wins), and the subset search ranks groups on the validation split. Every
reported number comes from the test split; this module reads only validation rows.

The table (``results/validation/{b}.parquet``, :data:`VALIDATION_SCHEMA`) is written once per
benchmark by ``scripts/validation_accuracy.py``; selection, the sweeps and the tables read it back
with :func:`validation_accuracy_for`, which refuses a table that lacks a model of the group.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import polars as pl

from slmmux.files import read_parquet

VALIDATION_SCHEMA: dict[str, pl.DataType] = {
    "benchmark": pl.String,
    "model": pl.String,
    "validation_accuracy": pl.Float64,
    "n_questions": pl.Int64,
    "n_samples": pl.Int64,
}


def validation_accuracy_table(graded: pl.DataFrame) -> pl.DataFrame:
    """Per-model validation accuracy from a graded samples table.

    Reads only ``split == "validation"`` and ``decoding == "sampled"`` rows, over all seeds.
    Columns: ``benchmark, model, validation_accuracy`` (fraction of correct samples),
    ``n_questions`` (distinct questions), ``n_samples``; sorted by benchmark and model.
    """
    val = graded.filter((pl.col("split") == "validation") & (pl.col("decoding") == "sampled"))
    out = val.group_by(["benchmark", "model"]).agg(
        validation_accuracy=pl.col("correct").cast(pl.Float64).mean(),
        n_questions=pl.col("question_id").n_unique().cast(pl.Int64),
        n_samples=pl.len().cast(pl.Int64),
    )
    return out.select(list(VALIDATION_SCHEMA)).cast(VALIDATION_SCHEMA).sort(["benchmark", "model"])


def validation_accuracy_dict(table: pl.DataFrame, benchmark: str | None = None) -> dict[str, float]:
    """``{model: validation_accuracy}`` from a validation accuracy table (one benchmark)."""
    if benchmark is not None:
        table = table.filter(pl.col("benchmark") == benchmark)
    if table["benchmark"].n_unique() > 1:
        raise ValueError(
            "validation accuracy table holds several benchmarks "
            f"({', '.join(sorted(table['benchmark'].unique().to_list()))}); name one"
        )
    return dict(zip(table["model"].to_list(), table["validation_accuracy"].to_list()))


def read_validation_accuracy(path, benchmark: str | None = None) -> dict[str, float]:
    """Read a validation accuracy file (:func:`validation_accuracy_table` format) as
    ``{model: validation_accuracy}``, keeping only ``benchmark`` when given."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"validation accuracy file not found: {path}")
    table = read_parquet(path)
    missing = [c for c in ("benchmark", "model", "validation_accuracy") if c not in table.columns]
    if missing:
        raise ValueError(f"{path} is not a validation accuracy table: missing columns {', '.join(missing)}")
    return validation_accuracy_dict(table, benchmark)


def validation_accuracy_for(path: str | Path, graded: pl.DataFrame, models: Iterable[str] | None = None) -> dict[str, float]:
    """The validation accuracies in ``path`` for the benchmark of ``graded`` (all rows when it spans several).

    Every model of ``models`` (default: every model of ``graded``) must have one: a missing model would
    silently drop to the end of the confidence tie-break and change SLM-MUX's selections.
    """
    benchmarks = graded["benchmark"].unique().to_list()
    accs = read_validation_accuracy(path, benchmarks[0] if len(benchmarks) == 1 else None)
    wanted = graded["model"].unique().to_list() if models is None else list(models)
    lacking = sorted(m for m in wanted if m not in accs)
    if lacking:
        raise ValueError(f"{path} has no validation accuracy for {', '.join(lacking)} "
                         f"(SLM-MUX breaks confidence ties with it); regenerate the validation table")
    return accs
