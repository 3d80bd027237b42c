"""Property-based fuzzing of the configuration (bounded: a few hundred examples, well under a minute).

The mutations are derived from the schemas themselves, so a key added later is fuzzed too: for every
field, values of the wrong type, out of range, off the enum, off the pattern (shell metacharacters,
control characters), too long; unknown keys at every level; hostile names. Each generated config must
be rejected by :func:`prepare_config` (the gate the workflow passes before any job) with the field
named. A second property: whatever string a field accepts, it carries no shell metacharacter and
survives quoting as one word.
"""

from __future__ import annotations

import copy
import shlex
import time
from functools import lru_cache

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO
from slmmux.config import ConfigError, backend_argv, load_schema, prepare_config, shell_join

SCHEMAS = REPO / "workflow" / "schemas"
SHELL_META = set(" \t\n\r$`;|&<>(){}*?!'\"\\#=,@^\x00\x0b\x0c\x1b")
SAFE = "abcXYZ019_"
EXAMPLE = {"string": "x", "integer": 7, "number": 0.5, "boolean": True, "array": [], "object": {}, "null": None}
FUZZ_SETTINGS = settings(max_examples=250, deadline=None, derandomize=True, database=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@lru_cache(maxsize=1)
def schemas():
    return load_schema(SCHEMAS / "config.schema.yaml"), load_schema(SCHEMAS / "models.schema.yaml")


def base_config() -> dict:
    cfg = yaml.safe_load((REPO / "tests" / "configs" / "tiny.yaml").read_text())
    cfg["models"]["remote"] = {"model": "org/served", "backend": "openai", "base_url": "http://127.0.0.1:8000/v1",
                               "api_key_env": "SLMMUX_KEY"}
    return cfg


def resolve(node: dict, root: dict) -> dict:
    while "$ref" in node:
        target = root
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    if "anyOf" in node:  # e.g. reference_model: a model key or null
        merged: dict = {"type": []}
        for option in node["anyOf"]:
            option = resolve(option, root)
            types = option.get("type", [])
            merged["type"] += types if isinstance(types, list) else [types]
            merged.update({k: v for k, v in option.items() if k != "type"})
        node = merged
    return node


def types_of(node: dict) -> list[str]:
    t = node.get("type", [])
    return t if isinstance(t, list) else [t]


def fields():
    """(path, schema) of every field of both schemas, with the path a concrete config uses."""
    cfg_schema, sheet_schema = schemas()
    out = []

    def walk(node, root, path):
        node = resolve(node, root)
        out.append((path, node))
        for key, sub in node.get("properties", {}).items():
            walk(sub, root, path + (key,))
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and path == ("benchmarks",):
            walk(extra, root, path + ("math",))

    for key, sub in cfg_schema["properties"].items():
        if key != "models":
            walk(sub, cfg_schema, (key,))
    entry = resolve(sheet_schema["additionalProperties"], sheet_schema)
    for key, sub in entry["properties"].items():
        owner = "tiny-a" if key == "tiny" else "remote"
        walk(sub, sheet_schema, ("models", owner, key))
    return out


FIELDS = fields()


def bad_string(node: dict):
    options = [st.tuples(st.text(SAFE, max_size=8), st.sampled_from(sorted(SHELL_META)), st.text(max_size=8))
               .map("".join)]
    if "maxLength" in node:
        options.append(st.just("a" * (node["maxLength"] + 1)))
    if node.get("pattern") or node.get("minLength"):
        options.append(st.just(""))
    return st.one_of(options)


def bad_values(node: dict):
    """A strategy of values ``node`` rejects."""
    types = types_of(node)
    wrong = [EXAMPLE[t] for t in EXAMPLE if t not in types and not (t == "integer" and "number" in types)]
    options = [st.sampled_from(wrong)] if wrong else []
    if "enum" in node:
        allowed = set(node["enum"])
        options.append(st.text(max_size=12).filter(lambda v: v not in allowed))
    elif "string" in types:
        options.append(bad_string(node))
    if "integer" in types:
        options.append(st.integers().map(float))  # 3.0 where an integer is required
    if "integer" in types or "number" in types:
        if "minimum" in node:
            options.append(st.integers(max_value=int(node["minimum"]) - 1) if "integer" in types
                           else st.floats(max_value=node["minimum"], exclude_max=True, allow_nan=False, allow_infinity=False))
        if "exclusiveMinimum" in node:
            options.append(st.floats(max_value=node["exclusiveMinimum"], allow_nan=False, allow_infinity=False))
        if "maximum" in node:
            options.append(st.integers(min_value=int(node["maximum"]) + 1) if "integer" in types
                           else st.floats(min_value=node["maximum"], exclude_min=True, allow_nan=False, allow_infinity=False))
    if "array" in types and "items" in node:
        options.append(st.builds(lambda v: [v], bad_values(node["items"])))
        if "maxItems" in node:
            options.append(st.just(list(range(node["maxItems"] + 1))))
    if "object" in types and node.get("additionalProperties") is False:
        allowed = set(node.get("properties", {}))
        options.append(st.from_regex(r"[a-z_]{1,10}", fullmatch=True).filter(lambda k: k not in allowed)
                       .map(lambda k: {k: 1}))
    return st.one_of(options)


MUTABLE = [(path, node) for path, node in FIELDS if bad_values(node) is not None]


def set_path(cfg: dict, path: tuple, value) -> dict:
    node = cfg
    for key in path[:-1]:
        node = node.setdefault(key, {})
    if isinstance(node.get(path[-1]), dict) and isinstance(value, dict) and value:
        node[path[-1]] = {**node[path[-1]], **value}  # an unknown key beside the valid ones
    else:
        node[path[-1]] = value
    return cfg


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return tmp_path_factory.mktemp("project")


def test_every_field_is_fuzzed():
    paths = {".".join(p) for p, _ in MUTABLE}
    for expected in ("results_dir", "generation.test.k", "models.remote.api_key_env", "models.remote.base_url",
                     "models.remote.dtype", "models.tiny-a.tiny.hidden_size", "search.sizes", "report.reference_model"):
        assert expected in paths


@FUZZ_SETTINGS
@given(data=st.data())
def test_generated_invalid_configs_are_rejected_naming_the_field(project, data):
    path, node = data.draw(st.sampled_from(MUTABLE), label="field")
    value = data.draw(bad_values(node), label="value")
    cfg = set_path(base_config(), path, copy.deepcopy(value))
    started = time.monotonic()
    with pytest.raises(ConfigError) as info:
        prepare_config(cfg, SCHEMAS, base_dir=project)
    assert time.monotonic() - started < 5
    assert ".".join(path) in str(info.value)


@FUZZ_SETTINGS
@given(data=st.data())
def test_hostile_names_are_rejected(project, data):
    where = data.draw(st.sampled_from(["models", "groups", "benchmarks"]))
    name = data.draw(bad_string({"pattern": "x", "maxLength": 128}).filter(lambda n: n not in ("math", "gsm8k", "gpqa")))
    cfg = base_config()
    cfg[where][name] = {"model": "org/x"} if where == "models" else (["tiny-a"] if where == "groups" else {})
    with pytest.raises(ConfigError) as info:
        prepare_config(cfg, SCHEMAS, base_dir=project)
    assert where in str(info.value)


STRING_FIELDS = [(p, n) for p, n in FIELDS if "string" in types_of(n) and "enum" not in n and p[0] == "models"]


@FUZZ_SETTINGS
@given(data=st.data())
def test_any_accepted_string_is_shell_safe(project, data):
    """Whatever a model-sheet string field accepts holds no shell metacharacter, and quoting keeps it one word."""
    path, _ = data.draw(st.sampled_from(STRING_FIELDS), label="field")
    value = data.draw(st.text(max_size=40), label="value")
    cfg = set_path(base_config(), path, value)
    try:
        full = prepare_config(cfg, SCHEMAS, base_dir=project)
    except ConfigError:
        return
    assert not SHELL_META & set(value), (path, value)
    entry = full["models"][path[1]]
    words = backend_argv(entry, entry["backend"] or full["generation"]["backend"])
    assert shlex.split(shell_join(words)) == words
