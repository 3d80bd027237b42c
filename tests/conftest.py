"""Shared test setup: the project's interpreter and scripts on PATH, vLLM on CPU settings,
and one run of the embedded default shared by every test that needs a finished workflow."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# Rules call `python scripts/...`: the interpreter running the tests must be the one they find.
os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
# vLLM on CPU: a small KV cache (GiB) is plenty for the tiny models.
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def snakemake(workdir: Path, *args: str, configfile: Path | None = None, check: bool = True, timeout: float = 3600) -> subprocess.CompletedProcess:
    """Run the project's workflow in ``workdir`` (results and models land there, not in the repo)."""
    # targets first: --resources and --configfile take several values and would swallow them
    cmd = [str(BIN / "snakemake"), *args, "--snakefile", str(REPO / "workflow" / "Snakefile"),
           "--directory", str(workdir), "--cores", "2", "--resources", "gpu=0"]
    if "--configfile" not in args:
        cmd += ["--configfile", str(configfile or REPO / "config" / "config.yaml")]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}")
    return proc


@pytest.fixture(scope="session")
def embedded_run(tmp_path_factory) -> Path:
    """A finished run of the embedded default (config/config.yaml) in a temporary folder."""
    workdir = tmp_path_factory.mktemp("embedded")
    snakemake(workdir)
    return workdir


@pytest.fixture
def repo() -> Path:
    return REPO


def copy_results(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, symlinks=True)
