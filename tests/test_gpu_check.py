"""The prepared GPU check fails clearly where there is no CUDA device (docs/gpu-check.md)."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO


def test_gpu_check_without_cuda_exits_2_saying_why(tmp_path):
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}  # hides any GPU, so this also holds on a GPU machine
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "gpu_check.py"), "--workdir", str(tmp_path / "w")],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("gpu-check: no CUDA device: ")
    assert "torch.cuda.is_available() is False" in proc.stderr and "CUDA_VISIBLE_DEVICES=''" in proc.stderr
    assert not (tmp_path / "w").exists()  # stopped before building anything


def test_make_gpu_check_runs_the_script_with_a_five_minute_limit():
    makefile = (REPO / "Makefile").read_text()
    recipe = makefile.split("\ngpu-check:", 1)[1].split("\n\n", 1)[0]
    assert "scripts/gpu_check.py --timeout 300" in recipe and "timeout 330" in recipe
