#!/usr/bin/env python
"""Run a discussion baseline (Mixture-of-Agents, LLM-Debate or Multi-Agent Verification) over a
group of models and write its decisions and its full transcript.

Round-major: in every round, each model gets ONE batched chat request over all questions. Each model
is reached through its own backend from the model sheet (backend, base_url, api_key_env, replay_file;
--backend for entries that name none). Models on in-process vLLM engines are loaded one at a time
(per round and model), so the job never holds more than one model on its devices. Outputs:

--out         decisions (docs/dataflow.md) + prompt_tokens, completion_tokens, calls per question:
              benchmark, group, seed, question_id, method, answer, answer_key, correct,
              selected_model, confidence, prompt_tokens, completion_tokens, calls
--transcript  one row per call: benchmark, group, seed, method, question_id, round, agent, model,
              role, aspect, target, call_seed, messages (JSON: the agent's full input), text,
              finish_reason, verdict, prompt_tokens, completion_tokens

Example:
  python scripts/discuss.py --method debate --questions results/questions/gsm8k.parquet \\
      --group g1 --models llama-3.1-8b gemma-2-27b mixtral-8x7b --model-sheet config/paper.yaml --backend vllm \\
      --seed 0 --out results/discussion/gsm8k/g1/debate/seed0.parquet \\
      --transcript results/discussion/gsm8k/g1/debate/seed0.transcript.parquet
See docs/discussion.md.
"""

from __future__ import annotations

import argparse
import sys
import time

from slmmux.vocabulary import DISCUSSION_METHODS



def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="discuss.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--method", required=True, choices=DISCUSSION_METHODS, help="the discussion protocol")
    ap.add_argument("--questions", required=True, help="questions table (results/questions/{b}.parquet)")
    ap.add_argument("--split", default="test", choices=("validation", "test"), help="split to run (default test)")
    ap.add_argument("--group", required=True, help="name of the model group (written to the tables)")
    ap.add_argument("--models", required=True, nargs="+", metavar="KEY",
                    help="model keys of the group, in order (agent order; tie rules and the default MoA aggregator use it)")
    ap.add_argument("--model-sheet", required=True,
                    help="YAML or JSON: key -> {model, revision, ...}, or a config with a top-level 'models:' mapping")
    ap.add_argument("--backend", default="vllm", choices=("vllm", "openai", "replay"),
                    help="backend of the models whose sheet entry names none (default vllm); replay answers each call "
                         "from the entry's replay_file (a transcript: call_seed, text)")
    ap.add_argument("--base-url", help="OpenAI-compatible server URL for openai models whose sheet entry has no base_url")
    ap.add_argument("--seed", type=int, required=True, help="run seed; every call's seed derives from it")
    ap.add_argument("--rounds", type=int, default=None,
                    help="MoA: number of layers including the aggregator (default 3); "
                         "debate: debate rounds after the initial answer (default 2); not for MAV")
    ap.add_argument("--temperature", type=float, default=0.7, help="sampling temperature of every call (default 0.7)")
    ap.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling (default 1.0)")
    ap.add_argument("--max-tokens", type=int, default=512, help="completion tokens per call (default 512)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N questions of the split (file order)")
    ap.add_argument("--aggregator", help="MoA: model key of the final aggregator (default: the first of --models)")
    ap.add_argument("--no-system-role", action="store_true",
                    help="MoA: put the synthesis instruction in the user turn (chat templates without a system role, e.g. Gemma 2)")
    ap.add_argument("--candidates-per-model", type=int, default=1, help="MAV: candidate answers per model (default 1)")
    ap.add_argument("--aspects", nargs="+", default=None, metavar="ASPECT",
                    help="MAV: aspect verifiers, a subset of correctness logic answer (default all three)")
    ap.add_argument("--verifier-models", nargs="+", default=None, metavar="KEY",
                    help="MAV: models acting as verifiers (default: all of --models)")
    ap.add_argument("--out", required=True, help="decisions Parquet file to write")
    ap.add_argument("--transcript", required=True, help="transcript Parquet file to write")
    return ap


def run(args: argparse.Namespace) -> str:
    import polars as pl

    from slmmux.data import read_questions
    from slmmux.discussion import discuss
    from slmmux.discussion.sheet import load_model_backends, load_model_sheet, pick_models
    from slmmux.generate.base import SamplingSpec
    from slmmux.generate.factory import open_backend
    from slmmux.generate.replay import ReplayChatBackend
    from slmmux.samples import write_atomic

    if args.limit is not None and args.limit < 1:
        raise ValueError("--limit must be >= 1")
    specs = {s.key: s for s in pick_models(load_model_sheet(args.model_sheet), args.models)}
    sheet_backends = load_model_backends(args.model_sheet)
    backends = {k: sheet_backends[k].backend or args.backend for k in args.models}
    for key in args.models:  # every model reachable before the first engine starts
        entry = sheet_backends[key]
        if backends[key] == "openai" and not (entry.base_url or args.base_url):
            raise ValueError(f"model {key!r} uses the openai backend but its sheet entry has no base_url (nor is "
                             f"--base-url given)")
        if backends[key] == "replay" and not entry.replay_file:
            raise ValueError(f"model {key!r} uses the replay backend but its sheet entry has no replay_file")
    qs = read_questions(args.questions).filter(pl.col("split") == args.split)
    benchmarks = qs["benchmark"].unique().to_list()
    if len(benchmarks) != 1:
        raise ValueError(f"{args.questions}: split {args.split!r} holds {len(benchmarks)} benchmarks {benchmarks}, expected exactly one")
    benchmark = benchmarks[0]
    if args.limit is not None:
        qs = qs.head(args.limit)
    questions = qs.to_dicts()
    sampling = SamplingSpec(n=1, temperature=args.temperature, top_p=args.top_p, max_tokens=args.max_tokens)

    def open_model(key: str):
        entry = sheet_backends[key]
        if backends[key] == "openai":
            return open_backend("openai", specs[key], base_url=entry.base_url or args.base_url,
                                api_key_env=entry.api_key_env)
        if backends[key] == "replay":
            return ReplayChatBackend(entry.replay_file, key)
        return open_backend("vllm", specs[key], seed=args.seed)

    options: dict = {}
    if args.method == "moa":
        options = {"aggregator": args.aggregator, "system_role": not args.no_system_role}
    elif args.method == "mav":
        if args.rounds is not None:
            raise ValueError("--rounds does not apply to MAV (candidates, then one verification round)")
        options = {"candidates_per_model": args.candidates_per_model, "verifier_models": args.verifier_models}
        if args.aspects:
            options["aspects"] = args.aspects
    t0 = time.time()
    decisions, transcript = discuss(args.method, questions, benchmark, args.group, args.models, open_model, args.seed,
                                    sampling, engines=[k for k in args.models if backends[k] == "vllm"],
                                    rounds=args.rounds, **options)
    write_atomic(transcript, args.transcript)
    write_atomic(decisions, args.out)
    acc = decisions["correct"].mean() if decisions.height else float("nan")
    return (f"{args.method} on {benchmark}/{args.group} seed {args.seed}: {decisions.height} questions, "
            f"{transcript.height} calls, accuracy {acc:.3f}, tokens {int(decisions['prompt_tokens'].sum())} prompt + "
            f"{int(decisions['completion_tokens'].sum())} completion, {time.time() - t0:.0f} s")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        print(run(args))
    except (ValueError, FileNotFoundError, OSError, RuntimeError) as exc:
        print(f"discuss.py: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
