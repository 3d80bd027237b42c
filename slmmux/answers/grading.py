"""The grading stage: raw samples + questions -> graded samples (see ``docs/dataflow.md``).

For each sample the flexible and strict answers are extracted; identical ``(answer, gold)`` pairs
are graded once (symbolic checks run in a :class:`~slmmux.answers.pool.WorkerPool` of ``workers``
processes with ``timeout`` seconds each). ``answer_key`` is :func:`slmmux.answers.keys.answer_key` of the
flexible answer (per answer, so keys agree across files, models and seeds).
"""

from __future__ import annotations

import logging
import time

import polars as pl

from slmmux.answers.equivalence import equivalent_many
from slmmux.answers.extract import extract_answer
from slmmux.answers.keys import answer_keys
from slmmux.answers.pool import DEFAULT_TIMEOUT, WorkerPool

log = logging.getLogger(__name__)

JOIN_COLUMNS = ["benchmark", "split", "question_id"]
_CHUNK = 2000


class MissingQuestionError(ValueError):
    """A sample refers to a question that is not in the questions table."""


def _grade_unique(pairs: list[tuple[str | None, str]], benchmark: str, pool: WorkerPool) -> dict:
    verdicts: dict = {}
    start = last_log = time.monotonic()
    for lo in range(0, len(pairs), _CHUNK):
        chunk = pairs[lo : lo + _CHUNK]
        for pair, v in zip(chunk, equivalent_many(chunk, benchmark, pool=pool)):
            verdicts[pair] = v
        now = time.monotonic()
        if now - last_log > 10 or (lo + _CHUNK >= len(pairs) and now - start > 10):
            log.info("%s: graded %d/%d distinct (answer, gold) pairs in %.0f s", benchmark,
                     min(lo + _CHUNK, len(pairs)), len(pairs), now - start)
            last_log = now
    return verdicts


def grade_samples(raw: pl.DataFrame, questions: pl.DataFrame, workers: int = 2,
                  timeout: float = DEFAULT_TIMEOUT) -> pl.DataFrame:
    """Add ``answer, answer_key, correct, strict_answer, strict_correct`` to a raw samples table.

    Gold answers are joined by ``(benchmark, split, question_id)``; a sample whose question is
    missing raises :class:`MissingQuestionError`. ``correct`` is False when ``answer`` is None.
    """
    gold = questions.select(*JOIN_COLUMNS, pl.col("gold").alias("_gold")).unique(JOIN_COLUMNS, keep="first")
    df = raw.join(gold, on=JOIN_COLUMNS, how="left", maintain_order="left")
    missing = df.filter(pl.col("_gold").is_null())
    if missing.height:
        ex = missing.row(0, named=True)
        raise MissingQuestionError(
            f"{missing.height} sample(s) refer to questions missing from the questions table, e.g. "
            f"({ex['benchmark']}, {ex['split']}, {ex['question_id']})")
    texts = df["text"].to_list()
    benches = df["benchmark"].to_list()
    golds = df["_gold"].to_list()
    answers = [extract_answer(t, b, "flexible") if t else None for t, b in zip(texts, benches)]
    stricts = [extract_answer(t, b, "strict") if t else None for t, b in zip(texts, benches)]
    keys: list = [None] * len(answers)
    correct = [False] * len(answers)
    strict_correct = [False] * len(answers)
    with WorkerPool(max(1, workers), timeout) as pool:
        for bench in sorted(set(benches)):
            idx = [i for i, b in enumerate(benches) if b == bench]
            for i, k in zip(idx, answer_keys([answers[i] for i in idx], bench, pool)):
                keys[i] = k
            pairs = {(answers[i], golds[i]) for i in idx if answers[i] is not None}
            pairs |= {(stricts[i], golds[i]) for i in idx if stricts[i] is not None}
            log.info("%s: %d samples, %d distinct (answer, gold) pairs to grade", bench, len(idx), len(pairs))
            verdicts = _grade_unique(sorted(pairs), bench, pool)
            for i in idx:
                if answers[i] is not None:
                    correct[i] = verdicts[(answers[i], golds[i])]
                if stricts[i] is not None:
                    strict_correct[i] = verdicts[(stricts[i], golds[i])]
        if pool.timeouts:
            log.warning("%d symbolic check(s) ran past %.1f s and counted as not equivalent", pool.timeouts, timeout)
    return df.drop("_gold").with_columns(
        pl.Series("answer", answers, dtype=pl.String),
        pl.Series("answer_key", keys, dtype=pl.String),
        pl.Series("correct", correct, dtype=pl.Boolean),
        pl.Series("strict_answer", stricts, dtype=pl.String),
        pl.Series("strict_correct", strict_correct, dtype=pl.Boolean),
    )


def accuracy_summary(graded: pl.DataFrame) -> pl.DataFrame:
    """Rows and accuracy (flexible and strict) per benchmark, model, split and decoding."""
    return (graded.group_by("benchmark", "model", "split", "decoding")
            .agg(rows=pl.len(), accuracy=pl.col("correct").mean(), strict_accuracy=pl.col("strict_correct").mean(),
                 no_answer=pl.col("answer").is_null().mean())
            .sort("benchmark", "model", "split", "decoding"))
