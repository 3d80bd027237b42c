"""Compute-scaling sweeps: the vectorised sweeps equal plain per-question loops (tests/mux_reference.py)."""

from __future__ import annotations

import logging
import math
import random

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mux_reference as ref
from slmmux import metrics, mux, scaling
from slmmux.samples import GRADED_SCHEMA, validate

NAMES = ["gemma", "llama", "mistral", "qwen", "mixtral"]


def make_graded(rows: list[dict]) -> pl.DataFrame:
    base = {"benchmark": "math", "split": "test", "decoding": "sampled", "text": "t", "prompt_tokens": 1,
            "completion_tokens": 1, "finish_reason": "stop", "mean_logprob": None,
            "strict_answer": None, "strict_correct": False}
    return validate(pl.DataFrame([{**base, **r} for r in rows], schema=GRADED_SCHEMA), graded=True)


def random_table(rng: random.Random, n_models=None, seeds=None, equal_k=False):
    models = rng.sample(NAMES, n_models or rng.randint(1, 4))
    n_seeds = seeds or rng.randint(1, 3)
    k = {m: rng.randint(1, 3) for m in models}
    rows = []
    for q in range(rng.randint(1, 6)):
        gold = rng.choice("abc")
        for seed in range(n_seeds):
            for m in models:
                kk = 3 if equal_k else k[m] + (rng.random() < 0.3)
                for s in range(kk):
                    key = rng.choice(["a", "b", "c", "d", None])
                    rows.append(dict(question_id=f"q{q}", model=m, seed=seed, sample=s,
                                     answer=None if key is None else key.upper(), answer_key=key,
                                     correct=key == gold))
    accs = {m: rng.choice([0.2, 0.6, 0.6]) for m in models if rng.random() < 0.8}
    return make_graded(rows), models, accs


def reference_sweep(pools: scaling.SamplePools, drawn: np.ndarray, accs):
    """Plain loops: for every k, trial and question, call the per-question reference on the drawn samples."""
    n_t, n_q, n_m, k_max = drawn.shape
    mux_right = np.zeros((k_max, n_t, n_q), dtype=bool)
    forest_right = np.zeros((k_max, n_t, n_q), dtype=bool)
    for k in range(1, k_max + 1):
        for t in range(n_t):
            for q in range(n_q):
                keys, flags = {}, {}
                for m, model in enumerate(pools.models):
                    idx = drawn[t, q, m, :k]
                    keys[model] = [None if c < 0 else str(c) for c in pools.codes[q, m, idx]]
                    flags[model] = list(pools.correct[q, m, idx])
                sel = ref.select(keys, accs)
                if sel.answer is not None:
                    mux_right[k - 1, t, q] = flags[sel.model][keys[sel.model].index(sel.answer)]
                y = ref.agent_forest(keys, accs)
                pooled = [(key, f) for model in ref.model_priority(keys, accs)
                          for key, f in zip(keys[model], flags[model])]
                if y is not None:
                    mux_key = [key for key, _ in pooled]
                    forest_right[k - 1, t, q] = pooled[mux_key.index(y)][1]
    return mux_right, forest_right


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_vectorised_sweep_equals_reference(seed):
    rng = random.Random(seed)
    graded, models, accs = random_table(rng)
    pools = scaling.sample_pools(graded, models)
    k_max = int(pools.sizes.min())
    drawn = scaling.draw_subsamples(pools, k_max, trials=3, seed=seed % 1000)
    got = scaling.sweep_correct(pools, drawn, accs)
    want = reference_sweep(pools, drawn, accs)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def test_pools_encode_keys_per_question():
    rows = [dict(question_id="q0", model="b", seed=1, sample=0, answer="X", answer_key="x", correct=True),
            dict(question_id="q0", model="b", seed=0, sample=0, answer=None, answer_key=None, correct=False),
            dict(question_id="q0", model="a", seed=0, sample=0, answer="Y", answer_key="y", correct=False),
            dict(question_id="q1", model="a", seed=0, sample=0, answer="Y", answer_key="y", correct=True),
            dict(question_id="q1", model="b", seed=0, sample=0, answer="Y", answer_key="y", correct=True),
            dict(question_id="q1", model="b", seed=0, sample=0, answer="Y", answer_key="y", correct=True,
                 split="validation")]
    pools = scaling.sample_pools(make_graded(rows), ["b", "a"])
    assert pools.questions == ["q0", "q1"] and pools.models == ["b", "a"]
    assert pools.sizes.tolist() == [[2, 1], [1, 1]]
    # q0: keys x, y -> 0, 1; b's pool in (seed, sample) order: None (seed 0), x (seed 1)
    assert pools.codes[0, 0, :2].tolist() == [-1, 0] and pools.codes[0, 1, 0] == 1
    assert pools.codes[1, :, 0].tolist() == [0, 0]
    assert pools.correct[0, 0, :2].tolist() == [False, True]


def test_draws_are_without_replacement_and_uniform():
    rows = [dict(question_id="q", model=m, seed=0, sample=s, answer="A", answer_key="a", correct=True)
            for m, n in (("a", 5), ("b", 3)) for s in range(n)]
    pools = scaling.sample_pools(make_graded(rows), ["a", "b"])
    drawn = scaling.draw_subsamples(pools, 3, trials=3000, seed=7)
    assert drawn.shape == (3000, 1, 2, 3)
    assert (np.sort(drawn, axis=-1)[..., 1:] != np.sort(drawn, axis=-1)[..., :-1]).all()
    assert drawn[:, 0, 1].max() < 3 and drawn[:, 0, 0].max() < 5
    freq = np.bincount(drawn[:, 0, 0, 0], minlength=5) / 3000  # first draw of a: uniform over 5
    assert np.abs(freq - 0.2).max() < 0.04
    again = scaling.draw_subsamples(pools, 3, trials=3000, seed=7)
    np.testing.assert_array_equal(drawn, again)


def test_too_few_samples_names_the_model():
    rows = [dict(question_id="q", model=m, seed=0, sample=s, answer="A", answer_key="a", correct=True)
            for m, n in (("a", 3), ("b", 2)) for s in range(n)]
    pools = scaling.sample_pools(make_graded(rows), ["a", "b"])
    with pytest.raises(ValueError, match=r"model b has only 2 sample\(s\) for question 'q'"):
        scaling.draw_subsamples(pools, 3, trials=2, seed=0)
    with pytest.raises(ValueError, match="zz"):
        scaling.sample_pools(make_graded(rows), ["a", "zz"])


def per_seed_reference(graded, models, accs, k_max, trials, seed):
    """Each run seed swept on its own pool, from the documented draw seed: {method: [S, K, T]}."""
    out = {"slm_mux": [], "agent_forest": []}
    for run_seed in sorted(graded["seed"].unique().to_list()):
        pools = scaling.sample_pools(graded.filter(pl.col("seed") == run_seed), sorted(models))
        draw = int(np.random.SeedSequence([seed, run_seed]).generate_state(1)[0])
        right = scaling.sweep_correct(pools, scaling.draw_subsamples(pools, k_max, trials, draw), accs)
        for method, r in zip(out, right):
            out[method].append(r.mean(axis=2))
    return {m: np.stack(v) for m, v in out.items()}


def test_samples_sweep_format_and_limits():
    graded, models, accs = random_table(random.Random(5), n_models=3, seeds=3, equal_k=True)
    out = scaling.samples_sweep(graded, models, accs, group="g", k_max=3, trials=20, seed=1)
    assert out.schema == pl.Schema(scaling.SAMPLES_SWEEP_SCHEMA)
    assert out.height == 6 and set(out["method"]) == {"slm_mux", "agent_forest"}
    assert out["k"].to_list()[:3] == [1, 2, 3] and (out["trials"] == 20).all() and (out["seeds"] == 3).all()
    assert out["models"][0].to_list() == sorted(models)
    assert scaling.samples_sweep(graded, models[::-1], accs, group="g", k_max=3, trials=20, seed=1).equals(out)
    # k = k_max draws every sample of the seed: no Monte Carlo error left for SLM-MUX's counts
    with pytest.raises(ValueError, match="fewer than k = 4"):
        scaling.samples_sweep(graded, models, accs, group="g", k_max=4, trials=2, seed=1)


def test_sweep_error_is_over_seeds_and_monte_carlo_apart():
    """Finding 4 of issue 11: the sweep's ± was the Monte Carlo error over trials of one pooled pool
    (it shrinks with the trial count); it is now over seeds, with the Monte Carlo error apart."""
    graded, models, accs = random_table(random.Random(11), n_models=2, seeds=3, equal_k=True)
    out = scaling.samples_sweep(graded, models, accs, group="g", k_max=2, trials=5, seed=3)
    ref = per_seed_reference(graded, models, accs, 2, 5, 3)
    for method in ("slm_mux", "agent_forest"):
        row = out.filter((pl.col("method") == method) & (pl.col("k") == 2)).row(0, named=True)
        seed_means = ref[method][:, 1, :].mean(axis=1)
        mean, se = metrics.mean_se(seed_means)
        assert row["mean"] == pytest.approx(mean)
        assert (math.isnan(se) and math.isnan(row["stderr"])) or row["stderr"] == pytest.approx(se)
        mc = math.sqrt((ref[method][:, 1, :].var(axis=1, ddof=1) / 5).sum()) / 3
        assert row["mc_stderr"] == pytest.approx(mc)
    one = scaling.samples_sweep(graded.filter(pl.col("seed") == 0), models, accs, group="g", k_max=2, trials=5, seed=3)
    assert one["stderr"].is_nan().all() and (one["seeds"] == 1).all()


def test_models_sweep_uses_top_subset_and_skips(caplog):
    graded, models, accs = random_table(random.Random(2), n_models=3, seeds=2, equal_k=True)
    a, b, c = sorted(models)
    search = pl.DataFrame({
        "models": [[a, b], [a, c], [a, b, c]],
        "size": [2, 2, 3],
        "union_accuracy": [0.5, 0.9, 0.9],
        "contradiction": [0.0, 0.1, 0.1],
        "objective": [0.5, 0.8, 0.8],
        "rank": [2, 1, 1],
    })
    with caplog.at_level(logging.WARNING, logger="slmmux.scaling"):
        out = scaling.models_sweep(graded, accs, search, sizes=[2, 3, 4, 5])
    assert "size 4 skipped" in caplog.text and "size 5 skipped" in caplog.text
    assert out.schema == pl.Schema(scaling.MODELS_SWEEP_SCHEMA)
    assert out["n_models"].to_list() == [2, 2, 3, 3]
    assert out["models"].to_list()[0] == [a, c]
    table = mux.decisions(graded, [a, c], accs, "x")
    per_seed = table.filter(pl.col("method") == "slm_mux").group_by("seed").agg(
        pl.col("correct").mean()).sort("seed")["correct"]
    assert out["mean"][0] == pytest.approx(per_seed.mean()) and out["trials"][0] == 2
    union = table.filter(pl.col("method") == "oracle")["correct"].mean()
    assert out["union_accuracy"][0] == pytest.approx(union)
    assert (out["union_accuracy"] >= out["mean"] - 1e-12).all()


def test_cli_scale(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from slmmux.samples import write_samples

    script = Path(__file__).resolve().parents[1] / "scripts" / "scale.py"
    graded, models, accs = random_table(random.Random(9), n_models=3, seeds=2, equal_k=True)
    samples = tmp_path / "graded.parquet"
    write_samples(graded, samples, graded=True)
    clusters = tmp_path / "clusters.parquet"
    mux.answer_clusters(graded).write_parquet(clusters)
    val = tmp_path / "val.parquet"
    pl.DataFrame({"benchmark": ["math"] * len(accs), "model": list(accs),
                  "validation_accuracy": list(accs.values())}).write_parquet(val)
    search = tmp_path / "search.parquet"
    a, b, c = sorted(models)
    pl.DataFrame({"models": [[a, b], [a, b, c]], "size": [2, 3], "union_accuracy": [0.5, 0.6],
                  "contradiction": [0.1, 0.1], "objective": [0.4, 0.5], "rank": [1, 1]}).write_parquet(search)

    def run(*args):
        return subprocess.run([sys.executable, str(script), *map(str, args)], capture_output=True, text=True)

    out = tmp_path / "samples.parquet"
    res = run("samples", "--samples", samples, "--answer-clusters", clusters, "--validation-accuracy", val, "--group", "g",
              "--search", search, "--size", 3, "--k-max", 3, "--trials", 4, "--seed", 2, "--out", out)
    assert res.returncode == 0, res.stderr
    assert pl.read_parquet(out).equals(scaling.samples_sweep(graded, [a, b, c], accs, "g", 3, 4, 2))

    res = run("samples", "--samples", samples, "--answer-clusters", clusters, "--validation-accuracy", val, "--group", "g",
              "--models", *models, "--k-max", 4, "--out", tmp_path / "bad.parquet")
    assert res.returncode == 2 and res.stderr.startswith("scale.py: error: model ")
    assert "fewer than k = 4" in res.stderr and res.stderr.count("\n") == 1

    out = tmp_path / "models.parquet"
    res = run("models", "--samples", samples, "--answer-clusters", clusters, "--validation-accuracy", val, "--search", search,
              "--sizes", 2, 3, 5, "--k", 2, "--out", out)
    assert res.returncode == 0, res.stderr
    assert "size 5 skipped" in res.stderr
    want = scaling.models_sweep(mux.first_k_samples(graded, 2), accs, pl.read_parquet(search), [2, 3, 5])
    assert pl.read_parquet(out).equals(want) and want["n_models"].to_list() == [2, 2, 3, 3]


def test_sweep_confidence_denominator_option():
    """The sweep follows selection.confidence_denominator: a scores 1/3 of k but 1/1 of its answers."""
    rows = [dict(question_id="q", model="a", seed=0, sample=s, answer=k, answer_key=k, correct=False)
            for s, k in enumerate(["x", None, None])]
    rows += [dict(question_id="q", model="b", seed=0, sample=s, answer=k, answer_key=k, correct=k == "y")
             for s, k in enumerate(["y", "y", "z"])]
    graded = make_graded(rows)
    accs = {"a": 0.5, "b": 0.5}
    paper = scaling.samples_sweep(graded, ["a", "b"], accs, "g", k_max=3, trials=4, seed=0)
    authors = scaling.samples_sweep(graded, ["a", "b"], accs, "g", k_max=3, trials=4, seed=0,
                                    confidence_denominator="answered")
    at3 = lambda out: out.filter((pl.col("method") == "slm_mux") & (pl.col("k") == 3))["mean"][0]  # noqa: E731
    assert (at3(paper), at3(authors)) == (1.0, 0.0)
    with pytest.raises(ValueError, match="confidence_denominator"):
        scaling.samples_sweep(graded, ["a", "b"], accs, "g", k_max=3, trials=1, confidence_denominator="x")
