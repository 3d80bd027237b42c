"""One vocabulary: the benchmark and method lists of the JSON schemas, the loaders, the grader,
the prompts and the discussion protocols are the ones of slmmux.vocabulary."""

from __future__ import annotations

from pathlib import Path

import yaml

from slmmux import answers, data, mux, prompts, scaling, vocabulary
from slmmux.discussion import protocols

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())


def _find(node, key):
    """Every value of ``key`` anywhere in a nested schema."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            yield from _find(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from _find(v, key)


def test_schema_enums_are_the_vocabulary():
    benchmarks = SCHEMA["properties"]["benchmarks"]
    names = list(_find(benchmarks, "enum"))
    assert list(vocabulary.BENCHMARKS) in names, names
    methods = list(_find(SCHEMA["properties"]["discussion"], "enum"))
    assert list(vocabulary.DISCUSSION_METHODS) in methods, methods


def test_every_module_uses_the_one_list():
    assert data.BENCHMARKS is answers.BENCHMARKS is vocabulary.BENCHMARKS
    assert mux.METHODS == vocabulary.SELECTION_METHODS and protocols.METHODS == vocabulary.DISCUSSION_METHODS
    assert scaling.SCALING_METHODS == vocabulary.SCALING_METHODS
    for b in vocabulary.BENCHMARKS:  # every benchmark can be prompted, and has a display name
        assert prompts.template_text(b) and b in vocabulary.BENCHMARK_NAMES
    assert set(vocabulary.METHOD_ORDER) == set(vocabulary.METHOD_NAMES)
    assert sorted(["gsm8k", "zzz", "math", "gpqa"], key=vocabulary.bench_key) == ["math", "gpqa", "gsm8k", "zzz"]
