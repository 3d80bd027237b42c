"""Round-major execution of multi-round discussions over chat backends.

A protocol builds, for one round, the list of :class:`Call` s of every question and agent; the
:class:`Executor` runs them round-major: for each model of the group in turn, ONE batched
``backend.chat`` call over all that model's calls of the round (every question, every agent the model
plays). So a model is loaded at most once per round, and vLLM batches across questions.

In-process engines (``engines``: the model keys whose backend loads the model into the job's devices,
i.e. vLLM) are open one at a time: opening one closes the other, so a job never holds more than one
model's weights and KV cache, and never needs more devices than its largest model. Each round starts
with the engine still open from the previous round (the order of a round's batches does not change
its replies), so a round over n engine models costs n - 1 engine starts after the first. Other backends
(OpenAI-compatible servers, replay) stay open for the run (``keep_loaded=True``, the default), or
are opened before a model's batch and closed right after it (``keep_loaded=False``).

Every call yields a :class:`Reply`; a call the backend cannot generate (e.g. its prompt, which grows
with the discussion, exceeds the context length) yields a reply with ``text=None`` and
``finish_reason="error: ..."`` instead of failing the whole run, and counts as "no answer".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from slmmux.generate.base import ChatBackend, Completion, QuestionError, SamplingSpec, question_seed

ROLES = ("proposer", "aggregator", "debater", "candidate", "verifier")


def call_seed(run_seed: int, model: str, question_id: str, method: str, round_: int, agent: int, extra: str = "") -> int:
    """The sampling seed of one call: stable, and distinct per (method, round, agent[, extra])."""
    return question_seed(run_seed, model, question_id, salt=f"discussion/{method}/round{round_}/agent{agent}{extra}")


@dataclass(frozen=True)
class Call:
    """One agent turn: what the agent is shown (``messages``, the full conversation) and who it is."""

    question_id: str
    round: int
    agent: int
    model: str
    role: str
    messages: list[dict[str, str]]
    seed: int
    aspect: str | None = None  # MAV verifiers: the aspect checked
    target: int | None = None  # MAV verifiers: the candidate judged

    def messages_json(self) -> str:
        return json.dumps(self.messages, ensure_ascii=False)


@dataclass(frozen=True)
class Reply:
    call: Call
    text: str | None
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str

    @property
    def ok(self) -> bool:
        return self.text is not None


@dataclass
class Executor:
    """Runs rounds of calls, one batched ``chat`` per model and round, in the group's model order.

    ``open_model(key)`` opens the backend of a model key. ``batches`` logs ``(round, model, n_calls)``
    per ``chat`` request sent, ``opened`` every backend opening (both for tests and reports).
    """

    models: Sequence[str]
    open_model: Callable[[str], ChatBackend]
    sampling: SamplingSpec
    keep_loaded: bool = True
    engines: frozenset[str] = frozenset()
    batches: list[tuple[int, str, int]] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)
    _open: dict[str, ChatBackend] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.sampling.n != 1:
            raise ValueError("discussion calls draw one completion per call: sampling.n must be 1")
        if len(set(self.models)) != len(self.models):
            raise ValueError(f"model keys must be distinct, got {list(self.models)}")
        self.engines = frozenset(self.engines)
        if not self.engines <= set(self.models):
            raise ValueError(f"engine models outside the group: {sorted(self.engines - set(self.models))}")

    def _backend(self, model: str) -> ChatBackend:
        if model not in self._open:
            if model in self.engines:  # one engine on the job's devices at a time
                for other in [m for m in self._open if m in self.engines]:
                    self._release(other)
            self._open[model] = self.open_model(model)
            self.opened.append(model)
        return self._open[model]

    def _release(self, model: str) -> None:
        backend = self._open.pop(model, None)
        if backend is not None:
            backend.close()

    def close(self) -> None:
        for model in list(self._open):
            self._release(model)

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def run(self, calls: Sequence[Call]) -> list[Reply]:
        """Replies to ``calls``, in the same order. All calls must belong to one round."""
        rounds = {c.round for c in calls}
        if len(rounds) > 1:
            raise ValueError(f"Executor.run takes the calls of one round, got rounds {sorted(rounds)}")
        unknown = {c.model for c in calls} - set(self.models)
        if unknown:
            raise ValueError(f"calls for models outside the group: {sorted(unknown)}")
        replies: list[Reply | None] = [None] * len(calls)
        loaded = [m for m in self.models if m in self._open and m in self.engines]
        for model in loaded + [m for m in self.models if m not in loaded]:
            idx = [i for i, c in enumerate(calls) if c.model == model]
            if not idx:
                continue
            backend = self._backend(model)
            try:
                results = self._chat(backend, [calls[i] for i in idx])
            finally:
                if not self.keep_loaded:
                    self._release(model)
            for i, r in zip(idx, results):
                replies[i] = r
        return replies  # type: ignore[return-value]

    def _chat(self, backend: ChatBackend, calls: list[Call]) -> list[Reply]:
        convs = [c.messages for c in calls]
        seeds = [c.seed for c in calls]
        self.batches.append((calls[0].round, calls[0].model, len(calls)))
        chat_each = getattr(backend, "chat_each", None)
        if callable(chat_each):
            labels = [f"{c.question_id} round {c.round} agent {c.agent} ({c.role})" for c in calls]
            results = chat_each(convs, self.sampling, seeds, labels)
        else:
            results = self._chat_retrying(backend, convs, seeds, calls[0].round, calls[0].model)
        out = []
        for c, r in zip(calls, results):
            if isinstance(r, Exception):
                out.append(Reply(c, None, 0, 0, f"error: {r}"))
            else:
                comp: Completion = r[0]
                out.append(Reply(c, comp.text, comp.prompt_tokens, comp.completion_tokens, comp.finish_reason))
        return out

    def _chat_retrying(self, backend: ChatBackend, convs: list, seeds: list[int], round_: int, model: str) -> list:
        """``chat`` over all conversations; a :class:`QuestionError` marks its conversation failed and
        the rest is sent again (same seeds, so the same completions)."""
        results: list = [None] * len(convs)
        todo = list(range(len(convs)))
        while todo:
            try:
                got = backend.chat([convs[i] for i in todo], self.sampling, [seeds[i] for i in todo])
            except QuestionError as exc:
                if not 0 <= exc.index < len(todo):
                    raise
                bad = todo.pop(exc.index)
                results[bad] = exc
                if todo:
                    self.batches.append((round_, model, len(todo)))
                continue
            for i, r in zip(todo, got):
                results[i] = r
            todo = []
        return results
