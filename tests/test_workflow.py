"""The Snakemake workflow end to end on the embedded default, plus lint and the paper's dry run.

The embedded default (config/config.yaml) runs three tiny models trained on the arith benchmark
(weights shipped in models/) through every rule with the real vLLM engine on the CPU; these tests
check the pipeline's mechanics and incrementality (tests/test_method_e2e.py checks what the run shows).
"""

from __future__ import annotations

import os
import re
import shutil
import stat

import polars as pl
import pytest
import yaml

from conftest import REPO, snakemake

pytestmark = pytest.mark.workflow


def job_counts(dry_run_output: str) -> dict[str, int]:
    """The 'Job stats' table of a dry run as {rule: count}."""
    counts = {}
    table = dry_run_output.split("Job stats:", 1)
    if len(table) < 2:
        return counts
    for line in table[1].splitlines():
        m = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if m and m.group(1) != "total":
            counts[m.group(1)] = int(m.group(2))
        if line.startswith("Reasons") or line.startswith("This was a dry-run"):
            break
    return counts


def test_lint_is_clean(tmp_path):
    proc = snakemake(tmp_path, "--lint")
    assert "Congratulations, your workflow is in a good condition" in proc.stdout + proc.stderr


def test_paper_config_dry_run_shows_documented_job_count(tmp_path):
    proc = snakemake(tmp_path, "-n", configfile=REPO / "config" / "paper.yaml")
    counts = job_counts(proc.stdout)
    cfg = yaml.safe_load((REPO / "config" / "paper.yaml").read_text())
    # README: generation jobs = models x seeds (each loads its model once for every benchmark)
    assert counts["generate"] == len(cfg["models"]) * len(cfg["seeds"]) == 18
    assert counts["grade"] == len(cfg["benchmarks"]) * len(cfg["models"]) * len(cfg["seeds"]) == 54
    assert "build_tiny_model" not in counts
    # equivalent answers are clustered once per benchmark, not in each selection, search or sweep job
    assert counts["answer_clusters"] == len(cfg["benchmarks"]) == 3
    assert counts["discuss"] == 3 * 3 * 3  # benchmarks x methods x seeds for the table1 group


def test_embedded_default_produces_every_output(embedded_run):
    r = embedded_run / "results"
    for b in ("arith",):
        for m in ("arith-sum", "arith-prod", "arith-paren"):
            raw = pl.read_parquet(r / "samples" / "raw" / b / m / "seed0.parquet")
            # 100 validation x 5 + 500 test x 9 sampled + 500 test greedy
            assert raw.height == 100 * 5 + 500 * 9 + 500
            graded = pl.read_parquet(r / "samples" / "graded" / b / m / "seed0.parquet")
            assert graded.height == raw.height and graded["correct"].null_count() == 0
            assert (r / "samples" / "raw" / b / m / "seed0.provenance.json").exists()
        decisions = pl.read_parquet(r / "selection" / b / "trio.parquet")
        assert set(decisions["method"]) >= {"slm_mux", "single_best", "single_best_sc", "agent_forest", "oracle"}
        assert decisions.filter(pl.col("method") == "slm_mux").height == 500
        for g in ("s2r1", "s2r2"):
            assert (r / "selection" / b / f"{g}.parquet").exists()
        for g in ("trio", "s2r1", "s2r2"):  # the question explorer of every benchmark and group
            page = (r / "explorer" / b / f"explorer_{b}_{g}.html").read_text(encoding="utf-8")
            assert f"<title>Question explorer: {b} / {g}</title>" in page
        clusters = pl.read_parquet(r / "clusters" / f"{b}.parquet")  # every distinct answer of every question
        keys = pl.concat([pl.read_parquet(p) for p in (r / "samples" / "graded" / b).glob("*/seed0.parquet")])
        assert clusters.height == keys.filter(pl.col("answer_key").is_not_null()).select(
            "split", "question_id", "answer_key").n_unique()
        ranking = pl.read_parquet(r / "search" / f"{b}.parquet")
        assert sorted(ranking["size"].unique()) == [2, 3]
    for log in (r / "logs").rglob("*.log"):
        assert log.is_file()


def test_rerun_does_nothing(embedded_run):
    proc = snakemake(embedded_run, "-n")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_analysis_settings_rerun_no_generation(embedded_run, tmp_path):
    change = tmp_path / "lam.yaml"
    change.write_text("search:\n  lam: 0.5\n")
    proc = snakemake(embedded_run, "-n", "--configfile", str(REPO / "config" / "config.yaml"), str(change))
    counts = job_counts(proc.stdout)
    assert counts.get("search", 0) == 1  # one per benchmark
    assert "generate" not in counts and "grade" not in counts and "train_arith_model" not in counts


def test_deleting_one_models_samples_reruns_only_its_chain(embedded_run, tmp_path):
    work = tmp_path / "copy"
    shutil.copytree(embedded_run, work, symlinks=True)
    # the model's samples: raw (write-protected; one job per model and seed writes every benchmark's) and graded
    for stage in ("raw", "graded"):
        target = work / "results" / "samples" / stage / "arith" / "arith-prod" / "seed0.parquet"
        target.parent.chmod(target.parent.stat().st_mode | stat.S_IWUSR)
        os.remove(target)
    proc = snakemake(work, "-n")
    counts = job_counts(proc.stdout)
    assert counts.get("generate") == 1 and counts.get("grade") == 1, proc.stdout[-5000:] + proc.stderr[-3000:]
    assert "wildcards: model=arith-prod, seed=0" in proc.stdout
    assert "wildcards: benchmark=arith, model=arith-prod, seed=0" in proc.stdout
    assert "model=arith-sum" not in proc.stdout and "model=arith-paren" not in proc.stdout
    assert "train_arith_model" not in counts  # the shipped weights are used, not retrained


def test_one_key_switches_on_the_discussion_baselines(tmp_path):
    switch = tmp_path / "discussion.yaml"
    switch.write_text("discussion:\n  enabled: true\n")
    proc = snakemake(tmp_path, "-n", "--configfile", str(REPO / "config" / "config.yaml"), str(switch))
    counts = job_counts(proc.stdout)
    assert counts["discuss"] == 1 * 3  # benchmarks x methods (one seed, the trio)
    assert "results/figures/discussion_arith.png" in proc.stdout


def test_html_report_has_every_table_and_figure(embedded_run, tmp_path):
    report = tmp_path / "report.html"
    snakemake(embedded_run, "--report", str(report))
    html = report.read_text(errors="replace")
    assert len(html) > 100_000
    for name in ("method_comparison.csv", "searched_groups.csv", "samples_scaling_arith.png", "theory_majority.png",
                 "paired_significance.csv", "explorer_arith_trio.html", "explorer_arith_s2r2.html"):
        assert name in html, name
    # a caption from workflow/report/ travels with its figure
    assert "which model's answer SLM-MUX selected" in html or "Output attribution" in html


def test_tables_are_byte_identical_across_runs(embedded_run, tmp_path):
    tables = embedded_run / "results" / "tables"
    before = {p.name: p.read_bytes() for p in tables.iterdir()}
    work = tmp_path / "again"
    shutil.copytree(embedded_run, work, symlinks=True)
    shutil.rmtree(work / "results" / "tables")
    snakemake(work, "results/tables/method_comparison.md")  # the tables rule reruns: its outputs are gone
    after = {p.name: p.read_bytes() for p in (work / "results" / "tables").iterdir()}
    assert after == before


def test_adding_a_model_generates_only_its_samples(embedded_run, tmp_path):
    extra = tmp_path / "more.yaml"
    extra.write_text(yaml.safe_dump({"models": {"tiny-d": {"model": "resources/models/tiny-d", "tiny": {"seed": 4},
                                                           "dtype": "bfloat16", "max_model_len": 1024,
                                                           "gpu_memory_utilization": 0.1, "enforce_eager": True}}}))
    proc = snakemake(embedded_run, "-n", "--configfile", str(REPO / "config" / "config.yaml"), str(extra))
    counts = job_counts(proc.stdout)
    assert counts["generate"] == 1 and counts["grade"] == 1 and counts["build_tiny_model"] == 1
    assert not re.search(r"model=arith-(sum|prod|paren), seed=0", proc.stdout)
