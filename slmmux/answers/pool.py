"""A small pool of killable, memory-limited worker processes that bounds symbolic work in time.

Signal-based timeouts (math-verify's own ``signal.alarm``) do not work off the main thread and do
not interrupt a sympy computation stuck inside C code or a huge integer power. Instead each task
runs in a worker process; a task still running ``timeout`` seconds after it was sent has its worker
killed (SIGKILL) and replaced, and its result is ``None``. Workers cap their address space with
``resource.setrlimit(RLIMIT_AS)`` so a blow-up fails with MemoryError (result ``None``) instead of
exhausting the machine; a worker that dies for any reason is replaced the same way.

Each worker is a fresh interpreter (``python -m slmmux.answers._worker``) that imports math-verify and
sympy once (under a second); a replacement is started as soon as a worker is killed, so it is
usually ready before the next task. :meth:`WorkerPool.run` is thread-safe (one batch at a time) and never uses signals, so it may be called from any thread.
"""

from __future__ import annotations

import atexit
import logging
import os
import subprocess
import sys
import threading
import time
from collections import deque
from multiprocessing.connection import Connection, wait

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0
DEFAULT_MEMORY_MB = 2048
_START_TIMEOUT = 120.0


class _Worker:
    """One worker: a fresh interpreter (``python -m slmmux.answers._worker``), never a fork, so it is
    safe to start from any thread and needs no ``if __name__ == "__main__"`` guard in the caller."""

    def __init__(self, memory_mb: int):
        r1, w1 = os.pipe()  # parent -> child
        r2, w2 = os.pipe()  # child -> parent
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "slmmux.answers._worker", str(r1), str(w2), str(memory_mb)],
                pass_fds=(r1, w2), stdin=subprocess.DEVNULL, close_fds=True,
            )
        finally:
            os.close(r1)
            os.close(w2)
        self.send_conn = Connection(w1, readable=False)
        self.conn = Connection(r2, writable=False)
        self.ready = False

    def wait_ready(self) -> None:
        if self.ready:
            return
        if not self.conn.poll(_START_TIMEOUT):
            self.kill()
            raise RuntimeError("an equivalence worker process did not start")
        try:
            tag, _ = self.conn.recv()
        except (EOFError, OSError) as exc:
            self.kill()
            raise RuntimeError("an equivalence worker process failed to start (see its stderr)") from exc
        self.ready = tag == "ready"

    def is_alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for c in (self.conn, self.send_conn):
            try:
                c.close()
            except OSError:
                pass


class WorkerPool:
    """``workers`` worker processes; each task gets ``timeout`` seconds of wall time."""

    def __init__(self, workers: int = 1, timeout: float = DEFAULT_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB):
        if workers < 1:
            raise ValueError("workers must be >= 1")
        if timeout <= 0:
            raise ValueError("timeout must be > 0")
        self.n_workers = workers
        self.timeout = float(timeout)
        self.memory_mb = memory_mb
        self._workers: list[_Worker | None] = [None] * workers
        self._lock = threading.Lock()
        self.timeouts = 0
        self.failures = 0
        self._pid = os.getpid()

    def _get(self, i: int) -> _Worker:
        w = self._workers[i]
        if w is None or not w.is_alive():
            if w is not None:
                w.kill()
            w = self._workers[i] = _Worker(self.memory_mb)
        w.wait_ready()
        return w

    def _replace(self, i: int) -> None:
        w = self._workers[i]
        if w is not None:
            w.kill()
        # start the replacement at once: it imports sympy while the batch goes on
        self._workers[i] = _Worker(self.memory_mb)

    def run(self, tasks: list[tuple[str, tuple]]) -> list:
        """Run ``(task_name, args)`` tasks; results in order, ``None`` for a timeout or a failure."""
        if os.getpid() != self._pid:  # a forked copy must not share the parent's pipes
            self._workers = [None] * self.n_workers
            self._pid = os.getpid()
        results: list = [None] * len(tasks)
        if not tasks:
            return results
        with self._lock:
            pending = deque(range(len(tasks)))
            busy: dict[int, tuple[int, float]] = {}  # worker index -> (task index, deadline)
            while pending or busy:
                for i in range(self.n_workers):
                    if not pending:
                        break
                    if i in busy:
                        continue
                    w = self._get(i)
                    t = pending.popleft()
                    try:
                        w.send_conn.send(tasks[t])
                    except (OSError, ValueError):
                        self._replace(i)
                        self.failures += 1
                        continue
                    busy[i] = (t, time.monotonic() + self.timeout)
                now = time.monotonic()
                wait_for = max(0.0, min(d for _, d in busy.values()) - now)
                conns = {self._workers[i].conn: i for i in busy}
                ready = wait(list(conns), timeout=wait_for)
                for conn in ready:
                    i = conns[conn]
                    t, _ = busy.pop(i)
                    try:
                        _, results[t] = conn.recv()
                    except (EOFError, OSError):  # the worker died (e.g. killed by the kernel)
                        self.failures += 1
                        self._replace(i)
                now = time.monotonic()
                for i, (t, deadline) in list(busy.items()):
                    if deadline <= now:
                        busy.pop(i)
                        self.timeouts += 1
                        log.debug("equivalence task %r timed out after %.1f s; worker replaced", tasks[t][0], self.timeout)
                        self._replace(i)
        return results

    def close(self) -> None:
        with self._lock:
            for i, w in enumerate(self._workers):
                if w is not None:
                    w.kill()
                self._workers[i] = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_default: WorkerPool | None = None
_default_lock = threading.Lock()


def default_pool(timeout: float = DEFAULT_TIMEOUT) -> WorkerPool:
    """The process-wide one-worker pool used by single calls; recreated if ``timeout`` changes."""
    global _default
    with _default_lock:
        if _default is None or _default.timeout != float(timeout):
            if _default is not None:
                _default.close()
            _default = WorkerPool(1, timeout)
        return _default


@atexit.register
def _close_default() -> None:
    if _default is not None:
        _default.close()
