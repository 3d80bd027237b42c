"""Reading a model sheet (YAML or JSON) into :class:`~slmmux.generate.base.ModelSpec` s.

The file is read by :func:`slmmux.config.read_model_sheet` (the one model-sheet reader): a mapping
``key -> {model, revision, tensor_parallel_size, dtype, max_model_len, gpu_memory_utilization,
enforce_eager}``, or a config with a top-level ``models:`` mapping of the same shape. Other keys (of
the file or of an entry) are ignored; ``model`` is required.

Each entry may also name its own backend (:func:`load_model_backends`): ``backend`` (vllm, openai or
replay; null = the run's default), ``base_url`` and ``api_key_env`` (openai), ``replay_file`` (replay).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from slmmux.config import read_model_sheet
from slmmux.generate.base import ModelSpec

_SPEC_FIELDS = {f.name for f in fields(ModelSpec)} - {"key"}


BACKENDS = ("vllm", "openai", "replay")


@dataclass(frozen=True)
class ModelBackend:
    """How to reach one model: its backend and that backend's settings from the sheet."""

    backend: str | None  # None: the run's default backend
    base_url: str | None = None
    api_key_env: str | None = None
    replay_file: str | None = None


def load_model_sheet(path: str | Path) -> dict[str, ModelSpec]:
    return {key: ModelSpec(key=key, **{k: v for k, v in entry.items() if k in _SPEC_FIELDS})
            for key, entry in read_model_sheet(path).items()}


def load_model_backends(path: str | Path) -> dict[str, ModelBackend]:
    """Each model's own backend settings (``backend: null`` or absent: the run's default)."""
    out: dict[str, ModelBackend] = {}
    for key, entry in read_model_sheet(path).items():
        backend = entry.get("backend")
        if backend is not None and backend not in BACKENDS:
            raise ValueError(f"model sheet {path}: entry {key!r} has backend {backend!r}, expected one of "
                             f"{', '.join(BACKENDS)}")
        out[key] = ModelBackend(backend, entry.get("base_url"), entry.get("api_key_env"), entry.get("replay_file"))
    return out


def pick_models(sheet: dict[str, ModelSpec], keys: list[str]) -> list[ModelSpec]:
    missing = [k for k in keys if k not in sheet]
    if missing:
        raise ValueError(f"model keys not in the model sheet: {', '.join(missing)} (known: {', '.join(sorted(sheet))})")
    return [sheet[k] for k in keys]
