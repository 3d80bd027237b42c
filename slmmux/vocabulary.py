"""The names of the paper's concepts, spelled once: benchmarks, methods and their display labels.

Every module that lists benchmarks or methods, or shows them to a reader (tables, figures, config
validation, grading, prompts, the discussion protocols), takes them from here; the JSON schemas in
``workflow/schemas/`` cannot import Python, so ``tests/test_vocabulary.py`` checks that their enums
are these lists. Standard library only: the workflow imports it while it builds the DAG.
"""

from __future__ import annotations

#: Benchmarks this package can load, prompt and grade (registration order).
BENCHMARKS = ("math", "gsm8k", "gpqa", "arith")
#: The order of the paper's tables (MATH, GPQA, GSM8K); benchmarks not listed sort after, by name.
BENCHMARK_ORDER = ("math", "gpqa", "gsm8k")
BENCHMARK_NAMES = {"math": "MATH", "gpqa": "GPQA", "gsm8k": "GSM8K", "arith": "Arith"}

#: Methods decided from the models' samples (``slmmux.mux.decisions``): SLM-MUX and its baselines.
SELECTION_METHODS = ("slm_mux", "single_best", "single_best_sc", "agent_forest", "oracle")
#: Discussion baselines (``slmmux.discussion``): Mixture-of-Agents, LLM-Debate, Multi-Agent Verification.
DISCUSSION_METHODS = ("moa", "debate", "mav")
#: Methods the compute-scaling sweeps evaluate (``slmmux.scaling``).
SCALING_METHODS = ("slm_mux", "agent_forest")
#: The order of methods in tables and figures.
METHOD_ORDER = ("slm_mux", "single_best", "single_best_sc", "agent_forest", *DISCUSSION_METHODS, "oracle")
METHOD_NAMES = {
    "slm_mux": "SLM-MUX",
    "single_best": "Single-Best",
    "single_best_sc": "Single-Best-SC",
    "agent_forest": "Agent Forest",
    "moa": "Mixture-of-Agents",
    "debate": "LLM-Debate",
    "mav": "Multi-Agent Verification",
    "oracle": "Oracle (upper bound)",
}


def bench_key(benchmark: str) -> tuple:
    """Sort key: the paper's benchmark order, then any other benchmark by name."""
    return (BENCHMARK_ORDER.index(benchmark) if benchmark in BENCHMARK_ORDER else len(BENCHMARK_ORDER), benchmark)


def method_key(method: str) -> tuple:
    """Sort key: :data:`METHOD_ORDER`, then any other method by name."""
    return (METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER), method)


def benchmark_name(benchmark: str) -> str:
    return BENCHMARK_NAMES.get(benchmark, benchmark)


def method_name(method: str) -> str:
    return METHOD_NAMES.get(method, method)
