"""Whether an answer is equivalent to the gold answer, within a time bound.

Functions: :func:`is_correct`, :func:`answers_equivalent`, :func:`equivalent_many`.

GSM8K: exact rational equality of the numbers (``1,234`` = ``1234.00``; ``1/2`` = ``0.5``).
GPQA: letter equality. arith: exact integer equality. MATH, in order of cost:

1. normalised string match (:func:`normalize_math`, in process, microseconds);
2. exact rational comparison when both answers are plain numbers (decides: no fallback);
3. math-verify (``parse``/``verify`` over sympy) on the normalised answers wrapped in ``$...$``,
   in a worker process of :class:`.pool.WorkerPool` (a round trip of about a millisecond; an
   answer longer than :data:`MAX_SYMBOLIC_CHARS` is not sent and counts as not equivalent); when
   that fails and normalisation had dropped a ``y = ...`` left side, the whole equations are compared
   too (``y = -x/2 + 3/4`` and ``2x + 4y - 3 = 0`` are one line).

Time bound: :func:`is_correct` and :func:`answers_equivalent` return within ``timeout`` seconds
(default 5) of the call, extraction, normalisation and the wait for a free worker included, plus
the pool's overhead (well under a second), from any thread; a call that needs a fresh worker process
(the first of a process, or the first after a timeout killed one) also waits for that worker's start
(a few seconds). Extraction and normalisation are linear in their input and bounded in size
(:data:`MAX_COMPLETION_CHARS`, :data:`MAX_ANSWER_CHARS`: an answer or gold longer than that is
compared as exact text only). The shared pool has several workers, so threads calling at once do
not queue behind one another's slow checks. Workers are memory-limited (2 GiB address space),
CPU-limited per task, exit when the grading process dies, and are killed and replaced on timeout;
a timed-out or failed check counts as not equivalent. Verdicts are cached in an LRU keyed by
``(answer, gold, benchmark)`` (:data:`.cache.CACHE_SIZE` entries and :data:`.cache.CACHE_BYTES` characters).
"""

from __future__ import annotations

import math
import re
import time
from decimal import Decimal
from fractions import Fraction

from slmmux.answers import cache as caches
from slmmux.answers.extract import MAX_ANSWER_CHARS, extract_answer, gold_answer
from slmmux.answers.normalize import (
    BASE_NUMBER,
    GLUED_UNIT,
    has_percent,
    normalize_arith,
    normalize_gpqa,
    normalize_gsm8k,
    normalize_math,
    parse_number,
    relation_side,
)
from slmmux.answers.pool import WorkerPool, default_pool
from slmmux.vocabulary import BENCHMARKS

MAX_SYMBOLIC_CHARS = 1000


def check_benchmark(benchmark: str) -> None:
    if not isinstance(benchmark, str) or benchmark not in BENCHMARKS:
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
    la, lg = relation_side(answer), relation_side(gold)
    if la is not None and lg is not None and la != lg:
        return False  # "\sin(x) = 1/2" does not answer "\cos(x) = 1/2", nor "y = 3" "x = 3"
    if a == g:
        return True
    if (GLUED_UNIT.match(a) and parse_number(g) is not None) or (GLUED_UNIT.match(g) and parse_number(a) is not None):
        return False  # "12cm" is 12*c*m in LaTeX, not 12 (math-verify would drop the unit)
    na, ng = parse_number(a), parse_number(g)
    if na is not None and ng is not None:
        if na == ng or _long_decimal_of(a, ng) or _long_decimal_of(g, na):
            return True
        # a percentage against a plain number: the number of percent (10% = 10, MATH's convention) or
        # its value (10% = 0.1); see docs/grading-policy.md
        pa, pg = has_percent(answer), has_percent(gold)
        if pa and not pg:
            return na / 100 == ng or _long_decimal_of(g, na / 100)
        if pg and not pa:
            return ng / 100 == na or _long_decimal_of(a, ng / 100)
        return False
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
    return _equivalent_many(pairs, benchmark, pool, cache, None)


def _as_text(x) -> str | None:
    """A gold or answer as text: strings as they are, numbers (an integer gold from a parquet file) as
    their decimal form, anything else (None, bytes, containers, booleans) as no answer."""
    if isinstance(x, str):
        return x
    if isinstance(x, (int, float, Fraction, Decimal)) and not isinstance(x, bool):
        if isinstance(x, float) and not math.isfinite(x):
            return None
        return str(x)
    return None


def _gold_of(gold: str, benchmark: str) -> str:
    """The answer in a gold: MATH's worked solution or prose gives its boxed / stated answer; a GSM8K
    gold that is not a number, or a GPQA gold that is not a letter, gives what extraction reads in it
    ("the answer is 0.6666667", "Answer: (B)")."""
    if benchmark == "math":
        return gold_answer(gold)
    if len(gold) > MAX_ANSWER_CHARS:
        return gold
    if benchmark == "gsm8k" and parse_number(normalize_gsm8k(gold)) is None:
        return extract_answer(gold, "gsm8k") or gold
    if benchmark == "gpqa" and len(normalize_gpqa(gold)) != 1:
        return extract_answer(gold, "gpqa") or gold
    return gold


def _equivalent_many(pairs, benchmark: str, pool: WorkerPool | None, cache: bool,
                     deadline: float | None) -> list[bool]:
    check_benchmark(benchmark)
    out: list[bool | None] = [None] * len(pairs)
    todo: dict[tuple[str, str], list[int]] = {}
    for i, (answer, gold) in enumerate(pairs):
        answer, gold = _as_text(answer), _as_text(gold)
        if answer is None or gold is None:
            out[i] = False
            continue
        gold = _gold_of(gold, benchmark)
        if len(answer) > MAX_ANSWER_CHARS or len(gold) > MAX_ANSWER_CHARS:
            out[i] = answer.strip() == gold.strip()  # too long to be an answer: exact text only
            continue
        key = (answer, gold, benchmark)
        if cache:
            hit = caches.VERDICTS.get(key, caches.MISSING)
            if hit is not caches.MISSING:
                out[i] = hit
                continue
        verdict = _cheap_verdict(answer, gold, benchmark)
        if verdict is not None:
            out[i] = verdict
            if cache:
                caches.VERDICTS.put(key, verdict)
            continue
        todo.setdefault((answer, gold), []).append(i)
    if todo:
        pool = pool or default_pool()
        items = list(todo)
        tasks = [("equivalent", _equivalence_args(a, g)) for a, g in items]
        for (a, g), res in zip(items, pool.run(tasks, deadline)):
            verdict = bool(res)
            if cache:
                caches.VERDICTS.put((a, g, benchmark), verdict)
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
    """Whether an already extracted answer is equivalent to the gold answer (see :mod:`slmmux.answers.equivalence`)."""
    return _single(answer, gold, benchmark, timeout, cache, time.monotonic())


def _single(answer, gold, benchmark: str, timeout: float | None, cache: bool, started: float) -> bool:
    """One verdict from the shared pool, by ``started + timeout`` (queueing for a worker included)."""
    pool = default_pool(timeout) if timeout is not None else default_pool()
    return _equivalent_many([(answer, gold)], benchmark, pool, cache, started + pool.timeout)[0]


def is_correct(prediction: str | None, gold: str, benchmark: str, *, timeout: float | None = None) -> bool:
    """Whether ``prediction`` (a whole completion or a bare answer) answers ``gold`` correctly.

    The answer is taken with flexible extraction (a short single-line prediction is itself the
    answer). Returns within ``timeout`` (default :data:`DEFAULT_TIMEOUT`) seconds from the call,
    extraction, normalisation and the wait for a free worker included, plus the pool's overhead (and,
    when the call needs a fresh worker process, that worker's start), from any thread; never raises
    on odd input: a number as prediction or gold is read as its decimal text, any other non-string
    value (None, bytes, a container) is not correct.
    """
    started = time.monotonic()
    check_benchmark(benchmark)
    prediction = _as_text(prediction)
    if prediction is None or _as_text(gold) is None:
        return False
    if len(prediction) <= MAX_ANSWER_CHARS and _same_text(prediction, _gold_of(_as_text(gold), benchmark), benchmark):
        return True  # the prediction is the gold's text ("odd $n$"), whatever extraction would take from it
    answer = extract_answer(prediction, benchmark, "flexible")
    return _single(answer, gold, benchmark, timeout, True, started)


def _same_text(prediction: str, gold: str, benchmark: str) -> bool:
    """Normalised text identity of a whole prediction and the gold's answer."""
    normalize = {"math": normalize_math, "gsm8k": normalize_gsm8k, "gpqa": normalize_gpqa,
                 "arith": normalize_arith}[benchmark]
    p, g = normalize(prediction), normalize(gold)
    return bool(p) and p == g
