"""Entry point of one equivalence worker process (started by :class:`slmmux.answers.pool.WorkerPool`).

``python -m slmmux.answers._worker READ_FD WRITE_FD MEMORY_MB [TASK_SECONDS [PARENT_PID]]``: caps the
address space, imports math-verify, then answers ``(task_name, args)`` messages on the pipes until EOF;
dies with its parent, and gives each task at most TASK_SECONDS + 2 CPU seconds (the kernel ends it past
that).
"""

from __future__ import annotations

import logging
import math
import os
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection


_PARENT_POLL_S = 0.5
_PR_SET_PDEATHSIG = 1


def _exit_when_orphaned(parent: int) -> None:
    """Exit the process as soon as the parent is gone (a SIGKILLed grading run closes nothing)."""
    while True:
        time.sleep(_PARENT_POLL_S)
        if os.getppid() != parent:
            os._exit(0)


def _limit_cpu(seconds: int) -> None:
    """Let the coming task use at most ``seconds`` more CPU seconds (SIGXCPU ends the process)."""
    import resource

    used = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(used.ru_utime + used.ru_stime) + seconds
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        if hard == resource.RLIM_INFINITY or soft <= hard:
            resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    except (ValueError, OSError):
        pass


def _die_with_parent(parent: int) -> None:
    """Ask the kernel to SIGKILL this process when its parent (thread) dies; exit if it already has."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if parent and os.getppid() != parent:
        os._exit(0)
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()


def _worker_main(read_fd: int, write_fd: int, memory_mb: int, task_seconds: int = 0, parent: int = 0) -> None:
    import resource

    _die_with_parent(parent)
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):
            pass
    os.dup2(2, 1)  # stray prints of sympy/math-verify go to stderr, never into the protocol
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    from slmmux.answers._symbolic import TASKS

    try:  # warm up: the first parse builds math-verify's LaTeX parser, a start cost and not a task's
        TASKS["equivalent"]("\\frac{(x+1)^2}{2}", "x^2/2+x+1/2")
    except Exception:  # noqa: BLE001 - a failing warm-up only leaves the cost to the first task
        pass


    rconn = Connection(read_fd, writable=False)
    wconn = Connection(write_fd, readable=False)
    wconn.send(("ready", None))
    while True:
        try:
            msg = rconn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        name, args = msg
        if task_seconds:
            _limit_cpu(task_seconds + 2)
        try:
            result = TASKS[name](*args)
        except BaseException as exc:  # noqa: BLE001 - any failure of sympy is "no verdict"
            if isinstance(exc, KeyboardInterrupt):
                return
            result = None
        try:
            wconn.send(("ok", result))
        except (OSError, ValueError):
            return


if __name__ == "__main__":
    _worker_main(*(int(a) for a in sys.argv[1:6]))
