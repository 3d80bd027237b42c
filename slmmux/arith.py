"""The ``arith`` benchmark: integer arithmetic expressions generated from a seed.

A question is an expression over single-digit operands with ``+ - *`` and, for one kind, a pair of
parentheses, written without spaces (``3+4*(2-5)``); the gold answer is its integer value. Three
*kinds* exercise different skills, each at four difficulty *levels* (the number of operands grows
with the level):

- ``sum``: only ``+`` and ``-``;
- ``prod``: one or two ``*`` and no parentheses;
- ``paren``: one pair of parentheses that changes the value, around a sum or difference that is
  multiplied (at most two ``*``).

Level L has L + 1 operands (2 to 5); L + 2 for ``paren``, whose parentheses need three.

The evaluation pool (:data:`POOL_SIZE` questions, equal shares of every kind and level, seed
:data:`POOL_SEED`) is written once to ``slmmux/bundled/arith.json`` (:func:`write_pool`; a test checks
that the file is what the generator makes). Validation and test questions are drawn from that pool
like the other bundled benchmarks (:func:`slmmux.data.make_questions`). The *train* split is an
endless seeded stream (:func:`train_stream`) that never yields an expression of the pool, so the
models trained on it (:mod:`slmmux.training`) are evaluated on questions they never saw.
"""

from __future__ import annotations

import ast
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

KINDS = ("sum", "prod", "paren")
LEVELS = (1, 2, 3, 4)
POOL_SEED = 20260
POOL_SIZE = 600  # 50 per kind x level
MAX_EXPRESSION_CHARS = 64
MAX_PRODUCTS = 2  # at most two '*' per expression: answers stay within a few hundred


def _operands(kind: str, level: int) -> int:
    if kind not in KINDS:
        raise ValueError(f"unknown arith kind {kind!r}; expected one of {', '.join(KINDS)}")
    if level not in LEVELS:
        raise ValueError(f"arith level must be one of {LEVELS}, not {level!r}")
    return level + (2 if kind == "paren" else 1)


def evaluate(expression: str) -> int:
    """The integer value of an expression of integers, ``+ - *`` and parentheses.

    Only those nodes are accepted (no names, calls, division or powers), and the text is bounded by
    :data:`MAX_EXPRESSION_CHARS`, so this is safe on any input: anything else raises ValueError.
    """
    if not isinstance(expression, str) or len(expression) > MAX_EXPRESSION_CHARS:
        raise ValueError(f"not an arith expression (at most {MAX_EXPRESSION_CHARS} characters): {expression!r:.80}")
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"not an arith expression: {expression!r}") from exc

    def ev(node: ast.AST) -> int:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
            a, b = ev(node.left), ev(node.right)
            return a + b if isinstance(node.op, ast.Add) else a - b if isinstance(node.op, ast.Sub) else a * b
        raise ValueError(f"not an arith expression: {expression!r}")

    return ev(tree.body)


_TOKEN = re.compile(r"\d+|[-+*()]")


def _fmt(items: list) -> str:
    return "".join(str(x) for x in items)


def reduce_once(items: list) -> list:
    """One reduction step of a token list (ints, ``+ - * ( )``): in the innermost parentheses
    first, products before sums, left to right; parentheses around a single number are dropped."""
    lo, hi = 0, len(items)
    for i, x in enumerate(items):
        if x == "(":
            lo = i + 1
        elif x == ")":
            hi = i
            break
    span = items[lo:hi]
    t = next((i for i, x in enumerate(span) if x == "*"), None)
    if t is None:
        t = next(i for i, x in enumerate(span) if x in ("+", "-"))
    a, op, b = span[t - 1], span[t], span[t + 1]
    value = a * b if op == "*" else a + b if op == "+" else a - b
    span = span[:t - 1] + [value] + span[t + 2:]
    if lo > 0 and len(span) == 1:
        return items[:lo - 1] + span + items[hi + 1:]
    return items[:lo] + span + items[hi:]


def scratchpad(expression: str) -> str:
    """The step-by-step answer to a question: the expression after each single operation, joined
    by ``=`` and ending with the value: ``3+4*(2-5)`` -> ``3+4*-3=3+-12=-9`` (``3+4`` -> ``7``)."""
    items: list = [int(x) if x.isdigit() else x for x in _TOKEN.findall(expression)]
    if _fmt(items) != expression:
        raise ValueError(f"not an arith question: {expression!r}")
    steps = []
    while len(items) > 1:
        items = reduce_once(items)
        steps.append(_fmt(items))
    return "=".join(steps)


def generate(kind: str, level: int, rng: random.Random) -> str:
    """One expression of ``kind`` at ``level`` drawn from ``rng``."""
    n = _operands(kind, level)
    while True:
        nums = [str(rng.randint(0, 9)) for _ in range(n)]
        if kind == "sum":
            ops = [rng.choice("+-") for _ in range(n - 1)]
        else:
            ops = [rng.choice("+-*") for _ in range(n - 1)]
        if kind != "sum" and ops.count("*") > MAX_PRODUCTS:
            continue
        if kind == "prod":
            if "*" not in ops:
                continue
            return "".join(x for pair in zip(nums, ops + [""]) for x in pair)
        if kind == "sum":
            return "".join(x for pair in zip(nums, ops + [""]) for x in pair)
        # paren: wrap operands i..j (2 or more, not all) around a + or -, next to a *
        i = rng.randint(0, n - 2)
        j = rng.randint(i + 1, min(n - 1, i + 2))
        if j - i + 1 == n:
            continue
        inner = ops[i:j]
        outer_mul = (i > 0 and ops[i - 1] == "*") or (j < n - 1 and ops[j] == "*")
        if not outer_mul or not any(o in "+-" for o in inner):
            continue
        parts = []
        for t, num in enumerate(nums):
            parts.append(("(" if t == i else "") + num + (")" if t == j else ""))
        expr = "".join(x for pair in zip(parts, ops + [""]) for x in pair)
        if evaluate(expr) == evaluate(expr.replace("(", "").replace(")", "")):
            continue  # the parentheses must matter
        return expr


def make_pool(size: int = POOL_SIZE, seed: int = POOL_SEED) -> list[dict]:
    """The evaluation pool: ``size`` distinct questions, equal shares of every kind x level, in a
    seeded order; each a dict with ``question``, ``answer`` (a string), ``kind`` and ``level``."""
    cells = [(k, lv) for k in KINDS for lv in LEVELS]
    if size % len(cells):
        raise ValueError(f"pool size must be a multiple of {len(cells)}, not {size}")
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[dict] = []
    for kind, level in cells:
        made = 0
        while made < size // len(cells):
            q = generate(kind, level, rng)
            if q in seen:
                continue
            seen.add(q)
            out.append({"question": q, "answer": str(evaluate(q)), "kind": kind, "level": level})
            made += 1
    rng.shuffle(out)
    return out


def pool_path() -> Path:
    return Path(__file__).parent / "bundled" / "arith.json"


def write_pool(path: str | Path | None = None) -> Path:
    """Write the evaluation pool as JSON (the bundled file; regenerate it with this function)."""
    path = Path(path) if path is not None else pool_path()
    path.write_text(json.dumps(make_pool(), indent=0) + "\n", encoding="utf-8")
    return path


def train_stream(mix: dict[str, float], levels: dict[int, float], seed: int,
                 exclude: set[str]) -> Iterator[tuple[str, str]]:
    """Endless ``(question, answer)`` training pairs: kind drawn with the weights ``mix``, level with
    the weights ``levels``; an expression in ``exclude`` (the evaluation pool) is never yielded."""
    kinds = [k for k in KINDS if mix.get(k, 0) > 0]
    lvls = [lv for lv in LEVELS if levels.get(lv, 0) > 0]
    if not kinds or not lvls or any(k not in KINDS for k in mix) or any(lv not in LEVELS for lv in levels):
        raise ValueError(f"bad training mix {mix} / levels {levels}")
    kw = [mix[k] for k in kinds]
    lw = [levels[lv] for lv in lvls]
    rng = random.Random(seed)
    while True:
        kind = rng.choices(kinds, kw)[0]
        level = rng.choices(lvls, lw)[0]
        q = generate(kind, level, rng)
        if q in exclude:
            continue
        yield q, str(evaluate(q))
