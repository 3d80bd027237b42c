"""config/README.md describes every configuration key the schemas define, with the schemas' defaults."""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import REPO

SCHEMAS = REPO / "workflow" / "schemas"
README = REPO / "config" / "README.md"


def _resolve(node: dict, root: dict) -> dict:
    ref = node.get("$ref")
    if not ref:
        return node
    target = root
    for part in ref[2:].split("/"):
        target = target[part]
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}


def schema_keys(node: dict, root: dict, path: str = "") -> dict[str, dict]:
    """Every property of a schema as ``dotted.path -> its schema``; a mapping's entries (additionalProperties
    with properties of their own) appear as ``<benchmark>`` under ``benchmarks``, ``<key>`` elsewhere."""
    node = _resolve(node, root)
    out: dict[str, dict] = {}
    for name, sub in node.get("properties", {}).items():
        sub = _resolve(sub, root)
        dotted = f"{path}.{name}" if path else name
        out[dotted] = sub
        out.update(schema_keys(sub, root, dotted))
    entry = node.get("additionalProperties")
    if isinstance(entry, dict) and entry.get("properties"):
        placeholder = "<benchmark>" if path.rsplit(".", 1)[-1] == "benchmarks" else "<key>"
        out.update(schema_keys(entry, root, f"{path}.{placeholder}" if path else placeholder))
    return out


def all_keys() -> dict[str, dict]:
    config = yaml.safe_load((SCHEMAS / "config.schema.yaml").read_text())
    models = yaml.safe_load((SCHEMAS / "models.schema.yaml").read_text())
    return {**schema_keys(config, config), **schema_keys(models, models, "models")}


def documented_rows() -> dict[str, str]:
    """``key -> default cell`` of the README's tables (``| `key` | type | default | meaning |``)."""
    rows = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\| `([^`]+)` \| [^|]* \| ([^|]*) \|", line)
        if m:
            rows[m.group(1)] = m.group(2).strip()
    return rows


def test_the_schemas_are_walked():
    keys = all_keys()
    assert {"results_dir", "benchmarks.<benchmark>.test_size", "generation.validation.k",
            "models.<key>.tiny.layers", "report.reference_model"} <= set(keys)


@pytest.mark.parametrize("key", sorted(all_keys()))
def test_every_schema_key_is_described(key):
    rows = documented_rows()
    assert key in rows, f"config/README.md does not describe `{key}`"


@pytest.mark.parametrize("key", sorted(k for k, v in all_keys().items() if "default" in v))
def test_the_documented_default_is_the_schemas(key):
    cell = documented_rows().get(key, "")
    assert cell.startswith("`") and cell.endswith("`"), f"{key}: default cell {cell!r}"
    assert yaml.safe_load(cell.strip("`")) == all_keys()[key]["default"], key
