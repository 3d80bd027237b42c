"""scripts/discuss.py end to end on the real vLLM engine with two tiny random models (mechanics only:
the models are untrained, their answers are noise)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from slmmux.discussion import DECISIONS_SCHEMA, TRANSCRIPT_SCHEMA
from slmmux.prompts import build_messages

ROOT = Path(__file__).resolve().parents[1]
N_QUESTIONS = 3

pytestmark = pytest.mark.vllm


@pytest.fixture(scope="module")
def debate_run(tmp_path_factory):
    pytest.importorskip("vllm")
    from slmmux.data import load_bundled
    from slmmux.tinymodel import build_tiny_model

    tmp = tmp_path_factory.mktemp("discuss")
    sheet = {"models": {}}
    for key, seed in (("tinyA", 0), ("tinyB", 1)):
        path = build_tiny_model(tmp / key, seed=seed)
        sheet["models"][key] = {"model": str(path), "dtype": "bfloat16", "max_model_len": 2048,
                                "gpu_memory_utilization": 0.1, "enforce_eager": True, "comment": "ignored"}
    (tmp / "sheet.json").write_text(json.dumps(sheet))
    qs = load_bundled("gsm8k").head(N_QUESTIONS + 2)
    qs.write_parquet(tmp / "questions.parquet")
    out, tr = tmp / "out" / "seed3.parquet", tmp / "out" / "seed3.transcript.parquet"
    cmd = [sys.executable, str(ROOT / "scripts" / "discuss.py"), "--method", "debate", "--questions",
           str(tmp / "questions.parquet"), "--group", "tiny", "--models", "tinyA", "tinyB", "--model-sheet",
           str(tmp / "sheet.json"), "--backend", "vllm", "--seed", "3", "--rounds", "1", "--max-tokens", "12",
           "--limit", str(N_QUESTIONS), "--out", str(out), "--transcript", str(tr)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stderr[-6000:]
    return proc, pl.read_parquet(out), pl.read_parquet(tr), qs.head(N_QUESTIONS)


def test_discuss_debate_on_vllm(debate_run):
    proc, dec, tr, qs = debate_run
    assert "debate on gsm8k/tiny seed 3: 3 questions, 12 calls" in proc.stdout
    assert dict(dec.schema) == DECISIONS_SCHEMA and dict(tr.schema) == TRANSCRIPT_SCHEMA
    assert dec["question_id"].to_list() == qs["question_id"].to_list()
    assert set(dec["method"]) == {"debate"} and set(dec["seed"]) == {3} and set(dec["group"]) == {"tiny"}
    # 3 questions x (initial + 1 debate round) x 2 agents, all generated
    assert tr.height == N_QUESTIONS * 2 * 2 and tr["text"].null_count() == 0
    assert sorted(tr.group_by("round", "model").len().rows()) == [(0, "tinyA", 3), (0, "tinyB", 3), (1, "tinyA", 3), (1, "tinyB", 3)]
    assert (tr["completion_tokens"] <= 12).all() and (tr["completion_tokens"] > 0).all()
    assert tr["call_seed"].n_unique() == tr.height
    # token totals per question are the transcript's sums
    sums = tr.group_by("question_id").agg(pl.col("prompt_tokens").sum().alias("p"), pl.col("completion_tokens").sum().alias("c"))
    joined = dec.join(sums, on="question_id")
    assert (joined["prompt_tokens"] == joined["p"]).all() and (joined["completion_tokens"] == joined["c"]).all()
    # what each agent was shown: round 0 the base prompt; round 1 its own answer, then the other's
    for q in qs.iter_rows(named=True):
        rows = {(r["round"], r["agent"]): r for r in tr.filter(pl.col("question_id") == q["question_id"]).iter_rows(named=True)}
        base = build_messages(q, "gsm8k")
        for a in (0, 1):
            assert json.loads(rows[(0, a)]["messages"]) == base
            msgs = json.loads(rows[(1, a)]["messages"])
            assert msgs[:2] == base + [{"role": "assistant", "content": rows[(0, a)]["text"]}]
            assert rows[(0, 1 - a)]["text"].strip() in msgs[2]["content"]
            assert rows[(1, a)]["prompt_tokens"] > rows[(0, a)]["prompt_tokens"]
    # the decision is the majority of the last round (or null when no agent gave an answer)
    assert dec["confidence"].drop_nulls().is_in([0.5, 1.0]).all()
    assert (dec["answer"].is_null() == dec["confidence"].is_null()).all()


# -- the discuss rule with three backends in one group (issue 15) ------------------------------------------------

API_KEY = "sk-slmmux-discussion-secret"


@pytest.fixture(scope="module")
def served_model(tmp_path_factory):
    """A tiny model behind a loopback OpenAI-compatible vLLM server that requires a key."""
    pytest.importorskip("vllm")
    import os

    from generate_fixtures import vllm_server
    from slmmux.tinymodel import build_tiny_model

    model = build_tiny_model(tmp_path_factory.mktemp("served") / "b", seed=5)
    with vllm_server(model, API_KEY, max_model_len=2048) as url:
        os.environ["SLMMUX_DISCUSSION_KEY"] = API_KEY  # inherited by snakemake and its jobs
        try:
            yield str(model), url
        finally:
            os.environ.pop("SLMMUX_DISCUSSION_KEY", None)


def test_discuss_rule_with_vllm_openai_and_replay_members(served_model, tmp_path):
    """One group: 'a' on an in-process vLLM engine, 'b' on a loopback vLLM server (its own base URL and
    key variable from the model sheet), 'r' replayed from a transcript file. Each answers its own calls."""
    import yaml

    from conftest import snakemake
    from slmmux.data import load_bundled
    from slmmux.discussion import call_seed

    served, base_url = served_model
    replay = tmp_path / "replay" / "r.jsonl"
    replay.parent.mkdir()
    # r is agent 2 (members in sorted order a, b, r); debate: the initial answer and 2 rounds
    rows = [{"question_id": q, "model": "r", "call_seed": call_seed(0, "r", q, "debate", rnd, 2),
             "text": f"replayed {q} round {rnd}: the answer is 42", "completion_tokens": 9}
            for q in load_bundled("gsm8k")["question_id"].to_list() for rnd in range(3)]
    replay.write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = {
        "results_dir": "results",
        "benchmarks": {"gsm8k": {"validation_source": "bundled", "validation_size": 2, "test_size": 2}},
        "seeds": [0],
        "models": {
            "a": {"model": "resources/models/a", "tiny": {"seed": 1, "hidden_size": 128, "layers": 2},
                  "dtype": "bfloat16", "max_model_len": 2048, "gpu_memory_utilization": 0.1, "enforce_eager": True},
            "b": {"model": served, "backend": "openai", "base_url": base_url, "api_key_env": "SLMMUX_DISCUSSION_KEY"},
            "r": {"model": "replayed/r", "backend": "replay", "replay_file": "replay/r.jsonl"},
        },
        "generation": {"backend": "vllm", "device": "cpu", "max_tokens": 12},
        "groups": {"trio": ["a", "b", "r"]},
        "discussion": {"enabled": True, "methods": ["debate"], "limit": 2},
        "scaling": {"k_max": 3},
        "report": {"reference_model": None},
    }
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(config))
    target = "results/discussion/gsm8k/trio/debate/seed0.parquet"
    snakemake(tmp_path, target, configfile=cfg, timeout=1500)

    dec = pl.read_parquet(tmp_path / target)
    tr = pl.read_parquet(tmp_path / "results/discussion/gsm8k/trio/debate/seed0.transcript.parquet")
    assert dec.height == 2 and tr.height == 2 * 3 * 3  # questions x rounds x agents
    assert sorted(tr.group_by("model").len().rows()) == [("a", 6), ("b", 6), ("r", 6)]
    byseed = {r["call_seed"]: r["text"] for r in rows}
    r_calls = tr.filter(pl.col("model") == "r")
    assert r_calls["text"].to_list() == [byseed[s] for s in r_calls["call_seed"].to_list()]
    # the engine and the server both answered (with real completions within the token limit)
    for m in ("a", "b"):
        calls = tr.filter(pl.col("model") == m)
        assert calls["text"].null_count() == 0, calls.select("round", "finish_reason").rows()
        assert ((calls["completion_tokens"] > 0) & (calls["completion_tokens"] <= 12)).all()
    for p in (tmp_path / "results").rglob("*"):
        if p.is_file():
            assert API_KEY.encode() not in p.read_bytes(), p
