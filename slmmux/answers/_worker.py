"""Entry point of one equivalence worker process (started by :class:`slmmux.answers.pool.WorkerPool`).

``python -m slmmux.answers._worker READ_FD WRITE_FD MEMORY_MB``: caps the address space, imports
math-verify, then answers ``(task_name, args)`` messages on the pipes until EOF.
"""

from __future__ import annotations

import logging
import os
import sys
from multiprocessing.connection import Connection


def _worker_main(read_fd: int, write_fd: int, memory_mb: int) -> None:  # runs in the child
    import resource

    if memory_mb:
        limit = memory_mb * 1024 * 1024
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):
            pass
    os.dup2(2, 1)  # stray prints of sympy/math-verify go to stderr, never into the protocol
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    from slmmux.answers._symbolic import TASKS

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
    _worker_main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
