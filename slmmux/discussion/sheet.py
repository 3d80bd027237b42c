"""Reading a model sheet (YAML or JSON) into :class:`~slmmux.generate.base.ModelSpec` s.

Accepted shapes: a mapping ``key -> {model, revision, tensor_parallel_size, dtype, max_model_len,
gpu_memory_utilization, enforce_eager}``, or a config with a top-level ``models:`` mapping of the same
shape. Other keys (of the file or of an entry) are ignored; ``model`` is required.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

from slmmux.generate.base import ModelSpec

_SPEC_FIELDS = {f.name for f in fields(ModelSpec)} - {"key"}


def load_model_sheet(path: str | Path) -> dict[str, ModelSpec]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model sheet not found: {path}")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:
        raise ValueError(f"model sheet {path} is not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("models"), dict):
        data = data["models"]
    if not isinstance(data, dict):
        raise ValueError(f"model sheet {path}: expected a mapping of model keys (or a top-level 'models:' mapping)")
    specs: dict[str, ModelSpec] = {}
    for key, entry in data.items():
        if not isinstance(entry, dict):
            continue  # not a model entry (e.g. a scalar setting beside the models)
        if "model" not in entry:
            raise ValueError(f"model sheet {path}: entry {key!r} has no 'model'")
        kwargs = {k: v for k, v in entry.items() if k in _SPEC_FIELDS}
        specs[str(key)] = ModelSpec(key=str(key), **kwargs)
    return specs


def pick_models(sheet: dict[str, ModelSpec], keys: list[str]) -> list[ModelSpec]:
    missing = [k for k in keys if k not in sheet]
    if missing:
        raise ValueError(f"model keys not in the model sheet: {', '.join(missing)} (known: {', '.join(sorted(sheet))})")
    return [sheet[k] for k in keys]
