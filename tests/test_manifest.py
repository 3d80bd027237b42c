"""The manifest lists every artifact with its sha256 and traces samples to their provenance."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from slmmux import manifest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_tables import ROOT, _load_builder  # noqa: E402


@pytest.fixture()
def results(tmp_path):
    root = tmp_path / "results"
    _load_builder().build(root)
    (root / "tables").mkdir()
    (root / "tables" / "t.md").write_text("| a |\n")
    return root


def test_manifest_hashes_and_provenance(results):
    samples = sorted(str(p) for p in results.glob("samples/graded/math/*/seed*.parquet"))
    cfg = str(results / "config.yaml")
    m = manifest.build_manifest(results, samples, [cfg], exclude=[results / "manifest.json"], repo=ROOT)
    t = str(results / "tables" / "t.md")
    assert m["artifacts"][t] == hashlib.sha256(b"| a |\n").hexdigest()
    assert str(results / "selection" / "math" / "main.parquet") in m["artifacts"]
    assert not set(m["inputs"]) & set(m["artifacts"])
    entry = m["inputs"][str(results / "samples" / "graded" / "math" / "a" / "seed1.parquet")]
    assert entry["provenance"]["model_id"] == "mistralai/Mixtral-8x7B-Instruct-v0.1"
    assert entry["provenance"]["seed"] == 1 and entry["provenance"]["prompt_hash"] == "sha256:feedbeef"
    assert entry["provenance_file"].endswith("samples/raw/math/a/seed1.provenance.json")
    assert m["configs"][cfg]["content"]["groups"] == {"main": ["a", "b", "c"]}
    assert m["versions"]["polars"] and m["versions"]["numpy"] and "vllm" in m["versions"]
    assert m["git"] is None or len(m["git"]["commit"]) == 40


def test_manifest_cli_is_stable_and_excludes_itself(results):
    out = results / "manifest.json"
    cmd = [sys.executable, str(ROOT / "scripts" / "make_manifest.py"), "--root", str(results), "--inputs",
           *sorted(str(p) for p in results.glob("samples/graded/*/*/*.parquet")), "--config", str(results / "config.yaml"),
           "--repo", str(ROOT), "--out", str(out)]
    assert subprocess.run(cmd, capture_output=True, text=True).returncode == 0
    first = out.read_bytes()
    assert subprocess.run(cmd, capture_output=True, text=True).returncode == 0
    assert out.read_bytes() == first
    m = json.loads(first)
    assert str(out) not in m["artifacts"]
    bad = subprocess.run(cmd[:2] + ["--root", str(results / "nope"), "--out", str(out)], capture_output=True, text=True)
    assert bad.returncode != 0 and "nope" in bad.stderr


def test_missing_input_is_an_error(results):
    with pytest.raises(FileNotFoundError, match="missing.parquet"):
        manifest.build_manifest(results, [results / "missing.parquet"], [])
