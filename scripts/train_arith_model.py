#!/usr/bin/env python
"""Train one tiny Llama model of slmmux.training.RECIPES on the arith benchmark (Hugging Face layout).

The embedded default ships the trained weights in models/; the workflow's train_arith_model rule
runs this only when a model folder is missing. One thread, deterministic from the recipe's seed.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    from slmmux.training import RECIPES, train

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True, choices=sorted(RECIPES), help="recipe (model) name")
    ap.add_argument("--out", required=True, help="output directory (created; existing model files are overwritten)")
    args = ap.parse_args(argv)
    try:
        out = train(args.name, args.out, log=lambda msg: print(msg, file=sys.stderr, flush=True))
    except (ValueError, OSError) as exc:
        print(f"train_arith_model: error: {exc}", file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
