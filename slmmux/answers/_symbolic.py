"""The symbolic side of MATH equivalence, run only inside worker processes of :mod:`.pool`.

Importing this module imports math-verify and sympy (about a second), once per worker process. Nothing here is time-bounded by itself:
math-verify's own signal-based timeouts are switched off (``parsing_timeout=None``,
``timeout_seconds=None``) because the pool kills a worker that runs past its deadline.
"""

from __future__ import annotations

from functools import lru_cache

import sympy
from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

_CONFIGS = (LatexExtractionConfig(), ExprExtractionConfig())


@lru_cache(maxsize=4096)
def parse_answer(answer: str) -> list:
    """math-verify's parse of an already extracted answer.

    Bare LaTeX such as ``\\dfrac{9}{7}`` is misparsed unless it is delimited, so the answer is wrapped
    in ``$...$`` first; when that finds nothing the bare string is parsed as a plain expression.
    """
    parsed = parse(f"${answer}$", extraction_config=_CONFIGS, parsing_timeout=None)
    if not parsed:
        parsed = parse(answer, extraction_config=_CONFIGS, parsing_timeout=None)
    return parsed


def _as_complex(expr):
    """``expr`` with the symbol ``i`` read as the imaginary unit, when ``i`` is its only symbol."""
    if isinstance(expr, sympy.Expr):
        symbols = expr.free_symbols
        if len(symbols) == 1 and str(next(iter(symbols))) == "i":
            return expr.subs(next(iter(symbols)), sympy.I)
    return None


def _verify(answer: str, gold: str) -> bool:
    g = parse_answer(gold)
    a = parse_answer(answer)
    if not g or not a:
        return False
    if verify(g, a, timeout_seconds=None):
        return True
    # complex numbers in another form: i(2-i) = 1+2i (math-verify reads i as a variable)
    ca, cg = _as_complex(a[0]), _as_complex(g[0])
    if ca is not None and cg is None and isinstance(g[0], sympy.Expr) and not g[0].free_symbols:
        cg = g[0]  # a plain number against a complex form: (2+i)(2-i) = 5
    elif cg is not None and ca is None and isinstance(a[0], sympy.Expr) and not a[0].free_symbols:
        ca = a[0]
    if ca is not None and cg is not None:
        return sympy.simplify(sympy.expand(ca - cg)) == 0
    return False


def equivalent(answer: str, gold: str, answer_eq: str | None = None, gold_eq: str | None = None) -> bool:
    """math-verify's verdict on an extracted answer against a gold answer (False if unparseable).

    ``answer_eq``/``gold_eq``: the forms that keep a ``y = ...`` left side (when normalisation dropped
    one); tried when the first comparison fails, so that the equations ``y = -x/2 + 3/4`` and
    ``2x + 4y - 3 = 0`` (same solution set) are equivalent while ``x = 3`` still equals ``3``.
    """
    if _verify(answer, gold):
        return True
    if answer_eq is None and gold_eq is None:
        return False
    return _verify(answer_eq or answer, gold_eq or gold)


def canonical(answer: str) -> str | None:
    """A canonical printed sympy form of the answer (sympy's automatic simplification only), or None."""
    parsed = parse_answer(answer)
    if not parsed:
        return None
    expr = parsed[0]
    if isinstance(expr, str):
        return None
    if isinstance(expr, (sympy.Basic, sympy.MatrixBase)):
        return sympy.srepr(expr)
    return None


TASKS = {"equivalent": equivalent, "canonical": canonical}
