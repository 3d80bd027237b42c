"""The workflow through snakemake-executor-plugin-slurm on a real single-node SLURM cluster (loopback).

The session fixture starts the cluster with tests/slurm/start-slurm.sh (installing the Debian packages
when missing) and stops it afterwards only if it started it. Where SLURM cannot be started (not root,
no apt, packages unavailable) the tests are skipped with the reason, except under CI (env var CI set),
where that is a failure. Deselect with `-m "not slurm"`.

- test_throwaway_workflow_on_slurm: a 3-rule workflow, submitted with the project's SLURM profile.
- test_profile_takes_account_and_partition_from_environment: profile env expansion (dry run).
- test_failed_job_names_log_and_rerun_resumes: a failing job makes snakemake exit non-zero and name
  the job's log; after the cause is fixed a rerun resumes, keeping what had finished.
- test_workflow_tables_match_local_run: the embedded default (config/config.yaml) through SLURM from
  scratch; its results/tables/*.csv must equal those of the local run (the session fixture
  embedded_run in conftest.py, shared with tests/test_workflow.py).
- test_requeued_generation_job_finishes_with_the_same_samples: preemption. A running generation job
  is requeued after its first checkpoint (scontrol requeue); SLURM runs it again, it resumes, and the
  samples equal an uninterrupted local run's (about 11 minutes on 2 shared cores).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slurm

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "tests" / "slurm"
PROFILE = REPO / "workflow" / "profiles" / "slurm"
BASE = Path(os.environ.get("SLMMUX_SLURM_BASE", "/tmp/slmmux-slurm"))
ACCOUNT = os.environ.get("SLMMUX_SLURM_ACCOUNT", "slmmux")
PARTITION = os.environ.get("SLMMUX_SLURM_PARTITION", "debug")
DAEMONS = {  # pid file (relative to BASE) -> process name, as written by start-slurm.sh
    "munge/munged.pid": "munged",
    "mysql/mysqld.pid": "mariadbd",
    "run/slurmdbd.pid": "slurmdbd",
    "run/slurmctld.pid": "slurmctld",
    "run/slurmd.pid": "slurmd",
}
# The CI node has no GPU: make sure no inference job asks for one, whatever the config says.
NO_GPU = ["--set-resources", "generate:gpu=0", "discuss:gpu=0"]


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"SLURM is required under CI but unavailable: {reason}")
    pytest.skip(f"SLURM unavailable: {reason}")


def _running() -> bool:
    for pidfile, name in DAEMONS.items():
        try:
            pid = (BASE / pidfile).read_text().strip()
            if Path(f"/proc/{pid}/comm").read_text().strip() != name:
                return False
        except (OSError, ValueError):
            return False
    return True


@pytest.fixture(scope="session")
def slurm_env():
    """Environment for snakemake runs against the cluster; starts (and later stops) the cluster."""
    if os.geteuid() != 0:
        _unavailable("tests/slurm/start-slurm.sh must run as root (apt-get, slurmd)")
    if shutil.which("apt-get") is None and shutil.which("slurmctld") is None:
        _unavailable("neither apt-get nor an installed SLURM (slurmctld) found")
    started_here = not _running()
    env = dict(os.environ, SLMMUX_SLURM_BASE=str(BASE), SLMMUX_SLURM_ACCOUNT=ACCOUNT,
               SLMMUX_SLURM_PARTITION=PARTITION)
    t0 = time.monotonic()
    try:
        proc = subprocess.run(["bash", str(SCRIPTS / "start-slurm.sh")], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)
    except subprocess.TimeoutExpired:
        _unavailable("start-slurm.sh did not finish within 900 s")
    print(f"start-slurm.sh: {time.monotonic() - t0:.1f} s\n{proc.stdout}")
    if proc.returncode != 0:
        if started_here:
            subprocess.run(["bash", str(SCRIPTS / "stop-slurm.sh")], env=env)
        _unavailable(f"start-slurm.sh exited {proc.returncode}:\n{proc.stdout[-3000:]}")
    venv_bin = str(Path(sys.executable).parent)
    run_env = dict(
        os.environ,
        SLURM_CONF=str(BASE / "etc" / "slurm.conf"),
        SLURM_ACCOUNT=ACCOUNT,
        SLURM_PARTITION=PARTITION,
        # jobs inherit this environment (sbatch --export=ALL): the rules' `python` is the venv's
        PATH=f"{venv_bin}:{os.environ.get('PATH', '/usr/bin:/bin')}:/usr/sbin:/sbin",
    )
    yield run_env
    if started_here:
        stop = subprocess.run(["bash", str(SCRIPTS / "stop-slurm.sh")], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        print(stop.stdout)


def snakemake(args: list[str], env: dict, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=cwd, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    print(f"snakemake {' '.join(args)}\n  -> rc={proc.returncode} in {time.monotonic() - t0:.1f} s")
    return proc


def on_slurm(*extra: str) -> list[str]:
    """Snakemake arguments: the project's SLURM profile, tuned for a tiny, GPU-less test cluster."""
    return ["--profile", str(PROFILE), "--slurm-init-seconds-before-status-checks", "2",
            "--latency-wait", "10", "--max-threads", "2", *NO_GPU, *extra]


THROWAWAY = """

rule all:
    input: "results/tables/summary.csv"

rule generate:
    output: "results/raw/{i}.txt"
    resources: gpu=0
    shell: "echo {wildcards.i},$SLURM_JOB_ID > {output}"

rule score:
    input: "results/raw/{i}.txt"
    output: "results/scored/{i}.txt"
    log: "logs/score/{i}.log"
    shell:
        "( test -e fixed || {{ echo 'score {wildcards.i}: cause not fixed' >&2; exit 3; }} ; "
        "awk -F, '{{print $1 * 10}}' {input} > {output} ) 2> {log}"

rule summary:
    input: expand("results/scored/{i}.txt", i=[1, 2])
    output: "results/tables/summary.csv"
    shell: "cat {input} > {output}"
"""


def write_throwaway(path: Path, fixed: bool = True) -> Path:
    (path / "Snakefile").write_text(textwrap.dedent(THROWAWAY))
    if fixed:
        (path / "fixed").write_text("")
    return path


def test_throwaway_workflow_on_slurm(slurm_env, tmp_path):
    wf = write_throwaway(tmp_path)
    proc = snakemake(on_slurm(), slurm_env, wf)
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert (wf / "results/tables/summary.csv").read_text().split() == ["10", "20"]
    for i in (1, 2):
        # the job ran inside a SLURM allocation, charged to the account from $SLURM_ACCOUNT
        _, job_id = (wf / f"results/raw/{i}.txt").read_text().strip().split(",")
        assert job_id.isdigit(), proc.stdout[-3000:]
        sacct = subprocess.run(["sacct", "-n", "-X", "-P", "-j", job_id, "-o", "Account,State"],
                               env=slurm_env, text=True, capture_output=True, check=True)
        assert sacct.stdout.strip() == f"{ACCOUNT}|COMPLETED", sacct
    # every job went through the queue: one submission per rule instance (2 + 2 + 1)
    assert len(re.findall(r"Job \d+ has been submitted with SLURM jobid \d+", proc.stdout)) == 5, \
        proc.stdout[-6000:]


def test_profile_takes_account_and_partition_from_environment(tmp_path):
    """The profile's default-resources read $SLURM_ACCOUNT/$SLURM_PARTITION (empty when unset).

    A dry run shows the resolved values in the printed shell command, without any cluster. (An
    invalid account cannot be tested on the cluster: snakemake 9.27.1 with plugin 2.6.1 hangs,
    ignoring SIGTERM, when the plugin rejects the account at submission.)
    """
    (tmp_path / "Snakefile").write_text(
        'rule show:\n    output: "x"\n'
        '    shell: "echo account=[{resources.slurm_account}] partition=[{resources.slurm_partition}]"\n'
    )
    dry = ["--profile", str(PROFILE), "--dry-run", "--executor", "dryrun"]
    env = dict(os.environ, SLURM_ACCOUNT="acct-from-env", SLURM_PARTITION="part-from-env")
    proc = snakemake(dry, env, tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "account=[acct-from-env] partition=[part-from-env]" in proc.stdout, proc.stdout[-3000:]
    env = {k: v for k, v in os.environ.items() if k not in ("SLURM_ACCOUNT", "SLURM_PARTITION")}
    proc = snakemake(dry, env, tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "account=[] partition=[]" in proc.stdout, proc.stdout[-3000:]


def test_failed_job_names_log_and_rerun_resumes(slurm_env, tmp_path):
    wf = write_throwaway(tmp_path, fixed=False)
    failed = snakemake(on_slurm(), slurm_env, wf)
    assert failed.returncode != 0, failed.stdout[-3000:]
    # snakemake names each failed job's logs: the rule's own log and SLURM's log of the job
    blocks = re.findall(r"Error in rule score:\n(.*?)\n\s+external_jobid: (\d+)", failed.stdout, re.S)
    assert len(blocks) == 2, failed.stdout[-6000:]
    for block, job_id in blocks:
        logs = re.search(r"^\s+log: (.*?) \(check log file", block, re.M).group(1).split(", ")
        rule_log = next(wf / p for p in logs if p.startswith("logs/score/"))
        slurm_log = next(Path(p) for p in logs if "/slurm_logs/rule_score/" in p)
        assert "cause not fixed" in rule_log.read_text()
        assert slurm_log.name == f"{job_id}.log" and slurm_log.exists(), slurm_log
        assert "returned non-zero exit status 3" in slurm_log.read_text(), \
            slurm_log.read_text()[-2000:]
    raw = {i: (wf / f"results/raw/{i}.txt").read_text() for i in (1, 2)}
    mtimes = {i: (wf / f"results/raw/{i}.txt").stat().st_mtime_ns for i in (1, 2)}
    assert not (wf / "results/tables/summary.csv").exists()

    (wf / "fixed").write_text("")
    resumed = snakemake(on_slurm(), slurm_env, wf)
    assert resumed.returncode == 0, resumed.stdout[-6000:]
    assert (wf / "results/tables/summary.csv").read_text().split() == ["10", "20"]
    # what had finished is kept, not run again (same files, same SLURM job ids)
    for i in (1, 2):
        assert (wf / f"results/raw/{i}.txt").read_text() == raw[i]
        assert (wf / f"results/raw/{i}.txt").stat().st_mtime_ns == mtimes[i]
    assert len(re.findall(r"Job \d+ has been submitted with SLURM jobid \d+", resumed.stdout)) == 3, \
        resumed.stdout[-6000:]


def read_tables(root: Path) -> dict[str, list[list[str]]]:
    tables = {}
    for path in sorted((root / "results" / "tables").glob("*.csv")):
        with path.open(newline="") as fh:
            tables[path.name] = list(csv.reader(fh))
    return tables


def test_workflow_tables_match_local_run(slurm_env, embedded_run, tmp_path):
    """The embedded default through SLURM equals the local run of the same config (conftest's embedded_run)."""
    configfile = REPO / "config" / "config.yaml"
    expected = read_tables(embedded_run)
    assert expected, f"the local run produced no results/tables/*.csv in {embedded_run}"

    slurm_dir = tmp_path / "slurm"
    remote = snakemake(["--snakefile", str(REPO / "workflow" / "Snakefile"), "--configfile", str(configfile),
                        "--directory", str(slurm_dir), *on_slurm()], slurm_env, REPO, timeout=1800)
    assert remote.returncode == 0, remote.stdout[-6000:]
    submitted = re.findall(r"submitted with SLURM jobid \d+", remote.stdout)
    # only generation (one job per model and seed) and grading (one per benchmark, model and seed) go
    # through the queue; the rest are localrules
    cfg = yaml.safe_load(configfile.read_text())
    n_runs = len(cfg["models"]) * len(cfg["seeds"])
    assert len(submitted) == n_runs * (1 + len(cfg["benchmarks"])), remote.stdout[-3000:]
    got = read_tables(slurm_dir)
    assert sorted(got) == sorted(expected)
    for name in expected:
        assert got[name] == expected[name], f"results/tables/{name} differs between local and SLURM runs"


def _squeue(env: dict, job_id: str | None = None) -> list[tuple[str, str]]:
    cmd = ["squeue", "-h", "-o", "%i %T"] + (["-j", job_id] if job_id else [])
    out = subprocess.run(cmd, env=env, text=True, capture_output=True).stdout
    return [tuple(line.split()) for line in out.splitlines() if line.strip()]


def _wait(what: str, check, timeout: float, proc: subprocess.Popen | None = None):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"snakemake exited ({proc.returncode}) while waiting for {what}:\n{proc.stdout.read()[-6000:]}")
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def test_requeued_generation_job_finishes_with_the_same_samples(slurm_env, tmp_path):
    """Preemption: a running generation job is requeued (scontrol requeue, as a preempting scheduler
    does); SLURM runs it again, it resumes from its checkpoint, and the workflow finishes with the same
    samples as an uninterrupted run."""
    from conftest import snakemake as local_snakemake

    import polars as pl

    configs = [REPO / "tests" / "configs" / "tiny.yaml", tmp_path / "longer.yaml"]
    # one benchmark's job, with more questions in smaller chunks: several checkpoints before it ends
    configs[1].write_text("benchmarks:\n  gsm8k: {validation_source: bundled, validation_size: 16, test_size: 32}\n"
                          "generation:\n  chunk_size: 4\n")
    target = "results/samples/raw/gsm8k/tiny-a/seed0.parquet"
    configfile = ["--configfile", *map(str, configs)]

    local = tmp_path / "local"
    local.mkdir()
    local_snakemake(local, target, *configfile)

    work = tmp_path / "slurm"
    args = [target, "--snakefile", str(REPO / "workflow" / "Snakefile"), *configfile, "--directory", str(work),
            *on_slurm()]
    proc = subprocess.Popen([sys.executable, "-m", "snakemake", *args], cwd=REPO, env=slurm_env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        partial = work / (target + ".partial")
        # the generation job (the only one in the queue: model building and questions are localrules)
        job_id = _wait("the generation job to run", lambda: next((j for j, s in _squeue(slurm_env) if s == "RUNNING"), None),
                       600, proc)
        log = partial / "samples.jsonl"
        _wait("its first checkpoint", lambda: log.exists() and log.stat().st_size > 0, 600, proc)
        assert not (work / target).exists()
        requeue = subprocess.run(["scontrol", "requeue", job_id], env=slurm_env, text=True, capture_output=True)
        assert requeue.returncode == 0, requeue.stderr
        # back in the queue; SLURM holds a requeued job for about two minutes (BeginTime): release it now
        _wait("the requeued job to be pending", lambda: _squeue(slurm_env, job_id) == [(job_id, "PENDING")], 120, proc)
        subprocess.run(["scontrol", "update", f"jobid={job_id}", "StartTime=now"], env=slurm_env, check=True)
        out, _ = proc.communicate(timeout=900)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out[-6000:]
    assert len(re.findall(r"submitted with SLURM jobid \d+", out)) == 1, out[-3000:]
    history = subprocess.run(["sacct", "-n", "-X", "-P", "-D", "-j", job_id, "-o", "State"], env=slurm_env,
                             text=True, capture_output=True, check=True).stdout.split()
    assert history == ["REQUEUED", "COMPLETED"], history

    cols = ["split", "question_id", "decoding", "sample"]
    got = pl.read_parquet(work / target).sort(cols)
    expected = pl.read_parquet(local / target).sort(cols)
    assert got.height == 16 * 3 + 32 * 3 + 32
    assert got.equals(expected), "the requeued job's samples differ from the uninterrupted run's"
    sidecar = json.loads((work / target.replace(".parquet", ".provenance.json")).read_text())
    assert sidecar["resumed"]["rows_from_checkpoint"] > 0  # the second run resumed, it did not start over
