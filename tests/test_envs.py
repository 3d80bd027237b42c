"""The conda environments (for --sdm conda) pin what pyproject.toml pins."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml

from conftest import REPO


def pip_requirements(env_file: str) -> dict[str, str]:
    env = yaml.safe_load((REPO / "envs" / env_file).read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    reqs = {}
    for line in pip:
        if line.startswith("--editable"):
            continue
        name = re.split(r"[<>=!~\[]", line, maxsplit=1)[0].strip().lower()
        reqs[name] = line.replace(" ", "")
    return reqs


def project():
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def by_name(lines):
    out = {}
    for line in lines:
        name = re.split(r"[<>=!~\[]", line, maxsplit=1)[0].strip().lower()
        out[name] = line.replace(" ", "")
    return out


ANALYSIS_ONLY = {"snakemake", "snakemake-executor-plugin-slurm"}  # the env runs jobs, not Snakemake


@pytest.mark.parametrize("env_file, extra", [("analysis.yaml", None), ("generation-cpu.yaml", "cpu"), ("generation-gpu.yaml", "gpu")])
def test_env_pins_match_pyproject(env_file, extra):
    env = pip_requirements(env_file)
    wanted = {k: v for k, v in by_name(project()["dependencies"]).items() if k not in ANALYSIS_ONLY}
    if extra:
        wanted.update(by_name(project()["optional-dependencies"][extra]))
    for name, spec in wanted.items():
        assert env.get(name) == spec, f"{env_file}: {name} is {env.get(name)!r}, pyproject says {spec!r}"
    for name in env:
        assert name in wanted or name in by_name(project()["optional-dependencies"]["dev"]), f"{env_file}: {name} is not in pyproject.toml"


def test_every_env_installs_the_package_itself():
    for env_file in ("analysis.yaml", "generation-cpu.yaml", "generation-gpu.yaml"):
        assert '"--editable .."' in (REPO / "envs" / env_file).read_text()
