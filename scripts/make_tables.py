#!/usr/bin/env python
"""Regenerate the paper's tables (Markdown, LaTeX, CSV) from the workflow's outputs.

Writes {outdir}/{name}.{md,tex,csv} for every name in slmmux.tables.TABLES (always all of them; a table
whose inputs are absent says so). Same inputs give byte-identical files.
"""

from __future__ import annotations

import argparse
import sys

from slmmux import tables


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--decisions", nargs="*", default=[], metavar="PARQUET",
                   help="decision files: results/selection/{b}/{g}.parquet and results/discussion/{b}/{method}.parquet")
    p.add_argument("--search", nargs="*", default=[], metavar="PARQUET",
                   help="results/search/{b}.parquet (ranked subsets; resolves searched groups s<K>r<R>)")
    p.add_argument("--scaling-samples", nargs="*", default=[], metavar="PARQUET",
                   help="results/scaling/{b}/samples_{g}.parquet (accuracy vs samples per model)")
    p.add_argument("--scaling-models", nargs="*", default=[], metavar="PARQUET",
                   help="results/scaling/{b}/models.parquet (accuracy vs number of models; recorded as input)")
    p.add_argument("--samples", nargs="*", default=[], metavar="PARQUET",
                   help="graded samples results/samples/graded/{b}/{m}/seed{s}.parquet (per-model accuracy, tokens, reference model)")
    p.add_argument("--validation", nargs="*", default=[], metavar="PARQUET",
                   help="results/validation/{b}.parquet (which group model is the single best)")
    p.add_argument("--questions", nargs="*", default=[], metavar="PARQUET",
                   help="results/questions/{b}.parquet (recorded as input)")
    p.add_argument("--config", metavar="YAML",
                   help="workflow config (YAML/JSON): models (model sheet key -> hub id), groups, report.reference_model")
    p.add_argument("--model-sheet", metavar="YAML",
                   help="model sheet overriding the config's: {key: {model: hub_id}} or {key: hub_id} (YAML/JSON)")
    p.add_argument("--reference-model", metavar="KEY",
                   help="model key of the larger reference model for the reference_model table (overrides the config)")
    p.add_argument("--outdir", required=True, help="folder for the tables (e.g. results/tables)")
    return p


def main(argv: list[str] | None = None) -> int:
    a = parser().parse_args(argv)
    try:
        inp = tables.load_inputs(
            decisions=a.decisions, search=a.search, scaling_samples=a.scaling_samples,
            scaling_models=a.scaling_models, samples=a.samples, validation=a.validation, questions=a.questions,
            config=a.config, model_sheet=a.model_sheet, reference_model=a.reference_model,
        )
        written = tables.write_tables(tables.build_tables(inp), a.outdir)
    except (OSError, ValueError, KeyError) as exc:
        print(f"make_tables: error: {exc}".replace("\n", " "), file=sys.stderr)
        return 2
    print(f"make_tables: wrote {len(written)} files to {a.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
