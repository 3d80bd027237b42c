"""Shared fixtures and helpers for the generation tests (imported by tests/test_generate*.py).

Engines are expensive on CPU (25-60 s a start), so the tiny model is built once per session and the
vLLM runs are shared through session-scoped fixtures.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from slmmux.data import make_questions

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
GENERATE = ROOT / "scripts" / "generate.py"

CPU_ENV = {"VLLM_CPU_KVCACHE_SPACE": "1", "TOKENIZERS_PARALLELISM": "false"}
# Settings shared by every vLLM run of the suite (the reference rows depend on them).
VLLM_ARGS = ["--enforce-eager", "--max-model-len", "1024", "--gpu-memory-utilization", "0.1", "--max-tokens", "48"]


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    from slmmux.tinymodel import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", seed=0)


@pytest.fixture(scope="session")
def questions_50(tmp_path_factory) -> Path:
    """50 GSM8K questions: 10 validation, 40 test."""
    path = tmp_path_factory.mktemp("questions") / "gsm8k.parquet"
    make_questions("gsm8k", "bundled", 10, 40, seed=0).write_parquet(path)
    return path


def env() -> dict:
    e = dict(os.environ)
    e.update(CPU_ENV)
    return e


def generate_cmd(questions: Path, out: Path, model: Path | str, *extra: str, backend: str = "vllm",
                 samples: tuple[str, ...] = ("validation:3:0.5", "test:3:0.3"), seed: int = 0) -> list[str]:
    cmd = [PYTHON, str(GENERATE), "--questions", str(questions), "--out", str(out),
           "--provenance", str(out.with_suffix(".provenance.json")), "--model-key", "tiny", "--model", str(model),
           "--backend", backend, "--seed", str(seed)]
    for s in samples:
        cmd += ["--samples", s]
    return cmd + list(extra)


def run_generate(*args, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(generate_cmd(*args, **kwargs), env=env(), capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL a process started with start_new_session=True and everything it spawned."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def rows_key(df: pl.DataFrame) -> list[tuple]:
    return sorted(df.select("split", "question_id", "decoding", "sample", "text").iter_rows())


def wait_for(predicate, timeout: float, interval: float = 0.02) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return False


@contextlib.contextmanager
def vllm_server(model: Path | str, api_key: str, max_model_len: int):
    """A loopback OpenAI-compatible vLLM server for ``model`` that requires ``api_key``; yields its
    base URL once /health answers, and kills the server's process group on exit."""
    import httpx

    port = free_port()
    cmd = [PYTHON, "-m", "vllm.entrypoints.openai.api_server", "--model", str(model), "--host", "127.0.0.1",
           "--port", str(port), "--no-enable-chunked-prefill", "--enforce-eager", "--max-model-len", str(max_model_len),
           "--gpu-memory-utilization", "0.1", "--api-key", api_key]
    proc = subprocess.Popen(cmd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        def healthy():
            if proc.poll() is not None:
                return True
            try:
                return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_for(healthy, timeout=400, interval=1.0) and proc.poll() is None, "server did not start"
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        kill_group(proc)
