"""``results/manifest.json``: every artifact with its sha256, and the provenance of every input.

The manifest lets a reader trace each number of a table back to the files that fed it (the tables'
footnotes name them with a sha256 prefix), and from the samples files to their generation provenance
(model id and revision, seeds, sampling parameters, prompt template and hash: the ``.provenance.json``
sidecar written beside each raw samples file), the config files and the package versions.

Layout (keys sorted, paths relative to the working directory as given, sorted):

``{"artifacts": {path: sha256}, "inputs": {path: {"sha256", "provenance"?}}, "configs": {path: {"sha256",
"content"}}, "versions": {package: version|null}, "git": {"commit", "dirty"}|null}``.
"""

from __future__ import annotations

import json
import subprocess
from importlib import metadata
from pathlib import Path

import yaml

from slmmux.files import file_sha256, write_json

PACKAGES = ("slmmux", "polars", "numpy", "matplotlib", "pyarrow", "vllm", "snakemake")


def package_versions(packages=PACKAGES) -> dict[str, str | None]:
    """Installed version of each package, ``None`` when it is not installed."""
    out = {}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_state(repo: str | Path = ".") -> dict | None:
    """The repository's commit and whether its tracked files differ from it; ``None`` outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                               capture_output=True, text=True, check=True).stdout.strip() != ""
    except (OSError, subprocess.CalledProcessError):
        return None
    return {"commit": commit, "dirty": dirty}


def provenance_sidecar(path: str | Path) -> Path | None:
    """The ``seed{s}.provenance.json`` of a samples file: beside it, or beside its raw counterpart."""
    path = Path(path)
    candidates = [path.with_name(path.stem + ".provenance.json")]
    parts = path.parts
    if "graded" in parts:
        i = len(parts) - 1 - parts[::-1].index("graded")
        raw = Path(*parts[:i], "raw", *parts[i + 1:])
        candidates.append(raw.with_name(raw.stem + ".provenance.json"))
    for c in candidates:
        if c.exists():
            return c
    return None


def artifacts(root: str | Path, exclude=()) -> dict[str, str]:
    """sha256 of every file under ``root`` (tables, figures and the intermediate results), by path.

    Hidden files and the files named in ``exclude`` (e.g. the manifest itself) are left out."""
    root = Path(root)
    excluded = {Path(e).resolve() for e in exclude}
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.resolve() not in excluded and not p.name.startswith("."):
            out[str(p)] = file_sha256(p)
    return out


def build_manifest(root: str | Path, inputs=(), configs=(), exclude=(), repo: str | Path | None = ".") -> dict:
    """The manifest for everything under ``root`` plus the listed input and config files.

    ``inputs``: files the artifacts were made from (samples files get their provenance sidecar's
    content under ``provenance``). ``configs``: YAML/JSON files, recorded with their parsed content.
    Raises ``FileNotFoundError`` for a missing input or config.
    """
    inp = {}
    for p in sorted({str(x) for x in inputs}):
        if not Path(p).exists():
            raise FileNotFoundError(f"input file not found: {p}")
        entry: dict = {"sha256": file_sha256(p)}
        side = provenance_sidecar(p)
        if side is not None:
            entry["provenance_file"] = str(side)
            entry["provenance"] = json.loads(Path(side).read_text(encoding="utf-8"))
        inp[p] = entry
    cfg = {}
    for p in sorted({str(x) for x in configs}):
        if not Path(p).exists():
            raise FileNotFoundError(f"config file not found: {p}")
        text = Path(p).read_text(encoding="utf-8")
        cfg[p] = {"sha256": file_sha256(p), "content": json.loads(text) if p.endswith(".json") else yaml.safe_load(text)}
    all_artifacts = artifacts(root, exclude=exclude)
    return {
        "artifacts": {k: v for k, v in all_artifacts.items() if k not in inp},
        "inputs": inp,
        "configs": cfg,
        "versions": package_versions(),
        "git": git_state(repo) if repo is not None else None,
    }


def write_manifest(manifest: dict, path: str | Path) -> None:
    write_json(manifest, path)
