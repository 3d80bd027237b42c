"""A small pool of killable, memory-limited worker processes that bounds symbolic work in time.

Signal-based timeouts (math-verify's own ``signal.alarm``) do not work off the main thread and do
not interrupt a sympy computation stuck inside C code or a huge integer power. Instead each task
runs in a worker process; a task still running ``timeout`` seconds after it was sent has its worker
killed (SIGKILL) and replaced, and its result is ``None``. Workers cap their address space with
``resource.setrlimit(RLIMIT_AS)`` so a blow-up fails with MemoryError (result ``None``) instead of
exhausting the machine; a worker that dies for any reason is replaced the same way.

Each worker is a fresh interpreter (``python -m slmmux.answers._worker``) that imports math-verify and
sympy once (under a second); a replacement is started as soon as a worker is killed, so it is
usually ready before the next task. :meth:`WorkerPool.run` is thread-safe (concurrent calls use
different workers) and never uses signals, so it may be called from any thread.

A worker never outlives its use: when the grading process dies (even by SIGKILL, which runs no
clean-up), the kernel kills its workers (``PR_SET_PDEATHSIG`` on Linux; workers are started from one
long-lived thread, see :func:`_spawn`); elsewhere a worker notices within half a second that its parent
is gone, and each task runs under a CPU-time limit (``RLIMIT_CPU``, the timeout rounded up plus 2 s) so
that even a computation holding the interpreter lock in C (a huge integer power) ends.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import subprocess
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection, wait

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0
DEFAULT_MEMORY_MB = 2048
_START_TIMEOUT = 120.0


_spawner: tuple[int, ThreadPoolExecutor] | None = None
_spawner_lock = threading.Lock()


def _spawn(args: list[str], **kwargs) -> subprocess.Popen:
    """``subprocess.Popen`` run on one long-lived thread of this process. A worker asks the kernel to
    kill it when its parent dies (``PR_SET_PDEATHSIG``), and the kernel means the parent *thread*: a
    worker started from a short-lived caller thread would die with that thread."""
    global _spawner
    with _spawner_lock:
        if _spawner is None or _spawner[0] != os.getpid():  # none yet, or a forked copy's dead thread
            _spawner = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="slmmux-worker-spawner"))
        executor = _spawner[1]
    return executor.submit(subprocess.Popen, args, **kwargs).result()


class _Worker:
    """One worker: a fresh interpreter (``python -m slmmux.answers._worker``), never a fork, so it is
    safe to start from any thread and needs no ``if __name__ == "__main__"`` guard in the caller."""

    def __init__(self, memory_mb: int, timeout: float = DEFAULT_TIMEOUT):
        r1, w1 = os.pipe()  # parent -> child
        r2, w2 = os.pipe()  # child -> parent
        try:
            self.proc = _spawn(
                [sys.executable, "-m", "slmmux.answers._worker", str(r1), str(w2), str(memory_mb),
                 str(math.ceil(timeout)), str(os.getpid())],
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
    """``workers`` worker processes (started when first needed); each task gets ``timeout`` seconds of
    wall time.

    Several threads may call :meth:`run` at once: each call takes the workers that are free (waiting
    for one when none is), so a slow task of one thread holds up only its own worker, and a call with
    a ``deadline`` never waits or computes past it, queueing included."""

    def __init__(self, workers: int = 1, timeout: float = DEFAULT_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB):
        if workers < 1:
            raise ValueError("workers must be >= 1")
        if timeout <= 0:
            raise ValueError("timeout must be > 0")
        self.n_workers = workers
        self.timeout = float(timeout)
        self.memory_mb = memory_mb
        self._workers: list[_Worker | None] = [None] * workers
        self._free = set(range(workers))
        self._cond = threading.Condition()
        self.timeouts = 0
        self.failures = 0
        self.start_wait = 0.0  # seconds calls spent waiting for worker processes to start
        self._pid = os.getpid()

    def _start(self) -> _Worker:
        return _Worker(self.memory_mb, self.timeout)

    def _get(self, i: int) -> _Worker:
        w = self._workers[i]
        if w is None or not w.is_alive():
            if w is not None:
                w.kill()
            w = self._workers[i] = self._start()
        w.wait_ready()
        return w

    def _replace(self, i: int) -> None:
        w = self._workers[i]
        if w is not None:
            w.kill()
        # start the replacement at once: it imports sympy while the batch goes on
        self._workers[i] = self._start()

    def _count(self, timeouts: int = 0, failures: int = 0, start_wait: float = 0.0) -> None:
        with self._cond:
            self.timeouts += timeouts
            self.failures += failures
            self.start_wait += start_wait

    def _checkout(self, wanted: int, deadline: float | None) -> list[int]:
        """Up to ``wanted`` free workers (started ones first), waiting until ``deadline`` for the first."""
        with self._cond:
            while not self._free:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return []
                self._cond.wait(left)
            # ready workers first, then ones still starting, then slots without a process
            order = sorted(self._free, key=lambda i: (self._workers[i] is None,
                                                      self._workers[i] is not None and not self._workers[i].ready, i))
            slots = order[: max(1, wanted)]
            self._free.difference_update(slots)
            return slots

    def _release(self, slots: list[int]) -> None:
        with self._cond:
            self._free.update(slots)
            self._cond.notify_all()

    def run(self, tasks: list[tuple[str, tuple]], deadline: float | None = None) -> list:
        """Run ``(task_name, args)`` tasks; results in order, ``None`` for a timeout or a failure.

        ``deadline`` (a :func:`time.monotonic` time): no task is waited for past it, the wait for a
        free worker included; tasks not finished by then count as timeouts."""
        if os.getpid() != self._pid:  # a forked copy must not share the parent's pipes
            self._workers = [None] * self.n_workers
            self._free = set(range(self.n_workers))
            self._cond = threading.Condition()
            self._pid = os.getpid()
        results: list = [None] * len(tasks)
        if not tasks:
            return results
        slots = self._checkout(len(tasks), deadline)
        if not slots:
            self._count(timeouts=len(tasks))
            return results
        try:
            self._run_on(slots, tasks, results, deadline)
        finally:
            self._release(slots)
        return results

    def _run_on(self, slots: list[int], tasks: list, results: list, deadline: float | None) -> None:
        pending = deque(range(len(tasks)))
        busy: dict[int, tuple[int, float]] = {}  # worker index -> (task index, deadline)
        resent: set[int] = set()
        while pending or busy:
            now = time.monotonic()
            if deadline is not None and now >= deadline and pending:
                self._count(timeouts=len(pending))
                pending.clear()
            for i in slots:
                if not pending:
                    break
                if i in busy:
                    continue
                t0 = time.monotonic()
                w = self._get(i)
                started = time.monotonic() - t0
                if started > 0.001:
                    self._count(start_wait=started)
                    if deadline is not None:  # a worker's start (first use, or after a kill) is not the task's time
                        deadline += started
                t = pending.popleft()
                try:
                    w.send_conn.send(tasks[t])
                except (OSError, ValueError):  # the worker died between tasks: replace it, send again once
                    self._replace(i)
                    self._count(failures=1)
                    if t not in resent:
                        resent.add(t)
                        pending.appendleft(t)
                    continue
                task_deadline = time.monotonic() + self.timeout
                busy[i] = (t, task_deadline if deadline is None else min(task_deadline, deadline))
            if not busy:
                continue
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
                    self._count(failures=1)
                    self._replace(i)
            now = time.monotonic()
            for i, (t, d) in list(busy.items()):
                if d <= now:
                    busy.pop(i)
                    self._count(timeouts=1)
                    log.debug("equivalence task %r timed out; worker replaced", tasks[t][0])
                    self._replace(i)

    def close(self) -> None:
        with self._cond:
            for i, w in enumerate(self._workers):
                if w is not None:
                    w.kill()
                self._workers[i] = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_defaults: dict[float, WorkerPool] = {}
_default_lock = threading.Lock()
DEFAULT_POOL_WORKERS = 4
_MAX_DEFAULT_POOLS = 3


def default_pool(timeout: float = DEFAULT_TIMEOUT) -> WorkerPool:
    """The process-wide pool for ``timeout`` used by single calls: :data:`DEFAULT_POOL_WORKERS` workers,
    each started when concurrent calls first need it (one thread calling in turn uses one worker).
    One pool per timeout (the few most recently used are kept), so that callers alternating between
    timeouts (``is_correct(timeout=1)`` then ``answer_key``) do not restart workers every time."""
    timeout = float(timeout)
    with _default_lock:
        pool = _defaults.pop(timeout, None)
        if pool is None:
            pool = WorkerPool(DEFAULT_POOL_WORKERS, timeout)
        _defaults[timeout] = pool  # most recently used last
        while len(_defaults) > _MAX_DEFAULT_POOLS:
            _defaults.pop(next(iter(_defaults))).close()
        return pool


@atexit.register
def _close_default() -> None:
    for pool in list(_defaults.values()):
        pool.close()
