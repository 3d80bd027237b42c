"""Command-line options naming the workflow outputs that the tables and figures read
(scripts/make_tables.py, scripts/make_figures.py), loaded with :func:`slmmux.tables.load_inputs`.

Not an entry point: the scripts import it as a sibling module (``python scripts/x.py`` puts scripts/
first on ``sys.path``), and :mod:`slmmux.code_digest` follows that import, so editing an option here
reruns the rules whose scripts use it.
"""

from __future__ import annotations

import argparse

from slmmux.tables import Inputs, load_inputs


def add_input_arguments(p: argparse.ArgumentParser) -> None:
    """The input options shared by scripts/make_tables.py and scripts/make_figures.py."""
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


def inputs_from_arguments(a: argparse.Namespace) -> Inputs:
    """:func:`load_inputs` from the options of :func:`add_input_arguments`."""
    return load_inputs(
        decisions=a.decisions, search=a.search, scaling_samples=a.scaling_samples,
        scaling_models=a.scaling_models, samples=a.samples, validation=a.validation, questions=a.questions,
        config=a.config, model_sheet=a.model_sheet, reference_model=a.reference_model,
    )
