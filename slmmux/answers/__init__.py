"""Answers: extraction, equivalence, voting keys and the grading stage (this module only re-exports).

Extraction (:func:`extract_answer`, :func:`last_boxed`; see :mod:`.extract`)
    Per benchmark, a chain of small filters; ``strict`` uses only the prompt's answer format,
    ``flexible`` falls back to robust patterns. The grading stage stores both.

Equivalence (:func:`is_correct`, :func:`answers_equivalent`, :func:`equivalent_many`; see :mod:`.equivalence`)
    Whether an answer equals the gold answer, per benchmark, within a time bound; symbolic MATH checks
    run in the bounded worker pool (:mod:`.pool`, :class:`WorkerPool`).

Voting keys (:func:`answer_key`, :func:`answer_keys`; see :mod:`.keys`)
    Equivalent answers get one key so they vote together.

Grading (:func:`grade_samples`, :func:`accuracy_summary`; see :mod:`.grading`)
    The stage that turns raw samples into graded samples.

Verdicts and keys are cached (:mod:`.cache`, :func:`clear_cache`). Normalisation is :mod:`.normalize`.
"""

from slmmux.answers.cache import clear_cache
from slmmux.answers.equivalence import MAX_SYMBOLIC_CHARS, answers_equivalent, equivalent_many, is_correct
from slmmux.answers.extract import MAX_ANSWER_CHARS, MAX_COMPLETION_CHARS, extract_answer, last_boxed, last_number
from slmmux.answers.grading import MissingQuestionError, accuracy_summary, grade_samples
from slmmux.answers.keys import answer_key, answer_keys
from slmmux.answers.normalize import normalize_gpqa, normalize_gsm8k, normalize_math, number_key, parse_number
from slmmux.answers.pool import DEFAULT_TIMEOUT, WorkerPool
from slmmux.vocabulary import BENCHMARKS

__all__ = [
    "extract_answer", "last_boxed", "last_number", "normalize_math", "normalize_gsm8k", "normalize_gpqa",
    "parse_number", "number_key", "is_correct", "answers_equivalent", "equivalent_many", "answer_key",
    "answer_keys", "WorkerPool", "DEFAULT_TIMEOUT", "clear_cache", "MAX_SYMBOLIC_CHARS",
    "MAX_ANSWER_CHARS", "MAX_COMPLETION_CHARS", "grade_samples", "accuracy_summary", "MissingQuestionError",
    "BENCHMARKS",
]
