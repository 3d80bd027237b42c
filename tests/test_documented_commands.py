"""The commands the README and the profile comments tell a user to run exist in this environment.

Issue 15: the README said `huggingface-cli login` and the SLURM profile `huggingface-cli download`,
which the installed huggingface_hub (>= 1.0: `hf`) does not provide. Every executable named in the
README's shell blocks and in the profiles' comments must be on PATH (the project's .venv/bin first),
a file of the repository, a shell builtin, or a SLURM client command that tests/slurm/start-slurm.sh
installs (on a real cluster the login node has them); `make X` must name a target of the Makefile.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest

from conftest import REPO

BIN = Path(sys.executable).parent
BUILTINS = {"export", "source", ".", "cd", "set", "unset"}
SLURM_CLIENT = {"sbatch", "srun", "sacct", "sinfo", "squeue", "scontrol", "scancel"}
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def readme_commands() -> list[tuple[str, str]]:
    text = (REPO / "README.md").read_text()
    lines = []
    for block in re.findall(r"```(?:bash|sh|shell|console)\n(.*?)```", text, flags=re.S):
        lines += [("README.md", line) for line in block.replace("\\\n", " ").splitlines()]
    return lines


def profile_commands() -> list[tuple[str, str]]:
    lines = []
    for profile in sorted((REPO / "workflow" / "profiles").glob("*/config.yaml")):
        name = str(profile.relative_to(REPO))
        for line in profile.read_text().splitlines():
            m = re.match(r"^\s*#\s{2,}(\S.*)$", line)  # an indented comment line: an example command
            if m:
                lines.append((name, m.group(1)))
            if line.lstrip().startswith("#"):  # `a command with arguments` quoted in a comment
                lines += [(name, span) for span in re.findall(r"`([^`]+ [^`]+)`", line)]
    return lines


def executables(line: str) -> list[str]:
    """The programs a shell line runs: the first word of each command of a pipeline or list."""
    line = line.split(" #", 1)[0].strip()
    if not line or line.startswith("#"):
        return []
    names = []
    for part in re.split(r"&&|\|\||[;|]", line):
        try:
            words = shlex.split(part)
        except ValueError:
            words = part.split()
        while words and ASSIGNMENT.match(words[0]):
            words.pop(0)
        if not words or words[0].startswith(("-", "?", "<")) or words[0].endswith(":"):
            continue  # an option list or a YAML example, not a command
        names.append(words[0])
        if words[0] == "make":
            names += [f"make:{w}" for w in words[1:] if not w.startswith("-") and "=" not in w]
    return names


def found(name: str) -> bool:
    if name in BUILTINS:
        return True
    if name.startswith("make:"):
        return re.search(rf"^{re.escape(name[5:])}\s*:", (REPO / "Makefile").read_text(), flags=re.M) is not None
    if "/" in name:
        if name.startswith(".venv/bin/"):
            return (BIN / name.rsplit("/", 1)[1]).exists() or (REPO / name).exists()
        path = REPO / name
        return path.is_file() and os.access(path, os.X_OK)
    if shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"):
        return True
    if name in SLURM_CLIENT:
        return "slurm-client" in (REPO / "tests" / "slurm" / "start-slurm.sh").read_text()
    return False


def test_the_parser_sees_commands():
    assert executables("FOO=1 .venv/bin/snakemake -n && sacct -X | head  # comment") == [".venv/bin/snakemake", "sacct", "head"]
    assert executables("generate: {slurm_partition: gpu}") == []
    assert executables("make setup EXTRAS=gpu,dev") == ["make", "make:setup"]
    assert not found("huggingface-cli") and not found("make:no-such-target") and found("hf")


@pytest.mark.parametrize("where, line", readme_commands() + profile_commands())
def test_documented_command_exists(where, line):
    missing = [n for n in executables(line) if not found(n)]
    assert not missing, f"{where}: {line!r} runs {missing}, which this environment does not provide"


def test_readme_names_the_gated_models_and_the_hf_cli():
    text = (REPO / "README.md").read_text()
    assert "hf auth login" in text and "huggingface-cli" not in text
    for gated in ("meta-llama/Llama-3.1-8B-Instruct", "google/gemma-2-27b-it", "Idavidrein/gpqa"):
        assert gated in text
