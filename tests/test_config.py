"""An invalid configuration fails before any job starts, naming the bad field."""

from __future__ import annotations


import pytest
import yaml

from conftest import REPO, snakemake
from slmmux.config import ConfigError, prepare_config

SCHEMAS = REPO / "workflow" / "schemas"


def default_config() -> dict:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def prepare(cfg):
    return prepare_config(cfg, SCHEMAS, base_dir=REPO)


def test_embedded_default_is_valid_and_gets_defaults():
    cfg = prepare(default_config())
    assert cfg["search"]["lam"] == 1.0
    assert cfg["search"]["contradiction_base"] == "all"
    assert cfg["models"]["arith-sum"]["tensor_parallel_size"] == 1
    assert cfg["models"]["arith-sum"]["revision"] is None
    assert cfg["models"]["arith-sum"]["tiny"] is None and cfg["models"]["arith-sum"]["trained"] == "arith-sum"
    assert cfg["benchmarks"]["arith"]["validation_source"] == "bundled"
    assert cfg["generation"]["top_p"] == 1.0


def test_paper_config_is_valid():
    cfg = prepare(yaml.safe_load((REPO / "config" / "paper.yaml").read_text()))
    assert cfg["generation"]["test"]["k"] == 9 and cfg["selection"]["k"] == 3
    assert sorted(cfg["search"]["pool"]) == sorted(m for m in cfg["models"] if m != "qwen2.5-72b")


def mutate(path: list, value=None, delete=False):
    cfg = default_config()
    node = cfg
    for key in path[:-1]:
        node = node.setdefault(key, {})
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return cfg


@pytest.mark.parametrize(
    "cfg, field",
    [
        (mutate(["unknown_key"], 1), "unknown_key"),
        (mutate(["generation", "test"], {"k": 0, "temperature": 0.3}), "generation.test.k"),
        (mutate(["generation", "validation"], {"k": 3, "temperature": -0.5}), "generation.validation.temperature"),
        (mutate(["groups", "bad"], ["arith-sum", "nope"]), "groups.bad"),
        (mutate(["benchmarks", "aime"], {}), "benchmarks"),
        (mutate(["models", "has/slash"], {"model": "x/y"}), "has/slash"),
        (mutate(["models", "arith-sum", "colour"], "red"), "models.arith-sum"),
        (mutate(["scaling", "k_max"], 10), "scaling.k_max"),  # more than generation.test.k (9)
        (mutate(["search", "robust_level"], 9), "search.robust_level"),
        (mutate(["report", "reference_model"], "gpt"), "report.reference_model"),
        (mutate(["models", "arith-sum", "model"], "models/elsewhere"), "models.arith-sum.model"),
        (mutate(["models", "arith-sum", "trained"], "arith-nope"), "models.arith-sum.trained"),
        (mutate(["groups", "s2r1"], ["arith-sum"]), "groups.s2r1"),
    ],
)
def test_invalid_config_names_the_field(cfg, field):
    with pytest.raises(ConfigError) as info:
        prepare(cfg)
    assert field in str(info.value)


def test_missing_local_model_directory_is_named(tmp_path):
    cfg = default_config()
    cfg["models"]["local"] = {"model": "./models/missing", "backend": "vllm"}
    with pytest.raises(ConfigError, match=r"models\.local\.model: local model directory"):
        prepare_config(cfg, SCHEMAS, base_dir=tmp_path)


def test_replay_file_must_exist(tmp_path):
    cfg = default_config()
    cfg["models"]["published"] = {"model": "org/model", "backend": "replay", "replay_file": "nope.jsonl"}
    with pytest.raises(ConfigError, match=r"models\.published\.replay_file"):
        prepare_config(cfg, SCHEMAS, base_dir=tmp_path)


def test_snakemake_rejects_bad_config_before_any_job(tmp_path):
    cfg = mutate(["generation", "test"], {"k": 0, "temperature": 0.3})
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg))
    proc = snakemake(tmp_path, "-n", configfile=path, check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "generation" in out and "k" in out
    assert not (tmp_path / "results").exists()


def test_read_model_sheet_is_the_one_reader(tmp_path):
    from slmmux.config import read_model_sheet

    flat = tmp_path / "m.yaml"
    flat.write_text("a: {model: /x/a, revision: r}\nb: org/b\nnote: 3\n")
    assert read_model_sheet(flat) == {"a": {"model": "/x/a", "revision": "r"}, "b": {"model": "org/b"}}
    wrapped = tmp_path / "c.json"
    wrapped.write_text('{"seeds": [0], "models": {"a": {"model": "/x/a"}}}')
    assert read_model_sheet(wrapped) == {"a": {"model": "/x/a"}}
    dup = tmp_path / "dup.yaml"
    dup.write_text("a: {model: x}\na: {model: y}\n")
    with pytest.raises(ConfigError, match="given again"):
        read_model_sheet(dup)
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: {revision: x}\n")
    with pytest.raises(ConfigError, match="entry 'a' has no 'model'"):
        read_model_sheet(bad)
    with pytest.raises(FileNotFoundError, match="model sheet not found"):
        read_model_sheet(tmp_path / "missing.yaml")
