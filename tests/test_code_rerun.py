"""Code changes rerun what they change: every rule carries the digest of its script and of the
slmmux code it imports (slmmux.code_digest), so editing a grading function reruns grading and
everything downstream, and nothing upstream (no generation)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml

from conftest import REPO
from slmmux.code_digest import code_digest, code_files

BIN = Path(sys.executable).parent


# -- the digest ----------------------------------------------------------------------------------------------------

@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of the scripts and the package, to edit."""
    root = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "scripts", root / "scripts", ignore=ignore)
    shutil.copytree(REPO / "slmmux", root / "slmmux", ignore=ignore)
    return root


def rel(files, root):
    return {str(f.relative_to(root)) for f in files}


def test_digest_follows_imports_and_package_data(tree):
    grade = rel(code_files(tree / "scripts" / "grade.py", tree), tree)
    assert {"scripts/grade.py", "slmmux/__init__.py", "slmmux/answers/__init__.py", "slmmux/answers/grading.py",
            "slmmux/answers/_worker.py"} <= grade  # _worker: started as `python -m slmmux.answers._worker`
    assert not any(f.startswith("slmmux/generate/") for f in grade)
    generate = rel(code_files(tree / "scripts" / "generate.py", tree), tree)
    # imported inside functions (open_backend picks its backend lazily), and the prompt templates it reads
    assert {"slmmux/generate/openai_backend.py", "slmmux/generate/vllm_backend.py", "slmmux/prompts.py",
            "slmmux/prompts/gsm8k.v1.txt"} <= generate
    # slmmux.data (read_questions) reaches the answers package only for last_boxed
    assert {f for f in generate if f.startswith("slmmux/answers/")} == {"slmmux/answers/__init__.py",
                                                                       "slmmux/answers/boxed.py"}
    assert not any(f.startswith("slmmux/figures") or f.startswith("slmmux/tables") for f in generate)
    # question preparation takes MATH gold answers from the hub with slmmux.answers.boxed: that module
    # (and the package's __init__, which runs) but not the rest of grading
    prepare = rel(code_files(tree / "scripts" / "prepare.py", tree), tree)
    assert {"slmmux/answers/boxed.py", "slmmux/answers/__init__.py"} <= prepare
    assert "slmmux/answers/grading.py" not in prepare and "slmmux/answers/extract.py" not in prepare


def test_digest_changes_with_the_code_it_covers_only(tree):
    before = {s: code_digest(tree / "scripts" / s, tree) for s in ("grade.py", "generate.py", "discuss.py")}
    grading = tree / "slmmux" / "answers" / "grading.py"
    source = grading.read_text()
    # comments, docstrings and formatting are not code
    grading.write_text(source.replace('"""', '"""Edited. ', 1).replace("\n\n\n", "\n\n\n# a comment\n\n\n", 1))
    assert grading.read_text() != source
    assert {s: code_digest(tree / "scripts" / s, tree) for s in before} == before
    grading.write_text(source + "\nTHRESHOLD = 1\n")
    after = {s: code_digest(tree / "scripts" / s, tree) for s in before}
    assert after["grade.py"] != before["grade.py"]
    assert after["generate.py"] == before["generate.py"]
    assert after["discuss.py"] != before["discuss.py"]  # the discussion protocols grade with slmmux.answers
    template = tree / "slmmux" / "prompts" / "math.v1.txt"
    template.write_text(template.read_text() + " ")
    assert code_digest(tree / "scripts" / "generate.py", tree) != after["generate.py"]
    assert code_digest(tree / "scripts" / "grade.py", tree) == after["grade.py"]


def test_digest_does_not_depend_on_where_the_checkout_is(tree, tmp_path):
    other = tmp_path / "elsewhere"
    shutil.copytree(tree, other)
    assert code_digest(tree / "scripts" / "grade.py", tree) == code_digest(other / "scripts" / "grade.py", other)


def test_relative_imports_are_followed(tmp_path):
    root = tmp_path
    (root / "scripts").mkdir()
    pkg = root / "slmmux" / "sub"
    pkg.mkdir(parents=True)
    (root / "slmmux" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("from .a import f\n")
    (pkg / "a.py").write_text("from . import b\nfrom ..c import g\n")
    (pkg / "b.py").write_text("")
    (root / "slmmux" / "c.py").write_text("")
    (root / "slmmux" / "unused.py").write_text("")
    (root / "scripts" / "s.py").write_text("def main():\n    from slmmux.sub import f\n")
    assert rel(code_files(root / "scripts" / "s.py", root), root) == {
        "scripts/s.py", "slmmux/__init__.py", "slmmux/sub/__init__.py", "slmmux/sub/a.py", "slmmux/sub/b.py",
        "slmmux/c.py"}


def test_sibling_script_modules_are_followed(tmp_path):
    """Scripts share command-line helpers as sibling modules (``python scripts/x.py`` puts scripts/ on
    sys.path): the helper and what it imports count as the script's code."""
    root = tmp_path
    (root / "scripts").mkdir()
    (root / "slmmux").mkdir()
    (root / "slmmux" / "__init__.py").write_text("")
    (root / "slmmux" / "c.py").write_text("")
    (root / "slmmux" / "d.py").write_text("import _helper\n")  # the package never sees scripts/
    (root / "slmmux" / "_helper.py").write_text("")
    (root / "scripts" / "_helper.py").write_text("from slmmux.c import g\n")
    (root / "scripts" / "_lazy.py").write_text("")
    (root / "scripts" / "_unused.py").write_text("")
    (root / "scripts" / "s.py").write_text(
        "import json\nfrom _helper import f\nfrom slmmux import d\ndef main():\n    import _lazy\n")
    assert rel(code_files(root / "scripts" / "s.py", root), root) == {
        "scripts/s.py", "scripts/_helper.py", "scripts/_lazy.py", "slmmux/__init__.py", "slmmux/c.py", "slmmux/d.py"}


def test_editing_a_shared_option_module_reruns_the_scripts_that_import_it(tree):
    helper = tree / "scripts" / "_group_options.py"
    users = ("selection.py", "scale.py", "explorer.py")
    for s in users:
        assert "scripts/_group_options.py" in rel(code_files(tree / "scripts" / s, tree), tree)
    before = {s: code_digest(tree / "scripts" / s, tree) for s in (*users, "grade.py", "make_tables.py")}
    helper.write_text(helper.read_text() + "\nDEFAULT_RANK = 1\n")
    after = {s: code_digest(tree / "scripts" / s, tree) for s in before}
    assert all(after[s] != before[s] for s in users)
    assert after["grade.py"] == before["grade.py"] and after["make_tables.py"] == before["make_tables.py"]


# -- the workflow --------------------------------------------------------------------------------------------------

def job_counts(out: str) -> dict[str, int]:
    from test_workflow import job_counts as counts

    return counts(out)


@pytest.mark.workflow
def test_editing_a_grading_function_reruns_grading_and_downstream_only(tmp_path):
    root = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__")
    for part in ("scripts", "slmmux", "workflow", "envs"):
        shutil.copytree(REPO / part, root / part, ignore=ignore)
    work = tmp_path / "work"
    work.mkdir()
    replay = {m: work / f"{m}.jsonl" for m in ("m1", "m2")}
    for path in replay.values():
        path.write_text("")  # exists for the config check; filled once the questions are known
    config = {
        "results_dir": "results",
        "benchmarks": {"gsm8k": {"validation_source": "bundled", "validation_size": 4, "test_size": 4}},
        "seeds": [0],
        "models": {m: {"model": f"org/{m}", "backend": "replay", "replay_file": p.name} for m, p in replay.items()},
        "generation": {"backend": "replay", "device": "cpu", "validation": {"k": 2, "temperature": 0.5},
                       "test": {"k": 2, "temperature": 0.3}, "greedy": False},
        "groups": {"pair": ["m1", "m2"]},
        "search": {"sizes": [2], "groups_size": 2, "groups_top": 1},
        "scaling": {"k_max": 2, "trials": 5},
        "discussion": {"enabled": False},
    }
    configfile = work / "config.yaml"
    configfile.write_text(yaml.safe_dump(config))
    env = {**os.environ, "PYTHONPATH": str(root), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}

    def snakemake(*args):
        cmd = [str(BIN / "snakemake"), *args, "--snakefile", str(root / "workflow" / "Snakefile"),
               "--directory", str(work), "--cores", "2", "--configfile", str(configfile)]
        proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-6000:]
        return proc.stdout + proc.stderr

    target = "results/selection/gsm8k/pair.parquet"
    snakemake("results/questions/gsm8k.parquet")
    questions = pl.read_parquet(work / "results" / "questions" / "gsm8k.parquet")
    for i, (m, path) in enumerate(replay.items()):
        rows = [{"question_id": q, "text": f"The answer is {i + s}."} for q in questions["question_id"] for s in range(2)]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    snakemake(target)
    assert "Nothing to be done" in snakemake("-n", target)

    grading = root / "slmmux" / "answers" / "grading.py"
    source = grading.read_text()
    edited = source.replace('    """Rows and accuracy (flexible and strict) per benchmark, model, split and decoding."""\n',
                            '    """Rows and accuracy (flexible and strict) per benchmark, model, split and decoding."""\n'
                            '    graded = graded.clone()\n', 1)
    assert edited != source
    grading.write_text(edited)

    out = snakemake("-n", target)
    counts = job_counts(out)
    assert counts.get("grade") == 2 and counts.get("validation_accuracy") == 1 and counts.get("select") == 1, out[-5000:]
    assert "generate" not in counts and "prepare_questions" not in counts, out[-5000:]
    assert "Params have changed since last execution" in out, out[-5000:]
