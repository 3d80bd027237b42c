"""Generation: chat backends (vLLM, OpenAI-compatible servers), replay of published completions,
and the resumable runner that writes the raw samples table with a provenance sidecar."""

from slmmux.generate.base import (
    ChatBackend,
    Completion,
    GenerationError,
    ModelSpec,
    QuestionError,
    SamplingSpec,
    question_seed,
)
from slmmux.generate.factory import open_backend

__all__ = [
    "ChatBackend", "Completion", "GenerationError", "ModelSpec", "QuestionError", "SamplingSpec",
    "open_backend", "question_seed",
]
