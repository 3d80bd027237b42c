"""Every command-line entry point documents itself and cannot shadow the standard library."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO

SCRIPTS = sorted((REPO / "scripts").glob("*.py"))
#: Modules the entry points share (scripts/_*.py, imported as siblings), not entry points themselves.
ENTRY_POINTS = [p for p in SCRIPTS if not p.name.startswith("_")]


def test_no_script_shadows_a_stdlib_module():
    # `python scripts/x.py` puts scripts/ first on sys.path: a scripts/select.py would replace the
    # stdlib `select` that subprocess imports, and break every other entry point.
    clashes = [p.name for p in SCRIPTS if p.stem in sys.stdlib_module_names]
    assert not clashes


@pytest.mark.parametrize("script", ENTRY_POINTS, ids=lambda p: p.name)
def test_help(script):
    proc = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "usage:" in proc.stdout and "--" in proc.stdout
