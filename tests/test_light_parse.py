"""Building the DAG stays light: common.smk is parsed on the submitting host and again in every
cluster job, so it must not import matplotlib or the tables/figures modules (issue 15)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

BIN = Path(sys.executable).parent
HEAVY = ("matplotlib", "slmmux.figures", "slmmux.tables", "torch", "vllm", "transformers")


@pytest.mark.parametrize("config", ["config.yaml", "paper.yaml"])
def test_parsing_the_workflow_imports_no_plotting_or_engine(tmp_path, config):
    cmd = [sys.executable, "-X", "importtime", "-m", "snakemake", "-n", "--snakefile",
           str(REPO / "workflow" / "Snakefile"), "--directory", str(tmp_path), "--cores", "1",
           "--configfile", str(REPO / "config" / config)]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    # -X importtime: one "import time: self | cumulative | module" line per module imported
    modules = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "slmmux.config" in modules and "slmmux.artifacts" in modules  # the parse was seen
    heavy = sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert heavy == [], f"building the DAG imported {heavy}"
