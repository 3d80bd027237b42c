"""A backend for any OpenAI-compatible chat-completions server (vllm serve, SGLang, llama.cpp server,
hosted APIs), over httpx with asyncio.

One request per conversation asks for ``n`` completions with the conversation's ``seed`` (servers
that honour seeds then reproduce samples) and ``logprobs``. Requests run with bounded concurrency and
are retried with exponential backoff (honouring ``Retry-After``) on 429, 5xx, timeouts and dropped
connections. The API key is read from the environment variable whose *name* is given; neither the key
nor its value ever enters logs or provenance: every error text a server sends back (which may echo the
request's headers) is redacted before it reaches an exception, and so ``failures.json``, the job log
and the provenance sidecar. ``request_timeout`` is a total deadline for each request, not only the
gap between bytes: a server trickling an answer cannot hold a request forever.
"""

from __future__ import annotations

import asyncio
import os
import queue
import random
import re
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx

from slmmux.generate.base import (
    ChatRequest,
    Completion,
    GenerationError,
    ModelSpec,
    QuestionError,
    SamplingSpec,
    StreamingBackend,
)

RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
REDACTED = "[REDACTED]"
# header values that carry credentials, wherever a server echoes them (JSON, text, repr)
_CREDENTIAL = re.compile(
    r"(?i)((?:authorization|proxy-authorization|x-api-key|api-key|cookie)[\"']?\s*[:=]\s*[\"']?)[^\"'\r\n,}]*")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")


class OpenAIBackend(StreamingBackend):
    """A :class:`~slmmux.generate.base.ChatBackend` over ``POST {base_url}/chat/completions``."""

    def __init__(self, model: ModelSpec, base_url: str = "http://127.0.0.1:8000/v1", api_key_env: str | None = None,
                 concurrency: int = 8, request_timeout: float = 600.0, max_retries: int = 5, backoff: float = 1.0,
                 logprobs: bool = True, served_model_name: str | None = None, check_server: bool = True,
                 transport: httpx.AsyncBaseTransport | None = None):
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, not {concurrency}")
        if request_timeout <= 0:
            raise ValueError(f"request timeout must be > 0, not {request_timeout}")
        self.spec = model
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.username is not None or parts.password is not None:
            # not echoed: the URL holds a credential
            raise GenerationError("base URL must not hold credentials (user:key@); name the key's variable in --api-key-env")
        if parts.scheme not in ("http", "https"):
            raise GenerationError(f"base URL must start with http:// or https://, not {base_url!r}")
        if api_key_env is not None and not ENV_NAME.fullmatch(api_key_env):
            # not echoed either: this is most likely the key itself, pasted where its variable's name belongs
            raise GenerationError("--api-key-env takes the NAME of an environment variable (letters, digits, _), "
                                  "not the key itself")
        self.api_key_env = api_key_env
        self.headers = {"Content-Type": "application/json"}
        self._secrets: list[str] = []
        if api_key_env:
            key = os.environ.get(api_key_env)
            if not key:
                raise GenerationError(f"environment variable {api_key_env} (named by --api-key-env) is not set")
            self.headers["Authorization"] = f"Bearer {key}"
            self._secrets.append(key)
        self.concurrency = concurrency
        self.timeout = request_timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.logprobs = logprobs
        self.model_name = served_model_name or model.model
        self.transport = transport
        self.retries = 0  # retried requests, for provenance
        if check_server:
            self.check_server()

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(headers=self.headers, timeout=self.timeout, transport=self.transport)

    def redact(self, text: str) -> str:
        """``text`` (a server's error body, an exception) without the key or any credential header value."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = _CREDENTIAL.sub(lambda m: m.group(1) + REDACTED, text)
        return _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)

    def check_server(self) -> None:
        """Fail early, naming the URL, when the server cannot be reached."""

        deadline = min(self.timeout, 30.0)

        async def probe() -> None:
            async with self._client() as client:
                await asyncio.wait_for(client.get(f"{self.base_url}/models", timeout=deadline), deadline)

        try:
            asyncio.run(probe())
        except (httpx.TransportError, TimeoutError) as exc:
            raise GenerationError(f"OpenAI-compatible server at {self.base_url} is unreachable: "
                                  f"{self._describe_failure(exc, deadline)}") from None

    def _payload(self, conversation, sampling: SamplingSpec, seed: int) -> dict:
        body = {"model": self.model_name, "messages": conversation, "n": sampling.n,
                "temperature": sampling.temperature, "top_p": sampling.top_p,
                "max_tokens": sampling.max_tokens, "seed": int(seed)}
        if self.logprobs:
            body["logprobs"] = True
        return body

    def _parse(self, data: dict, n: int, label: str) -> list[Completion]:
        choices = sorted(data.get("choices") or [], key=lambda c: c.get("index", 0))
        if len(choices) != n:
            raise QuestionError(-1, f"{label}: server returned {len(choices)} choices, expected n={n} "
                                    f"(does it support n > 1?)")
        usage = data.get("usage") or {}
        prompt_tokens = int(usage.get("prompt_tokens") or 0)
        total_completion = usage.get("completion_tokens")
        out = []
        for j, ch in enumerate(choices):
            content = (ch.get("message") or {}).get("content") or ""
            for secret in self._secrets:  # a server echoing the request's headers into a completion
                content = content.replace(secret, REDACTED)
            lp = ((ch.get("logprobs") or {}).get("content")) or None
            if lp:
                n_tok = len(lp)
                mean = sum(float(t["logprob"]) for t in lp) / n_tok
            else:
                mean = None
                # Without per-token logprobs a choice's own count is unknown when n > 1: share the total.
                n_tok = int(total_completion or 0) // n + (1 if j < int(total_completion or 0) % n else 0)
            out.append(Completion(text=content, prompt_tokens=prompt_tokens, completion_tokens=n_tok,
                                  finish_reason=str(ch.get("finish_reason") or "unknown"), mean_logprob=mean))
        return out

    async def _one(self, client: httpx.AsyncClient, sem: asyncio.Semaphore, body: dict, label: str) -> list[Completion]:
        url = f"{self.base_url}/chat/completions"
        attempt = 0
        while True:
            wait = self.backoff * (2 ** attempt) * (1 + 0.1 * random.random())
            try:
                async with sem:
                    # the whole request, not only each read, is bounded
                    resp = await asyncio.wait_for(client.post(url, json=body), self.timeout)
                if resp.status_code == 200:
                    return self._parse(resp.json(), body["n"], label)
                if resp.status_code not in RETRY_STATUS or attempt >= self.max_retries:
                    raise QuestionError(-1, f"{label}: server at {self.base_url} answered HTTP {resp.status_code}: "
                                            f"{self.redact(resp.text)[:300]}")
                retry_after = resp.headers.get("retry-after")
                if retry_after:
                    try:
                        wait = max(wait, min(float(retry_after), 120.0))
                    except ValueError:
                        pass
            except (httpx.TransportError, TimeoutError) as exc:  # timeouts, refused or dropped connections
                if attempt >= self.max_retries:
                    raise QuestionError(-1, f"{label}: request to {url} failed after {attempt + 1} attempt(s): "
                                            f"{self._describe_failure(exc, self.timeout)}") from None
            attempt += 1
            self.retries += 1
            await asyncio.sleep(wait)

    def _describe_failure(self, exc: BaseException, deadline: float) -> str:
        if isinstance(exc, TimeoutError) and not str(exc):
            return f"TimeoutError: no complete answer within {deadline:g} s"
        return self.redact(f"{type(exc).__name__}: {exc}")

    def stream(self, requests: list[ChatRequest]) -> Iterator[tuple[int, list[Completion] | Exception]]:
        """Send every request (at most ``concurrency`` in flight); yield ``(index, completions)`` as each
        finishes, a failed request's :class:`QuestionError` in place of its completions.

        The requests run on an event loop in a helper thread, so the caller checkpoints between
        yields while the next requests are already in flight: no batch waits for its slowest request
        (as one call per checkpoint chunk would). A caller that stops early (or fails) cancels the
        requests still running, and the thread has ended when the generator is closed.
        """
        finished: queue.Queue = queue.Queue()
        done = object()
        state: dict = {}

        async def run_all() -> None:
            state["loop"] = asyncio.get_running_loop()
            sem = asyncio.Semaphore(self.concurrency)
            async with self._client() as client:
                async def one(i: int, req: ChatRequest) -> None:
                    try:
                        res = await self._one(client, sem, self._payload(req.conversation, req.sampling, req.seed),
                                              req.label)
                    except QuestionError as exc:
                        exc.index, res = i, exc
                    except Exception as exc:  # e.g. a 200 answer that is not JSON: this request alone
                        res = QuestionError(i, f"{req.label}: {type(exc).__name__}: {self.redact(str(exc))[:300]}")
                    finished.put((i, res))

                state["tasks"] = [asyncio.create_task(one(i, r)) for i, r in enumerate(requests)]
                await asyncio.gather(*state["tasks"], return_exceptions=True)

        def thread_main() -> None:
            try:
                asyncio.run(run_all())
            except BaseException as exc:  # handed to the caller, not lost in the thread
                finished.put((None, exc))
            finally:
                finished.put((None, done))

        thread = threading.Thread(target=thread_main, name="openai-stream", daemon=True)
        thread.start()
        try:
            while True:
                i, res = finished.get()
                if i is None:
                    if res is done:
                        return
                    raise res
                yield i, res
        finally:
            loop, tasks = state.get("loop"), state.get("tasks", [])
            if thread.is_alive() and loop is not None:
                try:
                    loop.call_soon_threadsafe(lambda: [t.cancel() for t in tasks])
                except RuntimeError:  # the loop closed meanwhile
                    pass
            thread.join(timeout=30)

    def describe(self) -> dict:
        from slmmux.generate.provenance import library_versions

        return {
            "backend": "openai",
            "base_url": self.base_url,
            "model": self.model_name,
            "revision": self.spec.revision,
            "api_key_env": self.api_key_env,  # the variable's name only
            "concurrency": self.concurrency,
            "request_timeout": self.timeout,
            "max_retries": self.max_retries,
            "retried_requests": self.retries,
            "device": f"remote server at {self.base_url}",
            "versions": library_versions(),
        }

    def close(self) -> None:
        return None
