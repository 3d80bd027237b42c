"""Model-subset search: the vectorised search against a plain reference written from paper §1.2."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slmmux import search
from slmmux.mux import answer_clusters
from slmmux.samples import GRADED_SCHEMA, read_samples, write_samples
from slmmux.search import model_bitsets, rank_subsets, search_bitsets

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "real_outputs"


# ---------------------------------------------------------------------------------------------
# plain reference: loops over subsets and items, straight from the definitions


def reference_rank(samples: pl.DataFrame, sizes, lam=1.0, robust_level=1, base="all", top=None,
                   split="validation", decoding="sampled", exact=False) -> list[tuple]:
    rows = samples.to_dicts()
    per: dict[tuple, list[tuple]] = {}
    for r in rows:
        if split is not None and r["split"] != split:
            continue
        if decoding is not None and r["decoding"] != decoding:
            continue
        per.setdefault((r["model"], r["seed"], r["question_id"]), []).append((r["answer_key"], r["correct"]))
    items = sorted({(s, q) for (_, s, q) in per})
    models = sorted({m for (m, _, _) in per})

    def correct(m, x):
        got = per.get((m, *x), [])
        return sum(1 for _, c in got if c) >= robust_level

    def wrong(m, x):
        got = per.get((m, *x), [])
        if not got:
            return False
        keys = {k for k, _ in got}
        return len(keys) == 1 and None not in keys and not any(c for _, c in got)

    out = []
    for size in sorted(set(sizes)):
        if size > len(models):
            continue
        scored = []
        for subset in itertools.combinations(models, size):
            u = sum(1 for x in items if any(correct(m, x) for m in subset))
            c = sum(1 for x in items if any(wrong(m, x) for m in subset) and any(correct(m, x) for m in subset))
            union = u / len(items)
            contra = c / len(items) if base == "all" else (c / u if u else 0.0)
            obj = Fraction(u, len(items)) - Fraction(repr(float(lam))) * (
                Fraction(c, len(items)) if base == "all" else (Fraction(c, u) if u else 0))
            scored.append((list(subset), size, union, contra, union - lam * contra, obj, u))
        scored.sort(key=lambda r: (-r[5], -r[6], r[0]))
        out.extend(scored if top is None else scored[:top])
    out.sort(key=lambda r: (-r[5], -r[6], r[0]))
    return [tuple(r if exact else r[:5]) for r in out]


def reference_greedy(samples, sizes, lam=1.0, robust_level=1, base="all") -> dict[int, list[str]]:
    """Greedy from the definitions: grow the best (K-1)-subset by the best single extension."""
    models = sorted(set(samples.filter((pl.col("split") == "validation") & (pl.col("decoding") == "sampled"))["model"]))
    full = {tuple(r[0]): r for r in reference_rank(samples, range(1, max(sizes) + 1), lam, robust_level, base,
                                                   exact=True)}
    chosen: list[str] = []
    picks = {}
    for k in range(1, min(max(sizes), len(models)) + 1):
        cands = [full[tuple(sorted(chosen + [m]))] for m in models if m not in chosen]
        best = min(cands, key=lambda r: (-r[5], -r[6], r[0]))
        chosen = list(best[0])
        picks[k] = chosen
    return {k: picks[k] for k in sizes if k <= len(models)}


def as_rows(df: pl.DataFrame) -> list[tuple]:
    return [(list(r[0]), r[1], r[2], r[3], r[4]) for r in df.iter_rows()]


# ---------------------------------------------------------------------------------------------
# random graded tables


def graded_frame(records: list[dict]) -> pl.DataFrame:
    """A full graded samples table from (model, seed, question_id, sample, answer_key, correct, ...)."""
    base = {"benchmark": "math", "split": "validation", "decoding": "sampled", "text": "", "prompt_tokens": 1,
            "completion_tokens": 1, "finish_reason": "stop", "mean_logprob": None, "strict_answer": None,
            "strict_correct": False}
    full = []
    for r in records:
        row = {**base, **r}
        row.setdefault("answer", row["answer_key"])
        full.append(row)
    return pl.DataFrame(full, schema=GRADED_SCHEMA)


@st.composite
def tables(draw, max_models=5):
    n_models = draw(st.integers(1, max_models))
    n_q = draw(st.integers(1, 6))
    n_seeds = draw(st.integers(1, 2))
    ks = [draw(st.integers(1, 3)) for _ in range(n_models)]
    keys = st.sampled_from([None, "a", "b", "c"])
    recs = []
    for mi in range(n_models):
        for seed in range(n_seeds):
            for q in range(n_q):
                present = draw(st.integers(0, 4))  # 0: the model has no samples on this item
                if present == 0 and (mi, seed, q) != (0, 0, 0):
                    continue
                for s in range(ks[mi]):
                    key = draw(keys)
                    recs.append({"model": f"m{mi}", "seed": seed, "question_id": f"q{q}", "sample": s,
                                 "answer_key": key, "correct": key == "a"})
        # rows the search must ignore: the test split and greedy decoding
        key = draw(keys)
        recs.append({"model": f"m{mi}", "seed": 0, "question_id": "q0", "sample": 0, "split": "test",
                     "answer_key": key, "correct": key == "a"})
        recs.append({"model": f"m{mi}", "seed": 0, "question_id": "q0", "sample": 0, "decoding": "greedy",
                     "answer_key": "a", "correct": True})
    df = graded_frame(recs)
    k_min = min(df.filter((pl.col("split") == "validation") & (pl.col("decoding") == "sampled"))
                .group_by("model", "seed", "question_id").len().group_by("model").agg(pl.col("len").max())["len"])
    return df, n_models, int(k_min)


options = st.fixed_dictionaries({
    "lam": st.sampled_from([0.0, 0.5, 1.0, 1.7]),
    "base": st.sampled_from(["all", "union"]),
    "top": st.sampled_from([None, 1, 2, 3]),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), options, st.data())
def test_exhaustive_matches_reference(table, opts, data):
    df, n_models, k_min = table
    robust = data.draw(st.integers(1, k_min))
    sizes = data.draw(st.lists(st.integers(1, n_models + 1), min_size=1, max_size=3))
    got = rank_subsets(df, sizes, lam=opts["lam"], robust_level=robust, contradiction_base=opts["base"], top=opts["top"])
    want = reference_rank(df, sizes, opts["lam"], robust, opts["base"], opts["top"])
    assert as_rows(got) == want


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), options, st.data())
def test_beam_with_full_width_equals_exhaustive(table, opts, data):
    df, n_models, k_min = table
    robust = data.draw(st.integers(1, k_min))
    sizes = data.draw(st.lists(st.integers(1, n_models), min_size=1, max_size=3))
    kw = dict(lam=opts["lam"], robust_level=robust, contradiction_base=opts["base"], top=opts["top"])
    exhaustive = rank_subsets(df, sizes, **kw)
    beam = rank_subsets(df, sizes, method="beam", beam_width=math.comb(n_models, n_models // 2), **kw)
    assert as_rows(beam) == as_rows(exhaustive)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), options, st.data())
def test_greedy_matches_reference_greedy(table, opts, data):
    df, n_models, k_min = table
    robust = data.draw(st.integers(1, k_min))
    sizes = sorted(set(data.draw(st.lists(st.integers(1, n_models), min_size=1, max_size=3))))
    got = rank_subsets(df, sizes, lam=opts["lam"], robust_level=robust, contradiction_base=opts["base"], method="greedy")
    want = reference_greedy(df, sizes, opts["lam"], robust, opts["base"])
    full = {tuple(r[0]): r for r in reference_rank(df, sizes, opts["lam"], robust, opts["base"])}
    for k, subset in want.items():
        rows = got.filter(pl.col("size") == k)
        assert list(rows["models"][0]) == subset
        # every reported row is a correctly scored subset
        for r in as_rows(rows):
            assert full[tuple(r[0])] == r


# ---------------------------------------------------------------------------------------------
# definitions on hand-made cases


def test_ties_are_ranked_on_exact_values_not_float_noise():
    """Finding 5 of issue 11: with n = 500 items and lam = 1, {C,D} (union 406, no contradiction:
    objective 0.812) and {A,B} (union 407, 1 contradiction: objective exactly 0.812, in floats
    0.81199...) tie; the documented tie-break, union accuracy, must put {A,B} first. Floats put {C,D}
    first before the fix."""
    n = 500
    u, c = np.array([406, 407]), np.array([0, 1])  # rows: {C,D}, {A,B}
    combos = np.array([[2, 3], [0, 1]])
    floats = u / n - 1.0 * (c / n)
    assert floats[0] > floats[1]  # the float noise that ordered {C,D} first
    key = search.exact_objective(u, c, n, search.rational(1.0), "all")
    assert key[0] == key[1]
    assert search._order(key, u, combos).tolist() == [1, 0]
    key = search.exact_objective(u, c, n, search.rational(1.0), "union")
    assert list(key) == [Fraction(406, 500), Fraction(407, 500) - Fraction(1, 407)]
    assert search.rational(0.1) == Fraction(1, 10)


def test_definitions_hand_case():
    # q0: A correct, B consistently wrong  -> union, contradiction
    # q1: A wrong with split answers, B no answer -> neither
    # q2: B correct                      -> union
    recs = []
    for q, a_keys, b_keys in [("q0", ["x", "x"], ["w", "w"]), ("q1", ["w", "v"], [None, None]), ("q2", ["w", "w"], ["x", "x"])]:
        for s in range(2):
            recs.append({"model": "A", "seed": 0, "question_id": q, "sample": s, "answer_key": a_keys[s], "correct": a_keys[s] == "x"})
            recs.append({"model": "B", "seed": 0, "question_id": q, "sample": s, "answer_key": b_keys[s], "correct": b_keys[s] == "x"})
    df = graded_frame(recs)
    # q2: A consistently wrong ("w","w") and B correct -> contradiction too
    row = rank_subsets(df, [2]).row(0)
    assert row == (["A", "B"], 2, 2 / 3, 2 / 3, 0.0, 2, 2, 3, 1)
    row = rank_subsets(df, [2], contradiction_base="union", lam=0.5).row(0)
    assert row == (["A", "B"], 2, 2 / 3, 1.0, 2 / 3 - 0.5, 2, 2, 3, 1)
    singles = rank_subsets(df, [1])
    assert as_rows(singles) == [(["A"], 1, 1 / 3, 0.0, 1 / 3), (["B"], 1, 1 / 3, 0.0, 1 / 3)]


def test_robust_level_two_needs_two_correct_samples():
    recs = [{"model": "A", "seed": 0, "question_id": "q0", "sample": s, "answer_key": k, "correct": k == "x"}
            for s, k in enumerate(["x", "y", "y"])]
    df = graded_frame(recs)
    assert rank_subsets(df, [1], robust_level=1)["union_accuracy"].to_list() == [1.0]
    assert rank_subsets(df, [1], robust_level=2)["union_accuracy"].to_list() == [0.0]


def test_seeds_pool_items_equal_average_over_seeds():
    rng = np.random.default_rng(3)
    recs = []
    for m in ["A", "B", "C"]:
        for seed in (0, 1, 2):
            for q in range(7):
                for s in range(3):
                    k = str(rng.choice(["x", "y", "z"]))
                    recs.append({"model": m, "seed": seed, "question_id": f"q{q}", "sample": s, "answer_key": k, "correct": k == "x"})
    df = graded_frame(recs)
    pooled = rank_subsets(df, [2, 3]).sort("models")
    per_seed = [rank_subsets(df.filter(pl.col("seed") == s), [2, 3]).sort("models") for s in (0, 1, 2)]
    for col in ("union_accuracy", "contradiction", "objective"):
        mean = np.mean([p[col].to_numpy() for p in per_seed], axis=0)
        np.testing.assert_allclose(pooled[col].to_numpy(), mean, rtol=0, atol=1e-12)


def test_model_missing_on_some_questions_counts_as_neither():
    recs = [{"model": "A", "seed": 0, "question_id": "q0", "sample": 0, "answer_key": "x", "correct": True},
            {"model": "B", "seed": 0, "question_id": "q1", "sample": 0, "answer_key": "y", "correct": False}]
    bits = model_bitsets(graded_frame(recs))
    assert bits.n_items == 2 and bits.models == ("A", "B")
    assert as_rows(search_bitsets(bits, [2])) == [(["A", "B"], 2, 0.5, 0.0, 0.5)]


def test_top_keeps_best_per_size_across_chunks(monkeypatch):
    # tiny chunks force the streaming top-k merge across many chunks
    monkeypatch.setattr(search, "_CHUNK_WORDS", 1)
    rng = np.random.default_rng(7)
    recs = [{"model": f"m{i:02d}", "seed": 0, "question_id": f"q{q}", "sample": 0, "answer_key": k, "correct": k == "x"}
            for i in range(9) for q in range(70) for k in [str(rng.choice(["x", "y"]))]]
    df = graded_frame(recs)
    got = rank_subsets(df, [2, 3, 4], top=5, lam=0.5)
    assert as_rows(got) == reference_rank(df, [2, 3, 4], lam=0.5, top=5)
    assert got.group_by("size").len().sort("size")["len"].to_list() == [5, 5, 5]


# ---------------------------------------------------------------------------------------------
# options and errors


@pytest.mark.parametrize("kwargs, message", [
    ({"robust_level": 4}, "exceeds k=3"),
    ({"robust_level": 0}, "robust_level"),
    ({"lam": -0.1}, "lam"),
    ({"lam": float("nan")}, "lam"),
    ({"contradiction_base": "questions"}, "contradiction_base"),
    ({"method": "random"}, "method"),
    ({"top": 0}, "top"),
    ({"method": "beam", "beam_width": 0}, "beam_width"),
    ({"sizes": [0]}, "sizes"),
    ({"sizes": []}, "sizes"),
])
def test_bad_options(kwargs, message):
    recs = [{"model": "A", "seed": 0, "question_id": "q0", "sample": s, "answer_key": "x", "correct": True} for s in range(3)]
    kwargs = {"sizes": [1], **kwargs}
    with pytest.raises(ValueError, match=message):
        rank_subsets(graded_frame(recs), **kwargs)


def test_no_validation_rows_is_an_error():
    recs = [{"model": "A", "seed": 0, "question_id": "q0", "sample": 0, "answer_key": "x", "correct": True, "split": "test"}]
    with pytest.raises(ValueError, match="no samples"):
        rank_subsets(graded_frame(recs), [1])


def test_sizes_beyond_pool_are_skipped(caplog):
    recs = [{"model": m, "seed": 0, "question_id": "q0", "sample": 0, "answer_key": "x", "correct": True} for m in "AB"]
    out = rank_subsets(graded_frame(recs), [2, 3, 5])
    assert out["size"].to_list() == [2]
    assert "skipping subset size(s) [3, 5]" in caplog.text
    empty = rank_subsets(graded_frame(recs), [3])
    assert empty.height == 0 and empty.schema == pl.Schema(search.OUTPUT_SCHEMA)


# ---------------------------------------------------------------------------------------------
# realistic pool: real ZeroEval outputs, one greedy sample per model per question


def zeroeval_mathl5() -> pl.DataFrame:
    raw = pl.read_csv(FIXTURES / "zeroeval_mathl5_greedy_preds.csv", infer_schema_length=0)
    return raw.select(
        "model", question_id=pl.col("mathl5_id"), seed=pl.lit(0, pl.Int64), sample=pl.lit(0, pl.Int64),
        split=pl.lit("validation"), decoding=pl.lit("greedy"),
        answer_key=pl.when(pl.col("pred").str.strip_chars() == "").then(None).otherwise(pl.col("pred")),
        correct=pl.col("correct_approx") == "1",
    )


def test_real_pool_matches_reference_and_heuristics_bound():
    df = zeroeval_mathl5()
    got = rank_subsets(df, [2, 3], top=4, decoding="greedy", lam=0.5, contradiction_base="union")
    assert as_rows(got) == reference_rank(df, [2, 3], lam=0.5, base="union", top=4, decoding="greedy")
    exh = rank_subsets(df, [2, 3, 4], top=1, decoding="greedy")
    for method in ("greedy", "beam"):
        heur = rank_subsets(df, [2, 3, 4], top=1, decoding="greedy", method=method, beam_width=4)
        for k in (2, 3, 4):
            e = exh.filter(pl.col("size") == k)["objective"][0]
            h = heur.filter(pl.col("size") == k)["objective"][0]
            assert h <= e
    # size 2 from the greedy start: the best single model is the greedy root
    best_single = rank_subsets(df, [1], top=1, decoding="greedy")["models"][0][0]
    g2 = rank_subsets(df, [2], top=1, decoding="greedy", method="greedy")["models"][0]
    assert best_single in list(g2)


# ---------------------------------------------------------------------------------------------
# command line


def _write_pool(tmp_path) -> list[Path]:
    rng = np.random.default_rng(11)
    paths = []
    for m in ["A", "B", "C", "D"]:
        recs = []
        for q in range(10):
            for s in range(3):
                k = str(rng.choice(["x", "y"]))
                recs.append({"model": m, "seed": 0, "question_id": f"q{q}", "sample": s, "answer_key": k, "correct": k == "x"})
        p = tmp_path / f"{m}.parquet"
        write_samples(graded_frame(recs), p, graded=True)
        paths.append(p)
    return paths


def _clusters(tmp_path, paths):
    out = tmp_path / "clusters.parquet"
    answer_clusters(read_samples(paths, graded=True)).write_parquet(out)
    return out


def _cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "search.py"), *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT)


def test_cli_writes_ranked_table(tmp_path):
    paths = _write_pool(tmp_path)
    out = tmp_path / "search" / "math.parquet"
    r = _cli("--samples", *paths, "--answer-clusters", _clusters(tmp_path, paths), "--sizes", 2, 3, 9, "--lam", 0.5, "--robust-level", 2,
             "--contradiction-base", "union", "--top", 2, "--out", out)
    assert r.returncode == 0, r.stderr
    assert "skipping subset size(s) [9]" in r.stderr
    got = pl.read_parquet(out)
    want = rank_subsets(read_samples(paths, graded=True), [2, 3], lam=0.5, robust_level=2, contradiction_base="union", top=2)
    assert got.equals(want)
    assert got.schema == pl.Schema(search.OUTPUT_SCHEMA)


@pytest.mark.parametrize("args, message", [
    (["--robust-level", "4"], "robust_level=4 exceeds k=3"),
    (["--lam", "-1"], "lam"),
    (["--method", "beam", "--beam-width", "0"], "beam_width"),
])
def test_cli_bad_options(tmp_path, args, message):
    paths = _write_pool(tmp_path)
    r = _cli("--samples", *paths, "--answer-clusters", _clusters(tmp_path, paths), "--sizes", 2,
             "--out", tmp_path / "o.parquet", *args)
    assert r.returncode != 0
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "o.parquet").exists()


def test_cli_missing_file(tmp_path):
    paths = _write_pool(tmp_path)
    r = _cli("--samples", tmp_path / "nope.parquet", "--answer-clusters", _clusters(tmp_path, paths), "--sizes", 2,
             "--out", tmp_path / "o.parquet")
    assert r.returncode != 0 and "not found" in r.stderr and "Traceback" not in r.stderr
    r = _cli("--samples", *paths, "--answer-clusters", tmp_path / "nope.parquet", "--sizes", 2,
             "--out", tmp_path / "o.parquet")
    assert r.returncode != 0 and "answer clusters file not found" in r.stderr and "Traceback" not in r.stderr


def test_progress_is_logged(monkeypatch, caplog):
    monkeypatch.setattr(search, "_LOG_EVERY_S", 0.0)
    monkeypatch.setattr(search, "_CHUNK_WORDS", 1)
    recs = [{"model": f"m{i}", "seed": 0, "question_id": f"q{q}", "sample": 0, "answer_key": "x", "correct": q % (i + 2) == 0}
            for i in range(7) for q in range(5)]
    with caplog.at_level("INFO", logger="slmmux.search"):
        rank_subsets(graded_frame(recs), [2, 3])
    assert f"/ {math.comb(7, 2) + math.comb(7, 3)} subsets (" in caplog.text
    assert "subsets/s" in caplog.text


def test_empty_samples_and_single_sample_options():
    """Differences from the authors' code, the paper's reading by default: a sample without an
    answer breaks consistency (or is ignored); one wrong sample is consistent (or never)."""
    recs = []
    for s, (ka, kb) in enumerate([("x", "w"), ("x", None)]):
        recs.append({"model": "A", "seed": 0, "question_id": "q0", "sample": s, "answer_key": ka, "correct": True})
        recs.append({"model": "B", "seed": 0, "question_id": "q0", "sample": s, "answer_key": kb, "correct": False})
    df = graded_frame(recs)
    assert rank_subsets(df, [2])["contradiction"][0] == 0.0  # B's empty sample: not consistent
    assert rank_subsets(df, [2], empty_samples="ignore")["contradiction"][0] == 1.0
    one = graded_frame([{"model": "A", "seed": 0, "question_id": "q0", "sample": 0, "answer_key": "x", "correct": True},
                        {"model": "B", "seed": 0, "question_id": "q0", "sample": 0, "answer_key": "w", "correct": False}])
    assert rank_subsets(one, [2])["contradiction"][0] == 1.0
    assert rank_subsets(one, [2], single_sample_consistent=False)["contradiction"][0] == 0.0
    with pytest.raises(ValueError, match="empty_samples"):
        rank_subsets(one, [2], empty_samples="drop")


# ---------------------------------------------------------------------------------------------
# reading a search table


def test_best_subsets_follow_the_search_rank_not_the_float_objective():
    """Finding 5 of issue 11: the float objective column is for reading; the ranking is the search's
    exact rank (here the float order would put d+a first)."""
    table = pl.DataFrame({"models": [["b", "a"], ["c", "a"], ["d", "a"]], "size": [2, 2, 2],
                          "union_accuracy": [0.7, 0.8, 0.9], "objective": [0.6, 0.6, 0.61], "rank": [2, 1, 3]})
    assert search.best_subsets(table, [2, 3]) == {2: ["a", "c"]}


def test_ranked_subset():
    table = pl.DataFrame({"models": [["b", "a"], ["c", "a"], ["d", "a"]], "size": [2, 2, 2],
                          "union_accuracy": [0.7, 0.8, 0.9], "objective": [0.6, 0.6, 0.5], "rank": [2, 1, 3]})
    assert search.ranked_subset(table, 2) == ["a", "c"]
    assert search.ranked_subset(table, 2, rank=3) == ["a", "d"]
    with pytest.raises(ValueError, match="no rank 4"):
        search.ranked_subset(table, 2, rank=4)
