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
