"""Discussion-based baselines of the SLM-MUX paper: Mixture-of-Agents, LLM-Debate and Multi-Agent
Verification, as round-major multi-round generation over the generation backends.

See ``docs/discussion.md`` for the protocols, their round counts and sources, the prompts
(``slmmux/discussion/prompts/*.txt``) and the cost accounting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from slmmux.discussion.aggregate import majority_vote, mav_select, parse_verdict
from slmmux.discussion.engine import Call, Executor, Reply, call_seed
from slmmux.discussion.protocols import (
    METHODS,
    AnswerTools,
    DiscussionResult,
    Outcome,
    default_answer_tools,
    run_debate,
    run_method,
    run_mav,
    run_moa,
)
from slmmux.discussion.tables import DECISIONS_SCHEMA, TRANSCRIPT_SCHEMA, decisions_table, transcript_table
from slmmux.generate.base import ChatBackend, SamplingSpec

__all__ = [
    "METHODS", "AnswerTools", "Call", "DiscussionResult", "Executor", "Outcome", "Reply",
    "DECISIONS_SCHEMA", "TRANSCRIPT_SCHEMA", "call_seed", "decisions_table", "default_answer_tools",
    "discuss", "majority_vote", "mav_select", "parse_verdict", "run_debate", "run_method", "run_mav",
    "run_moa", "transcript_table",
]


def discuss(method: str, questions: Sequence[dict], benchmark: str, group: str, models: Sequence[str],
            open_model: Callable[[str], ChatBackend], seed: int, sampling: SamplingSpec, *,
            keep_loaded: bool = True, engines: Sequence[str] = (), tools: AnswerTools | None = None,
            rounds: int | None = None, **options) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Run one protocol over ``questions`` and return ``(decisions, transcript)`` tables.

    ``open_model(key)`` opens the chat backend of a model key; ``engines`` are the keys whose backend
    is an in-process engine (at most one of them open at a time); ``options`` go to the protocol
    (MoA: ``aggregator``, ``system_role``; MAV: ``candidates_per_model``, ``aspects``,
    ``verifier_models``; all: ``build_messages``).
    """
    tools = tools or default_answer_tools()
    with Executor(list(models), open_model, sampling, keep_loaded=keep_loaded, engines=frozenset(engines)) as ex:
        result = run_method(method, questions, benchmark, list(models), ex, seed, tools, rounds=rounds, **options)
    return (decisions_table(result, questions, benchmark, group, seed, tools),
            transcript_table(result, benchmark, group, seed))
