"""The two output tables of a discussion run.

Transcript (one row per call, :data:`TRANSCRIPT_SCHEMA`): ``messages`` is the full input of the call
as a JSON string (exactly what the agent was shown), ``text`` its reply (null if the call failed),
``seed`` the run seed, ``call_seed`` the call's sampling seed; ``aspect`` and ``target`` (the
candidate judged) are set for MAV verifiers, ``verdict`` is the verifier's parsed approval.

Decisions (one row per question, :data:`DECISIONS_SCHEMA`): the decisions format of
``docs/dataflow.md`` plus ``prompt_tokens`` and ``completion_tokens``, the totals over every call the
protocol made for the question (its whole cost), and ``calls``, their number.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from slmmux.discussion.aggregate import parse_verdict
from slmmux.discussion.protocols import AnswerTools, DiscussionResult
from slmmux.mux import DECISIONS_SCHEMA as MUX_DECISIONS_SCHEMA

TRANSCRIPT_SCHEMA: dict[str, pl.DataType] = {
    "benchmark": pl.String,
    "group": pl.String,
    "seed": pl.Int64,
    "method": pl.String,
    "question_id": pl.String,
    "round": pl.Int64,
    "agent": pl.Int64,
    "model": pl.String,
    "role": pl.String,
    "aspect": pl.String,
    "target": pl.Int64,
    "call_seed": pl.Int64,
    "messages": pl.String,
    "text": pl.String,
    "finish_reason": pl.String,
    "verdict": pl.Boolean,
    "prompt_tokens": pl.Int64,
    "completion_tokens": pl.Int64,
}

DECISIONS_SCHEMA: dict[str, pl.DataType] = {
    **MUX_DECISIONS_SCHEMA,  # the decisions format of docs/dataflow.md, plus the protocol's cost
    "prompt_tokens": pl.Int64,
    "completion_tokens": pl.Int64,
    "calls": pl.Int64,
}


def transcript_table(result: DiscussionResult, benchmark: str, group: str, seed: int) -> pl.DataFrame:
    rows = []
    for r in result.replies:
        c = r.call
        rows.append({
            "benchmark": benchmark, "group": group, "seed": seed, "method": result.method,
            "question_id": c.question_id, "round": c.round, "agent": c.agent, "model": c.model, "role": c.role,
            "aspect": c.aspect, "target": c.target, "call_seed": c.seed, "messages": c.messages_json(),
            "text": r.text, "finish_reason": r.finish_reason,
            "verdict": parse_verdict(r.text) if c.role == "verifier" else None,
            "prompt_tokens": r.prompt_tokens, "completion_tokens": r.completion_tokens,
        })
    return pl.DataFrame(rows, schema=TRANSCRIPT_SCHEMA)


def decisions_table(result: DiscussionResult, questions: Sequence[dict], benchmark: str, group: str, seed: int,
                    tools: AnswerTools) -> pl.DataFrame:
    gold = {q["question_id"]: q["gold"] for q in questions}
    cost: dict[str, list[int]] = {qid: [0, 0, 0] for qid in gold}
    for r in result.replies:
        t = cost[r.call.question_id]
        t[0] += r.prompt_tokens
        t[1] += r.completion_tokens
        t[2] += 1
    rows = []
    for o in result.outcomes:
        p, c, n = cost[o.question_id]
        rows.append({
            "benchmark": benchmark, "group": group, "seed": seed, "question_id": o.question_id,
            "method": result.method, "answer": o.answer, "answer_key": o.answer_key,
            "correct": bool(o.answer is not None and tools.correct(o.answer, gold[o.question_id], benchmark)),
            "selected_model": o.selected_model, "confidence": o.confidence,
            "prompt_tokens": p, "completion_tokens": c, "calls": n,
        })
    return pl.DataFrame(rows, schema=DECISIONS_SCHEMA)
