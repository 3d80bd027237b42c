"""The paper's tables regenerated from the workflow's outputs (Markdown, LaTeX and CSV).

Tables (file stem = name; see :func:`expected_tables`):

- ``method_comparison``: accuracy per (group, method) and benchmark: SLM-MUX, Single-Best,
  Single-Best-SC, Agent Forest, the discussion baselines when present, oracle (paper Table 1).
- ``searched_groups``: searched groups ``s<K>r<R>``: models, best single, SLM-MUX, gain (Table 2).
- ``agent_forest``: SLM-MUX vs Agent Forest at k=2 and each method's best k (Table 3).
- ``reference_model``: best SLM-MUX accuracy after sample scaling vs a reference model (Table 4).
- ``model_accuracy``: per-model accuracy, greedy (temperature 0) and sampled (appendix table).
- ``token_usage``: mean completion tokens per question per method.
- ``paired_significance``: SLM-MUX vs each baseline on the same questions, per seed and pooled: exact
  McNemar p-value and paired bootstrap interval (:mod:`slmmux.significance`); the pooled numbers are
  also columns of ``method_comparison``.

Uncertainty (all numbers are accuracies in percent, ``mean ± standard error``), the same kind as the
paper's number beside it (issue 11, finding 4):

- **over questions** (:func:`~slmmux.tables.estimates.estimate_over_questions`, the binomial ``sqrt(p (1 - p) / n)`` over the n
  test questions, as the paper's ±2.2 at 56.8% on 500): Single-Best, Single-Best-SC, the discussion
  baselines, the reference model and each model's greedy accuracy;
- **over runs** (:func:`~slmmux.tables.estimates.estimate_over_runs`, the standard error of the per-seed accuracies): SLM-MUX,
  Agent Forest, the oracle and each model's sampled accuracy; with a single seed there is no error over
  runs, and the cell shows the error over questions instead, marked ``†``;
- **sweeps** (Tables 3-4 and the SLM-MUX rows of the reference table): over seeds (the sweep's
  ``stderr``); with a single seed the sweep's Monte Carlo error over trials (``mc_stderr``) instead,
  marked ``‡``; the CSV carries the Monte Carlo error in its own column either way.

Tables only aggregate: group members, the single best model, which samples a decision used and their
completion tokens are read from the decisions (``slmmux.mux.decisions``), never re-derived here.

Every table carries footnotes naming what the error is taken over and which input files (path and
sha256 prefix) fed it; ``results/manifest.json`` traces those files further to prompts, model revisions,
seeds and package versions. Output is deterministic: rows are sorted, floats use fixed formats, and no
table contains a timestamp, so the same inputs give byte-identical files.

Where a configuration matches the paper's (same benchmark, hub model ids, samples per model and
temperature), the paper's number (:mod:`slmmux.paper_reference`) and our difference are shown beside
ours; differences and gains are computed from unrounded values, the paper's gain is the one it prints.

The package, by concept (this module is its face: it re-exports what scripts and tests use):

- :mod:`slmmux.tables.inputs`: the input files by kind, loaded into :class:`Inputs`;
- :mod:`slmmux.tables.estimates`: the numbers (:class:`Estimate` and the facts read from the decisions
  and sweeps);
- :mod:`slmmux.tables.render`: :class:`Table` as Markdown, LaTeX and CSV, cell formats and footnotes;
- :mod:`slmmux.tables.paper`: the paper's number and our difference beside ours;
- :mod:`slmmux.tables.builders` and :mod:`slmmux.tables.paired`: the tables themselves.
"""

from slmmux.artifacts import TABLE_FORMATS, TABLES, expected_tables
from slmmux.tables.builders import (
    BUILDERS,
    agent_forest,
    build_tables,
    method_comparison,
    model_accuracy,
    reference_model,
    searched_groups,
    token_usage,
    write_tables,
)
from slmmux.tables.estimates import (
    RUN_METHODS,
    Estimate,
    best_k,
    best_single_model,
    decision_setting,
    estimate_for,
    estimate_over_questions,
    estimate_over_runs,
    single_model_runs,
    sweep_estimate,
)
from slmmux.tables.inputs import (
    DECISION_COLUMNS,
    Inputs,
    group_key,
    load_inputs,
    model_sheet_ids,
    read_mapping,
)
from slmmux.tables.paired import paired_significance, with_paired_significance
from slmmux.tables.render import DASH, MCMARK, QMARK, Table

FORMATS = TABLE_FORMATS

__all__ = [
    "BUILDERS", "DASH", "DECISION_COLUMNS", "FORMATS", "MCMARK", "QMARK", "RUN_METHODS", "TABLES", "TABLE_FORMATS",
    "Estimate", "Inputs", "Table", "agent_forest", "best_k", "best_single_model",
    "build_tables", "decision_setting", "estimate_for", "estimate_over_questions", "estimate_over_runs",
    "expected_tables", "group_key", "load_inputs", "method_comparison", "model_accuracy",
    "model_sheet_ids", "paired_significance", "read_mapping", "reference_model", "searched_groups",
    "single_model_runs", "sweep_estimate", "token_usage", "with_paired_significance", "write_tables",
]
