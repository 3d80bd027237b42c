#!/usr/bin/env python
"""Build a tiny random Llama model (with a BPE tokenizer and chat template) that vLLM accepts.

For CPU tests and benchmarks of generation: its answers are noise, its mechanics are real.
"""

from __future__ import annotations

import argparse
import sys



def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory (created; existing model files are overwritten)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random weights (default 0); same seed, same files")
    ap.add_argument("--hidden-size", type=int, default=128,
                    help="hidden size, a multiple of 64: heads of dimension 64, one KV head (default 128)")
    ap.add_argument("--layers", type=int, default=2, help="number of decoder layers (default 2)")
    ap.add_argument("--vocab-size", type=int, default=1000,
                    help="target vocabulary of the byte-level BPE trained on the bundled questions (default 1000)")
    args = ap.parse_args(argv)
    from slmmux.tinymodel import build_tiny_model

    try:
        out = build_tiny_model(args.out, seed=args.seed, hidden_size=args.hidden_size, layers=args.layers,
                               vocab_size=args.vocab_size)
    except (ValueError, OSError) as exc:
        print(f"build_tiny_model: error: {exc}", file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
