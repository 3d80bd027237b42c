"""Answer extraction, equivalence (voting keys) and bounded-time grading.

Extraction (:func:`extract_answer`, :func:`last_boxed`; see :mod:`.extract`)
    Per benchmark, a chain of small filters; ``strict`` uses only the prompt's answer format,
    ``flexible`` falls back to robust patterns. The grading stage stores both.

Grading (:func:`is_correct`, :func:`answers_equivalent`)
    GSM8K: exact rational equality of the numbers (``1,234`` = ``1234.00``; ``1/2`` = ``0.5``).
    GPQA: letter equality. arith: exact integer equality. MATH, in order of cost:

    1. normalised string match (:func:`normalize_math`, in process, microseconds);
    2. exact rational comparison when both answers are plain numbers (decides: no fallback);
    3. math-verify (``parse``/``verify`` over sympy) on the normalised answers wrapped in ``$...$``,
       in a worker process of :class:`.pool.WorkerPool` (a round trip of about a millisecond; an
       answer longer than :data:`MAX_SYMBOLIC_CHARS` is not sent and counts as not equivalent); when
       that fails and normalisation had dropped a ``y = ...`` left side, the whole equations are compared
       too (``y = -x/2 + 3/4`` and ``2x + 4y - 3 = 0`` are one line).

    Time bound: a symbolic check returns within ``timeout`` seconds (default 5) plus the pool's
    overhead (well under a second), from any thread; the first call of a process also starts a worker
    (a few seconds, once). Workers are memory-limited (2 GiB address space) and killed and replaced
    on timeout; a timed-out or failed check counts as not equivalent. Verdicts are cached in an LRU
    keyed by ``(answer, gold, benchmark)`` (:data:`CACHE_SIZE` entries).

Voting keys (:func:`answer_key`, :func:`group_equivalent`)
    ``answer_key`` gives equivalent answers the same key so they vote together. GSM8K: the canonical
    number (``"1234"``, ``"0.5"``, ``"1/3"``). GPQA: the letter. MATH: a plain number's canonical
    rational (``0.5``, ``1/2``, ``\\frac{1}{2}``, ``\\dfrac12`` all give ``"0.5"``), otherwise
    ``"sym:"`` + sympy's ``srepr`` of math-verify's parse (sympy's automatic canonicalisation only, no
    ``simplify``: ``\\frac{\\sqrt2}{2}`` and ``\\sqrt{2}/2`` agree) computed in the worker pool within the
    timeout, falling back to the normalised string (``x=3`` and ``3`` share ``"3"``). Percent and
    degree signs are dropped, so ``10\\%`` and ``10`` share a key, like MATH's own grader. Cost: one
    pool round trip (~1 ms) per distinct non-numeric MATH answer, cached.

    ``group_equivalent`` additionally merges, within one question, distinct keys that math-verify
    finds equivalent (pairwise over at most :data:`GROUP_MAX_KEYS` distinct keys, bounded by the
    timeout each). The grading stage stores ``answer_key`` (consistent across files and models);
    selection may call ``group_equivalent`` per question over all models' answers.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from fractions import Fraction

from slmmux.answers.extract import extract_answer, gold_answer, last_boxed, last_number
from slmmux.answers.normalize import (
    BASE_NUMBER,
    normalize_arith,
    normalize_gpqa,
    normalize_gsm8k,
    normalize_math,
    number_key,
    parse_number,
)
from slmmux.answers.pool import DEFAULT_TIMEOUT, WorkerPool, default_pool

__all__ = [
    "extract_answer", "last_boxed", "last_number", "normalize_math", "normalize_gsm8k", "normalize_gpqa",
    "parse_number", "number_key", "is_correct", "answers_equivalent", "equivalent_many", "answer_key",
    "answer_keys", "group_equivalent", "WorkerPool", "DEFAULT_TIMEOUT", "clear_cache", "MAX_SYMBOLIC_CHARS",
]

BENCHMARKS = ("math", "gsm8k", "gpqa", "arith")
MAX_SYMBOLIC_CHARS = 1000
CACHE_SIZE = 200_000
GROUP_MAX_KEYS = 12


class _LRU:
    def __init__(self, size: int):
        self.size = size
        self._d: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, default=None):
        with self._lock:
            if key in self._d:
                self._d.move_to_end(key)
                return self._d[key]
        return default

    def put(self, key, value) -> None:
        with self._lock:
            self._d[key] = value
            self._d.move_to_end(key)
            while len(self._d) > self.size:
                self._d.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._d.clear()

    def __len__(self) -> int:
        return len(self._d)


_VERDICTS = _LRU(CACHE_SIZE)
_KEYS = _LRU(CACHE_SIZE)
_MISSING = object()


def clear_cache() -> None:
    """Forget cached verdicts and keys (benchmarks use it to measure the uncached cost)."""
    _VERDICTS.clear()
    _KEYS.clear()


def _check(benchmark: str) -> None:
    if benchmark not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {benchmark!r}; expected one of {', '.join(BENCHMARKS)}")


def _cheap_verdict(answer: str, gold: str, benchmark: str) -> bool | None:
    """The verdict when string or numeric comparison settles it, else None (needs sympy)."""
    if benchmark == "gpqa":
        return normalize_gpqa(answer) == normalize_gpqa(gold)
    if benchmark == "arith":  # exact integers
        return normalize_arith(answer) == normalize_arith(gold)
    if benchmark == "gsm8k":
        a, g = normalize_gsm8k(answer), normalize_gsm8k(gold)
        if a == g:
            return True
        na, ng = parse_number(a), parse_number(g)
        if na is not None and ng is not None:
            return na == ng
        return False
    a, g = normalize_math(answer), normalize_math(gold)
    if not a or not g:
        return False
    if a == g:
        return True
    na, ng = parse_number(a), parse_number(g)
    if na is not None and ng is not None:
        return na == ng or _long_decimal_of(a, ng) or _long_decimal_of(g, na)
    if BASE_NUMBER.match(a) or BASE_NUMBER.match(g):
        # a number written in another base (1011_2): exact digits, which sympy would misread
        return a.replace("{", "").replace("}", "") == g.replace("{", "").replace("}", "")
    if len(a) > MAX_SYMBOLIC_CHARS or len(g) > MAX_SYMBOLIC_CHARS:
        return False
    return None


LONG_DECIMAL_DIGITS = 6


def _long_decimal_of(decimal: str, x) -> bool:
    """Whether ``decimal`` (a plain decimal with at least :data:`LONG_DECIMAL_DIGITS` digits after the
    point) is ``x`` rounded or truncated to its own digits, for an ``x`` with no finite decimal
    expansion: ``0.0833333333`` is 1/12, ``0.3333`` and ``0.3`` are not 1/3."""
    m = re.fullmatch(r"-?\d*\.(\d+)", decimal)
    if not m or len(m.group(1)) < LONG_DECIMAL_DIGITS:
        return False
    d = x.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    if d == 1:
        return False  # x terminates: only the exact decimal is x
    return abs(parse_number(decimal) - x) < Fraction(1, 10 ** len(m.group(1)))


def equivalent_many(
    pairs: list[tuple[str | None, str]],
    benchmark: str,
    pool: WorkerPool | None = None,
    cache: bool = True,
) -> list[bool]:
    """Verdicts for ``(extracted answer, gold)`` pairs; symbolic checks run in ``pool`` in parallel."""
    _check(benchmark)
    out: list[bool | None] = [None] * len(pairs)
    todo: dict[tuple[str, str], list[int]] = {}
    for i, (answer, gold) in enumerate(pairs):
        if answer is None or gold is None:
            out[i] = False
            continue
        if benchmark == "math":
            gold = gold_answer(gold)  # a gold given as a worked solution: its boxed / stated answer
        key = (answer, gold, benchmark)
        if cache:
            hit = _VERDICTS.get(key, _MISSING)
            if hit is not _MISSING:
                out[i] = hit
                continue
        verdict = _cheap_verdict(answer, gold, benchmark)
        if verdict is not None:
            out[i] = verdict
            if cache:
                _VERDICTS.put(key, verdict)
            continue
        todo.setdefault((answer, gold), []).append(i)
    if todo:
        pool = pool or default_pool()
        items = list(todo)
        tasks = [("equivalent", _equivalence_args(a, g)) for a, g in items]
        for (a, g), res in zip(items, pool.run(tasks)):
            verdict = bool(res)
            if cache:
                _VERDICTS.put((a, g, benchmark), verdict)
            for i in todo[(a, g)]:
                out[i] = verdict
    return [bool(v) for v in out]


def _equivalence_args(answer: str, gold: str) -> tuple:
    """Arguments of the worker's ``equivalent``: the normalised answers, plus their forms with the
    ``y = ...`` left side kept when normalisation dropped it and the other side is an equation."""
    a, g = normalize_math(answer), normalize_math(gold)
    a_eq, g_eq = normalize_math(answer, strip_assignment=False), normalize_math(gold, strip_assignment=False)
    if a_eq == a and g_eq == g:
        return (a, g)
    return (a, g, a_eq if a_eq != a else None, g_eq if g_eq != g else None)


def answers_equivalent(answer: str | None, gold: str, benchmark: str, *, timeout: float | None = None,
                       cache: bool = True) -> bool:
    """Whether an already extracted answer is equivalent to the gold answer (see the module docstring)."""
    pool = default_pool(timeout) if timeout is not None else None
    return equivalent_many([(answer, gold)], benchmark, pool=pool, cache=cache)[0]


def is_correct(prediction: str | None, gold: str, benchmark: str, *, timeout: float | None = None) -> bool:
    """Whether ``prediction`` (a whole completion or a bare answer) answers ``gold`` correctly.

    The answer is taken with flexible extraction (a short single-line prediction is itself the
    answer). Returns within ``timeout`` (default :data:`DEFAULT_TIMEOUT`) seconds plus pool overhead,
    from any thread; never raises on odd input.
    """
    _check(benchmark)
    if prediction is None or gold is None:
        return False
    answer = extract_answer(prediction, benchmark, "flexible")
    return answers_equivalent(answer, gold, benchmark, timeout=timeout)


def answer_keys(answers: list[str | None], benchmark: str, pool: WorkerPool | None = None) -> list[str | None]:
    """:func:`answer_key` of many answers; the symbolic forms of distinct answers run in parallel."""
    _check(benchmark)
    out: list[str | None] = [None] * len(answers)
    todo: dict[str, list[int]] = {}
    for i, a in enumerate(answers):
        if a is None:
            continue
        cached = _KEYS.get((a, benchmark))
        if cached is not None:
            out[i] = cached
            continue
        if benchmark == "gsm8k":
            out[i] = normalize_gsm8k(a)
        elif benchmark == "gpqa":
            out[i] = normalize_gpqa(a)
        elif benchmark == "arith":
            out[i] = normalize_arith(a)
        else:
            norm = normalize_math(a)
            x = parse_number(norm)
            if x is not None:
                out[i] = number_key(x)
            elif not norm or len(norm) > MAX_SYMBOLIC_CHARS:
                out[i] = norm
            else:
                todo.setdefault(a, []).append(i)
                continue
        _KEYS.put((a, benchmark), out[i])
    if todo:
        pool = pool or default_pool()
        items = list(todo)
        norms = [normalize_math(a) for a in items]
        results = pool.run([("canonical", (n,)) for n in norms])
        for a, norm, sym in zip(items, norms, results):
            key = "sym:" + sym if sym else norm
            _KEYS.put((a, benchmark), key)
            for i in todo[a]:
                out[i] = key
    return out


def answer_key(answer: str | None, benchmark: str) -> str | None:
    """The canonical voting key of an extracted answer (None for no answer); see the module docstring."""
    return answer_keys([answer], benchmark)[0]


def group_equivalent(answers: list[str | None], benchmark: str, pool: WorkerPool | None = None) -> list[str | None]:
    """Voting keys for the answers to ONE question, merging keys that math-verify finds equivalent.

    Starts from :func:`answer_key`; for MATH, the (at most :data:`GROUP_MAX_KEYS` most frequent)
    distinct keys are compared pairwise with math-verify and equivalent ones merged; each group takes
    the key of its most frequent member (ties: first seen). GSM8K and GPQA keys are already exact.
    """
    keys = answer_keys(answers, benchmark, pool)
    if benchmark != "math":
        return keys
    counts: dict[str, int] = {}
    example: dict[str, str] = {}
    for a, k in zip(answers, keys):
        if k is not None:
            counts[k] = counts.get(k, 0) + 1
            example.setdefault(k, a)
    distinct = sorted(counts, key=lambda k: -counts[k])[:GROUP_MAX_KEYS]  # stable: ties keep first-seen order
    if len(distinct) < 2:
        return keys
    parent = {k: k for k in distinct}

    def find(k: str) -> str:
        while parent[k] != k:
            k = parent[k]
        return k

    pairs = [(distinct[i], distinct[j]) for i in range(len(distinct)) for j in range(i + 1, len(distinct))]
    verdicts = equivalent_many([(example[b], example[a]) for a, b in pairs], "math", pool=pool)
    for (a, b), same in zip(pairs, verdicts):
        if same:
            ra, rb = find(a), find(b)
            if ra != rb:
                # the earlier (more frequent) key stays the representative
                if distinct.index(ra) < distinct.index(rb):
                    parent[rb] = ra
                else:
                    parent[ra] = rb
    return [find(k) if k in parent else k for k in keys]


from slmmux.answers.grading import MissingQuestionError, accuracy_summary, grade_samples  # noqa: E402

__all__ += ["grade_samples", "accuracy_summary", "MissingQuestionError"]
