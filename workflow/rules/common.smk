# Configuration validation, helper functions and wildcard constraints shared by every rule.
import copy
import json
import re
import shlex
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger

# light imports only: this file is parsed on the submitting host and again in every cluster job
# (tests/test_light_parse.py keeps matplotlib, slmmux.figures and slmmux.tables out)
from slmmux.artifacts import expected_figures, expected_tables
from slmmux.code_digest import code_digest
from slmmux.config import SEARCHED_GROUP, TINY_MODEL_DIR, TRAINED_MODEL_DIR, ConfigError, load_yaml_strict, prepare_config, shell_join
from slmmux.config import backend_args as quoted_backend_args
from slmmux.resource_plan import ResourcePlanError, check_plan, format_plan, plan_jobs

# The Snakefile's configfile (config/config.yaml) is the default configuration. A --configfile on the
# command line replaces it instead of being merged into it (Snakemake would merge, so keys of the
# default that the given file leaves out would leak into, e.g., a paper run). Done here, not with the
# --replace-workflow-config option, because cluster jobs are started without the profile's options and
# must parse the same configuration as the submitting host.
if workflow.overwrite_configfiles:
    config.clear()
    config.update(copy.deepcopy(workflow.config_settings.overwrite_config))

try:
    # Snakemake's YAML loading keeps the last of a duplicated key silently: reread each config file
    # with a loader that names the duplicate instead.
    for configfile in workflow.configfiles:
        if Path(configfile).is_file():
            load_yaml_strict(configfile)
    # Validate against the JSON schemas (workflow/schemas, a description and a default for every key),
    # fill the defaults, and report every bad field at once. The same dict object is completed in
    # place, so workflow.config and the rules see one config. Every value that reaches a shell
    # command is held to a strict pattern there and quoted (shell_join) where the command is built.
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


# Light analysis steps run on the submitting host under a cluster executor; only generation,
# discussion and grading go to the queue.
localrules:
    prepare_questions,
    build_tiny_model,
    model_sheet,
    resolved_config,
    validation_accuracy,
    answer_clusters,
    select,
    search,
    scale_samples,
    scale_models,
    tables,
    figures,
    manifest,
    explorer,


wildcard_constraints:
    benchmark="|".join(BENCHMARKS),
    model="|".join(re.escape(m) for m in MODELS),
    seed=r"\d+",
    method="moa|debate|mav",
    group="|".join([re.escape(g) for g in GROUPS] + [SEARCHED_GROUP.pattern.strip("^$")]),


def script(name):
    """Path of a command-line entry point in scripts/, quoted for the shell (the checkout may have spaces)."""
    return shell_join([f"{SCRIPTS}/{name}"])


def code_of(name):
    """Digest of scripts/<name> and the slmmux code and data it imports (slmmux.code_digest).

    The rules that run a script carry it as params.code, so Snakemake's params rerun trigger reruns
    a job whose code changed, and everything downstream of it (its inputs change)."""
    return code_digest(f"{SCRIPTS}/{name}", Path(workflow.basedir).parent)


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


# The GPU resource plan: every GPU job's engine against the GPUs it requests, shown and checked before
# any job starts (slmmux.resource_plan); only in the main process, not again in each cluster job.
if workflow.is_main_process:
    _plan = plan_jobs(config, Path.cwd(), gpus_of, discussion_groups())
    if _plan:
        logger.info(format_plan(_plan, config["generation"]["gpu_memory_gib"]))
    try:
        check_plan(_plan, config["generation"]["gpu_memory_gib"])
    except ResourcePlanError as exc:
        raise WorkflowError(str(exc))


def graded(benchmark, models):
    return expand(f"{R}/samples/graded/{benchmark}/{{model}}/seed{{seed}}.parquet", model=models, seed=SEEDS)


def raw(benchmark, models):
    return expand(f"{R}/samples/raw/{benchmark}/{{model}}/seed{{seed}}.parquet", model=models, seed=SEEDS)


def generate_inputs(wildcards):
    """A generation job's inputs: every benchmark's questions (one job per model and seed), its tiny model."""
    inputs = {"questions": [f"{R}/questions/{b}.parquet" for b in BENCHMARKS]}
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
    """--backend, --model (a trained model's folder as an absolute path, where it is loaded) and its
    engine settings, each word quoted for the shell."""
    return quoted_backend_args({**model_entry(wildcards.model), "model": model_location(wildcards.model)},
                               backend_of(wildcards.model))


def selection_inputs(wildcards):
    """Fixed groups read their members' samples; searched groups s<K>r<R> read the whole pool's
    samples and the search ranking, and the script picks the R-th best subset of size K."""
    inputs = {"validation": f"{R}/validation/{wildcards.benchmark}.parquet",
              "clusters": f"{R}/clusters/{wildcards.benchmark}.parquet"}
    if wildcards.group in GROUPS:
        inputs["samples"] = graded(wildcards.benchmark, sorted(GROUPS[wildcards.group]))
    else:
        inputs["samples"] = graded(wildcards.benchmark, pool())
        inputs["ranking"] = f"{R}/search/{wildcards.benchmark}.parquet"
    return inputs


def group_args(wildcards, input):
    """--models for a fixed group; --search/--size/--rank for a searched group s<K>r<R>."""
    if wildcards.group in GROUPS:
        return shell_join(["--models", *sorted(GROUPS[wildcards.group])])
    size, rank = SEARCHED_GROUP.match(wildcards.group).groups()
    return shell_join(["--search", input.ranking, "--size", size, "--rank", rank])


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


# The question explorer (rules/explorer.smk)


def explorer_inputs(wildcards):
    """The group's samples (and, for a searched group, the ranking that names its members), the
    questions, and every decision file of the group: selection and, when run, discussion."""
    inputs = selection_inputs(wildcards)
    del inputs["validation"]
    inputs["questions"] = f"{R}/questions/{wildcards.benchmark}.parquet"
    inputs["decisions"] = [f"{R}/selection/{wildcards.benchmark}/{wildcards.group}.parquet"]
    if wildcards.group in discussion_groups():
        inputs["decisions"] += [f"{R}/discussion/{wildcards.benchmark}/{wildcards.group}/{m}/seed{s}.parquet"
                                for m in config["discussion"]["methods"] for s in SEEDS]
    return inputs


EXPLORERS = [f"{R}/explorer/{b}/explorer_{b}_{g}.html" for b in BENCHMARKS for g in all_groups()]
