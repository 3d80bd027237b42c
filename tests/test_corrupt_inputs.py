"""Corrupt or partial inputs fail clearly, naming the file, instead of crashing or passing silently."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from slmmux import mux, validation
from slmmux.data import QUESTION_SCHEMA, read_questions
from slmmux.samples import RAW_SCHEMA, write_samples

SCRIPTS = Path(__file__).parents[1] / "scripts"


def questions(gold=("7", "12")) -> pl.DataFrame:
    rows = [{"benchmark": "gsm8k", "split": "test", "question_id": f"q{i}", "question": "?", "choices": None,
             "gold": g, "subject": None, "level": None} for i, g in enumerate(gold)]
    return pl.DataFrame(rows, schema=QUESTION_SCHEMA)


def raw(texts) -> pl.DataFrame:
    rows = [{"benchmark": "gsm8k", "split": "test", "question_id": qid, "model": "m", "seed": 0,
             "decoding": "sampled", "sample": i, "text": text, "prompt_tokens": 10, "completion_tokens": 20,
             "finish_reason": "stop", "mean_logprob": None} for i, (qid, text) in enumerate(texts)]
    return pl.DataFrame(rows, schema=RAW_SCHEMA)


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def grade(tmp_path, samples: Path, qpath: Path):
    out = tmp_path / "graded.parquet"
    proc = subprocess.run([sys.executable, str(SCRIPTS / "grade.py"), "--samples", str(samples), "--questions",
                           str(qpath), "--out", str(out), "--workers", "1"], capture_output=True, text=True, timeout=300)
    return proc, out


def test_truncated_questions_file_is_named(tmp_path):
    path = tmp_path / "gsm8k.parquet"
    questions().write_parquet(path)
    truncate(path)
    with pytest.raises(ValueError, match=r"gsm8k\.parquet is not a readable Parquet file"):
        read_questions(path)
    samples = tmp_path / "raw.parquet"
    write_samples(raw([("q0", "The answer is 7")]), samples)
    proc, out = grade(tmp_path, samples, path)
    assert proc.returncode == 1 and str(path) in proc.stderr and not out.exists()


def test_null_gold_is_named_not_reported_as_missing_questions(tmp_path):
    path = tmp_path / "q.parquet"
    questions(gold=("7", None)).write_parquet(path)
    with pytest.raises(ValueError, match=r"q\.parquet: 1 question\(s\) have no gold \(null\), e\.g\. q1"):
        read_questions(path)


def test_integer_gold_is_graded_as_text(tmp_path):
    path = tmp_path / "q.parquet"
    questions().with_columns(pl.col("gold").cast(pl.Int64)).write_parquet(path)
    assert read_questions(path)["gold"].to_list() == ["7", "12"]
    samples = tmp_path / "raw.parquet"
    write_samples(raw([("q0", "The answer is 7"), ("q1", "The answer is 11")]), samples)
    proc, out = grade(tmp_path, samples, path)
    assert proc.returncode == 0, proc.stderr
    assert pl.read_parquet(out)["correct"].to_list() == [True, False]


def test_duplicate_question_ids_are_named(tmp_path):
    path = tmp_path / "q.parquet"
    pl.concat([questions(), questions()]).write_parquet(path)
    with pytest.raises(ValueError, match=r"question ids appear more than once: q0, q1"):
        read_questions(path)


def test_zero_row_raw_file_fails_grading(tmp_path):
    qpath = tmp_path / "q.parquet"
    questions().write_parquet(qpath)
    samples = tmp_path / "raw.parquet"
    write_samples(raw([]), samples)
    proc, out = grade(tmp_path, samples, qpath)
    assert proc.returncode == 1
    assert f"{samples} holds no samples (zero rows)" in proc.stderr
    assert not out.exists()


def validation_table(models) -> pl.DataFrame:
    return pl.DataFrame({"benchmark": ["gsm8k"] * len(models), "model": models,
                         "validation_accuracy": [0.5] * len(models), "n_questions": [2] * len(models),
                         "n_samples": [2] * len(models)})


def test_truncated_validation_table_is_named(tmp_path):
    path = tmp_path / "validation.parquet"
    validation_table(["a", "b"]).write_parquet(path)
    truncate(path)
    with pytest.raises(ValueError, match=r"validation\.parquet is not a readable Parquet file"):
        validation.read_validation_accuracy(path)


def test_validation_table_missing_a_model_is_an_error_naming_it(tmp_path):
    path = tmp_path / "validation.parquet"
    validation_table(["a"]).write_parquet(path)
    graded = pl.DataFrame({"benchmark": ["gsm8k", "gsm8k"], "model": ["a", "b"]})
    with pytest.raises(ValueError, match=r"no validation accuracy for b"):
        validation.validation_accuracy_for(path, graded)
    with pytest.raises(ValueError, match=r"no validation accuracy for c"):
        validation.validation_accuracy_for(path, graded.filter(pl.col("model") == "a"), ["a", "c"])
    assert validation.validation_accuracy_for(path, graded.filter(pl.col("model") == "a")) == {"a": 0.5}
