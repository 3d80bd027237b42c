"""Mechanics of the discussion baselines (MoA, LLM-Debate, MAV) over a fake chat backend."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from slmmux.discussion import (
    AnswerTools,
    Executor,
    discuss,
    majority_vote,
    mav_select,
    parse_verdict,
    run_debate,
    run_mav,
    run_moa,
    transcript_table,
)
from slmmux.discussion.engine import Call, call_seed
from slmmux.discussion.sheet import ModelBackend, load_model_backends, load_model_sheet, pick_models
from slmmux.generate.base import Completion, QuestionError, SamplingSpec

ROOT = Path(__file__).resolve().parents[1]
MODELS = ["m0", "m1", "m2"]
SAMPLING = SamplingSpec(n=1, temperature=0.7, max_tokens=64)


def words(s: str) -> int:
    return len(s.split())


class FakeBackend:
    """Records every chat request; replies with ``responder(model, messages, seed)``.

    Token counts: prompt = words of all messages, completion = words of the reply."""

    def __init__(self, key: str, log: list, responder, fail=None):
        self.key, self.log, self.responder, self.fail = key, log, responder, fail or (lambda m, msgs: False)
        self.closed = False

    def chat(self, conversations, sampling, seeds):
        assert not self.closed, "chat on a closed backend"
        assert len(conversations) == len(seeds) and sampling.n == 1
        self.log.append({"model": self.key, "conversations": json.loads(json.dumps(conversations)), "seeds": list(seeds)})
        for i, conv in enumerate(conversations):
            if self.fail(self.key, conv):
                raise QuestionError(i, f"conversation {i} too long")
        out = []
        for conv, seed in zip(conversations, seeds):
            text = self.responder(self.key, conv, seed)
            out.append([Completion(text, sum(words(m["content"]) for m in conv), words(text), "stop", None)])
        return out

    def describe(self):
        return {"backend": "fake", "model": self.key}

    def close(self):
        self.closed = True


class Pool:
    def __init__(self, responder, fail=None):
        self.log: list = []
        self.opened: list[FakeBackend] = []
        self.responder, self.fail = responder, fail

    def __call__(self, key):
        b = FakeBackend(key, self.log, self.responder, self.fail)
        self.opened.append(b)
        return b


def simple_build(row, benchmark):
    return [{"role": "user", "content": f"PROBLEM {row['question_id']}: {row['question']}"}]


def qid_of(conv) -> str:
    first = next(m for m in conv if m["role"] == "user")["content"]
    return first.split("PROBLEM ", 1)[1].split(":", 1)[0] if "PROBLEM " in first else "?"


TOOLS = AnswerTools(
    extract=lambda text, b: (text.rsplit("ANSWER=", 1)[1].split()[0] if text and "ANSWER=" in text else None),
    key=lambda a, b: a.lower() if a is not None else None,
    correct=lambda a, gold, b: a is not None and a.lower() == gold.lower(),
)

QUESTIONS = [
    {"question_id": "q1", "question": "one plus one", "gold": "2", "benchmark": "gsm8k"},
    {"question_id": "q2", "question": "two plus two", "gold": "4", "benchmark": "gsm8k"},
]


def tagged(model, conv, seed):
    """A unique reply naming who answered what and at which conversation depth."""
    depth = sum(1 for m in conv if m["role"] == "assistant")
    return f"reply-{model}-{qid_of(conv)}-d{depth}-s{seed} ANSWER={model}"


# ---------------------------------------------------------------------------------------------- MoA

def test_moa_round_major_calls_and_what_each_layer_sees():
    pool = Pool(tagged)
    with Executor(MODELS, pool, SAMPLING) as ex:
        res = run_moa(QUESTIONS, "gsm8k", MODELS, ex, 7, TOOLS, layers=3, aggregator="m1", build_messages=simple_build)
    # round-major: per round, one request per model over both questions; then the aggregator alone
    assert [(e["model"], len(e["conversations"])) for e in pool.log] == \
        [("m0", 2), ("m1", 2), ("m2", 2), ("m0", 2), ("m1", 2), ("m2", 2), ("m1", 2)]
    assert ex.batches == [(0, "m0", 2), (0, "m1", 2), (0, "m2", 2), (1, "m0", 2), (1, "m1", 2), (1, "m2", 2), (2, "m1", 2)]
    assert [b.key for b in pool.opened] == MODELS  # each model loaded once (keep_loaded)
    by = {(r.call.question_id, r.call.round, r.call.agent): r for r in res.replies}
    assert len(res.replies) == 2 * (2 * 3 + 1)
    for q in ("q1", "q2"):
        # layer 0: the base prompt only
        for a in range(3):
            assert by[(q, 0, a)].call.messages == simple_build({"question_id": q, "question": QUESTIONS[q == "q2"]["question"]}, "gsm8k")
        # layer 1: every proposer sees ALL layer-0 responses of ITS question, numbered, in a system message
        layer0 = [by[(q, 0, a)].text for a in range(3)]
        for a in range(3):
            msgs = by[(q, 1, a)].call.messages
            assert msgs[0]["role"] == "system" and msgs[1]["role"] == "user"
            for i, t in enumerate(layer0):
                assert f"{i + 1}. {t}" in msgs[0]["content"]
            other_q = "q2" if q == "q1" else "q1"
            assert f"-{other_q}-" not in msgs[0]["content"]
        # aggregator: layer-1 responses only (not layer 0, not its own future)
        agg = by[(q, 2, 0)]
        assert agg.call.role == "aggregator" and agg.call.model == "m1"
        sys_text = agg.call.messages[0]["content"]
        assert all(by[(q, 1, a)].text in sys_text for a in range(3))
        assert not any(by[(q, 0, a)].text in sys_text for a in range(3))
        assert agg.text not in sys_text
    assert [(o.question_id, o.answer, o.selected_model, o.confidence) for o in res.outcomes] == \
        [("q1", "m1", "m1", None), ("q2", "m1", "m1", None)]


def test_moa_without_system_role_folds_into_user_turn():
    pool = Pool(tagged)
    with Executor(MODELS[:2], pool, SAMPLING) as ex:
        res = run_moa(QUESTIONS[:1], "gsm8k", MODELS[:2], ex, 0, TOOLS, layers=2, system_role=False,
                      build_messages=simple_build)
    agg = res.replies[-1].call
    assert [m["role"] for m in agg.messages] == ["user"]
    assert agg.messages[0]["content"].endswith("PROBLEM q1: one plus one")
    assert res.replies[0].text in agg.messages[0]["content"]


# ------------------------------------------------------------------------------------------- Debate

def test_debate_rounds_histories_and_no_future():
    pool = Pool(tagged)
    with Executor(MODELS, pool, SAMPLING) as ex:
        res = run_debate(QUESTIONS, "gsm8k", MODELS, ex, 3, TOOLS, rounds=2, build_messages=simple_build)
    assert [(e["model"], len(e["conversations"])) for e in pool.log] == [(m, 2) for _ in range(3) for m in MODELS]
    assert len(res.replies) == 2 * 3 * 3
    by = {(r.call.question_id, r.call.round, r.call.agent): r for r in res.replies}
    for q in ("q1", "q2"):
        for a in range(3):
            assert len(by[(q, 0, a)].call.messages) == 1
            for rnd in (1, 2):
                msgs = by[(q, rnd, a)].call.messages
                # own conversation: base, then (assistant, user) per earlier round
                assert [m["role"] for m in msgs] == ["user"] + ["assistant", "user"] * rnd
                for k in range(rnd):
                    assert msgs[1 + 2 * k]["content"] == by[(q, k, a)].text  # its own earlier answers
                follow = msgs[-1]["content"]
                others = [j for j in range(3) if j != a]
                assert all(by[(q, rnd - 1, j)].text in follow for j in others)  # the others' previous answers
                assert by[(q, rnd - 1, a)].text not in follow  # not its own, in the follow-up
                assert "PROBLEM " + q in follow  # the original problem again
                shown = json.dumps(msgs)
                for j in range(3):  # nothing from this round or later
                    for later in range(rnd, 3):
                        assert by[(q, later, j)].text not in shown
                assert f"-{'q2' if q == 'q1' else 'q1'}-" not in shown


def test_debate_majority_and_tie_rule():
    finals = {"q1": ["7", "9", "9"], "q2": ["5", "6", None]}  # q2: 1-1 tie (one agent has no answer)

    def responder(model, conv, seed):
        rnd = sum(1 for m in conv if m["role"] == "assistant")
        if rnd < 1:
            return f"{model} first ANSWER=0"
        ans = finals[qid_of(conv)][MODELS.index(model)]
        return f"{model} says ANSWER={ans}" if ans else f"{model} gives up"

    with Executor(MODELS, Pool(responder), SAMPLING) as ex:
        res = run_debate(QUESTIONS, "gsm8k", MODELS, ex, 0, TOOLS, rounds=1, build_messages=simple_build)
    o1, o2 = res.outcomes
    assert (o1.answer, o1.confidence, o1.selected_model) == ("9", pytest.approx(2 / 3), None)
    assert (o2.answer, o2.confidence) == ("5", pytest.approx(1 / 3))  # tie: earliest agent (m0) wins


def test_majority_vote_rules():
    assert majority_vote(["a", "b", "b"]).key == "b"
    v = majority_vote(["b", "a", "a", "b", None])
    assert (v.key, v.winner, v.votes, v.share) == ("b", 0, 2, pytest.approx(0.4))
    assert majority_vote([None, None]).winner is None and majority_vote([None]).share is None


# ---------------------------------------------------------------------------------------------- MAV

def mav_responder(verdicts):
    """Candidates answer with their model name; verifier (model, aspect) approves per ``verdicts``."""
    def respond(model, conv, seed):
        content = conv[-1]["content"]
        if "Candidate solution:" not in content:
            return f"cand by {model} seed {seed} ANSWER={model}"
        cand_model = content.split("cand by ", 1)[1].split()[0]
        aspect = "correctness" if "mathematical and factual" in content else "logic" if "logic of the" in content else "answer"
        v = verdicts(model, aspect, cand_model)
        return {True: "fine.\nVerdict: APPROVE", False: "bad.\nVerdict: REJECT", None: "no idea"}[v]
    return respond


def test_mav_counts_approvals_and_shows_verifiers_the_candidate():
    # m1's candidate gets every approval; m0's only from correctness; m2 nothing (unparseable from m2)
    def verdicts(model, aspect, cand):
        if model == "m2":
            return None
        return cand == "m1" or (cand == "m0" and aspect == "correctness")

    pool = Pool(mav_responder(verdicts))
    with Executor(MODELS, pool, SAMPLING) as ex:
        res = run_mav(QUESTIONS, "gsm8k", MODELS, ex, 5, TOOLS, build_messages=simple_build)
    # round 0: one request per model with 2 questions x 1 candidate; round 1: per model 2 q x 3 cands x 3 aspects
    assert [(e["model"], len(e["conversations"])) for e in pool.log] == [(m, 2) for m in MODELS] + [(m, 18) for m in MODELS]
    verifs = [r for r in res.replies if r.call.role == "verifier"]
    assert len(verifs) == 2 * 3 * 9
    for r in verifs:
        cand = next(c for c in res.replies if c.call.role == "candidate" and c.call.question_id == r.call.question_id
                    and c.call.agent == r.call.target)
        assert cand.text in r.call.messages[0]["content"] and "PROBLEM " + r.call.question_id in r.call.messages[0]["content"]
    for o in res.outcomes:
        # m1: 2 verifier models x 3 aspects = 6 approvals of 9 verifiers
        assert (o.answer, o.selected_model, o.confidence) == ("m1", "m1", pytest.approx(6 / 9))
    t = transcript_table(res, "gsm8k", "g", 5)
    assert t.filter(pl.col("role") == "verifier")["verdict"].null_count() == 2 * 3 * 3  # m2's unreadable verdicts


def test_mav_tie_rule_and_multiple_candidates():
    # everyone approves everything: all tie; candidates 0,1 (m0) answer "x", m1's answer "y"
    def respond(model, conv, seed):
        content = conv[-1]["content"]
        if "Candidate solution:" in content:
            return "Verdict: APPROVE"
        return f"cand ANSWER={'x' if model == 'm0' else 'y'}"

    pool = Pool(respond)
    with Executor(MODELS[:2], pool, SAMPLING) as ex:
        res = run_mav(QUESTIONS[:1], "gsm8k", MODELS[:2], ex, 1, TOOLS, candidates_per_model=2, aspects=["logic"],
                      build_messages=simple_build)
    cands = [r for r in res.replies if r.call.role == "candidate"]
    assert [(r.call.agent, r.call.model) for r in cands] == [(0, "m0"), (1, "m0"), (2, "m1"), (3, "m1")]
    assert len({r.call.seed for r in cands}) == 4
    assert len([r for r in res.replies if r.call.role == "verifier"]) == 4 * 2
    assert (res.outcomes[0].answer, res.outcomes[0].selected_model, res.outcomes[0].confidence) == ("x", "m0", 1.0)


def test_mav_select_tie_rule():
    # tied at 2: prefer an answer, then the key with most approvals in total, then the earliest
    assert mav_select([2, 2, 2, 1], [None, "b", "a", "a"], 3).winner == 2
    assert mav_select([2, 2], ["b", "a"], 3).winner == 0
    assert mav_select([0, 3], ["a", None], 3).winner == 1
    assert mav_select([], [], 3).winner is None


def test_parse_verdict():
    assert parse_verdict("steps ok\nVerdict: APPROVE") is True
    assert parse_verdict("Verdict: approve ... on reflection **Verdict:** REJECT") is False
    assert parse_verdict("Final verdict - True") is True
    assert parse_verdict("I reject this solution.") is False
    assert parse_verdict("looks plausible") is None and parse_verdict(None) is None


# ------------------------------------------------------------------------------------ seeds, tokens

def _seeds(method, questions, run_seed):
    pool = Pool(tagged)
    with Executor(MODELS, pool, SAMPLING) as ex:
        fn = {"moa": lambda: run_moa(questions, "gsm8k", MODELS, ex, run_seed, TOOLS, build_messages=simple_build),
              "debate": lambda: run_debate(questions, "gsm8k", MODELS, ex, run_seed, TOOLS, build_messages=simple_build),
              "mav": lambda: run_mav(questions, "gsm8k", MODELS, ex, run_seed, TOOLS, build_messages=simple_build)}[method]
        res = fn()
    return {(r.call.question_id, r.call.round, r.call.agent, r.call.target): r.call.seed for r in res.replies}


@pytest.mark.parametrize("method", ["moa", "debate", "mav"])
def test_seeds_distinct_and_stable(method):
    a = _seeds(method, QUESTIONS, 11)
    assert len(set(a.values())) == len(a)  # distinct per question, round, agent (and judged candidate)
    assert _seeds(method, QUESTIONS[::-1], 11) == a  # independent of question order / batch
    assert _seeds(method, QUESTIONS[:1], 11) == {k: v for k, v in a.items() if k[0] == "q1"}
    b = _seeds(method, QUESTIONS, 12)
    assert set(a.values()).isdisjoint(b.values())
    assert call_seed(11, "m0", "q1", method, 0, 0) == call_seed(11, "m0", "q1", method, 0, 0)


def test_token_totals_and_tables():
    pool = Pool(tagged)
    dec, tr = discuss("debate", QUESTIONS, "gsm8k", "g1", MODELS, pool, 4, SAMPLING, tools=TOOLS, rounds=1,
                      build_messages=simple_build)
    assert tr.height == 2 * 2 * 3
    for q in ("q1", "q2"):
        rows = [c for e in pool.log for c in e["conversations"] if qid_of(c) == q]
        expected_prompt = sum(sum(words(m["content"]) for m in c) for c in rows)
        d = dec.filter(pl.col("question_id") == q).row(0, named=True)
        assert d["prompt_tokens"] == expected_prompt == tr.filter(pl.col("question_id") == q)["prompt_tokens"].sum()
        assert d["completion_tokens"] == tr.filter(pl.col("question_id") == q)["completion_tokens"].sum() > 0
        assert d["calls"] == 6 and d["method"] == "debate" and d["group"] == "g1" and d["seed"] == 4
    # the transcript's messages are exactly what each backend request contained
    sent = sorted(json.dumps(c, ensure_ascii=False) for e in pool.log for c in e["conversations"])
    assert sorted(tr["messages"].to_list()) == sent
    assert dec.columns[:10] == ["benchmark", "group", "seed", "question_id", "method", "answer", "answer_key",
                                "correct", "selected_model", "confidence"]
    # all agents answer with their model name, so the majority is m0 (tie rule) and not the gold
    assert dec["answer"].to_list() == ["m0", "m0"] and dec["correct"].to_list() == [False, False]


def test_correct_uses_gold():
    def respond(model, conv, seed):
        return "so ANSWER=2" if qid_of(conv) == "q1" else "so ANSWER=5"

    dec, _ = discuss("moa", QUESTIONS, "gsm8k", "g", MODELS[:2], Pool(respond), 0, SAMPLING, tools=TOOLS, rounds=2,
                     build_messages=simple_build)
    assert dec.select("question_id", "answer", "correct").rows() == [("q1", "2", True), ("q2", "5", False)]


def test_keep_loaded_false_opens_and_closes_per_round():
    pool = Pool(tagged)
    with Executor(MODELS, pool, SAMPLING, keep_loaded=False) as ex:
        run_moa(QUESTIONS, "gsm8k", MODELS, ex, 0, TOOLS, layers=3, build_messages=simple_build)
    assert [b.key for b in pool.opened] == MODELS + MODELS + ["m0"]
    assert all(b.closed for b in pool.opened)
    pool2 = Pool(tagged)
    with Executor(MODELS, pool2, SAMPLING) as ex:
        run_moa(QUESTIONS, "gsm8k", MODELS, ex, 0, TOOLS, layers=3, build_messages=simple_build)
        assert not any(b.closed for b in pool2.opened)
    assert all(b.closed for b in pool2.opened) and len(pool2.opened) == 3


def test_failed_call_becomes_no_answer_and_run_continues():
    # m2's conversations in debate round 1 (3 messages) are "too long"
    fail = lambda model, conv: model == "m2" and len(conv) > 1  # noqa: E731
    pool = Pool(tagged, fail)
    with Executor(MODELS, pool, SAMPLING) as ex:
        res = run_debate(QUESTIONS, "gsm8k", MODELS, ex, 0, TOOLS, rounds=1, build_messages=simple_build)
    failed = [r for r in res.replies if not r.ok]
    assert [(r.call.question_id, r.call.round, r.call.model) for r in failed] == [("q1", 1, "m2"), ("q2", 1, "m2")]
    assert all(r.finish_reason.startswith("error:") and r.prompt_tokens == 0 for r in failed)
    assert all(o.confidence == pytest.approx(1 / 3) for o in res.outcomes)  # 3 agents, one without answer: 1-1 tie


def test_prompts_reuse_benchmark_base_prompt():
    from slmmux.prompts import build_messages

    pool = Pool(lambda m, c, s: "\\boxed{3}")
    q = [{"question_id": "m/1", "question": "What is $1+2$?", "gold": "3", "benchmark": "math"}]
    with Executor(MODELS[:2], pool, SAMPLING) as ex:
        res = run_debate(q, "math", MODELS[:2], ex, 0, TOOLS, rounds=1)
    base = build_messages(q[0], "math")
    assert res.replies[0].call.messages == base
    assert base[0]["content"] in res.replies[-1].call.messages[-1]["content"]  # the follow-up restates the task


def test_protocol_argument_errors():
    with Executor(MODELS, Pool(tagged), SAMPLING) as ex:
        with pytest.raises(ValueError, match="two agents"):
            run_debate(QUESTIONS, "gsm8k", ["m0"], ex, 0, TOOLS, build_messages=simple_build)
        with pytest.raises(ValueError, match="at least 2 layers"):
            run_moa(QUESTIONS, "gsm8k", MODELS, ex, 0, TOOLS, layers=1, build_messages=simple_build)
        with pytest.raises(ValueError, match="aspects"):
            run_mav(QUESTIONS, "gsm8k", MODELS, ex, 0, TOOLS, aspects=["style"], build_messages=simple_build)
        with pytest.raises(ValueError, match="one round"):
            ex.run([Call("q", 0, 0, "m0", "debater", [], 1), Call("q", 1, 0, "m0", "debater", [], 2)])
    with pytest.raises(ValueError, match="n must be 1"):
        Executor(MODELS, Pool(tagged), SamplingSpec(n=2, temperature=0.7))


# --------------------------------------------------------------------------------------- sheet, CLI

def test_model_sheet_shapes(tmp_path):
    flat = tmp_path / "m.yaml"
    flat.write_text("a: {model: /x/a, max_model_len: 512, note: ignored}\nb: {model: org/b, revision: abc}\n")
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"seeds": [0], "models": {"a": {"model": "/x/a", "enforce_eager": True}}}))
    s = load_model_sheet(flat)
    assert s["a"].model == "/x/a" and s["a"].max_model_len == 512 and s["b"].revision == "abc"
    assert load_model_sheet(cfg)["a"].enforce_eager is True
    with pytest.raises(ValueError, match="not in the model sheet: c"):
        pick_models(s, ["a", "c"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: {revision: x}\n")
    with pytest.raises(ValueError, match="has no 'model'"):
        load_model_sheet(bad)


def test_cli_help_and_clear_errors(tmp_path):
    script = str(ROOT / "scripts" / "discuss.py")
    h = subprocess.run([sys.executable, script, "--help"], capture_output=True, text=True, cwd=ROOT)
    assert h.returncode == 0 and "--transcript" in h.stdout and "replay" in h.stdout
    sheet = tmp_path / "m.yaml"
    sheet.write_text("a: {model: /nowhere/a}\n")
    base = [sys.executable, script, "--method", "debate", "--questions", str(tmp_path / "none.parquet"), "--group", "g",
            "--models", "a", "b", "--model-sheet", str(sheet), "--seed", "0", "--out", str(tmp_path / "o.parquet"),
            "--transcript", str(tmp_path / "t.parquet")]
    r = subprocess.run(base, capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and r.stderr.strip() == "discuss.py: error: model keys not in the model sheet: b (known: a)"
    assert not (tmp_path / "o.parquet").exists()


def test_real_answer_tools_vote_equivalent_answers_together():
    # the default tools (slmmux.answers): "1,234" and "1234.00" are one GSM8K answer, so they outvote 99
    texts = {"m0": "so\n#### 99", "m1": "so\n#### 1,234", "m2": "the answer is 1234.00\n#### 1234.00"}
    q = [{"question_id": "g1", "question": "How many?", "gold": "1234", "benchmark": "gsm8k"}]
    dec, tr = discuss("debate", q, "gsm8k", "g", MODELS, Pool(lambda m, c, s: texts[m]), 0, SAMPLING, rounds=1)
    row = dec.row(0, named=True)
    assert (row["answer"], row["correct"], row["confidence"]) == ("1234", True, pytest.approx(2 / 3))


# --------------------------------------------------------------------------- engines on the job's devices

def test_engines_are_loaded_one_at_a_time_and_replies_do_not_change():
    """Issue 15: a discussion job must never hold two engines on its devices; which engine serves a
    batch first must not change any reply."""
    live: list[str] = []
    peak = []

    class Counting(Pool):
        def __call__(self, key):
            b = super().__call__(key)
            if key in ENGINES:
                live.append(key)
                peak.append(len(live))
                close = b.close

                def closing(b=b, close=close):
                    live.remove(b.key)
                    close()
                b.close = closing
            return b

    ENGINES = {"m0", "m2"}
    pool = Counting(tagged)
    with Executor(MODELS, pool, SAMPLING, engines=frozenset(ENGINES)) as ex:
        res = run_debate(QUESTIONS, "gsm8k", MODELS, ex, 0, TOOLS, rounds=2, build_messages=simple_build)
    assert max(peak) == 1 and not live
    # m1 (a server) opens once; the engines alternate, each round starting with the one still loaded
    assert [b.key for b in pool.opened] == ["m0", "m1", "m2", "m0", "m2"]
    ref_pool = Pool(tagged)
    with Executor(MODELS, ref_pool, SAMPLING) as ex:
        ref = run_debate(QUESTIONS, "gsm8k", MODELS, ex, 0, TOOLS, rounds=2, build_messages=simple_build)
    assert [(r.call, r.text) for r in res.replies] == [(r.call, r.text) for r in ref.replies]
    with pytest.raises(ValueError, match="outside the group"):
        Executor(MODELS, pool, SAMPLING, engines=frozenset({"zz"}))


def test_model_sheet_backends_and_replayed_calls(tmp_path):
    from slmmux.generate.replay import ReplayChatBackend, ReplayError

    sheet = tmp_path / "sheet.json"
    sheet.write_text(json.dumps({"models": {
        "a": {"model": "/x/a", "backend": None},
        "b": {"model": "served-b", "backend": "openai", "base_url": "http://127.0.0.1:9/v1", "api_key_env": "B_KEY"},
        "r": {"model": "r", "backend": "replay", "replay_file": str(tmp_path / "r.jsonl")}}}))
    got = load_model_backends(sheet)
    assert got["a"] == ModelBackend(None) and got["b"].base_url == "http://127.0.0.1:9/v1"
    assert got["b"].api_key_env == "B_KEY" and got["r"].replay_file == str(tmp_path / "r.jsonl")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"a": {"model": "x", "backend": "tgi"}}))
    with pytest.raises(ValueError, match="backend 'tgi'"):
        load_model_backends(bad)

    s1, s2 = call_seed(0, "r", "q1", "debate", 0, 2), call_seed(0, "r", "q1", "debate", 1, 2)
    rows = [{"question_id": "q1", "model": "r", "call_seed": s1, "text": "ANSWER=2", "completion_tokens": 2},
            {"question_id": "q1", "model": "other", "call_seed": s2, "text": "not r's"},
            {"question_id": "q1", "text": "a sample, not a call"}]
    (tmp_path / "r.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    rb = ReplayChatBackend(tmp_path / "r.jsonl", "r")
    res = rb.chat_each([[], []], SAMPLING, [s1, s2], ["q1 round 0", "q1 round 1"])
    assert res[0][0].text == "ANSWER=2" and res[0][0].completion_tokens == 2
    assert isinstance(res[1], QuestionError) and "q1 round 1" in str(res[1]) and str(s2) in str(res[1])
    (tmp_path / "plain.jsonl").write_text(json.dumps({"question_id": "q1", "text": "x"}))
    with pytest.raises(ReplayError, match="call_seed"):
        ReplayChatBackend(tmp_path / "plain.jsonl", "r")


def test_cli_names_a_model_it_cannot_reach(tmp_path):
    qs = tmp_path / "q.parquet"
    from slmmux.data import make_questions

    make_questions("gsm8k", "bundled", 1, 2, seed=0).write_parquet(qs)
    sheet = tmp_path / "m.json"
    sheet.write_text(json.dumps({"a": {"model": "/x/a"}, "b": {"model": "b", "backend": "openai"},
                                 "r": {"model": "r", "backend": "replay"}}))
    base = [sys.executable, str(ROOT / "scripts" / "discuss.py"), "--method", "debate", "--questions", str(qs),
            "--group", "g", "--model-sheet", str(sheet), "--seed", "0", "--out", str(tmp_path / "o.parquet"),
            "--transcript", str(tmp_path / "t.parquet")]
    r = subprocess.run(base + ["--models", "a", "b"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "model 'b' uses the openai backend but its sheet entry has no base_url" in r.stderr
    r = subprocess.run(base + ["--models", "a", "r"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "model 'r' uses the replay backend but its sheet entry has no replay_file" in r.stderr
