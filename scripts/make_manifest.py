#!/usr/bin/env python
"""Write results/manifest.json: sha256 of every file under --root (tables, figures, intermediate
results), the inputs with their sha256 and their samples provenance sidecars (model id, revision,
seeds, sampling, prompt hash), the config files with their content, package versions and the git commit.
"""

from __future__ import annotations

import argparse
import os
import sys

from slmmux import manifest


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--root", required=True, help="results folder whose every file is listed with its sha256 (e.g. results)")
    p.add_argument("--inputs", nargs="*", default=[], metavar="FILE",
                   help="input files to record with sha256 and, for samples files, their .provenance.json content "
                        "(e.g. results/samples/graded/*/*/seed*.parquet)")
    p.add_argument("--config", nargs="*", default=[], metavar="YAML",
                   help="config files (YAML/JSON: workflow config, model sheet) recorded with their content")
    p.add_argument("--repo", default=".", help="git repository whose commit is recorded (default: current folder)")
    p.add_argument("--out", required=True, help="manifest path (e.g. results/manifest.json); never listed in itself")
    return p


def main(argv: list[str] | None = None) -> int:
    a = parser().parse_args(argv)
    if not os.path.isdir(a.root):
        print(f"make_manifest: error: --root {a.root} is not a folder", file=sys.stderr)
        return 2
    try:
        m = manifest.build_manifest(a.root, a.inputs, a.config, exclude=[a.out], repo=a.repo)
        manifest.write_manifest(m, a.out)
    except (OSError, ValueError) as exc:
        print(f"make_manifest: error: {exc}".replace("\n", " "), file=sys.stderr)
        return 2
    print(f"make_manifest: {len(m['artifacts'])} artifacts, {len(m['inputs'])} inputs -> {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
