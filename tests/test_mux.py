"""SLM-MUX selection (Algorithm 1), the baselines, and the vectorised decisions table."""

from __future__ import annotations

import math
import random

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mux_reference as ref
from slmmux import mux, validation
from slmmux.samples import GRADED_SCHEMA, validate

KEYS = st.one_of(st.none(), st.sampled_from(["1", "2", "3"]))
MODEL_NAMES = ["gemma", "llama", "mistral", "qwen"]


@st.composite
def question_samples(draw, min_models=1, max_models=4, same_k=False):
    n = draw(st.integers(min_models, max_models))
    models = draw(st.permutations(MODEL_NAMES))[:n]
    k = draw(st.integers(1, 5))
    samples = {m: draw(st.lists(KEYS, min_size=k if same_k else 1, max_size=k if same_k else 5)) for m in models}
    accs = {
        m: draw(st.one_of(st.none(), st.sampled_from([0.2, 0.5, 0.7]), st.just(math.nan)))
        for m in models
    }
    return samples, {m: a for m, a in accs.items() if a is not None}


# --- Algorithm 1 on hand-made cases --------------------------------------------------------


def test_highest_confidence_wins_and_k_counts_missing_answers():
    samples = {"a": ["1", "1", None], "b": ["2", "2", "2"]}
    sel = ref.select(samples, {"a": 0.9, "b": 0.1})
    assert sel == ref.Selection(model="b", answer="2", confidence=1.0)
    sel = ref.select({"a": ["1", "1", None], "b": ["2", "3", "2"]}, {"a": 0.1})
    assert sel.confidence == pytest.approx(2 / 3)
    assert sel.model == "a"  # tie at 2/3: a has an accuracy, b has none


def test_confidence_tie_goes_to_highest_validation_accuracy():
    samples = {"a": ["1", "1", "2"], "b": ["2", "2", "1"]}
    assert ref.select(samples, {"a": 0.4, "b": 0.6}).answer == "2"
    assert ref.select(samples, {"a": 0.6, "b": 0.4}).answer == "1"
    # equal accuracies: name order
    assert ref.select(samples, {"a": 0.5, "b": 0.5}).model == "a"
    # missing accuracies rank last, then name order
    assert ref.select(samples, {}).model == "a"
    assert ref.select(samples, {"b": 0.0}).model == "b"
    assert ref.select(samples, {"a": math.nan, "b": 0.0}).model == "b"


def test_internal_tie_takes_first_occurrence():
    assert ref.majority(["2", "1", "1", "2"]) == ("2", 0.5)
    assert ref.majority([None, "3", "1"]) == ("3", 1 / 3)
    assert ref.self_consistency(["1", "2"]) == "1"


def test_models_without_answers():
    sel = ref.select({"a": [None, None], "b": [None, "5"]}, {"a": 1.0, "b": 0.0})
    assert sel == ref.Selection(model="b", answer="5", confidence=0.5)
    sel = ref.select({"a": [None, None], "b": [None]}, {"a": 0.1, "b": 0.9})
    assert sel == ref.Selection(model="b", answer=None, confidence=0.0)


def test_raw_answers_with_key_never_split_a_vote():
    samples = {"a": ["1/2", "0.5", "\\frac{1}{2}", "3"], "b": ["3", "3", "1", "2"]}
    norm = {"1/2": "1/2", "0.5": "1/2", "\\frac{1}{2}": "1/2", "3": "3", "1": "1", "2": "2"}
    sel = ref.select(samples, {"a": 0.1, "b": 0.9}, benchmark="math", key=norm.get)
    assert sel == ref.Selection(model="a", answer="1/2", confidence=0.75)
    # without a key, the raw strings split a's vote and b wins
    assert ref.select(samples, {"a": 0.1, "b": 0.9}).model == "b"


def test_bad_inputs():
    with pytest.raises(ValueError, match="at least one model"):
        ref.select({}, {})
    with pytest.raises(ValueError, match="'a' has no samples"):
        ref.select({"a": []}, {})


def test_baselines():
    assert ref.single_model(["3", "1", "1"]) == "3"
    assert ref.self_consistency([None, None]) is None
    assert ref.agent_forest({"b": ["2", "1"], "a": ["1", "2"]}, {}) == "1"  # no accuracies: a first by name
    assert ref.agent_forest({"b": ["2", "1"], "a": ["1", "2"]}, {"b": 0.7, "a": 0.2}) == "2"  # b better
    assert ref.agent_forest({"b": ["2", "2"], "a": ["1", None]}, {}) == "2"
    assert ref.agent_forest({"a": [None], "b": [None]}, {}) is None


def test_agent_forest_tie_goes_to_the_better_supported_answer():
    """Finding 2 of issue 11: ties went to the model whose key sorts first. Two models right 45% and
    75% of the time, k=1: every disagreement is a tie, and it must go to the 75% model's answer
    whatever the keys are called (this failed before the fix: 'a-weak' won every tie)."""
    rng = random.Random(0)
    accs = {"a-weak": 0.45, "z-strong": 0.75}
    right = 0
    n = 2000
    for _ in range(n):
        weak = "gold" if rng.random() < 0.45 else "w1"
        strong = "gold" if rng.random() < 0.75 else "w2"
        right += ref.agent_forest({"a-weak": [weak], "z-strong": [strong]}, accs) == "gold"
    assert abs(right / n - 0.75) < 0.03
    assert ref.oracle([False, True]) and not ref.oracle([False, False])
    assert ref.oracle({"a": [False], "b": [False, True]})


# --- properties ---------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(KEYS, min_size=1, max_size=6), st.sampled_from([None, 0.3]))
def test_one_model_gives_self_consistency(answers, acc):
    sel = ref.select({"m": answers}, {} if acc is None else {"m": acc})
    assert sel.model == "m"
    assert sel.answer == ref.self_consistency(answers)
    answered = [a for a in answers if a is not None]
    expected = max((answered.count(a) for a in answered), default=0) / len(answers)
    assert sel.confidence == expected


@settings(max_examples=60, deadline=None)
@given(question_samples(), st.randoms(use_true_random=False))
def test_permuting_models_changes_nothing(case, rnd):
    samples, accs = case
    items = list(samples.items())
    rnd.shuffle(items)
    assert ref.select(dict(items), accs) == ref.select(samples, accs)
    assert ref.agent_forest(dict(items), accs) == ref.agent_forest(samples, accs)


@settings(max_examples=60, deadline=None)
@given(question_samples(min_models=2))
def test_selection_matches_algorithm_1(case):
    samples, accs = case
    sel = ref.select(samples, accs)
    conf = {m: ref.majority(a)[1] for m, a in samples.items()}
    s_max = max(conf.values())
    assert sel.confidence == s_max
    assert conf[sel.model] == s_max
    tied = [m for m in samples if conf[m] == s_max]
    known = [accs[m] for m in tied if m in accs and not math.isnan(accs[m])]
    if known:
        assert accs.get(sel.model) == max(known)
    if s_max > 0:
        assert sel.answer is not None and sel.answer in samples[sel.model]
    else:
        assert sel.answer is None


@settings(max_examples=60, deadline=None)
@given(question_samples(min_models=2), st.data())
def test_k1_most_accurate_answering_model_wins(case, data):
    samples, accs = case
    one = {m: [data.draw(KEYS)] for m in samples}
    sel = ref.select(one, accs)
    answering = [m for m, a in one.items() if a[0] is not None]
    if answering:
        best = ref.model_priority(answering, accs)[0]
        assert sel.model == best and sel.answer == one[best][0] and sel.confidence == 1.0
    else:
        assert sel.answer is None and sel.confidence == 0.0


@settings(max_examples=60, deadline=None)
@given(question_samples(min_models=1))
def test_equivalent_answers_never_split_a_vote(case):
    """Spelling a key's answers differently changes nothing once votes are cast on the key."""
    samples, accs = case
    spelled = {m: [None if a is None else f"{a}#{i}" for i, a in enumerate(ans)] for m, ans in samples.items()}
    keyed = ref.select(spelled, accs, key=lambda s: s.split("#")[0])
    plain = ref.select(samples, accs)
    assert (keyed.model, keyed.confidence) == (plain.model, plain.confidence)
    assert (None if keyed.answer is None else keyed.answer.split("#")[0]) == plain.answer


# --- the table-level path equals the per-question reference -------------------------------


def make_graded(rows: list[dict]) -> pl.DataFrame:
    base = {"text": "t", "prompt_tokens": 1, "completion_tokens": 1, "finish_reason": "stop",
            "mean_logprob": None, "strict_answer": None, "strict_correct": False}
    df = pl.DataFrame([{**base, **r} for r in rows], schema=GRADED_SCHEMA)
    return validate(df, graded=True)


def random_table(rng: random.Random, greedy: bool) -> tuple[pl.DataFrame, list[str], dict]:
    models = rng.sample(MODEL_NAMES, rng.randint(1, 4))
    gold = {f"q{q}": rng.choice("123") for q in range(rng.randint(1, 6))}
    k = {m: rng.randint(1, 4) for m in models}
    rows = []
    for seed in range(rng.randint(1, 2)):
        for q, g in gold.items():
            for m in models:
                for s in range(k[m]):
                    key = rng.choice(["1", "2", "3", None])
                    rows.append(dict(benchmark="gsm8k", split="test", question_id=q, model=m, seed=seed,
                                     decoding="sampled", sample=s,
                                     answer=None if key is None else f"{key}.{rng.randint(0, 9)}",
                                     answer_key=key, correct=key == g,
                                     completion_tokens=rng.randint(1, 1000)))
                if greedy and m == models[0] and rng.random() < 0.6:
                    key = rng.choice(["1", "2", None])
                    rows.append(dict(benchmark="gsm8k", split="test", question_id=q, model=m, seed=seed,
                                     decoding="greedy", sample=0, answer=key, answer_key=key,
                                     correct=key == g, completion_tokens=rng.randint(1, 1000)))
            # validation rows and other models must be ignored
            rows.append(dict(benchmark="gsm8k", split="validation", question_id=q, model=models[0],
                             seed=seed, decoding="sampled", sample=0, answer="1", answer_key="1",
                             correct=True))
    accs = {m: rng.choice([0.1, 0.5, 0.5, 0.9]) for m in models if rng.random() < 0.8}
    return make_graded(rows), models, accs


def reference_decisions(graded: pl.DataFrame, models, accs, group) -> pl.DataFrame:
    test = graded.filter(pl.col("split") == "test")
    best = ref.model_priority(models, accs)[0]
    out = []
    sampled = test.filter(pl.col("decoding") == "sampled")
    for (seed, qid), part in sorted(sampled.group_by(["seed", "question_id"]), key=lambda x: x[0]):
        rows = {m: part.filter(pl.col("model") == m).sort("sample").to_dicts() for m in models}
        keys = {m: [r["answer_key"] for r in rows[m]] for m in models}

        def first_with(model_rows, key):
            for r in model_rows:
                if key is not None and r["answer_key"] == key:
                    return r["answer"], r["correct"]
            return None, False

        members = sorted(models)
        k = max(len(rows[m]) for m in models)
        tokens = sum(r["completion_tokens"] for m in models for r in rows[m])
        used = dict(used_models=members, used_decoding="sampled", used_seed=seed, k=k, completion_tokens=tokens)

        def row(method, key, answer, correct, model=None, conf=None, **u):
            out.append(dict(benchmark="gsm8k", group=group, seed=seed, question_id=qid, method=method,
                            answer=answer, answer_key=key, correct=correct, selected_model=model,
                            confidence=conf, members=members, **(u or used)))

        sel = ref.select(keys, accs)
        row("slm_mux", sel.answer, *first_with(rows[sel.model], sel.answer), sel.model, sel.confidence)
        best_used = dict(used_models=[best], used_decoding="sampled", used_seed=seed, k=len(rows[best]),
                         completion_tokens=sum(r["completion_tokens"] for r in rows[best]))
        greedy = test.filter((pl.col("decoding") == "greedy") & (pl.col("model") == best)
                             & (pl.col("question_id") == qid)).sort(["seed", "sample"])
        same = greedy.filter(pl.col("seed") == seed)
        pick = same.row(0, named=True) if same.height else (
            greedy.row(0, named=True) if greedy.height else rows[best][0])
        assert ref.single_model([pick["answer_key"]]) == pick["answer_key"]
        row("single_best", pick["answer_key"], pick["answer"], pick["correct"], best,
            used_models=[best], used_decoding=pick["decoding"], used_seed=pick["seed"], k=1,
            completion_tokens=pick["completion_tokens"])
        y = ref.self_consistency(keys[best])
        row("single_best_sc", y, *first_with(rows[best], y), best, **best_used)
        y = ref.agent_forest(keys, accs)
        pooled = [r for m in ref.model_priority(models, accs) for r in rows[m]]
        row("agent_forest", y, *first_with(pooled, y))
        row("oracle", None, None, ref.oracle({m: [r["correct"] for r in rows[m]] for m in models}))
    return pl.DataFrame(out, schema=mux.DECISIONS_SCHEMA)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.booleans())
def test_decisions_equal_per_question_reference(seed, greedy):
    graded, models, accs = random_table(random.Random(seed), greedy)
    got = mux.decisions(graded, models, accs, "g")
    want = reference_decisions(graded, models, accs, "g")
    assert got.columns == list(mux.DECISIONS_SCHEMA)
    assert got.to_dicts() == want.to_dicts()
    assert mux.decisions(graded, models[::-1], accs, "g").equals(got)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_decisions_with_k_use_and_count_only_the_first_k_samples(seed):
    """Finding 1 of issue 11: with selection.k below the generated k, the decisions (and so the token
    and oracle numbers aggregated from them) count only the k samples a decision used."""
    graded, models, accs = random_table(random.Random(seed), True)
    got = mux.decisions(graded, models, accs, "g", k=1)
    assert got.equals(mux.decisions(mux.first_k_samples(graded, 1), models, accs, "g"))
    first = graded.filter((pl.col("split") == "test") & (pl.col("decoding") == "sampled") & (pl.col("sample") == 0))
    for r in got.filter(pl.col("method").is_in(["slm_mux", "agent_forest", "oracle"])).iter_rows(named=True):
        used = first.filter((pl.col("seed") == r["seed"]) & (pl.col("question_id") == r["question_id"]))
        assert r["k"] == 1 and r["completion_tokens"] == used["completion_tokens"].sum()
        if r["method"] == "oracle":
            assert r["correct"] == used["correct"].any()


def test_decisions_errors():
    graded, models, accs = random_table(random.Random(3), False)
    with pytest.raises(ValueError, match="'extra'.*no sampled test samples|extra"):
        mux.decisions(graded, [*models, "extra"], accs, "g")
    first = graded.filter(pl.col("split") == "test").row(0, named=True)
    holed = graded.filter(~((pl.col("model") == first["model"]) & (pl.col("question_id") == first["question_id"])
                            & (pl.col("seed") == first["seed"]) & (pl.col("split") == "test")))
    if len(models) > 1:
        with pytest.raises(ValueError, match=f"none from {first['model']}"):
            mux.decisions(holed, models, accs, "g")


def test_validation_accuracy_table_reads_sampled_validation_rows():
    rows = [dict(benchmark="math", split="validation", question_id=f"q{q}", model="a", seed=s,
                 decoding="sampled", sample=i, answer="1", answer_key="1", correct=(q + i) % 2 == 0)
            for q in range(3) for s in range(2) for i in range(2)]
    rows += [dict(benchmark="math", split="test", question_id="t", model="a", seed=0, decoding="sampled",
                  sample=0, answer="1", answer_key="1", correct=False),
             dict(benchmark="math", split="validation", question_id="q0", model="a", seed=0,
                  decoding="greedy", sample=0, answer="1", answer_key="1", correct=False)]
    table = validation.validation_accuracy_table(make_graded(rows))
    assert table.to_dicts() == [dict(benchmark="math", model="a", validation_accuracy=0.5,
                                     n_questions=3, n_samples=12)]
    assert validation.validation_accuracy_dict(table) == {"a": 0.5}


# --- first k samples, validation file, command-line entry points ---------------------------

import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from slmmux.samples import write_samples  # noqa: E402

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def run_script(name: str, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPTS / name), *map(str, args)], capture_output=True, text=True)


def test_first_k_samples_keeps_greedy_and_checks_counts():
    graded, models, _ = random_table(random.Random(8), greedy=True)
    k_min = graded.filter((pl.col("split") == "test") & (pl.col("decoding") == "sampled")).group_by(
        ["model", "seed", "question_id"]).len()["len"].min()
    kept = mux.first_k_samples(graded, 1)
    assert kept.filter(pl.col("decoding") == "sampled")["sample"].max() == 0
    assert kept.filter(pl.col("decoding") == "greedy").height == graded.filter(pl.col("decoding") == "greedy").height
    with pytest.raises(ValueError, match=f"only {k_min} sampled test sample"):
        mux.first_k_samples(graded, 5)


def test_cli_validation_accuracy_and_select(tmp_path):
    graded, models, _ = random_table(random.Random(21), greedy=True)
    graded = pl.concat([graded, graded.filter(pl.col("split") == "test").with_columns(
        split=pl.lit("validation"), question_id=pl.col("question_id") + "v")])
    paths = []
    for i, m in enumerate(models):
        paths.append(tmp_path / f"{m}.parquet")
        write_samples(graded.filter(pl.col("model") == m), paths[-1], graded=True)
    val = tmp_path / "val.parquet"
    res = run_script("validation_accuracy.py", "--samples", *paths, "--out", val)
    assert res.returncode == 0, res.stderr
    table = pl.read_parquet(val)
    assert table.equals(validation.validation_accuracy_table(graded))

    clusters = tmp_path / "clusters.parquet"
    res = run_script("answer_clusters.py", "--samples", *paths, "--out", clusters)
    assert res.returncode == 0, res.stderr
    assert pl.read_parquet(clusters).equals(mux.answer_clusters(graded))
    out = tmp_path / "sel" / "g.parquet"
    res = run_script("selection.py", "--samples", *paths, "--answer-clusters", clusters, "--validation-accuracy", val,
                     "--group", "g", "--models", *models, "--k", 1, "--out", out)
    assert res.returncode == 0, res.stderr
    accs = validation.validation_accuracy_dict(table)
    want = mux.decisions(mux.first_k_samples(graded, 1), models, accs, "g")
    assert pl.read_parquet(out).equals(want)

    res = run_script("selection.py", "--samples", *paths, "--answer-clusters", clusters, "--validation-accuracy", val,
                     "--group", "g", "--models", *models, "absent-model", "--out", tmp_path / "x.parquet")
    assert res.returncode == 2 and res.stderr.count("\n") == 1
    assert res.stderr.startswith("selection.py: error:") and "absent-model" in res.stderr
    assert not (tmp_path / "x.parquet").exists()
    res = run_script("validation_accuracy.py", "--samples", tmp_path / "nope.parquet", "--out", val)
    assert res.returncode == 2 and "not found" in res.stderr
    # clusters computed from other samples: refused, naming the file
    first = graded.filter(pl.col("answer_key").is_not_null())["question_id"].sort()[0]
    write_samples(graded.filter(pl.col("question_id") != first), tmp_path / "one.parquet", graded=True)
    res = run_script("answer_clusters.py", "--samples", tmp_path / "one.parquet", "--out", tmp_path / "c1.parquet")
    assert res.returncode == 0, res.stderr
    res = run_script("selection.py", "--samples", *paths, "--answer-clusters", tmp_path / "c1.parquet",
                     "--validation-accuracy", val, "--group", "g", "--models", *models, "--out", tmp_path / "y.parquet")
    assert res.returncode == 2 and "c1.parquet does not list" in res.stderr and "rerun its rule" in res.stderr
    other = "gpqa" if graded["benchmark"][0] != "gpqa" else "gsm8k"
    two = pl.concat([graded, graded.with_columns(benchmark=pl.lit(other))])
    write_samples(two, tmp_path / "two.parquet", graded=True)
    res = run_script("answer_clusters.py", "--samples", tmp_path / "two.parquet", "--out", tmp_path / "c2.parquet")
    assert res.returncode == 2 and "one benchmark" in res.stderr and not (tmp_path / "c2.parquet").exists()


def test_cli_select_rejects_missing_validation_accuracy(tmp_path):
    """A model without validation accuracy would silently drop to the end of the tie-break: an error naming it."""
    graded, models, _ = random_table(random.Random(4), greedy=False)
    path = tmp_path / "s.parquet"
    write_samples(graded, path, graded=True)
    val = tmp_path / "val.parquet"
    validation.validation_accuracy_table(graded).filter(pl.col("model") != models[-1]).write_parquet(val)
    clusters = tmp_path / "clusters.parquet"
    mux.answer_clusters(graded).write_parquet(clusters)
    res = run_script("selection.py", "--samples", path, "--answer-clusters", clusters, "--validation-accuracy", val,
                     "--group", "g",
                     "--models", *models, "--out", tmp_path / "d.parquet")
    assert res.returncode == 2
    assert f"no validation accuracy for {models[-1]}" in res.stderr and str(val) in res.stderr
    assert not (tmp_path / "d.parquet").exists()


# --- equivalent answers vote together (issue 11, finding 3) ---------------------------------


def _math_rows(model_answers: dict[str, list[str | None]], keys: dict[str, str]) -> pl.DataFrame:
    rows = [dict(benchmark="math", split="test", question_id="q", model=m, seed=0, decoding="sampled", sample=j,
                 answer=a, answer_key=None if a is None else keys[a], correct=a is not None and keys[a] != "k5")
            for m, answers in model_answers.items() for j, a in enumerate(answers)]
    return make_graded(rows)


def test_equivalent_answers_with_different_keys_vote_together():
    """Finding 3 of issue 11: the grader's keys do not simplify, so sqrt(12) and 2 sqrt(3) split the
    vote (confidence 1/3, and the selection went to a model 2/3 sure of a wrong 5). Before the fix
    SLM-MUX picked b here; the grader's own equivalence (math-verify, bounded in time) merges them."""
    keys = {"\\sqrt{12}": "sym:k12", "2\\sqrt{3}": "sym:k2r3", "5": "k5"}
    graded = _math_rows({"a": ["\\sqrt{12}", "2\\sqrt{3}", "5"], "b": ["5", "5", None]}, keys)
    assert mux.decisions(graded, ["a", "b"], {"a": 0.6, "b": 0.5}, "g").row(0, named=True)["selected_model"] == "b"
    merged = mux.cluster_equivalent_answers(graded)
    assert set(merged.filter(pl.col("model") == "a")["answer_key"].to_list()) == {"sym:k12", "k5"}  # smallest key
    sel = mux.decisions(merged, ["a", "b"], {"a": 0.6, "b": 0.5}, "g").row(0, named=True)
    assert (sel["selected_model"], sel["confidence"], sel["correct"]) == ("a", 2 / 3, True)


def test_clustering_merges_what_the_graders_equivalence_finds_equal():
    """With the grader's own keys and equivalence (no stand-ins): x^2+2x+1 and (x+1)^2 get different
    keys, and clustering makes them one answer; 5 stays apart and no answer stays None."""
    from slmmux.answers import answer_keys

    answers = ["x^2+2x+1", "(x+1)^2", "(x+1)^2", "5", None]
    keys = dict(zip(answers[:4], answer_keys(answers[:4], "math")))
    assert keys["x^2+2x+1"] != keys["(x+1)^2"]
    merged = mux.cluster_equivalent_answers(_math_rows({"a": answers}, keys))["answer_key"].to_list()
    assert merged[0] == merged[1] == merged[2] != merged[3] and merged[4] is None


def test_clustering_is_transitive_deterministic_and_per_question():
    # x~y and y~z but not x~z: one cluster, represented by the smallest key, whatever the row order
    same = {frozenset({"X", "Y"}), frozenset({"Y", "Z"})}
    calls = []

    def equivalent(pairs, benchmark):
        calls.append(len(pairs))
        return [frozenset({a, b}) in same for a, b in pairs]

    keys = {"X": "kx", "Y": "ky", "Z": "kz", "5": "k5"}
    graded = _math_rows({"a": ["Z", "X", "5"], "b": ["Y", None, "Z"]}, keys)
    merged = mux.cluster_equivalent_answers(graded, equivalent)
    assert merged["answer_key"].to_list() == ["kx", "kx", "k5", "kx", None, "kx"]
    again = mux.cluster_equivalent_answers(graded.reverse(), equivalent).reverse()
    assert again.equals(merged) and calls == [6, 6]  # 4 distinct keys: 6 pairs, once each
    other = graded.with_columns(question_id=pl.lit("q2"), answer_key=pl.col("answer_key") + "_")
    both = mux.cluster_equivalent_answers(pl.concat([graded, other]), equivalent)
    assert both.filter(pl.col("question_id") == "q2")["answer_key"].to_list() == ["kx_", "kx_", "k5_", "kx_", None, "kx_"]
    gsm = graded.with_columns(benchmark=pl.lit("gsm8k"))
    assert mux.cluster_equivalent_answers(gsm, equivalent).equals(gsm)  # exact keys already


def test_every_group_votes_on_the_clusters_of_every_model():
    """The workflow clusters once per benchmark over every model's samples (rule answer_clusters):
    a group whose own answers X and Z are not found equivalent directly still votes them together
    when another model's answer Y bridges them, exactly as a searched group over the pool does."""
    same = {frozenset({"X", "Y"}), frozenset({"Y", "Z"})}

    def equivalent(pairs, benchmark):
        return [frozenset({a, b}) in same for a, b in pairs]

    keys = {"X": "kx", "Y": "ky", "Z": "kz", "5": "k5"}
    pool = _math_rows({"a": ["X", "5", "5"], "b": ["Z", "Z", "5"], "c": ["Y", "Y", "Y"]}, keys)
    clusters = mux.answer_clusters(pool, equivalent)
    assert clusters.columns == list(mux.CLUSTERS_SCHEMA) and clusters.height == 4
    group = pool.filter(pl.col("model") != "c")
    own = mux.cluster_equivalent_answers(group, equivalent)  # the group's samples alone: no bridge
    shared = mux.apply_answer_clusters(group, clusters)
    assert own.filter(pl.col("model") == "a")["answer_key"].to_list() == ["kx", "k5", "k5"]
    assert shared.filter(pl.col("model") == "b")["answer_key"].to_list() == ["kx", "kx", "k5"]
    with pytest.raises(ValueError, match=r"does not list 3 answer\(s\).*key .ky."):
        mux.apply_answer_clusters(pool, clusters.filter(pl.col("answer_key") != "ky"))
    with pytest.raises(ValueError, match="not an answer-clusters table"):
        mux.apply_answer_clusters(pool, clusters.drop("cluster"))


# --- differences from the authors' code, as options (paper default) ---------------------------


def _one_question(answers_by_model):
    rows = [dict(benchmark="gsm8k", split="test", question_id="q", model=m, seed=0, decoding="sampled", sample=j,
                 answer=a, answer_key=a, correct=a == "1") for m, answers in answers_by_model.items()
            for j, a in enumerate(answers)]
    return make_graded(rows)


def test_confidence_denominator_option():
    graded = _one_question({"a": ["2", None, None], "b": ["1", "1", "3"]})
    paper = mux.decisions(graded, ["a", "b"], {"a": 0.9, "b": 0.1}, "g").row(0, named=True)
    assert (paper["selected_model"], paper["confidence"]) == ("b", 2 / 3)  # a: 1/3 (k counts every sample)
    authors = mux.decisions(graded, ["a", "b"], {"a": 0.9, "b": 0.1}, "g", confidence_denominator="answered").row(0, named=True)
    assert (authors["selected_model"], authors["confidence"]) == ("a", 1.0)  # a: 1/1 answered
    with pytest.raises(ValueError, match="confidence_denominator"):
        mux.decisions(graded, ["a", "b"], {}, "g", confidence_denominator="votes")


def test_own_tie_option_is_seeded_and_order_free():
    answers = {f"m{i}": [str(i), str(i + 10)] for i in range(12)}  # every model ties its two answers
    graded = _one_question(answers)
    first = mux.model_majorities(graded.filter(pl.col("decoding") == "sampled"))
    assert first.sort("model")["answer_key"].to_list() == [answers[m][0] for m in sorted(answers)]
    rnd = mux.model_majorities(graded.filter(pl.col("decoding") == "sampled"), own_tie="random").sort("model")
    want = [min(answers[m], key=lambda a: mux.tie_rank(0, "q", m, a)) for m in sorted(answers)]
    assert rnd["answer_key"].to_list() == want and want != [answers[m][0] for m in sorted(answers)]
    again = mux.model_majorities(graded.reverse().filter(pl.col("decoding") == "sampled"), own_tie="random").sort("model")
    assert again["answer_key"].to_list() == want
