"""The chat-backend interface every generation path shares.

A backend turns chat conversations into completions. It is used by the generation runner
(:mod:`slmmux.generate.runner`) and by the multi-round discussion baselines: both depend only on the
names defined here, never on a concrete backend. The concrete backends implement it; opening one by
name is :func:`slmmux.generate.factory.open_backend`.

Seeds: :func:`question_seed` derives the per-question sampling seed from the run seed, the model key
and the question id alone, so a question's samples never depend on batch order or restart point.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

@dataclass(frozen=True)
class SamplingSpec:
    """How to sample: ``n`` completions per conversation (one request per conversation)."""

    n: int  # samples per prompt
    temperature: float
    top_p: float = 1.0
    max_tokens: int = 512

    def __post_init__(self) -> None:
        if not isinstance(self.n, int) or self.n < 1:
            raise ValueError(f"SamplingSpec.n must be a positive integer, not {self.n!r}")
        if self.temperature < 0:
            raise ValueError(f"SamplingSpec.temperature must be >= 0, not {self.temperature!r}")
        if self.temperature == 0 and self.n != 1:
            raise ValueError(f"temperature 0 (greedy) gives identical samples: n must be 1, not {self.n}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"SamplingSpec.top_p must be in (0, 1], not {self.top_p!r}")
        if not isinstance(self.max_tokens, int) or self.max_tokens < 1:
            raise ValueError(f"SamplingSpec.max_tokens must be a positive integer, not {self.max_tokens!r}")

    @property
    def decoding(self) -> str:
        """``"greedy"`` at temperature 0, else ``"sampled"`` (the samples table's ``decoding``)."""
        return "greedy" if self.temperature == 0 else "sampled"


@dataclass(frozen=True)
class Completion:
    """One generated completion."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    mean_logprob: float | None  # mean log-probability of the chosen tokens; None if not available


@dataclass(frozen=True)
class ChatRequest:
    """One conversation to complete with ``sampling.n`` samples, seeded by ``seed``; ``label`` names it in errors."""

    conversation: list[dict[str, str]]
    sampling: SamplingSpec
    seed: int
    label: str


@dataclass(frozen=True)
class ModelSpec:
    """A model to load, as the model sheet describes it."""

    key: str  # filesystem-safe key from the model sheet
    model: str  # hub id or local directory
    revision: str | None = None
    tensor_parallel_size: int = 1
    dtype: str = "auto"
    max_model_len: int | None = None
    gpu_memory_utilization: float = 0.9  # on CPU vLLM: the fraction of host memory reserved
    enforce_eager: bool = False


@runtime_checkable
class ChatBackend(Protocol):
    def chat(self, conversations: list[list[dict[str, str]]], sampling: SamplingSpec,
             seeds: list[int]) -> list[list[Completion]]:
        """One list of ``sampling.n`` completions per conversation, in order; ``seeds[i]`` seeds
        conversation ``i``."""
        ...

    def describe(self) -> dict:
        """Provenance: backend, library versions, model id/revision, device."""
        ...

    def close(self) -> None:
        ...


class GenerationError(RuntimeError):
    """A generation request failed in a way the caller should report (names its cause)."""


class QuestionError(GenerationError):
    """One conversation cannot be generated (e.g. its prompt exceeds the context length)."""

    def __init__(self, index: int, message: str):
        super().__init__(message)
        self.index = index


class IsolatingBackend(ABC):
    """A backend whose :meth:`chat_each` isolates failures per conversation (a failed conversation's
    slot holds its :class:`QuestionError`); :meth:`chat` is the all-or-nothing form of it.

    A :class:`StreamingBackend` also offers ``stream(requests)``: every :class:`ChatRequest` submitted
    at once, and ``(index, completions or exception)`` yielded as each request finishes, in finishing
    order. The generation runner checkpoints from that stream, so checkpoints never wait for a batch
    to drain.
    """

    @abstractmethod
    def chat_each(self, conversations: list[list[dict[str, str]]], sampling: SamplingSpec, seeds: list[int],
                  labels: list[str] | None = None) -> list[list[Completion] | Exception]:
        """One list of completions, or the exception that stopped it, per conversation."""

    def chat(self, conversations: list[list[dict[str, str]]], sampling: SamplingSpec,
             seeds: list[int]) -> list[list[Completion]]:
        results = self.chat_each(conversations, sampling, seeds)
        for r in results:
            if isinstance(r, Exception):
                raise r
        return results  # type: ignore[return-value]


class StreamingBackend(IsolatingBackend):
    """A backend that puts all requests in flight at once and yields each as it finishes
    (:meth:`stream`); :meth:`chat_each` is that stream collected in request order."""

    @abstractmethod
    def stream(self, requests: list[ChatRequest]) -> Iterator[tuple[int, list[Completion] | Exception]]:
        """``(index, completions or QuestionError)`` per request, in finishing order."""

    def chat_each(self, conversations: list[list[dict[str, str]]], sampling: SamplingSpec, seeds: list[int],
                  labels: list[str] | None = None) -> list[list[Completion] | Exception]:
        if len(seeds) != len(conversations):
            raise ValueError(f"{len(conversations)} conversations but {len(seeds)} seeds")
        labels = labels or [f"conversation {i}" for i in range(len(conversations))]
        results: list[list[Completion] | Exception | None] = [None] * len(conversations)
        for i, res in self.stream([ChatRequest(c, sampling, s, lab) for c, s, lab in zip(conversations, seeds, labels)]):
            results[i] = res
        missing = [labels[i] for i, r in enumerate(results) if r is None]
        if missing:
            raise GenerationError(f"no answer for {len(missing)} conversation(s), e.g. {missing[0]}")
        return results  # type: ignore[return-value]


def question_seed(run_seed: int, model_key: str, question_id: str, salt: str = "") -> int:
    """A stable 31-bit sampling seed from (run seed, model key, question id[, salt])."""
    payload = "\x1f".join([str(int(run_seed)), model_key, question_id, salt]).encode("utf-8")
    digest = hashlib.blake2b(payload, digest_size=8).digest()
    return int.from_bytes(digest, "big") & 0x7FFFFFFF
