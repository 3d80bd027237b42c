"""Hostile configurations: no config or model-sheet value ever runs as a shell command, and values
that cannot work are rejected before any job, naming the field.

Two independent defences are tested: the strict patterns (a value with shell metacharacters is
rejected at validation), and the quoting (a value built into a command line is one word, whatever it
holds, proven by running the quoted command and checking that the marker file never appears).
"""

from __future__ import annotations

import shlex
import subprocess
import time

import pytest
import yaml

from conftest import REPO, snakemake
from slmmux.config import ConfigError, backend_args, backend_argv, load_yaml_strict, prepare_config, shell_join

SCHEMAS = REPO / "workflow" / "schemas"


def default_config() -> dict:
    return yaml.safe_load((REPO / "tests" / "configs" / "tiny.yaml").read_text())


def openai_config() -> dict:
    cfg = default_config()
    cfg["models"]["remote"] = {"model": "org/served", "backend": "openai", "base_url": "http://127.0.0.1:8000/v1",
                               "api_key_env": "SLMMUX_KEY"}
    return cfg


def payloads(marker) -> list[str]:
    """Ways to smuggle `touch marker` into a shell command line, quoted or not."""
    m = str(marker)
    return [
        f"x$(touch {m})",
        f"x`touch {m}`",
        f"x;touch {m}",
        f"x && touch {m}",
        f"x|touch {m}",
        f"org/x'$(touch {m})'",
        f"x' ; touch {m} ; '",
        f'x" ; touch {m} ; "',
        f"x\ntouch {m}",
        f"x\ntouch {m}\n",
        f"--x=$(touch {m})",
        f"x > {m}",
    ]


def set_path(cfg: dict, path: tuple, value) -> dict:
    node = cfg
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return cfg


# Every string a config or model sheet holds, with the field name the error must give.
STRING_FIELDS = [
    (("results_dir",), "results_dir"),
    (("models", "remote", "model"), "models.remote.model"),
    (("models", "remote", "revision"), "models.remote.revision"),
    (("models", "remote", "dtype"), "models.remote.dtype"),
    (("models", "remote", "base_url"), "models.remote.base_url"),
    (("models", "remote", "api_key_env"), "models.remote.api_key_env"),
    (("models", "remote", "replay_file"), "models.remote.replay_file"),
    (("models", "remote", "backend"), "models.remote.backend"),
    (("groups", "trio", 0), "groups.trio.0"),
    (("search", "pool"), "search.pool.0"),
    (("scaling", "groups"), "scaling.groups.0"),
    (("discussion", "groups"), "discussion.groups.0"),
    (("discussion", "methods"), "discussion.methods.0"),
    (("report", "reference_model"), "report.reference_model"),
    (("generation", "backend"), "generation.backend"),
    (("generation", "device"), "generation.device"),
    (("search", "method"), "search.method"),
    (("search", "contradiction_base"), "search.contradiction_base"),
    (("benchmarks", "math", "validation_source"), "benchmarks.math.validation_source"),
]
LIST_FIELDS = {("search", "pool"), ("scaling", "groups"), ("discussion", "groups"), ("discussion", "methods")}


@pytest.mark.parametrize("path, field", STRING_FIELDS, ids=[f for _, f in STRING_FIELDS])
def test_shell_metacharacters_in_every_string_field_are_rejected(tmp_path, path, field):
    marker = tmp_path / "PWNED"
    for payload in payloads(marker):
        cfg = openai_config()
        value = [payload] if path in LIST_FIELDS else payload
        set_path(cfg, path, value)
        with pytest.raises(ConfigError) as info:
            prepare_config(cfg, SCHEMAS, base_dir=tmp_path)
        assert field in str(info.value), (payload, str(info.value))
    assert not marker.exists()


@pytest.mark.parametrize("where", ["model key", "group name", "benchmark"])
def test_shell_metacharacters_in_keys_are_rejected(tmp_path, where):
    marker = tmp_path / "PWNED"
    for payload in payloads(marker):
        cfg = default_config()
        if where == "model key":
            cfg["models"][payload] = {"model": "org/x"}
        elif where == "group name":
            cfg["groups"][payload] = ["tiny-a"]
        else:
            cfg["benchmarks"][payload] = {}
        with pytest.raises(ConfigError):
            prepare_config(cfg, SCHEMAS, base_dir=tmp_path)
    assert not marker.exists()


def run_quoted(words: list[str], quoted: str | None = None) -> list[str]:
    """Run ``printf`` over the quoted words in a real shell; return the words it received."""
    cmd = "printf '%s\\0' " + (quoted if quoted is not None else shell_join(words))
    out = subprocess.run(["sh", "-c", cmd], capture_output=True, timeout=10, check=True).stdout
    return out.decode().split("\0")[:-1]


def test_quoting_alone_stops_every_payload(tmp_path):
    """Even a value that slipped past validation stays one word: the shell runs nothing from it."""
    marker = tmp_path / "PWNED"
    for payload in payloads(marker):
        entry = {"model": payload, "revision": payload, "base_url": payload, "api_key_env": payload,
                 "replay_file": payload, "dtype": payload, "tensor_parallel_size": 1,
                 "gpu_memory_utilization": 0.9, "max_model_len": None, "enforce_eager": False}
        for backend in ("vllm", "openai", "replay"):
            words = backend_argv(entry, backend)
            assert run_quoted(words) == words
            assert run_quoted(words, backend_args(entry, backend)) == words
    assert not marker.exists()


def test_unquoted_join_would_have_run_the_payload(tmp_path):
    """The check above can fail: the same payload joined without quoting does run (the old repr quoting too)."""
    marker = tmp_path / "PWNED"
    subprocess.run(["sh", "-c", f"printf '%s' --model {'org/x' + repr(chr(39) + '$(touch ' + str(marker) + ')' + chr(39))}"],
                   capture_output=True, timeout=10)
    subprocess.run(["sh", "-c", f"printf '%s' --api-key-env X$(touch {shlex.quote(str(marker))})"],
                   capture_output=True, timeout=10)
    assert marker.exists()


def legacy_backend_args(m: dict, backend: str) -> str:
    """The generate rule's params string before the quoting fix (repr for some values, nothing for others)."""
    args = [f"--backend {backend}", f"--model {m['model']!r}"]
    if m["revision"]:
        args.append(f"--revision {m['revision']!r}")
    if backend == "vllm":
        args += [f"--tensor-parallel-size {m['tensor_parallel_size']}", f"--dtype {m['dtype']}",
                 f"--gpu-memory-utilization {m['gpu_memory_utilization']}"]
        if m["max_model_len"]:
            args.append(f"--max-model-len {m['max_model_len']}")
        if m["enforce_eager"]:
            args.append("--enforce-eager")
    elif backend == "openai":
        args.append(f"--base-url {m['base_url']!r}")
        if m["api_key_env"]:
            args.append(f"--api-key-env {m['api_key_env']}")
    else:
        args.append(f"--replay-file {m['replay_file']!r}")
    return " ".join(args)


@pytest.mark.parametrize("name", ["config.yaml", "paper.yaml"])
def test_valid_model_sheets_render_as_before_so_no_sample_is_regenerated(tmp_path, name):
    """Snakemake reruns a job whose params changed: the fix must not regenerate existing samples."""
    cfg = yaml.safe_load((REPO / "config" / name).read_text())
    cfg["models"]["remote"] = {"model": "org/served", "backend": "openai", "base_url": "http://127.0.0.1:8000/v1",
                               "api_key_env": "SLMMUX_KEY", "revision": "v1.0"}
    (tmp_path / "r.jsonl").write_text("")
    cfg["models"]["replayed"] = {"model": "org/y", "backend": "replay", "replay_file": "r.jsonl"}
    full = prepare_config(cfg, SCHEMAS, base_dir=tmp_path)
    for entry in full["models"].values():
        backend = entry["backend"] or full["generation"]["backend"]
        assert backend_args(entry, backend) == legacy_backend_args(entry, backend)


@pytest.mark.parametrize("entry", [
    {"model": "org/Model-1.5B+instruct", "backend": "vllm", "revision": "refs/pr/1", "dtype": "bfloat16",
     "max_model_len": 4096},
    {"model": "./models/local_dir", "backend": "vllm"},
    {"model": "org/served", "backend": "openai", "base_url": "http://[::1]:8000/v1", "api_key_env": "MY_KEY"},
    {"model": "org/served", "backend": "openai", "base_url": "https://api.example.org/v1/~team%20a/"},
])
def test_legal_values_reach_the_command_line_as_one_word_each(tmp_path, entry):
    """Legal values with characters a shell treats specially ([ ] ~ % + /) survive the real rule's command."""
    (tmp_path / "models" / "local_dir").mkdir(parents=True)
    cfg = default_config()
    cfg["models"]["odd"] = entry
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    proc = snakemake(tmp_path, "-n", "-p", "results/samples/raw/math/odd/seed0.parquet", configfile=path)
    lines = [ln for ln in proc.stdout.splitlines() if "generate.py" in ln and "--model-key odd" in ln]
    assert len(lines) == 1, proc.stdout[-3000:]
    words = shlex.split(lines[0].split("Shell command:", 1)[-1])
    given = dict(zip(words, words[1:]))
    assert given["--model"] == entry["model"]
    for key, flag in (("revision", "--revision"), ("base_url", "--base-url"), ("api_key_env", "--api-key-env"),
                      ("dtype", "--dtype")):
        if key in entry:
            assert given[flag] == entry[key]
    assert not (tmp_path / "results").exists()


def test_workflow_with_hostile_model_sheet_stops_before_any_job(tmp_path):
    marker = tmp_path / "PWNED"
    cfg = openai_config()
    cfg["models"]["remote"]["model"] = f"org/x'$(touch {marker})'"
    cfg["models"]["remote"]["api_key_env"] = f"X$(touch {marker})"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg))
    proc = snakemake(tmp_path, "results/samples/raw/math/remote/seed0.parquet", configfile=path, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "models.remote.model" in out and "models.remote.api_key_env" in out
    assert not marker.exists()
    assert not (tmp_path / "results").exists()


# Finding 6: values that pass a loose schema but cannot work.

def mutate(*changes) -> dict:
    cfg = openai_config()
    for path, value in changes:
        set_path(cfg, path, value)
    return cfg


@pytest.mark.parametrize("cfg, field", [
    (mutate((("results_dir",), "")), "results_dir"),
    (mutate((("results_dir",), "/")), "results_dir"),
    (mutate((("results_dir",), ".")), "results_dir"),
    (mutate((("results_dir",), "../elsewhere")), "results_dir"),
    (mutate((("results_dir",), "/tmp/results")), "results_dir"),
    (mutate((("results_dir",), "results/../..")), "results_dir"),
    (mutate((("generation", "test"), {"k": 3.0, "temperature": 0.3})), "generation.test.k"),
    (mutate((("generation", "max_tokens"), True)), "generation.max_tokens"),
    (mutate((("generation", "max_tokens"), 2048)), "models.tiny-a.max_model_len"),
    (mutate((("generation", "max_tokens"), 1024)), "models.tiny-a.max_model_len"),
    (mutate((("models", "tiny-a", "dtype"), "float128")), "models.tiny-a.dtype"),
    (mutate((("models", "remote", "model"), "")), "models.remote.model"),
    (mutate((("models", "remote", "base_url"), "http://user:sk-secret@127.0.0.1:8000/v1")), "models.remote.base_url"),
    (mutate((("models", "remote", "base_url"), "file:///etc/passwd")), "models.remote.base_url"),
    (mutate((("models", "remote", "base_url"), "http://127.0.0.1:notaport/v1")), "models.remote.base_url"),
    (mutate((("models", "remote", "api_key_env"), "sk-proj-abcdef0123456789")), "models.remote.api_key_env"),
    (mutate((("models", "remote", "backend"), "replay"), (("models", "remote", "replay_file"), "../outside.jsonl")),
     "models.remote.replay_file"),
    (mutate((("models", "remote", "backend"), "replay"), (("models", "remote", "replay_file"), "/etc/passwd")),
     "models.remote.replay_file"),
    (mutate((("generation", "test"), {"k": 10**9, "temperature": 0.3})), "generation.test.k"),
    (mutate((("seeds",), list(range(1000)))), "seeds"),
    (mutate((("benchmarks", "math", "validation_size"), 10**9)), "benchmarks.math.validation_size"),
    (mutate((("generation", "max_tokens"), 10**9)), "generation.max_tokens"),
    (mutate((("search", "sizes"), [2, 200])), "search.sizes.1"),
    (mutate((("scaling", "trials"), 10**12)), "scaling.trials"),
    (mutate((("models", "tiny-a", "tensor_parallel_size"), 4096)), "models.tiny-a.tensor_parallel_size"),
    (mutate((("models", "tiny-a", "tiny"), {"seed": 1, "hidden_size": 10**6, "layers": 2})), "models.tiny-a.tiny.hidden_size"),
])
def test_unworkable_values_are_rejected_naming_the_field(tmp_path, cfg, field):
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "outside.jsonl").write_text("")
    with pytest.raises(ConfigError) as info:
        prepare_config(cfg, SCHEMAS, base_dir=project)
    assert field in str(info.value)


def test_symlinks_inside_the_project_are_the_users_choice(tmp_path):
    """A results folder or replay file linked to other storage is allowed: only the path's text is judged."""
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "scratch").mkdir()
    (tmp_path / "scratch" / "replay.jsonl").write_text("")
    (project / "results").symlink_to(tmp_path / "scratch")
    (project / "link.jsonl").symlink_to(tmp_path / "scratch" / "replay.jsonl")
    cfg = mutate((("models", "remote", "backend"), "replay"), (("models", "remote", "replay_file"), "link.jsonl"))
    assert prepare_config(cfg, SCHEMAS, base_dir=project)["results_dir"] == "results"


def test_workable_values_stay_valid(tmp_path):
    cfg = mutate((("results_dir",), "runs/2026-01.a"), (("generation", "max_tokens"), 1023),
                 (("models", "remote", "base_url"), "https://api.example.org/v1"))
    cfg["models"]["replayed"] = {"model": "org/y", "backend": "replay", "replay_file": "data/replay.jsonl"}
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "replay.jsonl").write_text("")
    full = prepare_config(cfg, SCHEMAS, base_dir=tmp_path)
    assert full["results_dir"] == "runs/2026-01.a"


DUPLICATED = """\
results_dir: results
benchmarks:
  math: {test_size: 4}
models:
  a: {model: org/a}
  a: {model: org/b}
"""


def test_duplicate_yaml_key_is_an_error_naming_it(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(DUPLICATED)
    assert yaml.safe_load(DUPLICATED)["models"] == {"a": {"model": "org/b"}}  # what PyYAML silently does
    with pytest.raises(ConfigError, match=r"(?s)'a' first given.*line 5.*given again.*dup\.yaml\", line 6"):
        load_yaml_strict(path)


def test_workflow_rejects_duplicate_keys_before_any_job(tmp_path):
    text = (REPO / "config" / "config.yaml").read_text().replace("split_seed: 0", "split_seed: 0\nsplit_seed: 1")
    path = tmp_path / "dup.yaml"
    path.write_text(text)
    proc = snakemake(tmp_path, "-n", configfile=path, check=False)
    assert proc.returncode != 0
    assert "split_seed" in proc.stdout + proc.stderr
    assert not (tmp_path / "results").exists()


ALIAS_BOMB = "".join(f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9 if i else ["x"] * 9) + "]\n" for i in range(10))


@pytest.mark.parametrize("kind", ["alias bomb", "self-reference", "deep nesting"])
def test_huge_or_deep_configs_are_rejected_quickly(tmp_path, kind):
    """A few lines of YAML can be a tree of 9**10 values or a cycle: rejected before the schema validator walks it."""
    cfg = default_config()
    if kind == "alias bomb":
        cfg["lol"] = yaml.safe_load("lol:\n" + ALIAS_BOMB)["lol"]
    elif kind == "self-reference":
        cfg["groups"]["trio"] = yaml.safe_load("x: &x [*x]\n")["x"]
    else:
        deep: list = []
        node = deep
        for _ in range(50_000):
            node.append([])
            node = node[0]
        cfg["search"]["pool"] = deep
    started = time.monotonic()
    with pytest.raises(ConfigError, match="too large to be a configuration"):
        prepare_config(cfg, SCHEMAS, base_dir=tmp_path)
    assert time.monotonic() - started < 5
