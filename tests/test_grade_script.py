"""The grading stage and scripts/grade.py end to end on a small table."""

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from slmmux.answers import MissingQuestionError, grade_samples
from slmmux.data import QUESTION_SCHEMA
from slmmux.samples import RAW_SCHEMA, read_samples, write_samples

SCRIPT = Path(__file__).parents[1] / "scripts" / "grade.py"


def _questions():
    rows = [
        {"benchmark": "math", "split": "test", "question_id": "q1", "question": "?", "choices": None,
         "gold": r"\frac{1}{2}", "subject": "Algebra", "level": 2},
        {"benchmark": "math", "split": "test", "question_id": "q2", "question": "?", "choices": None,
         "gold": "(x+1)^2", "subject": "Algebra", "level": 3},
    ]
    return pl.DataFrame(rows, schema=QUESTION_SCHEMA)


def _raw(texts):
    rows = []
    for i, (qid, text) in enumerate(texts):
        rows.append({"benchmark": "math", "split": "test", "question_id": qid, "model": "m", "seed": 0,
                     "decoding": "sampled", "sample": i, "text": text, "prompt_tokens": 10,
                     "completion_tokens": 20, "finish_reason": "stop", "mean_logprob": None})
    return pl.DataFrame(rows, schema=RAW_SCHEMA)


TEXTS = [
    ("q1", r"So \boxed{0.5}."),
    ("q1", r"So \boxed{\dfrac12}."),
    ("q1", "The final answer is 1/2"),
    ("q1", r"\boxed{3}"),
    ("q1", None),
    ("q2", r"\boxed{x^2+2x+1}"),
]


def test_grade_samples_columns_and_verdicts():
    graded = grade_samples(_raw(TEXTS), _questions(), workers=1, timeout=5)
    assert graded["correct"].to_list() == [True, True, True, False, False, True]
    assert graded["strict_correct"].to_list() == [True, True, False, False, False, True]
    assert graded["strict_answer"].to_list()[2] is None
    keys = graded["answer_key"].to_list()
    assert keys[0] == keys[1] == keys[2] != keys[3]
    assert keys[4] is None


def test_missing_question_is_an_error():
    raw = _raw([("q9", r"\boxed{1}")])
    with pytest.raises(MissingQuestionError, match="q9"):
        grade_samples(raw, _questions(), workers=1)


def test_script_round_trip(tmp_path):
    raw_path, q_path, out = tmp_path / "raw.parquet", tmp_path / "q.parquet", tmp_path / "g" / "graded.parquet"
    write_samples(_raw(TEXTS), raw_path)
    _questions().write_parquet(q_path)
    res = subprocess.run([sys.executable, str(SCRIPT), "--samples", str(raw_path), "--questions", str(q_path),
                          "--out", str(out), "--workers", "1"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    graded = read_samples(out, graded=True)
    assert graded.height == len(TEXTS)
    assert graded["correct"].sum() == 4
    assert "accuracy=0.667" in res.stderr


def test_script_bad_input(tmp_path):
    res = subprocess.run([sys.executable, str(SCRIPT), "--samples", str(tmp_path / "nope.parquet"),
                          "--questions", str(tmp_path / "q.parquet"), "--out", str(tmp_path / "o.parquet")],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode != 0
    assert res.stderr.strip().splitlines()[-1].startswith("error: ")
