#!/usr/bin/env python
"""Generate the raw samples table of one model on one benchmark's questions.

Every --samples block SPLIT:K:TEMPERATURE gives each question of SPLIT K samples at TEMPERATURE
(temperature 0 requires K=1 and is recorded as decoding=greedy). Per-question seeds derive from
(--seed, --model-key, question id), so samples do not depend on batching or restarts. Finished chunks
are checkpointed in OUT.partial/; a rerun after a crash or kill generates only what is missing. If
any question fails, the others are checkpointed, the failures are listed in OUT.partial/failures.json,
no output is written and the exit status is 1; rerun to retry them.

Example:
  scripts/generate.py --questions results/questions/math.parquet --out raw.parquet \\
      --provenance raw.provenance.json --model-key qwen7b --model Qwen/Qwen2.5-7B-Instruct \\
      --backend vllm --seed 0 --samples validation:3:0.5 --samples test:3:0.3 --samples test:1:0
"""

from __future__ import annotations

import argparse
import re
import sys



def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", required=True, help="questions table (Parquet, from the prepare step); one benchmark")
    ap.add_argument("--out", required=True, help="raw samples table to write (Parquet)")
    ap.add_argument("--provenance", required=True, help="provenance sidecar JSON to write")
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
    ap.add_argument("--chunk-size", type=int, default=64, help="questions per checkpointed chunk (default 64)")
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
        print("generate: interrupted; finished chunks are kept for the next run", file=sys.stderr)
        return 130
    except Exception as exc:  # one clear line; details belong to the library's messages
        from slmmux.generate.runner import IncompleteGeneration

        msg = re.sub(r"\s+", " ", str(exc)).strip()
        kind = "" if isinstance(exc, (ValueError, IncompleteGeneration, FileNotFoundError)) else f"{type(exc).__name__}: "
        print(f"generate: error: {kind}{msg}", file=sys.stderr)
        return 1


def run(args) -> int:
    from pathlib import Path

    from slmmux.data import read_questions
    from slmmux.generate.base import ModelSpec, open_backend
    from slmmux.generate.runner import SampleBlock, benchmark_of, run_generation

    if not re.fullmatch(r"[A-Za-z0-9._+-]+", args.model_key):
        raise ValueError(f"--model-key {args.model_key!r} must be filesystem-safe (letters, digits, . _ + -)")
    blocks = [SampleBlock.parse(s) for s in args.samples]
    qpath = Path(args.questions)
    if not qpath.is_file():
        raise FileNotFoundError(f"questions file not found: {qpath}")
    questions = read_questions(qpath)
    benchmark_of(questions)
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
        run_replay(questions, args.replay_file, model_key=args.model_key, model=args.model, revision=args.revision,
                   seed=args.seed, blocks=blocks, out=args.out, provenance=args.provenance, questions_path=qpath,
                   top_p=args.top_p, max_tokens=args.max_tokens)
        return 0

    from datetime import datetime, timezone

    job_started = datetime.now(timezone.utc).isoformat(timespec="seconds")  # before the engine starts
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
    backend = open_backend(args.backend, spec, **options)
    try:
        run_generation(questions, backend, model_key=args.model_key, model=args.model, revision=args.revision,
                       seed=args.seed, blocks=blocks, out=args.out, provenance=args.provenance, top_p=args.top_p,
                       max_tokens=args.max_tokens, chunk_size=args.chunk_size, questions_path=qpath,
                       backend_name=args.backend, extra={"job_started_at": job_started})
    finally:
        backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
