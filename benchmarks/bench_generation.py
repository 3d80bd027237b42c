#!/usr/bin/env python
"""Batched n=k generation vs one request per sample, on the tiny random model with real vLLM.

Batched: one ``LLM.chat`` call over all questions with ``SamplingParams(n=k, seed=...)`` per question
(what the generation runner does). Loop: one ``LLM.chat`` call per (question, sample) with n=1.
Prints wall time, completion tokens per second of each, and the throughput ratio. Both use the same
engine (started once; a warm-up call precedes the timings) and ignore EOS so every sample is
``--max-tokens`` long.

  VLLM_CPU_KVCACHE_SPACE=1 .venv/bin/python benchmarks/bench_generation.py [--questions 20 --k 3 --max-tokens 64]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", type=int, default=20, help="GSM8K questions (default 20)")
    ap.add_argument("--k", type=int, default=3, help="samples per question (default 3)")
    ap.add_argument("--max-tokens", type=int, default=64, help="tokens per sample (default 64)")
    ap.add_argument("--model", default=None, help="model directory (default: build the tiny model in a temp dir)")
    args = ap.parse_args()
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")

    from vllm import SamplingParams

    from slmmux.data import load_bundled
    from slmmux.generate import ModelSpec, SamplingSpec, open_backend, question_seed
    from slmmux.prompts import build_messages
    from slmmux.tinymodel import build_tiny_model

    tmp = tempfile.TemporaryDirectory()
    model = args.model or str(build_tiny_model(os.path.join(tmp.name, "tiny")))
    t = time.perf_counter()
    backend = open_backend("vllm", ModelSpec(key="tiny", model=model, max_model_len=1024, gpu_memory_utilization=0.1,
                                             enforce_eager=True))
    print(f"engine start: {time.perf_counter() - t:.1f} s")
    rows = load_bundled("gsm8k").head(args.questions).iter_rows(named=True)
    convs, seeds = [], []
    for r in rows:
        convs.append(build_messages(r))
        seeds.append(question_seed(0, "tiny", r["question_id"]))
    llm = backend.llm

    def params(n, seed):
        return SamplingParams(n=n, temperature=0.7, max_tokens=args.max_tokens, seed=seed, ignore_eos=True, logprobs=0)

    llm.chat(convs[:2], [params(1, 1)] * 2, use_tqdm=False)  # warm-up

    t = time.perf_counter()
    outs = llm.chat(convs, [params(args.k, s) for s in seeds], use_tqdm=False)
    batched = time.perf_counter() - t
    tok_b = sum(len(o.token_ids) for out in outs for o in out.outputs)

    t = time.perf_counter()
    tok_l = 0
    for conv, s in zip(convs, seeds):
        for j in range(args.k):
            out = llm.chat([conv], [params(1, s + j)], use_tqdm=False)[0]
            tok_l += len(out.outputs[0].token_ids)
    loop = time.perf_counter() - t

    # the runner's own path (backend.chat), for reference
    t = time.perf_counter()
    res = backend.chat(convs, SamplingSpec(n=args.k, temperature=0.7, max_tokens=args.max_tokens), seeds)
    runner_s = time.perf_counter() - t
    tok_r = sum(c.completion_tokens for r in res for c in r)

    print(f"workload: {len(convs)} questions x k={args.k} x {args.max_tokens} tokens")
    print(f"batched n=k (one LLM.chat):      {batched:7.2f} s  {tok_b / batched:8.1f} tokens/s")
    print(f"one request per sample (loop):   {loop:7.2f} s  {tok_l / loop:8.1f} tokens/s")
    print(f"backend.chat (runner path, EOS): {runner_s:7.2f} s  {tok_r / runner_s:8.1f} tokens/s")
    print(f"throughput ratio batched / loop: {(tok_b / batched) / (tok_l / loop):.1f}x")
    backend.close()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
