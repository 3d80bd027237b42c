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


def fake_hub(monkeypatch):
    """Stand-ins for the hub's training splits, shaped like the real datasets' rows."""
    import datasets

    calls = []

    def load_dataset(name, config=None, split=None):
        calls.append((name, config, split))
        if name == "EleutherAI/hendrycks_math":
            rows = [{"problem": f"{config} problem {i}", "solution": f"so \\boxed{{{i}}}", "type": config.title(),
                     "level": f"Level {1 + i % 5}"} for i in range(3)]
            rows.append({"problem": "no box", "solution": "no final answer", "type": "Algebra", "level": "Level ?"})
        elif name == "openai/gsm8k":
            rows = [{"question": f"q{i}", "answer": f"work\n#### {i},000"} for i in range(30)]
        else:
            diamond_q = load_bundled("gpqa")["question"][0]
            rows = [{"Question": q, "Correct Answer": "right", "Incorrect Answer 1": "w1",
                     "Incorrect Answer 2": "w2", "Incorrect Answer 3": "w3"} for q in [diamond_q] + [f"main {i}" for i in range(20)]]
        return datasets.Dataset.from_list(rows)

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return calls


def test_hub_validation_reads_training_splits(monkeypatch):
    from slmmux.data import MATH_SUBJECT_CONFIGS, load_hub_validation

    calls = fake_hub(monkeypatch)
    math = load_hub_validation("math", 10, seed=0)
    assert math.height == 10 and set(math["split"]) == {"validation"}
    assert {c[1] for c in calls if c[0] == "EleutherAI/hendrycks_math"} == set(MATH_SUBJECT_CONFIGS)
    assert all(g.isdigit() for g in math["gold"])  # the boxed answer, solutions without one skipped
    gsm = load_hub_validation("gsm8k", 5, seed=1)
    assert set(gsm["gold"]) <= {f"{i}000" for i in range(30)} | {"0"}
    gpqa = load_hub_validation("gpqa", 20, seed=0)
    assert load_bundled("gpqa")["question"][0] not in set(gpqa["question"])  # Diamond questions excluded
    for choices, gold in zip(gpqa["choices"], gpqa["gold"]):
        assert [c[0] for c in choices] == list("ABCD")
        assert choices["ABCD".index(gold)].endswith("right")
    with pytest.raises(ValueError, match="fewer than validation_size"):
        load_hub_validation("gpqa", 50, seed=0)


def test_hub_validation_keeps_the_whole_bundled_test_split(monkeypatch):
    fake_hub(monkeypatch)
    q = make_questions("gsm8k", "hub", 5, None, seed=0)
    assert q.filter(pl.col("split") == "test").height == 500
    assert q.filter(pl.col("split") == "validation")["question_id"].str.starts_with("gsm8k-train-").all()
