"""Concurrent generation jobs get distinct GPUs; locks die with their holder."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO
from slmmux.gpus import acquire, visible_devices


def test_visible_devices_from_environment():
    assert visible_devices({"CUDA_VISIBLE_DEVICES": "2,5"}) == ["2", "5"]
    assert visible_devices({"CUDA_VISIBLE_DEVICES": ""}) == []


def test_two_holders_get_different_devices(tmp_path):
    first, fds1 = acquire(1, ["0", "1"], tmp_path)
    second, fds2 = acquire(1, ["0", "1"], tmp_path)
    assert first != second
    with pytest.raises(TimeoutError):
        acquire(1, ["0", "1"], tmp_path, timeout=0.2, poll=0.05)


def test_tensor_parallel_takes_several(tmp_path):
    chosen, _ = acquire(2, ["0", "1", "2"], tmp_path)
    assert len(set(chosen)) == 2
    with pytest.raises(RuntimeError, match="needs 4 GPU"):
        acquire(4, ["0", "1", "2"], tmp_path)


def test_with_gpus_sets_cuda_visible_devices_and_releases_on_exit(tmp_path):
    env_cmd = [sys.executable, "-c", "import os; print(os.environ['CUDA_VISIBLE_DEVICES'])"]
    script = str(REPO / "scripts" / "with_gpus.py")
    env = {"CUDA_VISIBLE_DEVICES": "3,7", "PATH": "/usr/bin:/bin"}
    out1 = subprocess.run([sys.executable, script, "--gpus", "1", "--lock-dir", str(tmp_path), "--", *env_cmd],
                          capture_output=True, text=True, env=env, check=True).stdout.strip()
    assert out1 == "3"  # the lock of the first run was released when it exited
    out2 = subprocess.run([sys.executable, script, "--gpus", "2", "--lock-dir", str(tmp_path), "--", *env_cmd],
                          capture_output=True, text=True, env=env, check=True).stdout.strip()
    assert out2 == "3,7"
    zero = subprocess.run([sys.executable, script, "--gpus", "0", "--", *env_cmd[:-1], "import os; print(os.environ.get('CUDA_VISIBLE_DEVICES', 'unset'))"],
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, check=True).stdout.strip()
    assert zero == "unset"
