"""The samples table: schema validation with errors that name the problem, atomic writes."""

from __future__ import annotations

import os

import polars as pl
import pytest

from slmmux.samples import GRADED_SCHEMA, RAW_SCHEMA, SamplesSchemaError, read_samples, write_samples


def raw_rows(n=3, **over):
    rows = []
    for i in range(n):
        row = {"benchmark": "math", "split": "test", "question_id": "q1", "model": "m", "seed": 0,
               "decoding": "sampled", "sample": i, "text": f"\\boxed{{{i}}}", "prompt_tokens": 10,
               "completion_tokens": 5, "finish_reason": "stop", "mean_logprob": -0.5}
        row.update(over)
        rows.append(row)
    return pl.DataFrame(rows, schema=RAW_SCHEMA)


def test_round_trip_sorted(tmp_path):
    df = raw_rows().reverse()
    write_samples(df, tmp_path / "s.parquet")
    back = read_samples(tmp_path / "s.parquet")
    assert back["sample"].to_list() == [0, 1, 2]
    assert back.schema == pl.Schema(RAW_SCHEMA)


def test_graded_columns_required(tmp_path):
    write_samples(raw_rows(), tmp_path / "s.parquet")
    with pytest.raises(SamplesSchemaError, match="missing columns: answer, answer_key, correct"):
        read_samples(tmp_path / "s.parquet", graded=True)


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.drop("text"), "missing columns: text"),
    (lambda d: d.with_columns(pl.col("seed").cast(pl.Int32)), "column 'seed' has type Int32"),
    (lambda d: d.with_columns(split=pl.lit("train")), "'split' has values ['train']"),
    (lambda d: d.with_columns(decoding=pl.lit("beam")), "'decoding' has values ['beam']"),
    (lambda d: d.with_columns(sample=pl.lit(0, pl.Int64)), "rows share a key"),
    (lambda d: d.with_columns(model=pl.lit(None, pl.String)), "column 'model' has 3 null"),
])
def test_bad_tables_are_named(tmp_path, mutate, message):
    path = tmp_path / "bad.parquet"
    mutate(raw_rows()).write_parquet(path)
    with pytest.raises(SamplesSchemaError) as info:
        read_samples(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_unreadable_and_missing_files(tmp_path):
    path = tmp_path / "junk.parquet"
    path.write_bytes(b"not parquet")
    with pytest.raises(SamplesSchemaError, match="not a readable Parquet file"):
        read_samples(path)
    with pytest.raises(FileNotFoundError):
        read_samples(tmp_path / "none.parquet")


def test_failed_write_leaves_no_partial_file(tmp_path):
    path = tmp_path / "s.parquet"
    with pytest.raises(SamplesSchemaError):
        write_samples(raw_rows().drop("text"), path)
    assert os.listdir(tmp_path) == []


def test_graded_nullable_answer(tmp_path):
    df = raw_rows(2).with_columns(answer=pl.lit(None, pl.String), answer_key=pl.lit(None, pl.String), correct=pl.lit(False),
                                   strict_answer=pl.lit(None, pl.String), strict_correct=pl.lit(False))
    write_samples(df, tmp_path / "g.parquet", graded=True)
    assert read_samples(tmp_path / "g.parquet", graded=True).schema == pl.Schema(GRADED_SCHEMA)
