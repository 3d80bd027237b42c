"""Chat prompts per benchmark, built from versioned template files in ``slmmux/prompts/``.

Each template is a plain-text file ``<benchmark>.v<N>.txt`` holding the single user message, with
the placeholders ``{question}`` and (GPQA) ``{choices}``. Placeholders are replaced literally (no
``str.format``), so LaTeX braces such as ``\\boxed{}`` need no escaping. The prompts follow the
paper (§3):

- MATH: step-by-step reasoning, final answer in ``\\boxed{...}``;
- GSM8K: step-by-step reasoning, final number on a last line ``#### N``;
- GPQA: the question and its four choices, answer as one letter in the marker ``##Answer: X##``;
- arith (the bundled benchmark of locally trained tiny models): the expression, reduced one operation
  at a time (``3+4*(2-5)`` -> ``3+4*-3=3+-12=-9``), ending with the integer (v1: the integer only).

A template never changes once published: a new wording is a new version file, and the provenance
sidecar records the template text and :func:`template_hash`.
"""

from __future__ import annotations

import hashlib
import re
from importlib import resources

from slmmux.data import BENCHMARKS

# The template version each benchmark uses now.
TEMPLATE_VERSIONS: dict[str, int] = {"math": 1, "gsm8k": 1, "gpqa": 1, "arith": 2}

CHOICE_LETTERS = "ABCD"


def _check(benchmark: str) -> None:
    if benchmark not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {benchmark!r}; expected one of {', '.join(BENCHMARKS)}")


def template_name(benchmark: str, version: int | None = None) -> str:
    _check(benchmark)
    return f"{benchmark}.v{TEMPLATE_VERSIONS[benchmark] if version is None else version}.txt"


def template_text(benchmark: str, version: int | None = None) -> str:
    """The raw template text of ``benchmark`` (current version unless ``version`` is given)."""
    name = template_name(benchmark, version)
    res = resources.files("slmmux") / "prompts" / name
    if not res.is_file():
        raise FileNotFoundError(f"no prompt template {name} in slmmux/prompts")
    return res.read_text(encoding="utf-8")


def template_hash(benchmark: str, version: int | None = None) -> str:
    """sha256 of the template text (UTF-8), hex."""
    return hashlib.sha256(template_text(benchmark, version).encode("utf-8")).hexdigest()


def format_choices(choices: list[str]) -> str:
    """GPQA choices, one per line as ``(A) text``.

    The bundled choices are ``"A text"`` strings; a leading letter matching the position (``A``,
    ``A.``, ``A)``, ``(A)``) is stripped before the uniform label is added.
    """
    if choices is None or len(choices) != 4:
        raise ValueError(f"GPQA questions need exactly 4 choices, got {choices!r}")
    lines = []
    for letter, choice in zip(CHOICE_LETTERS, choices):
        if choice is None:
            raise ValueError(f"GPQA choice {letter} is missing")
        text = re.sub(rf"^\(?{letter}[).:]?\s+", "", str(choice).strip(), count=1)
        lines.append(f"({letter}) {text}")
    return "\n".join(lines)


def render(benchmark: str, question_row: dict, version: int | None = None) -> str:
    """The user message text for one question."""
    question = question_row.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ValueError(f"question {question_row.get('question_id')!r} has no question text")
    text = template_text(benchmark, version).rstrip("\n")
    values = {"question": question.strip()}
    if benchmark == "gpqa":
        values["choices"] = format_choices(question_row.get("choices"))
    # One pass over the template only: placeholder-like text inside a question is left alone.
    return re.sub(r"\{(question|choices)\}", lambda m: values[m.group(1)], text)


def build_messages(question_row: dict, benchmark: str | None = None, version: int | None = None) -> list[dict]:
    """Chat messages (one user turn) for a questions-table row.

    ``benchmark`` defaults to the row's ``benchmark`` column; when both are given they must agree.
    """
    row_b = question_row.get("benchmark")
    if benchmark is None:
        benchmark = row_b
    elif row_b is not None and row_b != benchmark:
        raise ValueError(f"question {question_row.get('question_id')!r} is from benchmark {row_b!r}, not {benchmark!r}")
    if benchmark is None:
        raise ValueError("no benchmark given and the question row has no 'benchmark' field")
    _check(benchmark)
    return [{"role": "user", "content": render(benchmark, question_row, version)}]
