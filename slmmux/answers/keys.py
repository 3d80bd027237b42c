"""Voting keys: equivalent answers get one key, so they vote together.

Functions: :func:`answer_key`, :func:`answer_keys`.

``answer_key`` gives equivalent answers the same key so they vote together. GSM8K: the canonical
number (``"1234"``, ``"0.5"``, ``"1/3"``). GPQA: the letter. MATH: a plain number's canonical
rational (``0.5``, ``1/2``, ``\\frac{1}{2}``, ``\\dfrac12`` all give ``"0.5"``), otherwise
``"sym:"`` + sympy's ``srepr`` of math-verify's parse (sympy's automatic canonicalisation only, no
``simplify``: ``\\frac{\\sqrt2}{2}`` and ``\\sqrt{2}/2`` agree) computed in the worker pool within the
timeout, falling back to the normalised string (``x=3`` and ``3`` share ``"3"``). Percent and
degree signs are dropped, so ``10\\%`` and ``10`` share a key, like MATH's own grader. Cost: one
pool round trip (~1 ms) per distinct non-numeric MATH answer, cached.

The grading stage stores ``answer_key`` (consistent across files and models). Keys do not simplify
(``\\sqrt{12}`` and ``2\\sqrt{3}`` differ); selection merges, per question, the keys the grader's own
equivalence finds equal (:func:`slmmux.mux.cluster_equivalent_answers`).
"""

from __future__ import annotations

from slmmux.answers import cache as caches
from slmmux.answers.equivalence import MAX_SYMBOLIC_CHARS, check_benchmark
from slmmux.answers.normalize import (
    normalize_arith,
    normalize_gpqa,
    normalize_gsm8k,
    normalize_math,
    number_key,
    parse_number,
)
from slmmux.answers.pool import WorkerPool, default_pool



def answer_keys(answers: list[str | None], benchmark: str, pool: WorkerPool | None = None) -> list[str | None]:
    """:func:`answer_key` of many answers; the symbolic forms of distinct answers run in parallel."""
    check_benchmark(benchmark)
    out: list[str | None] = [None] * len(answers)
    todo: dict[str, list[int]] = {}
    for i, a in enumerate(answers):
        if not isinstance(a, str):
            continue  # no answer (None, or a non-string value): no key
        cached = caches.KEYS.get((a, benchmark))
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
        caches.KEYS.put((a, benchmark), out[i])
    if todo:
        pool = pool or default_pool()
        items = list(todo)
        norms = [normalize_math(a) for a in items]
        results = pool.run([("canonical", (n,)) for n in norms])
        for a, norm, sym in zip(items, norms, results):
            key = "sym:" + sym if sym else norm
            caches.KEYS.put((a, benchmark), key)
            for i in todo[a]:
                out[i] = key
    return out


def answer_key(answer: str | None, benchmark: str) -> str | None:
    """The canonical voting key of an extracted answer (None for no answer); see :mod:`slmmux.answers.keys`."""
    return answer_keys([answer], benchmark)[0]

