"""The answer caches: verdicts of ``(answer, gold, benchmark)`` and voting keys of ``(answer, benchmark)``.

Both are :class:`LRU` s bounded in entries (:data:`CACHE_SIZE`) and in the characters of the cached
strings (:data:`CACHE_BYTES`), shared by every thread of the process. :mod:`.equivalence` and
:mod:`.keys` look them up here at call time (``caches.VERDICTS``), so a test can swap one in.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

CACHE_SIZE = 200_000
CACHE_BYTES = 64 * 1024 * 1024  # per cache (verdicts, keys): characters of the cached strings
MISSING = object()  # a default for LRU.get that no cached value equals


class LRU:
    """A thread-safe LRU bounded in entries and in bytes (the lengths of the key and value strings):
    300 distinct answers of 1 MB must not keep 300 MB alive. An entry larger than a tenth of the budget
    is not kept at all."""

    def __init__(self, size: int, max_bytes: int = CACHE_BYTES):
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self._d: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _cost(key, value) -> int:
        parts = (key if isinstance(key, tuple) else (key,)) + (value,)
        return 64 + sum(len(p) for p in parts if isinstance(p, str))

    def get(self, key, default=None):
        with self._lock:
            if key in self._d:
                self._d.move_to_end(key)
                return self._d[key][0]
        return default

    def put(self, key, value) -> None:
        cost = self._cost(key, value)
        if cost > self.max_bytes // 10:
            return
        with self._lock:
            old = self._d.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._d[key] = (value, cost)
            self.bytes += cost
            while len(self._d) > self.size or self.bytes > self.max_bytes:
                _, (_, c) = self._d.popitem(last=False)
                self.bytes -= c

    def clear(self) -> None:
        with self._lock:
            self._d.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._d)


VERDICTS = LRU(CACHE_SIZE)  # (answer, gold, benchmark) -> bool
KEYS = LRU(CACHE_SIZE)  # (answer, benchmark) -> voting key


def clear_cache() -> None:
    """Forget cached verdicts and keys (benchmarks use it to measure the uncached cost)."""
    VERDICTS.clear()
    KEYS.clear()
