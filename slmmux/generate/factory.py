"""Opening a chat backend by name: the one module that knows the concrete backends.

It lives apart from :mod:`slmmux.generate.base` (the interface) because the concrete backends import
the interface: the interface importing them back for a factory was an import loop.
"""

from __future__ import annotations

from slmmux.generate.base import ChatBackend, ModelSpec

BACKENDS = ("vllm", "openai")


def open_backend(name: str, model: ModelSpec, **options) -> ChatBackend:
    """Open a chat backend: ``"vllm"`` (in-process engine) or ``"openai"`` (OpenAI-compatible server).

    ``options`` go to the backend's constructor (openai: ``base_url``, ``api_key_env``,
    ``concurrency``, ``request_timeout``, ``max_retries``; vllm: ``logprobs``).
    Replay is not a chat backend: see :mod:`slmmux.generate.replay`.
    The backends are imported when opened, so that using one never imports the other's libraries.
    """
    if name == "vllm":
        from slmmux.generate.vllm_backend import VLLMBackend

        return VLLMBackend(model, **options)
    if name == "openai":
        from slmmux.generate.openai_backend import OpenAIBackend

        return OpenAIBackend(model, **options)
    raise ValueError(f"unknown backend {name!r}; expected one of {', '.join(BACKENDS)} (replay is not a chat backend)")
