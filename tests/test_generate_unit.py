"""Generation mechanics without an engine: seeds, runner resume and failures, OpenAI retries, replay."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import polars as pl
import pytest

from slmmux.data import make_questions
from slmmux.generate import Completion, GenerationError, ModelSpec, SamplingSpec, open_backend, question_seed
from slmmux.generate.base import ChatRequest
from slmmux.generate.openai_backend import OpenAIBackend
from slmmux.generate.replay import ReplayError, replay_samples, run_replay
from slmmux.generate.checkpoint import CheckpointError
from slmmux.generate.runner import (IncompleteGeneration, SampleBlock, load_checkpoint, partial_dir_for,
                                   run_generation)
from slmmux.samples import read_samples

ROOT = Path(__file__).resolve().parents[1]


class HashBackend:
    """A deterministic test double: each sample's text is a hash of (prompt, seed, sample index)."""

    def __init__(self, fail_ids=(), crash_after_calls=None):
        self.fail_ids = set(fail_ids)
        self.crash_after_calls = crash_after_calls
        self.calls = 0
        self.seen: list[str] = []

    def chat(self, conversations, sampling, seeds):
        self.calls += 1
        if self.crash_after_calls is not None and self.calls > self.crash_after_calls:
            raise SystemExit("simulated kill")
        out = []
        for conv, seed in zip(conversations, seeds):
            content = conv[-1]["content"]
            if any(f in content for f in self.fail_ids):
                raise RuntimeError("prompt too long for this model")
            self.seen.append(content)
            out.append([Completion(text=hashlib.sha256(f"{content}|{seed}|{j}".encode()).hexdigest()[:16],
                                   prompt_tokens=len(content.split()), completion_tokens=7, finish_reason="stop",
                                   mean_logprob=-0.5) for j in range(sampling.n)])
        return out

    def describe(self):
        return {"backend": "hash", "device": "test double"}

    def close(self):
        pass


@pytest.fixture(scope="module")
def questions(tmp_path_factory):
    path = tmp_path_factory.mktemp("q") / "math.parquet"
    make_questions("math", "bundled", 5, 15, seed=1).write_parquet(path)
    return path


BLOCKS = [SampleBlock("validation", 3, 0.5), SampleBlock("test", 3, 0.3), SampleBlock("test", 1, 0.0)]


def _run(questions_path, out, backend, **kw):
    q = pl.read_parquet(questions_path)
    kw.setdefault("chunk_size", 4)
    return run_generation(q, backend, model_key="m1", model="fake/model", revision=None, seed=7, blocks=BLOCKS,
                          out=out, provenance=out.with_suffix(".json"), questions_path=questions_path, progress=None, **kw)


def test_question_seed_is_stable_and_distinct():
    s = question_seed(0, "m", "q1")
    assert s == question_seed(0, "m", "q1") and 0 <= s < 2**31
    assert len({question_seed(0, "m", "q1"), question_seed(1, "m", "q1"), question_seed(0, "n", "q1"),
                question_seed(0, "m", "q2"), question_seed(0, "m", "q1", "greedy")}) == 5
    # a fixed value guards against accidental changes of the derivation (it would change every sample)
    assert question_seed(0, "m", "q") == 52292801


def test_sample_block_parsing():
    assert SampleBlock.parse("test:1:0").decoding == "greedy"
    assert SampleBlock.parse("validation:3:0.5") == SampleBlock("validation", 3, 0.5)
    for bad, msg in [("test:3:0", "requires k=1"), ("train:3:0.3", "split"), ("test:3", "SPLIT:K:TEMPERATURE"),
                     ("test:x:0.3", "integer"), ("test:0:0.3", "k must be")]:
        with pytest.raises(ValueError, match=msg):
            SampleBlock.parse(bad)
    with pytest.raises(ValueError, match="n must be 1"):
        SamplingSpec(n=2, temperature=0)


def test_runner_writes_complete_table_and_sidecar(questions, tmp_path):
    out = tmp_path / "raw.parquet"
    table = _run(questions, out, HashBackend())
    df = read_samples(out)
    assert df.height == 5 * 3 + 15 * 3 + 15 * 1 == table.height
    assert set(df.filter(pl.col("decoding") == "greedy")["sample"]) == {0}
    assert df.filter(pl.col("decoding") == "greedy")["split"].unique().to_list() == ["test"]
    assert not partial_dir_for(out).exists()
    side = json.loads(out.with_suffix(".json").read_text())
    assert side["status"] == "complete" and side["seed"] == 7 and side["model_key"] == "m1"
    assert side["tokens"]["completion"] == df.height * 7
    assert [s["k"] for s in side["sampling"]] == [3, 3, 1]
    assert side["prompt"]["template_sha256"] == hashlib.sha256(side["prompt"]["template_text"].encode()).hexdigest()
    assert side["questions"]["sha256"] == hashlib.sha256(questions.read_bytes()).hexdigest()
    assert side["failures"] == [] and side["device"] == "test double"


def test_runner_resumes_after_a_kill_without_duplicates(questions, tmp_path):
    ref = _run(questions, tmp_path / "ref.parquet", HashBackend())
    out = tmp_path / "raw.parquet"
    with pytest.raises(SystemExit):
        _run(questions, out, HashBackend(crash_after_calls=3))
    log = (partial_dir_for(out) / "samples.jsonl").read_text().splitlines()
    assert len(log) == 4 + 1 + 4 and not out.exists()  # one line per question, 3 checkpoints of <= 4
    second = HashBackend()
    table = _run(questions, out, second, chunk_size=5)  # another chunking: same samples
    assert table.equals(ref)
    # only the missing questions were generated again
    assert len(second.seen) == 5 + 15 + 15 - (4 + 1 + 4)  # chunks: validation 4 + 1, then test 4


def test_a_question_cut_short_by_a_crash_is_generated_again(questions, tmp_path):
    """A crash mid-append leaves a last line without its newline: it is dropped, cut from the log
    before the rerun appends, and its question generated again; the table equals an uninterrupted run."""
    ref = _run(questions, tmp_path / "ref.parquet", HashBackend())
    out = tmp_path / "raw.parquet"
    with pytest.raises(SystemExit):
        _run(questions, out, HashBackend(crash_after_calls=2))
    log = partial_dir_for(out) / "samples.jsonl"
    whole = log.read_bytes()
    assert whole.count(b"\n") == 5  # validation 4 + 1
    log.write_bytes(whole[:-40])  # the fifth question's line, cut short
    assert load_checkpoint(partial_dir_for(out))["question_id"].n_unique() == 4
    second = HashBackend()
    assert _run(questions, out, second).equals(ref)
    assert len(second.seen) == 35 - 4


def test_a_failed_append_leaves_whole_lines_and_the_retry_duplicates_nothing(tmp_path, monkeypatch):
    """A full disk in the middle of an append: the log keeps only whole lines, so appending the same
    questions again (the runner retries its buffer on the way out) does not duplicate the written ones."""
    from slmmux.generate import checkpoint

    log_path = tmp_path / "samples.jsonl"
    log = checkpoint.CheckpointLog(log_path, 0)
    log.append([[{"question": 0}]])
    real_write, calls = os.write, []

    def full_disk(fd, data):
        calls.append(len(data))
        if len(calls) == 1:
            real_write(fd, bytes(data[:len(data) // 2]))  # half of it, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint.os, "write", full_disk)
    with pytest.raises(OSError, match="No space"):
        log.append([[{"question": 1}], [{"question": 2}]])
    monkeypatch.setattr(checkpoint.os, "write", real_write)
    assert log_path.read_bytes() == b'[{"question":0}]\n'
    log.append([[{"question": 1}], [{"question": 2}]])
    log.close()
    assert log_path.read_text().splitlines() == ['[{"question":0}]', '[{"question":1}]', '[{"question":2}]']


def test_a_corrupt_checkpoint_line_is_an_error_naming_it(questions, tmp_path):
    out = tmp_path / "raw.parquet"
    with pytest.raises(SystemExit):
        _run(questions, out, HashBackend(crash_after_calls=2))
    log = partial_dir_for(out) / "samples.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(lines[0] + b"{not json\n" + b"".join(lines[1:]))
    with pytest.raises(CheckpointError, match=r"samples\.jsonl, line 2, is corrupt"):
        _run(questions, out, HashBackend())
    log.write_bytes(lines[0] + b'[{"sample": "one"}]\n')
    with pytest.raises(CheckpointError, match="samples schema|not a valid raw samples table"):
        _run(questions, out, HashBackend())


def test_one_failing_question_does_not_stop_the_others(questions, tmp_path):
    q = pl.read_parquet(questions)
    bad = q.filter(pl.col("split") == "test")["question"][2].strip()[:40]
    out = tmp_path / "raw.parquet"
    with pytest.raises(IncompleteGeneration, match="prompt too long") as err:
        _run(questions, out, HashBackend(fail_ids=[bad]))
    assert not out.exists()
    failed_ids = {f["question_id"] for f in err.value.failures}
    assert len(failed_ids) == 1 and len(err.value.failures) == 2  # sampled and greedy blocks
    failures = json.loads((partial_dir_for(out) / "failures.json").read_text())
    assert {f["question_id"] for f in failures} == failed_ids
    done = load_checkpoint(partial_dir_for(out))
    assert done.height == 75 - 4 and not done["question_id"].is_in(list(failed_ids)).any()
    retry = HashBackend()
    table = _run(questions, out, retry)
    assert table.height == 75 and len(retry.seen) == 2
    side = json.loads(out.with_suffix(".json").read_text())
    assert {f["question_id"] for f in side["earlier_failures"]} == failed_ids


def test_checkpoint_from_other_settings_is_refused(questions, tmp_path):
    out = tmp_path / "raw.parquet"
    with pytest.raises(SystemExit):
        _run(questions, out, HashBackend(crash_after_calls=1))
    q = pl.read_parquet(questions)
    with pytest.raises(ValueError, match="different settings.*seed"):
        run_generation(q, HashBackend(), model_key="m1", model="fake/model", revision=None, seed=8, blocks=BLOCKS,
                       out=out, provenance=tmp_path / "p.json", questions_path=questions, progress=None, chunk_size=4)


def test_runner_rejects_colliding_blocks(questions, tmp_path):
    q = pl.read_parquet(questions)
    with pytest.raises(ValueError, match="share keys"):
        run_generation(q, HashBackend(), model_key="m", model="x", revision=None, seed=0,
                       blocks=[SampleBlock("test", 3, 0.3), SampleBlock("test", 2, 0.7)], out=tmp_path / "o.parquet",
                       provenance=tmp_path / "p.json", progress=None)


# -- replay -----------------------------------------------------------------------------------------------------

def test_replay_round_trip(questions, tmp_path):
    ref = _run(questions, tmp_path / "ref.parquet", HashBackend())
    jsonl = tmp_path / "published.jsonl"
    with open(jsonl, "w") as fh:
        for r in ref.drop("benchmark", "model", "seed").iter_rows(named=True):
            fh.write(json.dumps(r) + "\n")
    q = pl.read_parquet(questions)
    out = tmp_path / "replayed.parquet"
    table = run_replay(q, jsonl, model_key="m1", model="fake/model", revision=None, seed=7, blocks=BLOCKS, out=out,
                       provenance=tmp_path / "replayed.json", questions_path=questions)
    assert read_samples(out).sort("split", "question_id", "decoding", "sample").equals(
        ref.sort("split", "question_id", "decoding", "sample"))
    side = json.loads((tmp_path / "replayed.json").read_text())
    assert side["backend"] == "replay" and side["backend_details"]["token_counts_present"] is True
    # Parquet, without sample/split and token columns: one block, samples in file order
    pq = tmp_path / "published.parquet"
    ref.filter(pl.col("decoding") == "sampled").select("question_id", "text").write_parquet(pq)
    t, info = replay_samples(q, pq, model_key="m1", seed=7, blocks=[SampleBlock("test", 3, 0.3)])
    assert t.height == 45 and (t["completion_tokens"] == 0).all() and info["token_counts_present"] is False
    assert t.sort("question_id", "sample")["text"].to_list() == \
        ref.filter((pl.col("split") == "test") & (pl.col("decoding") == "sampled")).sort("question_id", "sample")["text"].to_list()
    assert table.height == 75


def test_replay_errors(questions, tmp_path):
    q = pl.read_parquet(questions)
    some = q.filter(pl.col("split") == "test")["question_id"].head(3).to_list()
    f = tmp_path / "few.jsonl"
    f.write_text("".join(json.dumps({"question_id": i, "text": "x"}) + "\n" for i in some))
    with pytest.raises(ReplayError, match=r"12 of 15 test question\(s\) lack 1 sample"):
        replay_samples(q, f, model_key="m", seed=0, blocks=[SampleBlock("test", 1, 0.0)])
    with pytest.raises(ReplayError, match="needs a 'decoding' column"):
        replay_samples(q, f, model_key="m", seed=0, blocks=[SampleBlock("test", 1, 0.0), SampleBlock("test", 3, 0.3)])
    g = tmp_path / "bad.jsonl"
    g.write_text('{"question_id": "a"}\n')
    with pytest.raises(ReplayError, match=r"lacks column\(s\) \['text'\]"):
        replay_samples(q, g, model_key="m", seed=0, blocks=[SampleBlock("test", 1, 0.0)])
    with pytest.raises(ReplayError, match="not found"):
        replay_samples(q, tmp_path / "nope.jsonl", model_key="m", seed=0, blocks=[SampleBlock("test", 1, 0.0)])


# -- OpenAI-compatible backend against in-process mock servers ----------------------------------------------

def _ok_body(req_json, text="The answer is 4"):
    n = req_json["n"]
    return {"choices": [{"index": j, "message": {"role": "assistant", "content": f"{text} #{j}"},
                         "finish_reason": "stop", "logprobs": {"content": [{"token": "a", "logprob": -1.0},
                                                                           {"token": "b", "logprob": -0.5}]}}
                        for j in range(n)], "usage": {"prompt_tokens": 11, "completion_tokens": 2 * n}}


def test_openai_retries_429_then_succeeds(monkeypatch):
    monkeypatch.setenv("SLMMUX_TEST_KEY", "sk-very-secret")
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"data": []})
        body = json.loads(request.content)
        calls.append(body)
        assert request.headers["authorization"] == "Bearer sk-very-secret"
        if len(calls) <= 2:
            return httpx.Response(429, headers={"retry-after": "0"}, json={"error": "slow down"})
        return httpx.Response(200, json=_ok_body(body))

    b = OpenAIBackend(ModelSpec(key="m", model="served"), base_url="http://mock/v1", api_key_env="SLMMUX_TEST_KEY",
                      backoff=0.01, transport=httpx.MockTransport(handler))
    [res] = b.chat([[{"role": "user", "content": "2+2?"}]], SamplingSpec(n=3, temperature=0.5, max_tokens=20), [123])
    assert [c.text for c in res] == ["The answer is 4 #0", "The answer is 4 #1", "The answer is 4 #2"]
    assert res[0] == Completion("The answer is 4 #0", 11, 2, "stop", -0.75)
    assert len(calls) == 3 and calls[-1]["seed"] == 123 and calls[-1]["n"] == 3 and calls[-1]["logprobs"] is True
    desc = json.dumps(b.describe())
    assert "sk-very-secret" not in desc and "SLMMUX_TEST_KEY" in desc and b.describe()["retried_requests"] == 2


def test_openai_client_errors_fail_one_question_only():
    def handler(request):
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"data": []})
        body = json.loads(request.content)
        if "too long" in body["messages"][0]["content"]:
            return httpx.Response(400, json={"error": "maximum context length exceeded"})
        return httpx.Response(200, json=_ok_body(body))

    b = OpenAIBackend(ModelSpec(key="m", model="served"), base_url="http://mock/v1", backoff=0.01,
                      transport=httpx.MockTransport(handler))
    res = b.chat_each([[{"role": "user", "content": "ok"}], [{"role": "user", "content": "too long"}]],
                      SamplingSpec(n=1, temperature=0), [1, 2], ["question a", "question b"])
    assert isinstance(res[0], list) and isinstance(res[1], Exception)
    assert "question b" in str(res[1]) and "HTTP 400" in str(res[1]) and "maximum context length" in str(res[1])


def test_openai_stream_yields_each_request_as_it_finishes():
    """Every request is in flight at once and each is handed over when it finishes: a slow first
    request comes last, where one call per checkpoint chunk would hold the others back behind it."""
    answered = []

    async def handler(request):
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"data": []})
        body = json.loads(request.content)
        if body["messages"][0]["content"] == "slow":
            for _ in range(1000):  # until every other request has been answered (10 s at most)
                if len(answered) == 5:
                    break
                await asyncio.sleep(0.01)
        answered.append(body["seed"])
        return httpx.Response(200, json=_ok_body(body))

    b = OpenAIBackend(ModelSpec(key="m", model="served"), base_url="http://mock/v1", backoff=0.01,
                      transport=httpx.MockTransport(handler))
    sampling = SamplingSpec(n=2, temperature=0.5, max_tokens=20)
    reqs = [ChatRequest([{"role": "user", "content": "slow" if i == 0 else f"q{i}"}], sampling, 100 + i, f"q{i}")
            for i in range(6)]
    got = list(b.stream(reqs))
    assert [i for i, _ in got][-1] == 0 and sorted(i for i, _ in got) == list(range(6))
    assert all(len(res) == 2 for _, res in got)
    # chat_each is the same requests, collected in order
    answered.clear()
    res = b.chat_each([r.conversation for r in reqs], sampling, [r.seed for r in reqs])
    assert [[c.text for c in r] for r in res] == [[c.text for c in r] for _, r in sorted(got, key=lambda x: x[0])]


def test_openai_stream_stopped_early_cancels_the_rest():
    served = []

    async def handler(request):
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"data": []})
        await asyncio.sleep(0.05)
        body = json.loads(request.content)
        served.append(body["seed"])
        return httpx.Response(200, json=_ok_body(body))

    b = OpenAIBackend(ModelSpec(key="m", model="served"), base_url="http://mock/v1", concurrency=2,
                      transport=httpx.MockTransport(handler))
    sampling = SamplingSpec(n=1, temperature=0.5, max_tokens=20)
    stream = b.stream([ChatRequest([{"role": "user", "content": f"q{i}"}], sampling, i, f"q{i}") for i in range(40)])
    next(stream)
    stream.close()  # as the runner's loop does when it stops on an error or a signal
    assert not any(t.name == "openai-stream" for t in threading.enumerate())
    n = len(served)
    time.sleep(0.3)
    assert len(served) == n < 40  # nothing more is sent once the stream is closed


def test_openai_unreachable_server_names_the_url():
    with pytest.raises(GenerationError, match=r"http://127\.0\.0\.1:9/v1 is unreachable"):
        open_backend("openai", ModelSpec(key="m", model="x"), base_url="http://127.0.0.1:9/v1", request_timeout=5)


def test_openai_missing_key_variable_is_named(monkeypatch):
    monkeypatch.delenv("SLMMUX_NO_SUCH_KEY", raising=False)
    with pytest.raises(GenerationError, match="SLMMUX_NO_SUCH_KEY"):
        OpenAIBackend(ModelSpec(key="m", model="x"), api_key_env="SLMMUX_NO_SUCH_KEY", check_server=False)


def test_unknown_backend():
    with pytest.raises(ValueError, match="unknown backend 'replay'"):
        open_backend("replay", ModelSpec(key="m", model="x"))


# -- CLI errors (no engine starts: every check fails before) -----------------------------------------------

def _cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "generate.py"), *args], capture_output=True, text=True,
                          timeout=120)


BASE = ["--model-key", "tiny", "--backend", "vllm", "--seed", "0", "--samples", "test:3:0.3"]


@pytest.mark.parametrize("extra,message", [
    (["--model", "/nonexistent/model/dir"], "model directory not found: /nonexistent/model/dir"),
    (["--model", "/tmp", "--samples", "test:2:0"], "requires k=1"),
    (["--model", "/tmp"], "model directory /tmp has no config.json"),
])
def test_cli_bad_inputs(questions, tmp_path, extra, message):
    r = _cli("--questions", str(questions), "--out", str(tmp_path / "o.parquet"), "--provenance",
             str(tmp_path / "o.json"), *BASE, *extra)
    assert r.returncode != 0
    assert message in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("generate: error:")


def test_cli_missing_questions_and_replay_file(tmp_path, questions):
    r = _cli("--questions", str(tmp_path / "none.parquet"), "--out", "o", "--provenance", "p", *BASE, "--model", "x")
    assert r.returncode != 0 and "questions file not found" in r.stderr
    r = _cli("--questions", str(questions), "--out", "o", "--provenance", "p", "--model-key", "m", "--model", "x",
             "--backend", "replay", "--seed", "0", "--samples", "test:1:0")
    assert r.returncode != 0 and "--replay-file" in r.stderr
    r = _cli("--questions", str(questions), "--out", "o", "--provenance", "p", "--model-key", "a/b", "--model", "x",
             "--backend", "replay", "--seed", "0", "--samples", "test:1:0")
    assert r.returncode != 0 and "filesystem-safe" in r.stderr


def test_model_identity(tmp_path):
    from slmmux.generate.provenance import model_identity, weights_sha256

    d = tmp_path / "m"
    d.mkdir()
    (d / "model-00001.safetensors").write_bytes(b"abc")
    (d / "config.json").write_text("{}")
    ident = model_identity(str(d))
    assert ident["kind"] == "local" and ident["weights_sha256"] == weights_sha256(d)
    (d / "model-00001.safetensors").write_bytes(b"abd")
    assert model_identity(str(d))["weights_sha256"] != ident["weights_sha256"]
    snap = tmp_path / "hub" / "models--org--name" / "snapshots" / ("a" * 40)
    snap.mkdir(parents=True)
    assert model_identity(str(snap))["commit"] == "a" * 40
    assert model_identity("org/name", "b" * 40)["commit"] == "b" * 40
    hub = model_identity("org/not-cached-model", "main")
    assert hub["kind"] == "hub" and hub["revision"] == "main"


# -- a kill at the very end of a job (issue 12, finding 4) --------------------------------------------------

# Runs scripts/generate.py with open_backend replaced: "kill-on-close" gives a deterministic backend whose
# shutdown SIGKILLs the process (a kill during vLLM's seconds-long shutdown); "no-load" refuses to load.
_FAKE_ENGINE = r"""
import hashlib, os, runpy, signal, sys
import slmmux.generate.factory as factory
from slmmux.generate.base import Completion

MODE = sys.argv[1]

class Engine:
    def chat(self, conversations, sampling, seeds):
        return [[Completion(hashlib.sha256(f"{c[-1]['content']}|{s}|{j}".encode()).hexdigest()[:16], 3, 7, "stop", -0.5)
                 for j in range(sampling.n)] for c, s in zip(conversations, seeds)]
    def describe(self):
        return {"backend": "vllm", "device": "fake engine"}
    def close(self):
        if MODE == "kill-on-close":
            os.kill(os.getpid(), signal.SIGKILL)

def open_backend(name, spec, **options):
    if MODE == "no-load":
        raise RuntimeError("the model was loaded again")
    return Engine()

factory.open_backend = open_backend
sys.argv = [sys.argv[2]] + sys.argv[3:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_kill_during_engine_shutdown_keeps_the_finished_job(questions, tmp_path):
    """A SIGKILL while the engine shuts down (after the last request) must not throw the job away: the
    rerun, after Snakemake has removed the incomplete outputs, writes them without loading the model."""
    gsm = tmp_path / "gsm8k.parquet"
    make_questions("gsm8k", "bundled", 4, 6, seed=1).write_parquet(gsm)
    outs = [tmp_path / "math.parquet", tmp_path / "gsm8k.parquet.raw"]
    args = [str(ROOT / "scripts" / "generate.py"), "--model-key", "m1", "--model", "fake/model", "--backend", "vllm",
            "--gpu-memory-utilization", "0.5", "--seed", "7", "--samples", "validation:3:0.5",
            "--samples", "test:3:0.3", "--samples", "test:1:0", "--chunk-size", "4"]
    for q, o in zip([questions, gsm], outs):
        args += ["--questions", str(q), "--out", str(o), "--provenance", str(o) + ".json"]

    def run(mode):
        return subprocess.run([sys.executable, "-c", _FAKE_ENGINE, mode, *args], capture_output=True, text=True,
                              timeout=120)

    killed = run("kill-on-close")
    assert killed.returncode == -9, killed.stderr[-2000:]
    for o in outs:  # what Snakemake does with the outputs of a job that did not finish
        o.unlink(missing_ok=True)
        Path(str(o) + ".json").unlink(missing_ok=True)
    again = run("no-load")
    assert again.returncode == 0, again.stderr[-2000:]
    assert "engine ready" not in again.stderr
    math = read_samples(outs[0])
    assert math.height == 5 * 3 + 15 * 3 + 15 and read_samples(outs[1]).height == 4 * 3 + 6 * 3 + 6
    assert not any(partial_dir_for(o).exists() for o in outs)
    side = json.loads(Path(str(outs[0]) + ".json").read_text())
    assert side["device"] == "fake engine" and side["job_benchmarks"] == ["math", "gsm8k"]
    # the same samples as one uninterrupted job
    ref = tmp_path / "ref"
    ref.mkdir()
    uninterrupted = [a.replace(str(tmp_path), str(ref)) if a.startswith(str(tmp_path / "math")) or
                     a.startswith(str(tmp_path / "gsm8k.parquet.")) else a for a in args]
    r = subprocess.run([sys.executable, "-c", _FAKE_ENGINE, "normal", *uninterrupted], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert read_samples(ref / "math.parquet").equals(math)
