"""The API key never reaches a file: a loopback OpenAI-compatible server echoes every request header
(Authorization included) in its error bodies, its response headers and even its completions, and a
generation run against it, failing first and then resuming, leaves the key in no result, log or
provenance sidecar. Also: a request to a server that trickles bytes ends at the total deadline."""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from conftest import snakemake
from slmmux.generate.base import GenerationError, ModelSpec, SamplingSpec
from slmmux.generate.openai_backend import OpenAIBackend

KEY_ENV = "SLMMUX_SECRETS_TEST_KEY"


class EchoServer:
    """An OpenAI-compatible server on 127.0.0.1 whose behaviour the test switches with ``mode``:
    "reject" (HTTP 400 echoing the headers), "flaky" (HTTP 500 echoing them on every first attempt of
    a conversation, then success), "trickle" (one byte a second) and "ok"."""

    def __init__(self):
        self.mode = "ok"
        self.seen: set[str] = set()
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 30  # a stuck client cannot hold a handler thread forever

            def log_message(self, *args):
                return None

            def _send(self, status: int, body: dict, echo: bool = False):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if echo:
                    self.send_header("X-Echo-Authorization", self.headers.get("Authorization", ""))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._send(200, {"data": [{"id": "served"}]})

            def do_POST(self):
                length = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
                body = json.loads(self.rfile.read(length) or b"{}")
                outer.requests += 1
                headers = dict(self.headers.items())
                conversation = json.dumps(body.get("messages"))
                if outer.mode == "reject":
                    return self._send(400, {"error": {"message": "invalid request", "request_headers": headers}}, echo=True)
                if outer.mode == "flaky" and conversation not in outer.seen:
                    outer.seen.add(conversation)
                    return self._send(500, {"error": f"overloaded; you sent {headers!r}"}, echo=True)
                if outer.mode == "trickle":
                    self.send_response(200)
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                    for _ in range(60):
                        try:
                            self.wfile.write(b" ")
                            self.wfile.flush()
                        except OSError:
                            return
                        time.sleep(1)
                    return
                n = int(body.get("n", 1))
                auth = self.headers.get("Authorization", "")
                choices = [{"index": i, "finish_reason": "stop",
                            "message": {"role": "assistant", "content": f"The answer is 4. (you sent {auth})"}}
                           for i in range(n)]
                self._send(200, {"choices": choices, "usage": {"prompt_tokens": 5, "completion_tokens": 4 * n}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def key(monkeypatch) -> str:
    value = f"sk-test-{secrets.token_hex(16)}"
    monkeypatch.setenv(KEY_ENV, value)
    return value


def test_error_bodies_and_completions_are_redacted(key):
    with EchoServer() as server:
        backend = OpenAIBackend(ModelSpec(key="m", model="served"), base_url=server.url, api_key_env=KEY_ENV,
                                max_retries=0, request_timeout=10)
        server.mode = "reject"
        [failed] = backend.chat_each([[{"role": "user", "content": "2+2?"}]], SamplingSpec(n=1, temperature=0), [1])
        message = str(failed)
        assert "HTTP 400" in message and "[REDACTED]" in message and key not in message
        assert key[8:20] not in message  # not even part of it
        server.mode = "ok"
        [answers] = backend.chat_each([[{"role": "user", "content": "2+2?"}]], SamplingSpec(n=2, temperature=0.5), [1])
        assert all(key not in c.text and "The answer is 4" in c.text for c in answers)
        assert key not in json.dumps(backend.describe())


def test_a_literal_key_in_place_of_the_variable_name_is_refused_without_echo(key):
    with pytest.raises(GenerationError) as info:
        OpenAIBackend(ModelSpec(key="m", model="served"), api_key_env=key, check_server=False)
    assert key not in str(info.value)


def test_credentials_in_the_base_url_are_refused_without_echo():
    with pytest.raises(GenerationError) as info:
        OpenAIBackend(ModelSpec(key="m", model="served"), base_url="http://u:sk-in-url@127.0.0.1:9/v1", check_server=False)
    assert "sk-in-url" not in str(info.value)


def test_a_trickling_server_cannot_hold_a_request_past_the_deadline():
    with EchoServer() as server:
        backend = OpenAIBackend(ModelSpec(key="m", model="served"), base_url=server.url, max_retries=1,
                                backoff=0.01, request_timeout=1.5)
        server.mode = "trickle"
        started = time.monotonic()
        [failed] = backend.chat_each([[{"role": "user", "content": "2+2?"}]], SamplingSpec(n=1, temperature=0), [1])
        elapsed = time.monotonic() - started
    # each byte arrives well within the 1.5 s read timeout: only a total deadline ends the request
    assert "within 1.5 s" in str(failed) and "2 attempt(s)" in str(failed)
    assert elapsed < 8, elapsed


def all_files(root: Path):
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]


@pytest.mark.workflow
def test_generation_run_leaves_the_key_in_no_file(tmp_path, key):
    with EchoServer() as server:
        cfg = {
            "results_dir": "results",
            "benchmarks": {"gsm8k": {"validation_size": 2, "test_size": 2}},
            "models": {"remote": {"model": "served", "backend": "openai", "base_url": server.url, "api_key_env": KEY_ENV}},
            "generation": {"device": "cpu", "max_tokens": 16, "chunk_size": 1, "greedy": True,
                           "validation": {"k": 1, "temperature": 0.5}, "test": {"k": 2, "temperature": 0.3}},
            "scaling": {"k_max": 2},
        }
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(cfg))
        target = "results/samples/raw/gsm8k/remote/seed0.parquet"

        server.mode = "reject"  # every question fails: failures.json, the job log, a failed job
        first = snakemake(tmp_path, target, configfile=path, check=False, timeout=600)
        assert first.returncode != 0
        log = tmp_path / "results/logs/generate/remote/seed0.log"  # one job per (model, seed)
        assert "HTTP 400" in log.read_text() and "[REDACTED]" in log.read_text()
        failures = list(tmp_path.rglob("failures.json"))
        assert failures and "[REDACTED]" in failures[0].read_text()

        server.mode = "flaky"  # the rerun resumes; each conversation fails once with the headers echoed, then succeeds
        snakemake(tmp_path, target, configfile=path, timeout=600)
        sidecar = tmp_path / "results/samples/raw/gsm8k/remote/seed0.provenance.json"
        assert "[REDACTED]" in sidecar.read_text()  # the earlier failures are recorded, redacted
        assert server.requests > 0

    files = all_files(tmp_path)
    assert any(p.suffix == ".parquet" for p in files)
    needle = key.encode()
    leaked = [str(p.relative_to(tmp_path)) for p in files if needle in p.read_bytes()]
    assert leaked == []
