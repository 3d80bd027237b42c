"""The samples table: one row per generated sample, the unit every stage reads and writes.

Generation writes the *raw* columns; grading adds the *graded* columns. On disk the table is
Parquet, in memory a :class:`polars.DataFrame`. :func:`read_samples` and :func:`write_samples`
validate the schema and name what is wrong in a bad file.

A sample is identified by ``(benchmark, split, question_id, model, seed, decoding, sample)``:

- ``decoding`` is ``"sampled"`` (temperature > 0, the k samples SLM-MUX votes over) or
  ``"greedy"`` (temperature 0, one sample, used for the single-model baseline at temperature 0).
- ``sample`` is the index 0..k-1 of the sample within its question.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from slmmux.files import atomic_write, read_parquet

SPLITS = ("validation", "test")
DECODINGS = ("sampled", "greedy")

KEY_COLUMNS = ("benchmark", "split", "question_id", "model", "seed", "decoding", "sample")

RAW_SCHEMA: dict[str, pl.DataType] = {
    "benchmark": pl.String,
    "split": pl.String,
    "question_id": pl.String,
    "model": pl.String,
    "seed": pl.Int64,
    "decoding": pl.String,
    "sample": pl.Int64,
    "text": pl.String,
    "prompt_tokens": pl.Int64,
    "completion_tokens": pl.Int64,
    "finish_reason": pl.String,
    "mean_logprob": pl.Float64,
}

GRADED_SCHEMA: dict[str, pl.DataType] = {
    **RAW_SCHEMA,
    # flexible extraction (the one selection votes over) and its verdict
    "answer": pl.String,
    "answer_key": pl.String,
    "correct": pl.Boolean,
    # strict extraction (only the prompt's own answer format), reported beside it
    "strict_answer": pl.String,
    "strict_correct": pl.Boolean,
}

# Columns that may hold nulls; every other column must be complete.
NULLABLE = {"text", "mean_logprob", "answer", "answer_key", "strict_answer", "finish_reason"}


class SamplesSchemaError(ValueError):
    """A samples table does not match the documented schema."""


def _problems(df: pl.DataFrame, schema: dict[str, pl.DataType]) -> list[str]:
    problems: list[str] = []
    missing = [c for c in schema if c not in df.columns]
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    for col, dtype in schema.items():
        if col in df.columns and df.schema[col] != dtype:
            problems.append(f"column {col!r} has type {df.schema[col]}, expected {dtype}")
    if problems:
        return problems
    for col in schema:
        if col not in NULLABLE:
            n = df[col].null_count()
            if n:
                problems.append(f"column {col!r} has {n} null value(s)")
    bad_split = df.filter(~pl.col("split").is_in(SPLITS))["split"].unique().to_list()
    if bad_split:
        problems.append(f"column 'split' has values {bad_split}, expected one of {list(SPLITS)}")
    bad_dec = df.filter(~pl.col("decoding").is_in(DECODINGS))["decoding"].unique().to_list()
    if bad_dec:
        problems.append(f"column 'decoding' has values {bad_dec}, expected one of {list(DECODINGS)}")
    if df.height and df["sample"].min() < 0:
        problems.append("column 'sample' has negative indices")
    dup = df.select(KEY_COLUMNS).is_duplicated().sum()
    if dup:
        problems.append(f"{dup} rows share a key {KEY_COLUMNS}")
    return problems


def validate(df: pl.DataFrame, graded: bool = False, source: str = "samples table") -> pl.DataFrame:
    """Check ``df`` against the raw (or graded) schema; return it with columns in schema order."""
    schema = GRADED_SCHEMA if graded else RAW_SCHEMA
    problems = _problems(df, schema)
    if problems:
        raise SamplesSchemaError(f"{source} is not a valid {'graded' if graded else 'raw'} samples table: " + "; ".join(problems))
    extra = [c for c in df.columns if c not in schema]
    return df.select(list(schema) + extra)


def empty(graded: bool = False) -> pl.DataFrame:
    return pl.DataFrame(schema=GRADED_SCHEMA if graded else RAW_SCHEMA)


def read_samples(paths: str | os.PathLike | list, graded: bool = False) -> pl.DataFrame:
    """Read one or more Parquet samples files, validating each; concatenates them."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    frames = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise FileNotFoundError(f"samples file not found: {p}")
        try:
            df = read_parquet(p)
        except ValueError as exc:
            raise SamplesSchemaError(str(exc)) from None
        frames.append(validate(df, graded=graded, source=str(p)))
    if not frames:
        return empty(graded)
    out = pl.concat(frames, how="vertical")
    return validate(out, graded=graded, source="concatenated samples")


def write_atomic(df: pl.DataFrame, path: str | os.PathLike) -> None:
    """Write a table as Parquet atomically (see :func:`slmmux.files.atomic_write`)."""
    atomic_write(path, df.write_parquet)


def write_samples(df: pl.DataFrame, path: str | os.PathLike, graded: bool = False) -> None:
    """Validate and atomically write a samples table, sorted by its key."""
    df = validate(df, graded=graded, source=f"table for {path}")
    write_atomic(df.sort(list(KEY_COLUMNS)), path)


def sampled(df: pl.DataFrame) -> pl.DataFrame:
    return df.filter(pl.col("decoding") == "sampled")


def greedy(df: pl.DataFrame) -> pl.DataFrame:
    return df.filter(pl.col("decoding") == "greedy")
