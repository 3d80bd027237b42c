"""Give each concurrent generation job its own GPUs on a multi-GPU workstation.

Snakemake counts GPUs (``resources: gpu=N`` against ``--resources gpu=M``) but assigns no devices.
:func:`acquire` picks ``n`` devices that no other job holds, using one ``fcntl`` lock file per device
in a lock folder, and returns them; the locks are released when the process that holds them exits
(even on SIGKILL, since the kernel drops ``flock`` locks with the file descriptor).

The candidate devices are those in ``CUDA_VISIBLE_DEVICES`` when it is set (a SLURM allocation sets
it: the job then only chooses among its own GPUs), else all devices ``nvidia-smi -L`` lists.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from pathlib import Path

DEFAULT_LOCK_DIR = Path(os.environ.get("SLMMUX_GPU_LOCK_DIR", "/tmp/slmmux-gpu-locks"))


def visible_devices(env: dict | None = None) -> list[str]:
    env = os.environ if env is None else env
    listed = env.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        return [d.strip() for d in listed.split(",") if d.strip()]
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [str(i) for i, line in enumerate(out.splitlines()) if line.startswith("GPU ")]


def acquire(n: int, devices: list[str], lock_dir: Path = DEFAULT_LOCK_DIR, timeout: float = 24 * 3600, poll: float = 2.0) -> tuple[list[str], list[int]]:
    """Lock ``n`` of ``devices``; wait (up to ``timeout`` seconds) until enough are free.

    Returns the chosen device ids and the open lock file descriptors (keep them open while the
    devices are in use).
    """
    if n < 0:
        raise ValueError("the number of GPUs must be >= 0")
    if n > len(devices):
        raise RuntimeError(f"this job needs {n} GPU(s) but only {len(devices)} are visible ({','.join(devices) or 'none'})")
    lock_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    while True:
        held: list[tuple[str, int]] = []
        for dev in devices:
            fd = os.open(lock_dir / f"gpu{dev}.lock", os.O_CREAT | os.O_RDWR, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            held.append((dev, fd))
            if len(held) == n:
                return [d for d, _ in held], [fd for _, fd in held]
        for _, fd in held:
            os.close(fd)
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {n} free GPU(s) among {','.join(devices)} after {timeout:.0f} s")
        time.sleep(poll)
