"""Workflow configuration: JSON-schema validation, defaults and the checks a schema cannot express.

The schemas live in ``workflow/schemas/`` (one for the config, one for the model sheet).
:func:`prepare_config` is the one validation path the workflow uses: it collects every schema
violation at once (Snakemake's ``validate`` stops at the first), fills defaults also for mapping
entries (``additionalProperties``: each benchmark, each model of the sheet), and runs
:func:`check_config`, so a bad config fails before any job starts, naming each offending field.

Every value that reaches a shell command is first held to a strict pattern here (the schemas'
``pattern``s and :func:`check_config`) and then quoted with :func:`shlex.quote` where the command is
built (:func:`backend_argv`, :func:`shell_join`): either alone would stop a hostile model sheet, both
together mean one mistake does not open a hole.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import shlex
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

import yaml

from slmmux.data import BENCHMARKS, bundled_path

SEARCHED_GROUP = re.compile(r"^s(\d+)r(\d+)$")
TINY_MODEL_DIR = "resources/models"
# vLLM's --dtype choices (the model sheet's enum repeats them).
DTYPES = ("auto", "half", "float16", "bfloat16", "float", "float32")
TRAINED_MODEL_DIR = "models"  # tracked: the shipped weights of the models trained on arith (slmmux.training)


class ConfigError(ValueError):
    """The configuration is invalid; the message names every bad field."""


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that rejects a key given twice in one mapping (PyYAML keeps the last)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(None, None, f"unhashable key {key!r}", key_node.start_mark)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                f"key {key!r} first given", seen[key], "is given again", key_node.start_mark)
        seen[key] = key_node.start_mark
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml_strict(path: str | Path) -> Any:
    """Load a YAML config or model sheet; a duplicated key raises :class:`ConfigError` naming file and line."""
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def model_sheet_entries(data: Any, source: str = "model sheet") -> dict[str, dict]:
    """The model entries of a loaded model sheet, ``{key: entry}`` with every entry a mapping.

    Accepted shapes: ``{key: {model, ...}}``, a whole config holding that mapping under ``models``,
    and the hub-id shorthand ``{key: "org/name"}`` (read as ``{model: "org/name"}``). Other scalars
    beside the entries are skipped (not a model entry); an entry mapping without ``model`` is an error.
    """
    if isinstance(data, dict) and isinstance(data.get("models"), dict):
        data = data["models"]
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of model keys (or a top-level 'models:' mapping)")
    entries: dict[str, dict] = {}
    for key, entry in data.items():
        if isinstance(entry, str):
            entry = {"model": entry}
        if not isinstance(entry, dict):
            continue  # not a model entry (e.g. a scalar setting beside the models)
        if "model" not in entry:
            raise ConfigError(f"{source}: entry {key!r} has no 'model'")
        entries[str(key)] = entry
    return entries


def read_model_sheet(path: str | Path) -> dict[str, dict]:
    """Read a model sheet file (YAML, a duplicated key being an error, or JSON): see
    :func:`model_sheet_entries` for the shapes accepted and the ``{key: entry}`` returned."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model sheet not found: {path}")
    kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if kind == "JSON" else yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - safe
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"model sheet {path} is not valid {kind}: {exc}") from None
    return model_sheet_entries(data, f"model sheet {path}")


def load_schema(path: str | Path) -> dict:
    path = Path(path)
    return copy.deepcopy(_load_schema(str(path.resolve()), path.stat().st_mtime_ns))


@functools.lru_cache(maxsize=8)
def _load_schema(path: str, mtime_ns: int) -> dict:
    """Parsed once per file version: parsing dominates a validation, which tests and fuzzing repeat."""
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


def _validator_class():
    """Draft 2020-12 with ``integer`` meaning a Python int: JSON Schema counts 3.0 as an integer, but a
    sample count of 3.0 would reach the scripts as the text "3.0" and fail there, after jobs started."""
    import jsonschema

    base = jsonschema.Draft202012Validator
    checker = base.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool))
    return jsonschema.validators.extend(base, type_checker=checker)


def validate_schema(instance: Any, schema: dict, what: str) -> list[str]:
    """Every schema violation, each as ``<what>.<path>: <message>``."""
    validator = _validator_class()(schema)
    problems = []
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        where = ".".join([what, *(str(p) for p in err.absolute_path)])
        problems.append(f"{where}: {err.message}")
    return problems


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_DEPTH = 16  # the schemas nest 4 levels deep
MAX_VALUES = 100_000  # a full paper config holds a few hundred
TOO_BIG = "too large to be a configuration"


def shape_problems(config: Any, where: str = "config") -> list[str]:
    """Nesting, size and control characters, checked before anything else walks the config.

    Depth and size are bounded first because the schema validator recurses through the whole value
    and YAML aliases can make a small file a huge tree (each alias is walked again). Control characters
    (newline, NUL, escape...) are refused in every key and string: the schemas' patterns cannot catch a
    trailing newline (Python's ``$`` matches before one), and a newline in a command line ends the
    command; no config value ever needs one.
    """
    problems: list[str] = []
    stack = [(config, where, 0)]
    seen = 0
    while stack:
        node, path, depth = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            return [f"{where}: more than {MAX_VALUES} values, {TOO_BIG}"]
        if depth > MAX_DEPTH:
            return [f"{path}: nested more than {MAX_DEPTH} levels deep, {TOO_BIG}"]
        if isinstance(node, str):
            if _CONTROL.search(node):
                problems.append(f"{path}: {node[:40]!r} contains a control character")
        elif isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and _CONTROL.search(key):
                    problems.append(f"{path}: key {key[:40]!r} contains a control character")
                stack.append((value, f"{path}.{key}", depth + 1))
        elif isinstance(node, list):
            stack.extend((value, f"{path}.{i}", depth + 1) for i, value in enumerate(node))
    return sorted(problems)


def check_config(config: dict, base_dir: str | Path = ".") -> list[str]:
    """Semantic checks on a defaults-filled, schema-valid config. Returns the problems found."""
    problems: list[str] = []
    models = config["models"]
    base_dir = Path(base_dir)

    if not _inside(config["results_dir"]):
        problems.append(f"results_dir: {config['results_dir']!r} must be a folder inside the working directory")

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
        if entry["max_model_len"] is not None and gen["max_tokens"] >= entry["max_model_len"]:
            problems.append(f"models.{key}.max_model_len: {entry['max_model_len']} leaves no room for the prompt "
                            f"with generation.max_tokens = {gen['max_tokens']} (max_tokens must be smaller)")
        if entry["base_url"] is not None:
            problems += [f"models.{key}.base_url: {p}" for p in url_problems(entry["base_url"])]
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
            elif not _inside(rf):
                problems.append(f"models.{key}.replay_file: {rf!r} is outside the working directory")
            elif not (base_dir / rf).exists():
                problems.append(f"models.{key}.replay_file: {rf!r} does not exist")
    return problems


def _inside(path: str) -> bool:
    """Whether ``path`` names something strictly below the working directory, judged by its text.

    Symlinks are not followed: a results folder or data file linked to scratch storage is the user's
    deliberate choice; what is refused is a path that *says* "elsewhere" (absolute, "..", empty, ".").
    """
    parts = PurePosixPath(path).parts
    return bool(parts) and not PurePosixPath(path).is_absolute() and all(p not in ("..", ".") for p in parts) \
        and os.path.normpath(path) not in (".", "")


def url_problems(url: str) -> list[str]:
    """Why ``url`` cannot be an OpenAI-compatible server's base URL (empty when it can)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError as exc:
        return [f"{url!r} is not a URL ({exc})"]
    problems = []
    if parts.scheme not in ("http", "https"):
        problems.append(f"scheme {parts.scheme or '(none)'!r} is not http or https")
    if parts.username is not None or parts.password is not None:
        problems.append("credentials in the URL would be written to logs and provenance; "
                        "put the key in an environment variable and name it in api_key_env")
    if not parts.hostname:
        problems.append("no host")
    if parts.query or parts.fragment:
        problems.append("a base URL has no query or fragment")
    return problems


def backend_argv(entry: dict, backend: str) -> list[str]:
    """The generate.py arguments that name a model-sheet entry's model and backend, as separate words."""
    args = ["--backend", backend, "--model", entry["model"]]
    if entry["revision"]:
        args += ["--revision", entry["revision"]]
    if backend == "vllm":
        args += ["--tensor-parallel-size", entry["tensor_parallel_size"], "--dtype", entry["dtype"],
                 "--gpu-memory-utilization", entry["gpu_memory_utilization"]]
        if entry["max_model_len"]:
            args += ["--max-model-len", entry["max_model_len"]]
        if entry["enforce_eager"]:
            args.append("--enforce-eager")
    elif backend == "openai":
        args += ["--base-url", entry["base_url"]]
        if entry["api_key_env"]:
            args += ["--api-key-env", entry["api_key_env"]]
    else:
        args += ["--replay-file", entry["replay_file"]]
    return [str(a) for a in args]


# Values the generate command has always carried in single quotes. Snakemake reruns a job whose params
# string changed, so a valid model sheet must render exactly as before: otherwise every existing raw
# sample (hours of GPU) would be regenerated for a change in quoting style alone.
_SINGLE_QUOTED = {"--model", "--revision", "--base-url", "--replay-file"}


def single_quote(word: str) -> str:
    """``word`` in POSIX single quotes, always (a ``'`` inside is closed, escaped and reopened)."""
    return "'" + word.replace("'", "'\"'\"'") + "'"


def backend_args(entry: dict, backend: str) -> str:
    """:func:`backend_argv` as one shell-safe string for the generate rule (every word quoted)."""
    words = backend_argv(entry, backend)
    return " ".join(single_quote(w) if i and words[i - 1] in _SINGLE_QUOTED else shlex.quote(w)
                    for i, w in enumerate(words))


def shell_join(words: Iterable) -> str:
    """``words`` as one shell-safe string: each quoted with :func:`shlex.quote`."""
    return " ".join(shlex.quote(str(w)) for w in words)


def _looks_local(model: str) -> bool:
    return model.startswith(("/", "./", "../", "~")) or model.startswith(TINY_MODEL_DIR) or model.count("/") != 1


def prepare_config(config: dict, schema_dir: str | Path, base_dir: str | Path = ".") -> dict:
    """Validate ``config`` against both schemas, fill defaults and run the semantic checks.

    Raises :class:`ConfigError` naming every bad field; returns the completed config.
    """
    schema_dir = Path(schema_dir)
    cfg_schema = load_schema(schema_dir / "config.schema.yaml")
    sheet_schema = load_schema(schema_dir / "models.schema.yaml")
    problems = shape_problems(config)
    if any(p.endswith(TOO_BIG) for p in problems):
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    problems += validate_schema(config, cfg_schema, "config")
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
