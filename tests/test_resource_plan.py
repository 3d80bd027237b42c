"""The GPU resource plan: every GPU job's engine against the GPUs it requests, before any job starts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from slmmux.config import prepare_config
from slmmux.resource_plan import GIB, OVERHEAD_GIB, Engine, ResourcePlanError, check_plan, format_plan, plan_engine, plan_jobs

BIN = Path(sys.executable).parent
SCHEMAS = REPO / "workflow" / "schemas"


def paper_config(tmp_path, **changes) -> dict:
    cfg = yaml.safe_load((REPO / "config" / "paper.yaml").read_text())
    for key, value in changes.items():
        cfg[key] = value
    return prepare_config(cfg, schema_dir=SCHEMAS, base_dir=tmp_path)


def gpus(cfg):
    return lambda key: cfg["models"][key]["tensor_parallel_size"]


def test_paper_configuration_fits_80_gib_gpus(tmp_path):
    cfg = paper_config(tmp_path)
    assert cfg["generation"]["gpu_memory_gib"] == 80  # the schema default
    plans = plan_jobs(cfg, tmp_path, gpus(cfg), ["table1"])
    assert [p.job.split(" (")[0] for p in plans] == [f"generate model={m}" for m in sorted(cfg["models"])] + ["discuss group=table1"]
    assert all(p.fits for p in plans), format_plan(plans, 80)
    check_plan(plans, 80)
    mixtral = next(p for p in plans if p.job == "generate model=mixtral-8x7b")
    # 46.7e9 bf16 parameters; KV: 2 x 32 layers x 8 heads x 128 x 2 bytes per token, 9 samples x 8192 tokens
    assert mixtral.weights_gib == pytest.approx(46.7e9 * 2 / GIB)
    assert mixtral.kv_gib == pytest.approx(9 * 8192 * 2 * 32 * 8 * 128 * 2 / GIB)
    assert mixtral.available_gib == pytest.approx(2 * 80 * 0.9)
    # the discussion job holds one model at a time: its largest, on the job's 2 GPUs
    discuss = plans[-1]
    assert "mixtral-8x7b" in discuss.job and discuss.gpus == 2 and discuss.batch == 1


def test_smaller_gpus_make_the_plan_fail_with_the_job_numbers_and_fix(tmp_path):
    cfg = paper_config(tmp_path)
    cfg["generation"]["gpu_memory_gib"] = 40
    plans = plan_jobs(cfg, tmp_path, gpus(cfg), ["table1"])
    with pytest.raises(ResourcePlanError) as err:
        check_plan(plans, 40)
    msg = str(err.value)
    assert "generate model=gemma-2-27b: needs" in msg and "has 36.0 GiB (1 x 40 GiB x 0.9)" in msg
    assert "set models.gemma-2-27b.tensor_parallel_size: 2" in msg
    assert "generate model=llama-3.1-8b" not in msg  # 8B fits a 40 GiB GPU


def test_local_model_is_sized_from_its_config_and_safetensors_index(tmp_path):
    folder = tmp_path / "models" / "m"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({
        "num_hidden_layers": 10, "num_attention_heads": 16, "num_key_value_heads": 4, "hidden_size": 1024,
        "max_position_embeddings": 4096, "torch_dtype": "float32"}))
    (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": 30 * GIB},
                                                                      "weight_map": {}}))
    engine = Engine("m", "models/m", 1, "auto", None, 0.5)
    p = plan_engine("generate model=m", 1, engine, 3, 80, tmp_path)
    assert p.weights_gib == pytest.approx(30)
    # float32 checkpoint (dtype auto): 2 x 10 x 4 x 64 x 4 bytes per token, 3 x 4096 tokens (its own context)
    assert p.context == 4096 and p.kv_gib == pytest.approx(3 * 4096 * 2 * 10 * 4 * 64 * 4 / GIB)
    assert p.need_gib == pytest.approx(30 + p.kv_gib + OVERHEAD_GIB) and p.available_gib == 40 and p.fits
    # without the index: the sizes of the weight files
    (folder / "model.safetensors.index.json").unlink()
    (folder / "model.safetensors").write_bytes(b"\0" * 1000)
    assert plan_engine("g", 1, engine, 1, 80, tmp_path).weights_gib == pytest.approx(1000 / GIB)


def test_unknown_model_is_listed_not_checked(tmp_path):
    p = plan_engine("generate model=x", 1, Engine("x", "org/unknown", 1, "auto", 4096, 0.9), 1, 80, tmp_path)
    assert p.fits is None
    check_plan([p], 80)
    assert "not checked" in format_plan([p], 80)


def test_engine_needing_more_gpus_than_the_job_requests_fails(tmp_path):
    p = plan_engine("discuss group=g", 1, Engine("x", "Qwen/Qwen2.5-7B-Instruct", 2, "bfloat16", 4096, 0.9), 1, 80,
                    tmp_path)
    with pytest.raises(ResourcePlanError, match="discuss group=g: its engine needs tensor_parallel_size=2"):
        check_plan([p], 80)


def run_snakemake(workdir, *configfiles, dry_run=True):
    cmd = [str(BIN / "snakemake"), *(["-n"] if dry_run else []), "--snakefile", str(REPO / "workflow" / "Snakefile"),
           "--directory", str(workdir), "--cores", "1", "--configfile", *map(str, configfiles)]
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=300)


@pytest.mark.workflow
def test_paper_dry_run_shows_the_plan(tmp_path):
    proc = run_snakemake(tmp_path, REPO / "config" / "paper.yaml")
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert "GPU resource plan (80 GiB per GPU" in out
    rows = [line for line in out.splitlines() if line.startswith("  generate model=") or line.startswith("  discuss group=")]
    assert len(rows) == 7 and all(line.endswith("yes") for line in rows), "\n".join(rows)


@pytest.mark.workflow
def test_oversized_group_fails_before_any_job_starts(tmp_path):
    oversized = tmp_path / "oversized.yaml"
    # the 72B reference model on one GPU, in a discussion group
    oversized.write_text(yaml.safe_dump({
        "models": {"qwen2.5-72b": {"model": "Qwen/Qwen2.5-72B-Instruct", "tensor_parallel_size": 1,
                                    "dtype": "bfloat16", "max_model_len": 8192}},
        "groups": {"table1": ["mixtral-8x7b", "llama-3.1-8b", "gemma-2-27b"], "big": ["qwen2.5-72b", "llama-3.1-8b"]},
        "discussion": {"groups": ["big"]}}))
    proc = run_snakemake(tmp_path, REPO / "config" / "paper.yaml", oversized, dry_run=False)
    assert proc.returncode != 0
    err = proc.stdout + proc.stderr
    assert "GPU jobs that cannot fit the GPUs they request (no job was started)" in err
    assert "discuss group=big (largest: qwen2.5-72b): needs" in err
    assert "generate model=qwen2.5-72b: needs" in err and "set models.qwen2.5-72b.tensor_parallel_size: 4" in err
    assert not (tmp_path / "results").exists()  # nothing ran


def test_more_gpus_than_kv_heads_replicate_the_kv_cache(tmp_path):
    """vLLM keeps at least one KV head per GPU: Qwen2.5-7B's 4 KV heads on 8 GPUs hold the cache twice,
    and a suggested tensor parallel size is checked with the cache it would then take."""
    engine = Engine("q", "Qwen/Qwen2.5-7B-Instruct", 4, "bfloat16", 8192, 0.9)
    once = 3 * 8192 * 2 * 28 * 4 * 128 * 2 / GIB
    assert plan_engine("g", 4, engine, 3, 80, tmp_path).kv_gib == pytest.approx(once)
    wide = Engine("q", "Qwen/Qwen2.5-7B-Instruct", 8, "bfloat16", 8192, 0.9)
    assert plan_engine("g", 8, wide, 3, 80, tmp_path).kv_gib == pytest.approx(2 * once)
    # a job that does not fit one 16 GiB GPU (14.2 GiB weights + 1.3 GiB cache + 2 GiB > 14.4 GiB):
    # tensor parallel 2 does (the cache still split over the 4 KV heads), and the fix names it
    small = Engine("q", "Qwen/Qwen2.5-7B-Instruct", 1, "bfloat16", 8192, 0.9)
    p = plan_engine("g", 1, small, 3, 16, tmp_path)
    assert not p.fits
    from slmmux.resource_plan import fix_for

    assert "tensor_parallel_size: 2" in fix_for(p, 16)
