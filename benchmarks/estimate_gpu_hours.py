#!/usr/bin/env python
"""GPU-hours of a configuration (default: config/paper.yaml), DERIVED from stated assumptions.

Nothing here is measured on a GPU: the completions per job follow from the config (questions,
samples per question, seeds, discussion calls per question as docs/discussion.md counts them); the
tokens per completion, the decode throughput per model size and the load times are ASSUMPTIONS,
listed below and printed with the table. Replace them with measured numbers (the benchmark TSVs
under results/benchmarks/ after a first run) to re-derive the table.

  .venv/bin/python benchmarks/estimate_gpu_hours.py [--config config/paper.yaml]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]

# ASSUMPTIONS (not measured here)
TOKENS_PER_COMPLETION = {"math": 600, "gpqa": 700, "gsm8k": 250}  # mean completion tokens of a sample
DISCUSSION_TOKENS = 600   # mean tokens of a discussion answer (MoA layer, debate round, MAV candidate)
VERIFICATION_TOKENS = 150  # mean tokens of a MAV verdict
# aggregate decode throughput of one batched vLLM job (completion tokens/s, bf16, 80 GiB H100-class GPUs)
THROUGHPUT = {
    "llama-3.1-8b": 2500, "qwen2.5-7b": 2500,            # 1 GPU
    "gemma-2-27b": 1000, "mistral-small-24b": 1000,     # 1 GPU
    "mixtral-8x7b": 1500,                               # 2 GPUs (about 13B active parameters per token)
    "qwen2.5-72b": 800,                                 # 4 GPUs
}
LOAD_MINUTES = {"llama-3.1-8b": 2, "qwen2.5-7b": 2, "gemma-2-27b": 3, "mistral-small-24b": 3, "mixtral-8x7b": 4,
                "qwen2.5-72b": 8}  # engine start: weights from local disk, CUDA graph capture
TEST_QUESTIONS = {"math": 500, "gpqa": 198, "gsm8k": 500}  # MATH-500, GPQA Diamond, GSM8K-500 (bundled, all)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default=str(REPO / "config" / "paper.yaml"))
    cfg = yaml.safe_load(Path(ap.parse_args().config).read_text())
    g = cfg["generation"]
    seeds = len(cfg["seeds"])
    rows, total = [], 0.0
    for key in sorted(cfg["models"]):
        tp = cfg["models"][key].get("tensor_parallel_size", 1)
        tokens = 0
        for b, bench in cfg["benchmarks"].items():
            test = bench.get("test_size") or TEST_QUESTIONS[b]
            completions = bench["validation_size"] * g["validation"]["k"] + test * (g["test"]["k"] + bool(g.get("greedy")))
            tokens += completions * TOKENS_PER_COMPLETION[b] * seeds
        decode_h = tokens / THROUGHPUT[key] / 3600 * tp
        jobs = len(cfg["benchmarks"]) * seeds
        load_h = jobs * LOAD_MINUTES[key] / 60 * tp
        total += decode_h + load_h
        rows.append((f"generate {key}", tp, jobs, tokens / 1e6, decode_h, load_h))
    d = cfg.get("discussion", {})
    if d.get("enabled"):
        for group in d.get("groups") or sorted(cfg["groups"]):
            members = cfg["groups"][group]
            n = len(members)
            questions = sum(bench.get("test_size") or TEST_QUESTIONS[b] for b, bench in cfg["benchmarks"].items())
            # completions per question and model (docs/discussion.md, default settings): MoA 3 layers = 2
            # proposer layers + 1 aggregator answer shared by the group; debate 2 rounds = 3 answers; MAV
            # 1 candidate, and as a verifier 3 aspects x n candidates verdicts
            answers = {"moa": 2 + 1 / n, "debate": 3, "mav": 1}
            verdicts = {"mav": n * 3}
            gpus = max(cfg["models"][m].get("tensor_parallel_size", 1) for m in members)
            jobs = len(cfg["benchmarks"]) * len(d.get("methods", ["moa", "debate", "mav"])) * seeds
            tokens_per_model = sum(answers.get(m, 0) * DISCUSSION_TOKENS + verdicts.get(m, 0) * VERIFICATION_TOKENS
                                   for m in d.get("methods", ["moa", "debate", "mav"])) * questions * seeds
            # the job holds its GPUs while each model runs in turn: GPU-hours = wall time x the job's GPUs
            decode_h = sum(tokens_per_model / THROUGHPUT[m] for m in members) / 3600 * gpus
            load_h = jobs * sum(LOAD_MINUTES[m] for m in members) / 60 * gpus
            total += decode_h + load_h
            rows.append((f"discuss {group}", gpus, jobs, tokens_per_model * n / 1e6, decode_h, load_h))
    print("| step | GPUs per job | jobs | completion tokens (M) | decode GPU-h | load GPU-h |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, gpus, jobs, tok, dec, load in rows:
        print(f"| {name} | {gpus} | {jobs} | {tok:.1f} | {dec:.1f} | {load:.1f} |")
    print(f"| **total** | | | | | **{total:.0f} GPU-h** |")
    print(f"\nassumed: tokens per completion {TOKENS_PER_COMPLETION}, discussion {DISCUSSION_TOKENS}/"
          f"{VERIFICATION_TOKENS}; throughput (tokens/s per job) {THROUGHPUT}; load minutes {LOAD_MINUTES}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
