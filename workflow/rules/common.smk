# Configuration validation, helper functions and wildcard constraints shared by every rule.
import json
import re
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

min_version("9.0")

from slmmux.figures import expected_figures
from slmmux.tables import expected_tables
from slmmux.config import SEARCHED_GROUP, TINY_MODEL_DIR, TRAINED_MODEL_DIR, ConfigError, prepare_config

try:
    # Validate against the JSON schemas (workflow/schemas, a description and a default for every key),
    # fill the defaults, and report every bad field at once. The same dict object is completed in
    # place, so workflow.config and the rules see one config.
    config.update(prepare_config(config, schema_dir=Path(workflow.basedir) / "schemas", base_dir=Path.cwd()))
except ConfigError as exc:
    raise WorkflowError(str(exc))

# The trained models' weights are shipped in the repository (models/), not in the working directory:
# their folders are loaded from there (model_location), so a run from any working directory serves
# the shipped weights instead of retraining them (train_arith_model writes the same folder when one
# is missing). The config keeps the configured id (models/<name>, relative to the repository): it is
# what the tables and the resolved config show, never this machine's absolute path.
TRAINED_DIR = str(Path(workflow.basedir).parent / TRAINED_MODEL_DIR)


R = config["results_dir"]
BENCHMARKS = sorted(config["benchmarks"])
MODELS = sorted(config["models"])
SEEDS = config["seeds"]
GROUPS = config["groups"]
SCRIPTS = str(Path(workflow.basedir).parent / "scripts")
SCHEMAS = str(Path(workflow.basedir) / "schemas")
REFERENCE = config["report"]["reference_model"]
TINY = sorted(k for k, m in config["models"].items() if m["tiny"] is not None)
TRAINED = sorted({m["trained"] for m in config["models"].values() if m["trained"] is not None})
MODEL_SHEET = f"{R}/model_sheet.json"
RESOLVED_CONFIG = f"{R}/config.resolved.json"


wildcard_constraints:
    benchmark="|".join(BENCHMARKS),
    model="|".join(re.escape(m) for m in MODELS),
    seed=r"\d+",
    method="moa|debate|mav",
    group="|".join([re.escape(g) for g in GROUPS] + [SEARCHED_GROUP.pattern.strip("^$")]),


def script(name):
    """Path of a command-line entry point in scripts/."""
    return f"{SCRIPTS}/{name}"


def pool():
    """Candidate models of the subset search."""
    if config["search"]["pool"] is not None:
        return sorted(config["search"]["pool"])
    return [m for m in MODELS if m != REFERENCE]


def searched_groups():
    s = config["search"]
    if s["groups_size"] > len(pool()) or s["groups_size"] not in s["sizes"]:
        return []
    return [f"s{s['groups_size']}r{r}" for r in range(1, s["groups_top"] + 1)]


def all_groups():
    return sorted(GROUPS) + searched_groups()


def scaling_groups():
    return config["scaling"]["groups"] if config["scaling"]["groups"] is not None else all_groups()


def discussion_groups():
    d = config["discussion"]
    if not d["enabled"]:
        return []
    return d["groups"] if d["groups"] is not None else sorted(GROUPS)


def model_entry(key):
    return config["models"][key]


def model_location(key):
    """Where a model is loaded from: a trained model's folder in the repository (absolute), else its
    configured id (hub id or directory)."""
    m = model_entry(key)
    return f"{TRAINED_DIR}/{m['trained']}" if m["trained"] is not None else m["model"]


def loadable_sheet():
    """The model sheet with every model at the place it is loaded from (for scripts that load models)."""
    return {"models": {k: {**m, "model": model_location(k)} for k, m in config["models"].items()}}


def backend_of(key):
    return model_entry(key)["backend"] or config["generation"]["backend"]


def gpus_of(key):
    """GPUs a generation job for this model requests (0 on CPU and for remote/replay backends)."""
    if config["generation"]["device"] != "cuda" or backend_of(key) != "vllm":
        return 0
    return model_entry(key)["tensor_parallel_size"]


def graded(benchmark, models):
    return expand(f"{R}/samples/graded/{benchmark}/{{model}}/seed{{seed}}.parquet", model=models, seed=SEEDS)


def raw(benchmark, models):
    return expand(f"{R}/samples/raw/{benchmark}/{{model}}/seed{{seed}}.parquet", model=models, seed=SEEDS)


def generate_inputs(wildcards):
    inputs = {"questions": f"{R}/questions/{wildcards.benchmark}.parquet"}
    if model_entry(wildcards.model)["tiny"] is not None:
        inputs["model_dir"] = f"{TINY_MODEL_DIR}/{wildcards.model}"
    elif model_entry(wildcards.model)["trained"] is not None:
        inputs["model_dir"] = model_location(wildcards.model)
    return inputs


def sampling_args(wildcards):
    g = config["generation"]
    args = [f"--samples validation:{g['validation']['k']}:{g['validation']['temperature']}",
            f"--samples test:{g['test']['k']}:{g['test']['temperature']}"]
    if g["greedy"]:
        args.append("--samples test:1:0")
    return " ".join(args)


def backend_args(wildcards):
    m = model_entry(wildcards.model)
    backend = backend_of(wildcards.model)
    args = [f"--backend {backend}", f"--model {model_location(wildcards.model)!r}"]
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


def selection_inputs(wildcards):
    """Fixed groups read their members' samples; searched groups s<K>r<R> read the whole pool's
    samples and the search ranking, and the script picks the R-th best subset of size K."""
    inputs = {"validation": f"{R}/validation/{wildcards.benchmark}.parquet"}
    if wildcards.group in GROUPS:
        inputs["samples"] = graded(wildcards.benchmark, sorted(GROUPS[wildcards.group]))
    else:
        inputs["samples"] = graded(wildcards.benchmark, pool())
        inputs["ranking"] = f"{R}/search/{wildcards.benchmark}.parquet"
    return inputs


def group_args(wildcards, input):
    """--models for a fixed group; --search/--size/--rank for a searched group s<K>r<R>."""
    if wildcards.group in GROUPS:
        return "--models " + " ".join(sorted(GROUPS[wildcards.group]))
    size, rank = SEARCHED_GROUP.match(wildcards.group).groups()
    return f"--search {input.ranking} --size {size} --rank {rank}"


def selection_k_arg():
    k = config["selection"]["k"]
    return f"--k {k}" if k is not None else ""


# Tables, figures and the HTML report


def analysis_inputs():
    """Every input of the tables and figures, by kind."""
    inputs = {
        "decisions": [f"{R}/selection/{b}/{g}.parquet" for b in BENCHMARKS for g in all_groups()],
        "discussion": [f"{R}/discussion/{b}/{g}/{m}/seed{s}.parquet" for b in BENCHMARKS for g in discussion_groups()
                       for m in config["discussion"]["methods"] for s in SEEDS],
        "search": [f"{R}/search/{b}.parquet" for b in BENCHMARKS],
        "scaling_samples": [f"{R}/scaling/{b}/samples_{g}.parquet" for b in BENCHMARKS for g in scaling_groups()],
        "scaling_models": [f"{R}/scaling/{b}/models.parquet" for b in BENCHMARKS],
        "samples": [p for b in BENCHMARKS for p in graded(b, MODELS)],
        "validation": [f"{R}/validation/{b}.parquet" for b in BENCHMARKS],
        "questions": [f"{R}/questions/{b}.parquet" for b in BENCHMARKS],
        "config": RESOLVED_CONFIG,
    }
    return inputs


def report_item(path, kind):
    """Wrap a table (its CSV) or a figure (its PNG) for the HTML report, with its caption beside it."""
    name = Path(path).name
    stem = name.rsplit(".", 1)[0]
    caption_stem = next((c for c in CAPTIONS if stem == c or stem.startswith(f"{c}_")), None)
    if caption_stem is None or not (name.endswith(".csv") or name.endswith(".png")):
        return path
    return report(path, caption=f"../report/{caption_stem}.rst", category=kind, labels={"file": stem})


CAPTIONS = sorted(p.stem for p in (Path(workflow.basedir) / "report").glob("*.rst"))
TABLES = [f"{R}/tables/{name}" for name in expected_tables()]
FIGURES = [f"{R}/figures/{name}" for name in expected_figures(BENCHMARKS, all_groups(), discussion=bool(discussion_groups()))]
