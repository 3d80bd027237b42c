#!/usr/bin/env python3
"""Run a command pinned to N free GPUs (sets CUDA_VISIBLE_DEVICES), holding a lock per device.

Usage: with_gpus.py --gpus N -- COMMAND [ARGS...]. With --gpus 0 the command runs unchanged.
See slmmux/gpus.py for how devices are chosen and released.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from slmmux.gpus import DEFAULT_LOCK_DIR, acquire, visible_devices


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gpus", type=int, required=True, help="number of GPUs the command needs (0: run as is)")
    p.add_argument("--lock-dir", default=str(DEFAULT_LOCK_DIR), help="folder of the per-device lock files")
    p.add_argument("--timeout", type=float, default=24 * 3600, help="seconds to wait for free GPUs")
    p.add_argument("command", nargs=argparse.REMAINDER, help="the command to run, after --")
    args = p.parse_args(argv)
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        p.error("no command given")
    env = dict(os.environ)
    if args.gpus > 0:
        try:
            chosen, _fds = acquire(args.gpus, visible_devices(), Path(args.lock_dir), timeout=args.timeout)
        except (RuntimeError, TimeoutError, ValueError) as exc:
            print(f"with_gpus.py: error: {exc}", file=sys.stderr)
            return 2
        env["CUDA_VISIBLE_DEVICES"] = ",".join(chosen)
        print(f"with_gpus.py: CUDA_VISIBLE_DEVICES={env['CUDA_VISIBLE_DEVICES']}", file=sys.stderr)
    # the lock descriptors stay open (inherited by nobody: O_CLOEXEC is Python's default) until we exit
    return subprocess.call(cmd, env=env)


if __name__ == "__main__":
    sys.exit(main())
