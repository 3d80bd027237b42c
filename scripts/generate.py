#!/usr/bin/env python
"""Generate the raw samples tables of one model, for one run seed, on one or more benchmarks.

One job loads the model once for all its benchmarks: --questions, --out and --provenance are
repeated, once per benchmark, in the same order.

Every --samples block SPLIT:K:TEMPERATURE gives each question of SPLIT K samples at TEMPERATURE
(temperature 0 requires K=1 and is recorded as decoding=greedy). Per-question seeds derive from
(--seed, --model-key, question id), so samples do not depend on batching or restarts. Every request
of the job is in the engine at once; every --chunk-size finished questions, as they finish, are
appended to the checkpoint log OUT.partial/samples.jsonl (microseconds per append, the engine never
waits); a rerun after a crash or kill generates only what is missing.
The outputs are written after the engine has shut down, and the checkpoints removed last: a rerun
after a kill at any moment finds every finished question, and one whose checkpoint is complete
writes the outputs without loading the model. If any question fails, the others are checkpointed,
the failures are listed in OUT.partial/failures.json, no output is written and the exit status is 1;
rerun to retry them.

Example:
  scripts/generate.py --questions results/questions/math.parquet --out math.parquet \\
      --provenance math.provenance.json --questions results/questions/gsm8k.parquet \\
      --out gsm8k.parquet --provenance gsm8k.provenance.json --model-key qwen7b --model Qwen/Qwen2.5-7B-Instruct \\
      --backend vllm --seed 0 --samples validation:3:0.5 --samples test:3:0.3 --samples test:1:0
"""

from __future__ import annotations

import argparse
import re
import sys



def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", required=True, action="append",
                    help="questions table (Parquet, from the prepare step) of one benchmark; repeat per benchmark")
    ap.add_argument("--out", required=True, action="append",
                    help="raw samples table to write (Parquet), one per --questions, in order")
    ap.add_argument("--provenance", required=True, action="append",
                    help="provenance sidecar JSON to write, one per --questions, in order")
    ap.add_argument("--model-key", required=True, help="filesystem-safe model key from the model sheet (the samples' model column)")
    ap.add_argument("--model", required=True, help="hub id or local model directory (openai: the served model name)")
    ap.add_argument("--revision", default=None, help="hub revision (branch, tag or commit) of the model")
    ap.add_argument("--backend", required=True, choices=["vllm", "openai", "replay"],
                    help="vllm: in-process engine; openai: an OpenAI-compatible server; replay: import a file of completions")
    ap.add_argument("--seed", required=True, type=int, help="run seed (the samples' seed column)")
    ap.add_argument("--samples", required=True, action="append", metavar="SPLIT:K:TEMPERATURE",
                    help="a sampling block, repeatable: e.g. validation:3:0.5, test:3:0.3, test:1:0 (greedy)")
    ap.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling top-p (default 1.0)")
    ap.add_argument("--max-tokens", type=int, default=512, help="maximum completion tokens per sample (default 512)")
    ap.add_argument("--chunk-size", type=int, default=64,
                    help="finished questions per checkpoint append (default 64); the engine never waits for it")
    g = ap.add_argument_group("vllm backend")
    g.add_argument("--tensor-parallel-size", type=int, default=1, help="GPUs per model (default 1)")
    g.add_argument("--dtype", default="auto", help="weight dtype: auto, bfloat16, float16, float32 (default auto)")
    g.add_argument("--max-model-len", type=int, default=None, help="context length (default: the model's)")
    g.add_argument("--gpu-memory-utilization", type=float, default=None,
                   help="fraction of GPU memory vLLM may use (default 0.9); on CPU vLLM it is the fraction of "
                        "host memory reserved (default there 0.1; large values fail at start-up)")
    g.add_argument("--enforce-eager", action="store_true", help="disable CUDA graphs / compilation (faster start for small models)")
    g = ap.add_argument_group("openai backend")
    g.add_argument("--base-url", default="http://127.0.0.1:8000/v1", help="server base URL (default http://127.0.0.1:8000/v1)")
    g.add_argument("--api-key-env", default=None,
                   help="NAME of the environment variable holding the API key (the key is never logged or recorded)")
    g.add_argument("--concurrency", type=int, default=8, help="requests in flight at once (default 8)")
    g.add_argument("--request-timeout", type=float, default=600.0, help="seconds per request before a retry (default 600)")
    g = ap.add_argument_group("replay backend")
    g.add_argument("--replay-file", default=None,
                   help="JSONL or Parquet of completions: question_id, text, optional sample, split, decoding, token counts")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except KeyboardInterrupt:
        print("generate: interrupted; finished questions are kept for the next run", file=sys.stderr)
        return 130
    except Exception as exc:  # one clear line; details belong to the library's messages
        from slmmux.generate.runner import IncompleteGeneration

        msg = re.sub(r"\s+", " ", str(exc)).strip()
        kind = "" if isinstance(exc, (ValueError, IncompleteGeneration, FileNotFoundError)) else f"{type(exc).__name__}: "
        print(f"generate: error: {kind}{msg}", file=sys.stderr)
        return 1


def run(args) -> int:
    import time
    from pathlib import Path

    from slmmux.data import read_questions
    from slmmux.generate.base import ModelSpec
    from slmmux.generate.factory import open_backend
    from slmmux.generate.runner import GenerationJob, GenerationTarget, SampleBlock, benchmark_of

    if not re.fullmatch(r"[A-Za-z0-9._+-]+", args.model_key):
        raise ValueError(f"--model-key {args.model_key!r} must be filesystem-safe (letters, digits, . _ + -)")
    if not len(args.questions) == len(args.out) == len(args.provenance):
        raise ValueError(f"{len(args.questions)} --questions, {len(args.out)} --out and {len(args.provenance)} "
                         f"--provenance: give one --out and one --provenance per --questions")
    blocks = [SampleBlock.parse(s) for s in args.samples]
    targets = []
    for q, out, prov in zip(args.questions, args.out, args.provenance):
        qpath = Path(q)
        if not qpath.is_file():
            raise FileNotFoundError(f"questions file not found: {qpath}")
        questions = read_questions(qpath)
        benchmark_of(questions)
        targets.append(GenerationTarget(questions, Path(out), Path(prov), qpath))
    benchmarks = [benchmark_of(t.questions) for t in targets]
    if len(set(benchmarks)) != len(benchmarks):
        raise ValueError(f"one benchmark given twice: {benchmarks}")
    if args.chunk_size < 1:
        raise ValueError(f"--chunk-size must be >= 1, not {args.chunk_size}")
    if not 0 < args.top_p <= 1:
        raise ValueError(f"--top-p must be in (0, 1], not {args.top_p}")
    if args.max_tokens < 1:
        raise ValueError(f"--max-tokens must be >= 1, not {args.max_tokens}")

    if args.backend == "replay":
        from slmmux.generate.replay import run_replay

        if not args.replay_file:
            raise ValueError("--backend replay needs --replay-file")
        for t in targets:
            run_replay(t.questions, args.replay_file, model_key=args.model_key, model=args.model,
                       revision=args.revision, seed=args.seed, blocks=blocks, out=t.out, provenance=t.provenance,
                       questions_path=t.questions_path, top_p=args.top_p, max_tokens=args.max_tokens)
        return 0

    options: dict = {}
    gmu = args.gpu_memory_utilization
    if args.backend == "vllm":
        if gmu is None:
            from slmmux.generate.vllm_backend import on_cpu

            gmu = 0.1 if on_cpu() else 0.9
        if not 0 < gmu <= 1:
            raise ValueError(f"--gpu-memory-utilization must be in (0, 1], not {gmu}")
        options["seed"] = args.seed
    else:
        options.update(base_url=args.base_url, api_key_env=args.api_key_env, concurrency=args.concurrency,
                       request_timeout=args.request_timeout)
    spec = ModelSpec(key=args.model_key, model=args.model, revision=args.revision,
                     tensor_parallel_size=args.tensor_parallel_size, dtype=args.dtype,
                     max_model_len=args.max_model_len, gpu_memory_utilization=gmu if gmu is not None else 0.9,
                     enforce_eager=args.enforce_eager)
    # Reads every checkpoint before the engine starts: a job whose checkpoints are complete (killed
    # after its last request, e.g. while the engine shut down) writes its outputs without a model load.
    job = GenerationJob(targets, model_key=args.model_key, model=args.model, revision=args.revision,
                        seed=args.seed, blocks=blocks, top_p=args.top_p, max_tokens=args.max_tokens,
                        chunk_size=args.chunk_size)
    if job.pending:
        t0 = time.monotonic()
        backend = open_backend(args.backend, spec, **options)
        job.load_seconds = round(time.monotonic() - t0, 3)
        print(f"[generate] {args.model_key}: engine ready in {job.load_seconds:.1f} s; {job.pending} request(s) "
              f"over {', '.join(benchmarks)}", file=sys.stderr, flush=True)
        try:
            job.generate(backend)
        finally:
            backend.close()  # before any output exists: a kill here leaves a complete checkpoint
    job.finalise()
    job.remove_checkpoints()
    return 0


if __name__ == "__main__":
    sys.exit(main())
