"""The three discussion baselines of the SLM-MUX paper (Table 1) as round-major multi-round protocols.

Every protocol takes the questions of one benchmark, the group's model keys (the agents, in order)
and an :class:`~slmmux.discussion.engine.Executor`, and returns a :class:`DiscussionResult`: every
reply (the transcript) and one :class:`Outcome` per question. Agents start from the benchmark's base
prompt (:func:`slmmux.prompts.build_messages`), so their answers are extracted like generation's.

Mixture-of-Agents (Wang et al. 2024, arXiv 2406.04692; togethercomputer/MoA)
    ``layers`` layers (default 3, the paper's MoA; 2 is its "MoA-Lite"): layers 1..L-1 are proposer
    layers in which every model answers; layer 1 sees the base prompt only, each later proposer sees
    the base prompt plus the aggregate-and-synthesize system message listing ALL previous-layer
    responses (as MoA's ``inject_references_to_messages`` does). Layer L is one aggregator model
    (default: the group's first model) synthesising the last proposer layer. Answer: the aggregator's.
    Calls per question: ``(L-1) * n_models + 1``.

LLM-Debate (Du et al. 2023, arXiv 2305.14325; composable-models/llm_multiagent_debate)
    One agent per model. Round 0: every agent answers the base prompt. Each of ``rounds`` debate
    rounds (default 2): every agent's own conversation grows by a user turn with the OTHER agents'
    answers of the previous round and the original problem again, and its new answer. Final answer:
    :func:`~slmmux.discussion.aggregate.majority_vote` of the last round. Calls per question:
    ``(rounds + 1) * n_models``. (The released ``gen_gsm.py`` runs ``rounds=2`` counting the
    initial answer, i.e. one debate round: ``rounds=1`` here.)

Multi-Agent Verification, BoN-MAV (Lifshitz et al. 2025, arXiv 2502.20379)
    Round 0: ``candidates_per_model`` candidate answers per model (default 1). Round 1: every aspect
    verifier (each verifier model x each aspect; default all group models x the 3 aspects of
    :data:`~slmmux.discussion.templates.MAV_ASPECTS`) judges every candidate with a binary approval.
    The candidate with most approvals wins (:func:`~slmmux.discussion.aggregate.mav_select`). Calls
    per question: ``n_candidates * (1 + n_verifiers)``.

Seeds: every call's seed is :func:`~slmmux.discussion.engine.call_seed` of (run seed, model,
question, method, round, agent[, candidate]), so it never depends on batch order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from slmmux.discussion import templates
from slmmux.discussion.aggregate import majority_vote, mav_select, parse_verdict
from slmmux.discussion.engine import Call, Executor, Reply, call_seed
from slmmux.vocabulary import DISCUSSION_METHODS

METHODS = DISCUSSION_METHODS
DEFAULT_LAYERS = 3  # MoA paper: 3 layers
DEFAULT_DEBATE_ROUNDS = 2  # Du et al.: two rounds of debate
DEFAULT_CANDIDATES_PER_MODEL = 1

BuildMessages = Callable[[dict, str], list[dict]]


@dataclass(frozen=True)
class AnswerTools:
    """How answers are read and graded: ``extract(text, benchmark)``, ``key(answer, benchmark)``
    (equivalent answers share a key), ``correct(answer, gold, benchmark)``."""

    extract: Callable[[str | None, str], str | None]
    key: Callable[[str | None, str], str | None]
    correct: Callable[[str | None, str, str], bool]


def default_answer_tools() -> AnswerTools:
    """Flexible extraction, voting keys and grading of :mod:`slmmux.answers`."""
    from slmmux.answers import answer_key, answers_equivalent, extract_answer

    return AnswerTools(
        extract=lambda text, b: extract_answer(text, b, "flexible") if text is not None else None,
        key=answer_key,
        correct=lambda answer, gold, b: answer is not None and gold is not None and answers_equivalent(answer, gold, b),
    )


def default_build_messages(row: dict, benchmark: str) -> list[dict]:
    from slmmux.prompts import build_messages

    return build_messages(row, benchmark)


@dataclass(frozen=True)
class Outcome:
    question_id: str
    answer: str | None
    answer_key: str | None
    selected_model: str | None
    confidence: float | None


@dataclass
class DiscussionResult:
    method: str
    replies: list[Reply]
    outcomes: list[Outcome]


def _task_text(base: list[dict]) -> str:
    """The base prompt's user content (the problem with its answer format)."""
    users = [m["content"] for m in base if m.get("role") == "user"]
    if not users:
        raise ValueError("the base prompt has no user message")
    return users[-1]


def _check_common(questions: Sequence[dict], models: Sequence[str], executor: Executor) -> None:
    if not models:
        raise ValueError("a discussion needs at least one model")
    missing = [m for m in models if m not in executor.models]
    if missing:
        raise ValueError(f"models {missing} are not in the executor's group {list(executor.models)}")
    ids = [q["question_id"] for q in questions]
    if len(set(ids)) != len(ids):
        raise ValueError("question ids must be distinct")


def inject_references(base: list[dict], responses: list[str], system_role: bool = True) -> list[dict]:
    """MoA's aggregate-and-synthesize input: the base conversation with the responses listed in a
    system message (appended to an existing one), or, with ``system_role=False`` (chat templates that
    reject the system role, e.g. Gemma 2), prefixed to the first user turn."""
    text = templates.fill("moa_aggregate", {"responses": templates.numbered(responses)})
    msgs = [dict(m) for m in base]
    if system_role:
        if msgs and msgs[0]["role"] == "system":
            msgs[0]["content"] = msgs[0]["content"] + "\n\n" + text
        else:
            msgs.insert(0, {"role": "system", "content": text})
    else:
        first_user = next(i for i, m in enumerate(msgs) if m["role"] == "user")
        msgs[first_user]["content"] = text + "\n\n" + msgs[first_user]["content"]
    return msgs


def run_moa(questions: Sequence[dict], benchmark: str, models: Sequence[str], executor: Executor, run_seed: int,
            tools: AnswerTools, *, layers: int = DEFAULT_LAYERS, aggregator: str | None = None,
            system_role: bool = True, build_messages: BuildMessages = default_build_messages) -> DiscussionResult:
    _check_common(questions, models, executor)
    if layers < 2:
        raise ValueError(f"MoA needs at least 2 layers (proposers, then the aggregator), not {layers}")
    aggregator = aggregator or models[0]
    if aggregator not in executor.models:
        raise ValueError(f"aggregator {aggregator!r} is not in the group {list(executor.models)}")
    bases = {q["question_id"]: build_messages(q, benchmark) for q in questions}
    replies: list[Reply] = []
    previous: dict[str, list[str]] = {}
    for layer in range(layers - 1):
        calls = []
        for q in questions:
            qid = q["question_id"]
            msgs = bases[qid] if layer == 0 else inject_references(bases[qid], previous[qid], system_role)
            for a, m in enumerate(models):
                calls.append(Call(qid, layer, a, m, "proposer", msgs, call_seed(run_seed, m, qid, "moa", layer, a)))
        got = executor.run(calls)
        replies.extend(got)
        previous = {q["question_id"]: [] for q in questions}
        for r in got:
            if r.ok:
                previous[r.call.question_id].append(r.text)
    final_round = layers - 1
    calls = [Call(q["question_id"], final_round, 0, aggregator, "aggregator",
                  inject_references(bases[q["question_id"]], previous[q["question_id"]], system_role),
                  call_seed(run_seed, aggregator, q["question_id"], "moa", final_round, 0))
             for q in questions]
    got = executor.run(calls)
    replies.extend(got)
    outcomes = []
    for r in got:
        answer = tools.extract(r.text, benchmark)
        outcomes.append(Outcome(r.call.question_id, answer, tools.key(answer, benchmark), aggregator, None))
    return DiscussionResult("moa", replies, outcomes)


def run_debate(questions: Sequence[dict], benchmark: str, models: Sequence[str], executor: Executor, run_seed: int,
               tools: AnswerTools, *, rounds: int = DEFAULT_DEBATE_ROUNDS,
               build_messages: BuildMessages = default_build_messages) -> DiscussionResult:
    _check_common(questions, models, executor)
    if len(models) < 2:
        raise ValueError("a debate needs at least two agents (models)")
    if rounds < 0:
        raise ValueError(f"rounds must be >= 0, not {rounds}")
    # histories[qid][agent]: the agent's own growing conversation
    histories: dict[str, list[list[dict]]] = {}
    tasks: dict[str, str] = {}
    for q in questions:
        base = build_messages(q, benchmark)
        tasks[q["question_id"]] = _task_text(base)
        histories[q["question_id"]] = [[dict(m) for m in base] for _ in models]
    replies: list[Reply] = []
    last: dict[str, list[Reply]] = {}
    for rnd in range(rounds + 1):
        calls = []
        for q in questions:
            qid = q["question_id"]
            for a, m in enumerate(models):
                hist = histories[qid][a]
                if rnd > 0:
                    others = [r.text for j, r in enumerate(last[qid]) if j != a and r.ok]
                    hist.append({"role": "user", "content": templates.fill(
                        "debate_followup", {"responses": templates.fenced(others), "task": tasks[qid]})})
                calls.append(Call(qid, rnd, a, m, "debater", [dict(x) for x in hist],
                                  call_seed(run_seed, m, qid, "debate", rnd, a)))
        got = executor.run(calls)
        replies.extend(got)
        last = {q["question_id"]: [] for q in questions}
        for r in got:
            last[r.call.question_id].append(r)
            histories[r.call.question_id][r.call.agent].append({"role": "assistant", "content": r.text or ""})
    outcomes = []
    for q in questions:
        qid = q["question_id"]
        answers = [tools.extract(r.text, benchmark) for r in last[qid]]
        keys = [tools.key(a, benchmark) for a in answers]
        vote = majority_vote(keys)
        answer = answers[vote.winner] if vote.winner is not None else None
        outcomes.append(Outcome(qid, answer, vote.key, None, vote.share))
    return DiscussionResult("debate", replies, outcomes)


def run_mav(questions: Sequence[dict], benchmark: str, models: Sequence[str], executor: Executor, run_seed: int,
            tools: AnswerTools, *, candidates_per_model: int = DEFAULT_CANDIDATES_PER_MODEL,
            aspects: Sequence[str] = templates.MAV_ASPECTS, verifier_models: Sequence[str] | None = None,
            build_messages: BuildMessages = default_build_messages) -> DiscussionResult:
    _check_common(questions, models, executor)
    if candidates_per_model < 1:
        raise ValueError(f"candidates_per_model must be >= 1, not {candidates_per_model}")
    verifier_models = list(verifier_models or models)
    unknown = [m for m in verifier_models if m not in executor.models]
    if unknown:
        raise ValueError(f"verifier models {unknown} are not in the group {list(executor.models)}")
    bad = [a for a in aspects if a not in templates.MAV_ASPECTS]
    if bad or not aspects:
        raise ValueError(f"aspects must be a non-empty subset of {templates.MAV_ASPECTS}, got {list(aspects)}")
    verifiers = [(m, a) for m in verifier_models for a in aspects]
    bases = {q["question_id"]: build_messages(q, benchmark) for q in questions}
    # round 0: candidates; candidate index = model index * candidates_per_model + sample
    calls = []
    for q in questions:
        qid = q["question_id"]
        for i, m in enumerate(models):
            for s in range(candidates_per_model):
                c = i * candidates_per_model + s
                calls.append(Call(qid, 0, c, m, "candidate", bases[qid], call_seed(run_seed, m, qid, "mav", 0, c)))
    cand = executor.run(calls)
    replies: list[Reply] = list(cand)
    per_q: dict[str, list[Reply]] = {q["question_id"]: [] for q in questions}
    for r in cand:
        per_q[r.call.question_id].append(r)
    # round 1: every verifier judges every candidate that produced text
    calls = []
    for q in questions:
        qid = q["question_id"]
        task = _task_text(bases[qid])
        for r in per_q[qid]:
            if not r.ok:
                continue
            for v, (m, aspect) in enumerate(verifiers):
                msgs = [{"role": "user", "content": templates.fill(f"mav_{aspect}", {"task": task, "candidate": r.text})}]
                calls.append(Call(qid, 1, v, m, "verifier", msgs,
                                  call_seed(run_seed, m, qid, "mav", 1, v, extra=f"/candidate{r.call.agent}"),
                                  aspect=aspect, target=r.call.agent))
    judged = executor.run(calls) if calls else []
    replies.extend(judged)
    approvals: dict[tuple[str, int], int] = {}
    for r in judged:
        k = (r.call.question_id, r.call.target)
        approvals[k] = approvals.get(k, 0) + (1 if parse_verdict(r.text) else 0)
    outcomes = []
    for q in questions:
        qid = q["question_id"]
        cands = per_q[qid]
        answers = [tools.extract(r.text, benchmark) for r in cands]
        keys = [tools.key(a, benchmark) for a in answers]
        sel = mav_select([approvals.get((qid, r.call.agent), 0) for r in cands], keys, len(verifiers))
        if sel.winner is None:
            outcomes.append(Outcome(qid, None, None, None, None))
        else:
            w = sel.winner
            outcomes.append(Outcome(qid, answers[w], keys[w], cands[w].call.model, sel.share))
    return DiscussionResult("mav", replies, outcomes)


def run_method(method: str, questions: Sequence[dict], benchmark: str, models: Sequence[str], executor: Executor,
               run_seed: int, tools: AnswerTools, *, rounds: int | None = None, **options) -> DiscussionResult:
    """Dispatch to a protocol. ``rounds`` is MoA's number of layers, LLM-Debate's number of debate
    rounds after the initial answer; MAV has a fixed two rounds and rejects it."""
    if method == "moa":
        return run_moa(questions, benchmark, models, executor, run_seed, tools,
                       layers=DEFAULT_LAYERS if rounds is None else rounds, **options)
    if method == "debate":
        return run_debate(questions, benchmark, models, executor, run_seed, tools,
                          rounds=DEFAULT_DEBATE_ROUNDS if rounds is None else rounds, **options)
    if method == "mav":
        if rounds is not None:
            raise ValueError("MAV has a fixed two rounds (candidates, then verification): --rounds does not apply")
        return run_mav(questions, benchmark, models, executor, run_seed, tools, **options)
    raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
