"""Benchmark questions and their validation/test splits.

The questions table (one row per question) has the columns of :data:`QUESTION_SCHEMA`:

- ``question_id``: stable across runs (MATH: the dataset's ``unique_id``; GSM8K and GPQA: the
  benchmark name and the row of the bundled file, or of the hub split for hub questions).
- ``question``: the problem text as the dataset gives it (GPQA without its choices).
- ``choices``: GPQA's four choices as ``"A ..."`` strings, null elsewhere.
- ``gold``: the reference answer as a string (MATH: the answer field; GSM8K: the number after
  ``####``; GPQA: the letter).
- ``subject``, ``level``: MATH's subject and level; arith's kind and level (:mod:`slmmux.arith`);
  null elsewhere.

Test questions always come from the files bundled in :mod:`slmmux.bundled` (MATH-500, a 500-question
GSM8K test subset, GPQA Diamond, as used by the paper; and ``arith.json``, the evaluation pool of
the generated arithmetic benchmark of :mod:`slmmux.arith`). Validation questions come either from a seeded
hold-out of the bundled file (``source="bundled"``, offline; those questions are then removed from the
test split so the splits never overlap) or from the benchmark's training data on the Hugging Face hub
(``source="hub"``, as in the paper).
"""

from __future__ import annotations

import gzip
import json
import re
from importlib import resources
from pathlib import Path

import polars as pl

from slmmux.files import read_parquet
from slmmux.vocabulary import BENCHMARKS  # noqa: F401  (data.BENCHMARKS: what can be loaded)

BUNDLED_FILES = {
    "math": "math_500.json",
    "gsm8k": "gsm8k_500.json",
    "gpqa": "gpqa_diamond_shuffled.json.gz",
    "arith": "arith.json",
}

QUESTION_SCHEMA: dict[str, pl.DataType] = {
    "benchmark": pl.String,
    "split": pl.String,
    "question_id": pl.String,
    "question": pl.String,
    "choices": pl.List(pl.String),
    "gold": pl.String,
    "subject": pl.String,
    "level": pl.Int64,
}

# Hub sources for validation questions (paper §3: 500 questions from the training splits).
MATH_SUBJECT_CONFIGS = (
    "algebra", "counting_and_probability", "geometry", "intermediate_algebra",
    "number_theory", "prealgebra", "precalculus",
)


def _check_benchmark(benchmark: str) -> None:
    if benchmark not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {benchmark!r}; expected one of {', '.join(BENCHMARKS)}")


def bundled_path(benchmark: str) -> Path:
    _check_benchmark(benchmark)
    return Path(str(resources.files("slmmux") / "bundled" / BUNDLED_FILES[benchmark]))


def gsm8k_gold(solution: str) -> str:
    """The number after ``####`` in a GSM8K solution, without thousands separators."""
    m = re.search(r"####\s*(.+?)\s*$", solution.strip())
    if not m:
        raise ValueError(f"GSM8K solution has no '#### N' line: {solution[-80:]!r}")
    return m.group(1).replace(",", "").replace("$", "").strip()


def _frame(rows: list[dict], benchmark: str, split: str) -> pl.DataFrame:
    for r in rows:
        r.setdefault("choices", None)
        r.setdefault("subject", None)
        r.setdefault("level", None)
        r["benchmark"] = benchmark
        r["split"] = split
    return pl.DataFrame(rows, schema=QUESTION_SCHEMA)


def load_bundled(benchmark: str) -> pl.DataFrame:
    """All questions of a bundled benchmark file (split column set to ``"test"``)."""
    path = bundled_path(benchmark)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        records = json.load(fh)
    rows: list[dict] = []
    for i, rec in enumerate(records):
        if benchmark == "math":
            rows.append({"question_id": rec["unique_id"], "question": rec["problem"], "gold": rec["answer"],
                         "subject": rec["subject"], "level": int(rec["level"])})
        elif benchmark == "gsm8k":
            rows.append({"question_id": f"gsm8k-{i:04d}", "question": rec["question"], "gold": gsm8k_gold(rec["answer"])})
        elif benchmark == "arith":
            rows.append({"question_id": f"arith-{i:03d}", "question": rec["question"], "gold": rec["answer"],
                         "subject": rec["kind"], "level": rec["level"]})
        else:
            rows.append({"question_id": f"gpqa-{i:03d}", "question": rec["question"].strip(),
                         "choices": [c.strip() for c in rec["choices"]], "gold": rec["answer"].strip()})
    return _frame(rows, benchmark, "test")


def load_hub_validation(benchmark: str, size: int, seed: int) -> pl.DataFrame:
    """Validation questions from the training data on the Hugging Face hub (needs network access).

    MATH: ``EleutherAI/hendrycks_math`` train (all subjects); GSM8K: ``openai/gsm8k`` main train;
    GPQA: ``Idavidrein/gpqa`` ``gpqa_main`` questions that are not in GPQA Diamond (gated: log in with
    ``hf auth login`` first). Set ``HF_HUB_OFFLINE=1`` to read a cache filled beforehand.
    """
    import random

    import datasets

    _check_benchmark(benchmark)
    if benchmark == "arith":
        raise ValueError("arith has no hub data: its questions are generated (use validation_source bundled)")
    rows: list[dict] = []
    if benchmark == "math":
        from slmmux.answers.boxed import last_boxed

        for config in MATH_SUBJECT_CONFIGS:
            ds = datasets.load_dataset("EleutherAI/hendrycks_math", config, split="train")
            for i, rec in enumerate(ds):
                gold = last_boxed(rec["solution"])
                if gold is None:
                    continue
                rows.append({"question_id": f"train/{config}/{i}", "question": rec["problem"], "gold": gold,
                             "subject": rec["type"], "level": _math_level(rec["level"])})
    elif benchmark == "gsm8k":
        ds = datasets.load_dataset("openai/gsm8k", "main", split="train")
        for i, rec in enumerate(ds):
            rows.append({"question_id": f"gsm8k-train-{i:04d}", "question": rec["question"], "gold": gsm8k_gold(rec["answer"])})
    else:
        diamond = set(load_bundled("gpqa")["question"].str.strip_chars().to_list())
        ds = datasets.load_dataset("Idavidrein/gpqa", "gpqa_main", split="train")
        rng = random.Random(seed)
        for i, rec in enumerate(ds):
            q = rec["Question"].strip()
            if q in diamond:
                continue
            options = [rec["Correct Answer"], rec["Incorrect Answer 1"], rec["Incorrect Answer 2"], rec["Incorrect Answer 3"]]
            order = list(range(4))
            rng.shuffle(order)
            letters = "ABCD"
            choices = [f"{letters[j]} {options[o].strip()}" for j, o in enumerate(order)]
            gold = letters[order.index(0)]
            rows.append({"question_id": f"gpqa-main-{i:03d}", "question": q, "choices": choices, "gold": gold})
    if len(rows) < size:
        raise ValueError(f"{benchmark}: the hub training data has {len(rows)} usable questions, fewer than validation_size={size}")
    rng = random.Random(seed)
    picked = sorted(rng.sample(range(len(rows)), size))
    return _frame([rows[i] for i in picked], benchmark, "validation")


def _math_level(level: str) -> int | None:
    m = re.search(r"\d+", str(level))
    return int(m.group()) if m else None


def make_questions(benchmark: str, validation_source: str, validation_size: int, test_size: int | None, seed: int) -> pl.DataFrame:
    """The questions of both splits of one benchmark.

    ``validation_source="bundled"`` holds out ``validation_size`` seeded questions of the bundled file
    for validation; ``"hub"`` draws them from the training data. ``test_size`` (None: all remaining)
    takes a seeded sample of the remaining bundled questions, kept in file order.
    """
    _check_benchmark(benchmark)
    if validation_size < 0 or (test_size is not None and test_size < 1):
        raise ValueError("validation_size must be >= 0 and test_size >= 1")
    pool = load_bundled(benchmark)
    if validation_source == "bundled":
        if validation_size >= pool.height:
            raise ValueError(f"{benchmark}: validation_size={validation_size} leaves no test questions (file has {pool.height})")
        shuffled = pool.sample(fraction=1.0, shuffle=True, seed=seed)
        val_ids = set(shuffled["question_id"].head(validation_size).to_list())
        validation = pool.filter(pl.col("question_id").is_in(val_ids)).with_columns(split=pl.lit("validation"))
        test = pool.filter(~pl.col("question_id").is_in(val_ids))
    elif validation_source == "hub":
        validation = load_hub_validation(benchmark, validation_size, seed)
        test = pool
    else:
        raise ValueError(f"validation_source must be 'bundled' or 'hub', not {validation_source!r}")
    if test_size is not None:
        if test_size > test.height:
            raise ValueError(f"{benchmark}: test_size={test_size} but only {test.height} test questions are available")
        keep = set(test.sample(n=test_size, shuffle=True, seed=seed + 1)["question_id"].to_list())
        test = test.filter(pl.col("question_id").is_in(keep))
    return pl.concat([validation, test]).select(list(QUESTION_SCHEMA))


def read_questions(path: str | Path) -> pl.DataFrame:
    """Read a questions table, failing with the file's name on anything that would mislead later steps.

    A truncated or corrupt file, missing columns, an empty table, duplicate or null question ids and
    null gold answers are errors. An integer gold column (a hand-made file) is read as text, the form
    every grader compares.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"questions file not found: {path}")
    df = read_parquet(path)
    missing = [c for c in QUESTION_SCHEMA if c not in df.columns]
    if missing:
        raise ValueError(f"{path} is not a questions table: missing columns {missing}")
    if df.height == 0:
        raise ValueError(f"{path} holds no questions")
    if df.schema["gold"].is_integer():
        df = df.with_columns(pl.col("gold").cast(pl.String))
    for column in ("question_id", "gold", "question", "split"):
        if df.schema[column] != pl.String:
            raise ValueError(f"{path}: column {column!r} must hold text, not {df.schema[column]}")
        nulls = df.filter(pl.col(column).is_null())
        if nulls.height:
            ids = ", ".join(str(q) for q in nulls["question_id"].head(5).to_list())
            raise ValueError(f"{path}: {nulls.height} question(s) have no {column} (null), e.g. {ids}")
    duplicated = df.filter(pl.col("question_id").is_duplicated())["question_id"].unique().sort()
    if duplicated.len():
        raise ValueError(f"{path}: question ids appear more than once: {', '.join(duplicated.head(5).to_list())}")
    return df
