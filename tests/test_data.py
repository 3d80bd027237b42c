"""Questions and splits from the bundled benchmark files."""

from __future__ import annotations

import subprocess
import sys

import polars as pl
import pytest

from conftest import REPO
from slmmux.data import QUESTION_SCHEMA, gsm8k_gold, load_bundled, make_questions


@pytest.mark.parametrize("bench, n", [("math", 500), ("gsm8k", 500), ("gpqa", 198)])
def test_bundled_files_load_completely(bench, n):
    df = load_bundled(bench)
    assert df.height == n
    assert df["question_id"].n_unique() == n
    assert df["gold"].null_count() == 0 and (df["gold"].str.len_chars() > 0).all()


def test_benchmark_specific_fields():
    math = load_bundled("math")
    assert set(math["subject"].unique()) == {"Prealgebra", "Algebra", "Intermediate Algebra", "Number Theory",
                                            "Counting & Probability", "Geometry", "Precalculus"}
    assert set(math["level"].unique()) == {1, 2, 3, 4, 5}
    gpqa = load_bundled("gpqa")
    assert set(gpqa["gold"].unique()) <= {"A", "B", "C", "D"}
    assert (gpqa["choices"].list.len() == 4).all()
    assert gpqa["choices"][0][3].startswith("D ")


def test_gsm8k_gold_strips_separators():
    assert gsm8k_gold("so 1,234 in total.\n#### 1,234") == "1234"
    assert gsm8k_gold("#### -5") == "-5"
    with pytest.raises(ValueError, match="no '#### N'"):
        gsm8k_gold("the answer is 4")


def test_splits_are_disjoint_seeded_and_sized():
    q = make_questions("gsm8k", "bundled", 20, 30, seed=3)
    assert q.schema == pl.Schema(QUESTION_SCHEMA)
    val = set(q.filter(pl.col("split") == "validation")["question_id"])
    test = set(q.filter(pl.col("split") == "test")["question_id"])
    assert len(val) == 20 and len(test) == 30 and not val & test
    again = make_questions("gsm8k", "bundled", 20, 30, seed=3)
    assert again.equals(q)
    other = make_questions("gsm8k", "bundled", 20, 30, seed=4)
    assert set(other.filter(pl.col("split") == "validation")["question_id"]) != val


def test_all_remaining_questions_are_test_by_default():
    q = make_questions("gpqa", "bundled", 48, None, seed=0)
    assert q.filter(pl.col("split") == "test").height == 150


@pytest.mark.parametrize("args, message", [
    (("math", "bundled", 500, None, 0), "leaves no test questions"),
    (("math", "bundled", 10, 495, 0), "only 490 test questions"),
    (("math", "disk", 10, None, 0), "validation_source"),
    (("aime", "bundled", 10, None, 0), "unknown benchmark"),
])
def test_bad_split_requests_are_named(args, message):
    with pytest.raises(ValueError, match=message):
        make_questions(*args)


def test_prepare_script(tmp_path):
    out = tmp_path / "q.parquet"
    subprocess.run([sys.executable, str(REPO / "scripts" / "prepare.py"), "--benchmark", "math", "--validation-size", "5",
                    "--test-size", "7", "--out", str(out)], check=True, capture_output=True)
    df = pl.read_parquet(out)
    assert df.height == 12 and df.filter(pl.col("split") == "validation").height == 5
    bad = subprocess.run([sys.executable, str(REPO / "scripts" / "prepare.py"), "--benchmark", "math", "--validation-size", "600",
                          "--out", str(tmp_path / "x.parquet")], capture_output=True, text=True)
    assert bad.returncode == 2 and "leaves no test questions" in bad.stderr
    assert not (tmp_path / "x.parquet").exists()
