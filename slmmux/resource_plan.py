"""The GPU resource plan: does every GPU job's engine fit the GPUs the job requests?

Checked while the workflow builds its DAG, so a job that cannot load fails before any job starts
(issue 15), not hours into a cluster run. For each GPU job (a vLLM model on ``device: cuda``):

- **weights**: from the model's local folder (``config.json`` and ``model.safetensors.index.json``,
  or the sizes of its ``*.safetensors`` files), else from :data:`KNOWN_MODELS`, a table of hub ids
  with their parameter counts and attention shapes (from each model's card and ``config.json``),
  times the bytes of the job's dtype;
- **KV cache**: ``2 (K and V) x layers x KV heads x head dim x dtype bytes`` per token, for ``batch``
  sequences of ``max_model_len`` tokens; with more GPUs than KV heads, vLLM keeps one KV head per GPU,
  so the cache takes ``tensor_parallel_size / KV heads`` times that (:func:`kv_copies`). A generation job decodes the k samples of a question together
  (batch = the largest k of its sample blocks); a discussion job one completion per question and agent
  (batch 1);
- **overhead**: :data:`OVERHEAD_GIB` per GPU for activations and CUDA graphs (vLLM's profiling run);

against what it gets: ``tensor_parallel_size x gpu_memory_gib x gpu_memory_utilization`` (vLLM uses
only that fraction of each GPU). Memory is in GiB (2^30 bytes; an "80 GB" A100/H100 has 80 GiB).

A discussion job loads its group's models one at a time (each on its own tensor parallel size, within
the job's GPUs, which are the largest of them): it is planned as its largest single model.

Only the standard library: the workflow imports this while it parses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

GIB = 2**30
OVERHEAD_GIB = 2.0
TP_SIZES = (1, 2, 4, 8)
DTYPE_BYTES = {"bfloat16": 2, "float16": 2, "half": 2, "float32": 4, "float": 4}


@dataclass(frozen=True)
class ModelSize:
    """What the plan needs to know about a model's weights and attention."""

    weights_bytes: int | None  # None: from parameters x dtype bytes
    parameters: float | None
    layers: int
    kv_heads: int
    head_dim: int
    max_position: int | None
    source: str
    checkpoint_dtype: str | None = None


# hub id -> parameters, layers, KV heads, head dim, max positions (model cards and config.json)
KNOWN_MODELS: dict[str, ModelSize] = {
    "mistralai/Mixtral-8x7B-Instruct-v0.1": ModelSize(None, 46.7e9, 32, 8, 128, 32768, "table"),
    "meta-llama/Llama-3.1-8B-Instruct": ModelSize(None, 8.03e9, 32, 8, 128, 131072, "table"),
    "google/gemma-2-27b-it": ModelSize(None, 27.2e9, 46, 16, 128, 8192, "table"),
    "google/gemma-2-9b-it": ModelSize(None, 9.24e9, 42, 8, 256, 8192, "table"),
    "mistralai/Mistral-Small-24B-Instruct-2501": ModelSize(None, 23.6e9, 40, 8, 128, 32768, "table"),
    "Qwen/Qwen2.5-7B-Instruct": ModelSize(None, 7.62e9, 28, 4, 128, 32768, "table"),
    "Qwen/Qwen2.5-72B-Instruct": ModelSize(None, 72.7e9, 80, 8, 128, 32768, "table"),
}


class ResourcePlanError(ValueError):
    """A GPU job cannot fit the GPUs it requests; the message names each job, its numbers and the fix."""


def _read_json(path: Path) -> dict:
    if path.stat().st_size > 50 * 2**20:
        raise ValueError(f"{path} is larger than 50 MiB")
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return data


def local_model_size(folder: Path) -> ModelSize:
    """Weights and attention shape of a model folder (``config.json`` + safetensors)."""
    cfg = _read_json(folder / "config.json")
    text = cfg.get("text_config") if isinstance(cfg.get("text_config"), dict) else cfg
    heads = int(text["num_attention_heads"])
    kv_heads = int(text.get("num_key_value_heads") or heads)
    head_dim = int(text.get("head_dim") or int(text["hidden_size"]) // heads)
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        weights = int(_read_json(index)["metadata"]["total_size"])
        source = "config.json + safetensors index"
    else:
        files = sorted(folder.glob("*.safetensors")) or sorted(folder.glob("*.bin"))
        if not files:
            raise ValueError(f"{folder} has no *.safetensors or *.bin weights")
        weights = sum(f.stat().st_size for f in files)
        source = "config.json + weight files"
    return ModelSize(weights, None, int(text["num_hidden_layers"]), kv_heads, head_dim,
                     text.get("max_position_embeddings"), source, cfg.get("torch_dtype"))


def model_size(model: str, base_dir: Path) -> ModelSize | None:
    """The size of ``model`` (a local folder or a hub id), or None when it is unknown."""
    folder = Path(model) if Path(model).is_absolute() else base_dir / model
    if (folder / "config.json").is_file():
        return local_model_size(folder)
    return KNOWN_MODELS.get(model)


@dataclass
class Engine:
    """One vLLM engine a job starts: its model, GPUs and memory settings."""

    key: str
    model: str
    tensor_parallel_size: int
    dtype: str
    max_model_len: int | None
    gpu_memory_utilization: float


@dataclass
class JobPlan:
    job: str
    gpus: int
    engine: Engine
    batch: int
    note: str = ""
    size: ModelSize | None = None
    weights_gib: float | None = None
    kv_gib: float | None = None
    context: int | None = None
    need_gib: float | None = None
    available_gib: float | None = None
    problem: str = ""

    @property
    def fits(self) -> bool | None:
        if self.problem:
            return False
        return None if self.need_gib is None else self.need_gib <= self.available_gib


def kv_copies(size: ModelSize, tensor_parallel_size: int) -> float:
    """How many times the KV cache is held across ``tensor_parallel_size`` GPUs: once while the KV heads
    split over the GPUs, ``tensor_parallel_size / KV heads`` times when there are fewer KV heads than
    GPUs (vLLM replicates a head so that every GPU holds one)."""
    return max(1.0, tensor_parallel_size / size.kv_heads)


def _dtype_bytes(dtype: str, size: ModelSize) -> int:
    if dtype == "auto":
        dtype = size.checkpoint_dtype or "bfloat16"
    return DTYPE_BYTES.get(dtype, 2)


def plan_engine(job: str, gpus: int, engine: Engine, batch: int, gpu_memory_gib: float, base_dir: Path,
                note: str = "") -> JobPlan:
    p = JobPlan(job, gpus, engine, batch, note)
    try:
        size = model_size(engine.model, base_dir)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        p.problem = f"cannot read the model's size: {exc}"
        return p
    if size is None:
        return p
    p.size = size
    nbytes = _dtype_bytes(engine.dtype, size)
    weights = size.weights_bytes if size.weights_bytes is not None else size.parameters * nbytes
    context = engine.max_model_len or size.max_position
    if context is None:
        p.problem = "no max_model_len and the model's config names no max_position_embeddings"
        return p
    per_token = 2 * size.layers * size.kv_heads * size.head_dim * nbytes
    p.context = context
    p.weights_gib = weights / GIB
    tp = engine.tensor_parallel_size
    p.kv_gib = batch * context * per_token / GIB * kv_copies(size, tp)
    p.need_gib = p.weights_gib + p.kv_gib + OVERHEAD_GIB * tp
    p.available_gib = gpus * gpu_memory_gib * engine.gpu_memory_utilization
    if tp > gpus:
        p.problem = f"its engine needs tensor_parallel_size={tp} GPUs and the job requests {gpus}"
    return p


def fix_for(p: JobPlan, gpu_memory_gib: float) -> str:
    """What to change so the job fits: a larger tensor parallel size, a shorter context, larger GPUs."""
    e, size = p.engine, p.size
    util = e.gpu_memory_utilization
    kv_once = p.kv_gib / kv_copies(size, e.tensor_parallel_size)  # the cache held once, whatever the GPUs
    fixes = []
    for tp in TP_SIZES:
        need = p.weights_gib + kv_once * kv_copies(size, tp) + OVERHEAD_GIB * tp
        if tp > e.tensor_parallel_size and need <= tp * gpu_memory_gib * util:
            fixes.append(f"set models.{e.key}.tensor_parallel_size: {tp}")
            break
    room = p.available_gib - p.weights_gib - OVERHEAD_GIB * e.tensor_parallel_size
    if room > 0 and p.kv_gib > 0:
        shorter = int(p.context * room / p.kv_gib) // 256 * 256
        if shorter >= 256:
            fixes.append(f"lower models.{e.key}.max_model_len to {shorter} or less")
    fixes.append("set generation.gpu_memory_gib to your GPUs' memory if they are larger than "
                 f"{gpu_memory_gib:g} GiB")
    return "; or ".join(fixes)


def format_plan(plans: list[JobPlan], gpu_memory_gib: float) -> str:
    lines = [f"GPU resource plan ({gpu_memory_gib:g} GiB per GPU, generation.gpu_memory_gib): need = weights + KV "
             f"cache (sequences x tokens) + {OVERHEAD_GIB:g} GiB per GPU; available = GPUs x GiB x "
             "gpu_memory_utilization"]
    header = f"  {'job':<46} {'GPUs':>4} {'weights':>8} {'KV cache':>22} {'need':>7} {'available':>9}  fits"
    lines.append(header)
    for p in plans:
        if p.need_gib is None:
            why = p.problem or f"not checked: size of {p.engine.model!r} unknown (no local config.json, not in the table)"
            lines.append(f"  {p.job:<46} {p.gpus:>4}  {why}")
            continue
        kv = f"{p.kv_gib:.1f} ({p.batch} x {p.context})"
        lines.append(f"  {p.job:<46} {p.gpus:>4} {p.weights_gib:>8.1f} {kv:>22} {p.need_gib:>7.1f} "
                     f"{p.available_gib:>9.1f}  {'yes' if p.fits else 'NO'}")
    notes = sorted({p.note for p in plans if p.note})
    lines += [f"  note: {n}" for n in notes]
    return "\n".join(lines)


def check_plan(plans: list[JobPlan], gpu_memory_gib: float) -> None:
    bad = [p for p in plans if p.fits is False]
    if not bad:
        return
    lines = ["GPU jobs that cannot fit the GPUs they request (no job was started):"]
    for p in bad:
        if p.need_gib is None or p.problem:
            lines.append(f"  {p.job}: {p.problem}")
            continue
        lines.append(f"  {p.job}: needs {p.need_gib:.1f} GiB (weights {p.weights_gib:.1f} + KV cache {p.kv_gib:.1f} "
                     f"for {p.batch} x {p.context} tokens + overhead {OVERHEAD_GIB * p.engine.tensor_parallel_size:.1f})"
                     f", has {p.available_gib:.1f} GiB ({p.gpus} x {gpu_memory_gib:g} GiB x "
                     f"{p.engine.gpu_memory_utilization:g}). Fix: {fix_for(p, gpu_memory_gib)}")
    raise ResourcePlanError("\n".join(lines))


def engine_of(config: dict, key: str) -> Engine:
    m = config["models"][key]
    return Engine(key, m["model"], m["tensor_parallel_size"], m["dtype"], m["max_model_len"], m["gpu_memory_utilization"])


def plan_jobs(config: dict, base_dir: Path, gpus_of, discussion_groups: list[str]) -> list[JobPlan]:
    """The plan of every GPU job of a validated config: one line per generation model (its jobs differ
    only in benchmark and seed) and one per discussion group. ``gpus_of(key)``: the GPUs a job for
    that model requests (0: not a GPU job)."""
    g = config["generation"]
    mem = g["gpu_memory_gib"]
    batch = max([g["validation"]["k"], g["test"]["k"]] + ([1] if g["greedy"] else []))
    plans = []
    for key in sorted(config["models"]):
        if gpus_of(key):
            plans.append(plan_engine(f"generate model={key}", gpus_of(key), engine_of(config, key), batch, mem, base_dir))
    for group in discussion_groups:
        members = sorted(k for k in config["groups"][group] if gpus_of(k))
        if not members:
            continue
        gpus = max(gpus_of(k) for k in members)
        # the group's models are loaded one after another: the job must hold the largest of them
        member_plans = [plan_engine(f"discuss group={group} (largest: {k})", gpus, engine_of(config, k), 1, mem,
                                    base_dir, note="discussion jobs load their group's models one at a time, "
                                    "so each is planned as its largest single model") for k in members]
        known = [p for p in member_plans if p.need_gib is not None or p.problem]
        bad = [p for p in known if p.fits is False]
        plans.append(bad[0] if bad else max(known, key=lambda p: p.need_gib) if known else member_plans[0])
    return plans
