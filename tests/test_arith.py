"""The generated arith benchmark: questions, splits, prompt, extraction and exact grading."""

from __future__ import annotations

import json
import random

import pytest

from slmmux import arith
from slmmux.answers import answer_key, extract_answer, is_correct
from slmmux.data import load_bundled, make_questions
from slmmux.prompts import build_messages


def test_bundled_pool_is_what_the_generator_makes():
    on_disk = json.loads(arith.pool_path().read_text(encoding="utf-8"))
    assert on_disk == arith.make_pool()
    assert len(on_disk) == arith.POOL_SIZE == len({r["question"] for r in on_disk})


def test_pool_covers_every_kind_and_level_equally_with_correct_answers():
    pool = arith.make_pool()
    cells = {}
    for r in pool:
        cells[(r["kind"], r["level"])] = cells.get((r["kind"], r["level"]), 0) + 1
        assert int(r["answer"]) == eval(r["question"], {"__builtins__": {}})  # noqa: S307 - our own digits and + - * ( )
        assert r["question"].count("*") <= arith.MAX_PRODUCTS
        ops = sum(r["question"].count(c) for c in "+-*")
        assert ops == r["level"] + (1 if r["kind"] == "paren" else 0)  # level L: L + 1 operands (paren: L + 2)
    assert set(cells) == {(k, lv) for k in arith.KINDS for lv in arith.LEVELS}
    assert set(cells.values()) == {arith.POOL_SIZE // 12}
    by_kind = {k: [r["question"] for r in pool if r["kind"] == k] for k in arith.KINDS}
    assert all(set(q) <= set("0123456789+-") for q in by_kind["sum"])
    assert all("*" in q and "(" not in q for q in by_kind["prod"])
    for q in by_kind["paren"]:
        assert "(" in q and arith.evaluate(q) != arith.evaluate(q.replace("(", "").replace(")", ""))


def test_generation_is_deterministic_from_the_seed():
    assert arith.make_pool(seed=5) == arith.make_pool(seed=5)
    assert arith.make_pool(seed=5) != arith.make_pool(seed=6)
    a = arith.train_stream({"sum": 1, "prod": 1}, {1: 1, 4: 1}, 3, set())
    b = arith.train_stream({"sum": 1, "prod": 1}, {1: 1, 4: 1}, 3, set())
    assert [next(a) for _ in range(50)] == [next(b) for _ in range(50)]


def test_train_stream_never_yields_an_evaluation_question():
    pool = {r["question"] for r in arith.make_pool()}
    stream = arith.train_stream({"sum": 1.0}, {1: 1.0}, 0, pool)  # level-1 sums: small space, many collisions
    seen = [next(stream) for _ in range(3000)]
    assert not pool & {q for q, _ in seen}
    assert all(a == str(arith.evaluate(q)) for q, a in seen)
    with pytest.raises(ValueError):
        next(arith.train_stream({"div": 1.0}, {1: 1.0}, 0, set()))


@pytest.mark.parametrize("text", ["__import__('os')", "2**99999", "9/3", "a+1", "1+" * 40 + "1", "", "1;2", "(1"])
def test_evaluate_rejects_anything_but_integer_arithmetic(text):
    with pytest.raises(ValueError):
        arith.evaluate(text)


def test_splits_are_disjoint_and_registered_like_the_other_benchmarks():
    q = make_questions("arith", "bundled", 100, None, 0)
    val, test = q.filter(q["split"] == "validation"), q.filter(q["split"] == "test")
    assert val.height == 100 and test.height == arith.POOL_SIZE - 100 >= 300
    assert not set(val["question"]) & set(test["question"])
    assert set(q["subject"]) == set(arith.KINDS) and set(q["level"]) == set(arith.LEVELS)
    assert load_bundled("arith").height == arith.POOL_SIZE
    with pytest.raises(ValueError, match="hub"):
        make_questions("arith", "hub", 10, None, 0)
    msg = build_messages(q.row(0, named=True))
    assert msg[0]["content"] == f"Compute {q['question'][0]}\nReduce it one operation at a time, then give the integer."


@pytest.mark.parametrize("completion, expected", [
    ("42", "42"), (" -7\n", "-7"), ("+3", "3"), ("007", "7"), ("12.", "12"), ("3 12", "12"),
    ("The answer is -15.", "-15"), ("3*4=12 so 12+1=13", "13"), ("1.5", None), ("", None), ("abc", None),
    ("3+4*-3=3+-12=-9", "-9"), ("2*-2*4-1=-4*4-1=-16-1", "1"), ("7--3=10", "10"),
])
def test_extraction(completion, expected):
    assert extract_answer(completion, "arith", "flexible") == expected


def test_strict_extraction_takes_only_a_bare_integer_or_the_last_step():
    assert extract_answer("-12", "arith", "strict") == "-12"
    assert extract_answer("3+4*-3=3+-12=-9", "arith", "strict") == "-9"
    assert extract_answer("it is 12", "arith", "strict") is None
    assert extract_answer("3 12", "arith", "strict") is None
    assert extract_answer("3+4*-3=3+-12", "arith", "strict") is None  # stopped before the last step
    assert extract_answer("=5", "arith", "strict") is None


@pytest.mark.parametrize("question, steps", [
    ("3+4", "7"), ("9-3-2", "6-2=4"), ("3+4*(2-5)", "3+4*-3=3+-12=-9"), ("(1-2)*3", "-1*3=-3"),
    ("7-8*9+1*2", "7-72+1*2=7-72+2=-65+2=-63"), ("2*(3-5)*4-1", "2*-2*4-1=-4*4-1=-16-1=-17"),
    ("8-(2-5)*2", "8--3*2=8--6=14"),
])
def test_scratchpad_reduces_one_operation_per_step(question, steps):
    assert arith.scratchpad(question) == steps


def test_every_scratchpad_step_keeps_the_value():
    for r in arith.make_pool():
        steps = arith.scratchpad(r["question"]).split("=")
        assert all(arith.evaluate(s) == int(r["answer"]) for s in steps), r
        assert steps[-1] == r["answer"] and extract_answer("=".join(steps), "arith", "strict") == r["answer"]
        assert len(steps) == r["question"].count("*") + r["question"].count("+") + r["question"].count("-")


def test_grading_is_exact_integer_equality():
    assert is_correct("-07", "-7", "arith")
    assert not is_correct("7", "-7", "arith")
    assert not is_correct("7.0001", "7", "arith")
    assert not is_correct(None, "7", "arith")
    assert answer_key("+0012", "arith") == answer_key("12", "arith") == "12"
    assert answer_key("x", "arith") == "x"


def test_random_expressions_round_trip_through_the_grader():
    rng = random.Random(1)
    for _ in range(200):
        q = arith.generate(rng.choice(arith.KINDS), rng.choice(arith.LEVELS), rng)
        gold = str(arith.evaluate(q))
        assert is_correct(gold, gold, "arith") and not is_correct(str(int(gold) + 1), gold, "arith")
