"""Workflow configuration: JSON-schema validation, defaults and the checks a schema cannot express.

The schemas live in ``workflow/schemas/`` (one for the config, one for the model sheet).
:func:`prepare_config` is the one validation path the workflow uses: it collects every schema
violation at once (Snakemake's ``validate`` stops at the first), fills defaults also for mapping
entries (``additionalProperties``: each benchmark, each model of the sheet), and runs
:func:`check_config`, so a bad config fails before any job starts, naming each offending field.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

from slmmux.data import BENCHMARKS, bundled_path

SEARCHED_GROUP = re.compile(r"^s(\d+)r(\d+)$")
TINY_MODEL_DIR = "resources/models"
TRAINED_MODEL_DIR = "models"  # tracked: the shipped weights of the models trained on arith (slmmux.training)


class ConfigError(ValueError):
    """The configuration is invalid; the message names every bad field."""


def load_schema(path: str | Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _resolve(node: dict, root: dict) -> dict:
    ref = node.get("$ref")
    if ref and ref.startswith("#/"):
        target = root
        for part in ref[2:].split("/"):
            target = target[part]
        merged = dict(target)
        merged.update({k: v for k, v in node.items() if k != "$ref"})
        return merged
    return node


def fill_defaults(instance: Any, schema: dict, root: dict | None = None) -> Any:
    """Return a copy of ``instance`` with schema defaults filled in, recursively."""
    root = root if root is not None else schema
    schema = _resolve(schema, root)
    if not isinstance(instance, dict):
        return instance
    out = copy.deepcopy(instance)
    props = schema.get("properties", {})
    for key, sub in props.items():
        sub = _resolve(sub, root)
        if key not in out and "default" in sub:
            out[key] = copy.deepcopy(sub["default"])
        if key in out:
            out[key] = fill_defaults(out[key], sub, root)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key in out:
            if key not in props:
                out[key] = fill_defaults(out[key], extra, root)
    return out


def validate_schema(instance: Any, schema: dict, what: str) -> list[str]:
    """Every schema violation, each as ``<what>.<path>: <message>``."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        where = ".".join([what, *(str(p) for p in err.absolute_path)])
        problems.append(f"{where}: {err.message}")
    return problems


def check_config(config: dict, base_dir: str | Path = ".") -> list[str]:
    """Semantic checks on a defaults-filled, schema-valid config. Returns the problems found."""
    problems: list[str] = []
    models = config["models"]
    base_dir = Path(base_dir)

    for name, members in config["groups"].items():
        if SEARCHED_GROUP.match(name):
            problems.append(f"groups.{name}: names of the form s<K>r<R> are reserved for searched groups")
        for m in members:
            if m not in models:
                problems.append(f"groups.{name}: model {m!r} is not in the model sheet (models)")
    ref = config["report"]["reference_model"]
    if ref is not None and ref not in models:
        problems.append(f"report.reference_model: {ref!r} is not in the model sheet (models)")
    pool = config["search"]["pool"]
    if pool is not None:
        for m in pool:
            if m not in models:
                problems.append(f"search.pool: model {m!r} is not in the model sheet (models)")
    for g in config["scaling"]["groups"] or []:
        if g not in config["groups"] and not SEARCHED_GROUP.match(g):
            problems.append(f"scaling.groups: {g!r} is neither a group nor a searched group s<K>r<R>")
    for g in config["discussion"]["groups"] or []:
        if g not in config["groups"]:
            problems.append(f"discussion.groups: {g!r} is not a group of `groups`")

    gen = config["generation"]
    k_test = gen["test"]["k"]
    sel_k = config["selection"]["k"]
    if sel_k is not None and sel_k > k_test:
        problems.append(f"selection.k: {sel_k} is more than the generated test samples (generation.test.k = {k_test})")
    if config["scaling"]["k_max"] > k_test:
        problems.append(f"scaling.k_max: {config['scaling']['k_max']} is more than the generated test samples (generation.test.k = {k_test})")
    robust = config["search"]["robust_level"]
    if robust > gen["validation"]["k"]:
        problems.append(f"search.robust_level: {robust} is more than the validation samples per model (generation.validation.k = {gen['validation']['k']})")

    for b in config["benchmarks"]:
        if b not in BENCHMARKS:
            continue
        path = bundled_path(b)
        if not path.exists():
            problems.append(f"benchmarks.{b}: data file {path} is missing")

    for key, entry in models.items():
        backend = entry.get("backend") or gen["backend"]
        if entry.get("tiny") is not None:
            expected = f"{TINY_MODEL_DIR}/{key}"
            if entry["model"] != expected:
                problems.append(f"models.{key}.model: a tiny model is built at {expected!r}, not {entry['model']!r}")
        elif entry.get("trained") is not None:
            from slmmux.training import RECIPES

            expected = f"{TRAINED_MODEL_DIR}/{entry['trained']}"
            if entry["trained"] not in RECIPES:
                problems.append(f"models.{key}.trained: no recipe {entry['trained']!r}; expected one of {', '.join(RECIPES)}")
            elif entry["model"] != expected:
                problems.append(f"models.{key}.model: a trained model lives at {expected!r}, not {entry['model']!r}")
        elif backend == "vllm" and _looks_local(entry["model"]) and not (base_dir / entry["model"]).exists():
            problems.append(f"models.{key}.model: local model directory {entry['model']!r} does not exist")
        if backend == "openai" and not entry.get("base_url"):
            problems.append(f"models.{key}.base_url: backend openai needs a base_url")
        if backend == "replay":
            rf = entry.get("replay_file")
            if not rf:
                problems.append(f"models.{key}.replay_file: backend replay needs a replay_file")
            elif not (base_dir / rf).exists():
                problems.append(f"models.{key}.replay_file: {rf!r} does not exist")
    return problems


def _looks_local(model: str) -> bool:
    return model.startswith(("/", "./", "../", "~")) or model.startswith(TINY_MODEL_DIR) or model.count("/") != 1


def prepare_config(config: dict, schema_dir: str | Path, base_dir: str | Path = ".") -> dict:
    """Validate ``config`` against both schemas, fill defaults and run the semantic checks.

    Raises :class:`ConfigError` naming every bad field; returns the completed config.
    """
    schema_dir = Path(schema_dir)
    cfg_schema = load_schema(schema_dir / "config.schema.yaml")
    sheet_schema = load_schema(schema_dir / "models.schema.yaml")
    problems = validate_schema(config, cfg_schema, "config")
    if isinstance(config, dict) and isinstance(config.get("models"), dict):
        problems += validate_schema(config["models"], sheet_schema, "models")
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    full = fill_defaults(config, cfg_schema)
    full["models"] = fill_defaults(full["models"], sheet_schema)
    problems = check_config(full, base_dir)
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    return full
