"""Voting keys: equivalent answers get one key, so they vote together.

Functions: :func:`answer_key`, :func:`answer_keys`, :func:`group_equivalent`.

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

from slmmux.answers import cache as caches
from slmmux.answers.equivalence import MAX_SYMBOLIC_CHARS, check_benchmark, equivalent_many
from slmmux.answers.normalize import (
    normalize_arith,
    normalize_gpqa,
    normalize_gsm8k,
    normalize_math,
    number_key,
    parse_number,
)
from slmmux.answers.pool import WorkerPool, default_pool

GROUP_MAX_KEYS = 12


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
