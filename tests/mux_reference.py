"""A plain per-question implementation of SLM-MUX selection and its baselines, for the tests.

:func:`slmmux.mux.decisions` computes the same over whole tables; the tests check the rules here on
small hand-made cases (the tie rules of :mod:`slmmux.mux`'s docstring) and that ``decisions`` (and the
k-sweeps of :mod:`slmmux.scaling`) agree with these loops on random tables. It shares only
:func:`slmmux.mux.model_priority` (the tie-break order of the models) with the library.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from slmmux.mux import model_priority

__all__ = ["Selection", "majority", "select", "single_model", "self_consistency", "agent_forest", "oracle",
           "model_priority"]


@dataclass(frozen=True)
class Selection:
    """The outcome of Algorithm 1 for one question.

    ``model``: the selected model; ``answer``: its majority answer (None when no model answered);
    ``confidence``: its ``s_i = f_i(y_i*)`` in [0, 1].
    """

    model: str
    answer: str | None
    confidence: float


def majority(answers: Sequence[str | None]) -> tuple[str | None, float]:
    """A model's majority answer ``y*`` and its confidence ``s = f(y*)`` (count / len(answers)).

    None entries count in the denominator but never win; ties go to the answer that occurs first.
    Returns ``(None, 0.0)`` when no sample has an answer. Raises ``ValueError`` on an empty list.
    """
    if len(answers) == 0:
        raise ValueError("cannot take a majority over zero samples")
    counts: dict[str, int] = {}
    for a in answers:  # dicts keep insertion order = first occurrence order
        if a is not None:
            counts[a] = counts.get(a, 0) + 1
    if not counts:
        return None, 0.0
    best = max(counts.values())
    winner = next(a for a, c in counts.items() if c == best)
    return winner, best / len(answers)


def select(
    samples: Mapping[str, Sequence[str | None]],
    validation_accuracy: Mapping[str, float],
    benchmark: str | None = None,
    key: Callable[[str], str | None] | None = None,
) -> Selection:
    """SLM-MUX selection for one question (Algorithm 1).

    ``samples`` maps each model to its k answers in sample order (None = no answer); by default the
    answers are voting keys already (the graded table's ``answer_key``). With ``key``, raw answers are
    given and ``key(answer)`` is the voting key; the returned answer is then the selected model's
    first raw answer with the winning key. ``benchmark`` is accepted for symmetry with
    ``slmmux.answers.answer_key`` and does not change the result. Tie rules: see the module docstring.
    """
    if not samples:
        raise ValueError("select needs at least one model")
    best: tuple | None = None
    order = {m: i for i, m in enumerate(model_priority(samples, validation_accuracy))}
    for model, answers in samples.items():
        if len(answers) == 0:
            raise ValueError(f"model {model!r} has no samples (k = 0)")
        keys = list(answers) if key is None else [None if a is None else key(a) for a in answers]
        y, s = majority(keys)
        candidate = (-s, order[model], model, y, keys, answers)
        if best is None or candidate[:2] < best[:2]:
            best = candidate
    _, _, model, y, keys, answers = best
    answer = y if key is None or y is None else answers[keys.index(y)]
    return Selection(model=model, answer=answer, confidence=-best[0])


def single_model(answers: Sequence[str | None]) -> str | None:
    """Single-model baseline: the model's first sample (its greedy sample, when that is passed)."""
    if len(answers) == 0:
        raise ValueError("single_model needs at least one sample")
    return answers[0]


def self_consistency(answers: Sequence[str | None]) -> str | None:
    """Self-consistency of one model: its majority answer (ties: first occurrence), None if none."""
    return majority(answers)[0]


def agent_forest(samples: Mapping[str, Sequence[str | None]], validation_accuracy: Mapping[str, float]) -> str | None:
    """Agent Forest: majority over the pooled samples of all models.

    Ties go to the better-supported answer: pooling concatenates the models in :func:`model_priority`
    order (highest validation accuracy first), each in its sample order, and the tied answer that
    occurs first in that pooled order wins. None when no sample has an answer.
    """
    pooled: list[str | None] = []
    for model in model_priority(samples, validation_accuracy):
        pooled.extend(samples[model])
    if not pooled:
        raise ValueError("agent_forest needs at least one sample")
    return majority(pooled)[0]


def oracle(correct_flags: Iterable[bool] | Mapping[str, Iterable[bool]]) -> bool:
    """Upper bound: the question counts as solved if any sample (of any model) is correct.

    Accepts a flat iterable of flags or a mapping from model to its flags.
    """
    if isinstance(correct_flags, Mapping):
        return any(bool(f) for flags in correct_flags.values() for f in flags)
    return any(bool(f) for f in correct_flags)
