"""SLM-MUX selection (the paper's Algorithm 1) and the baselines it is compared with.

:func:`decisions` computes every method over a whole graded samples table (polars group-bys, no
per-question Python loop), producing the decisions format of ``docs/dataflow.md``. The tests hold a
plain per-question implementation of the same rules over Python lists of answer keys
(``tests/mux_reference.py``) and check that the two agree on random tables.

Votes are cast on **answer keys** (the graded table's ``answer_key``, null = no answer). The grader's
keys are canonical forms that do not simplify (``\\sqrt{12}`` and ``2\\sqrt{3}`` get different keys
although ``is_correct`` accepts both against one gold), so :func:`answer_clusters` first
merges, per question, every pair of distinct keys whose answers the grader's own equivalence
(:func:`slmmux.answers.equivalent_many`, bounded in time) finds equivalent: clusters are the
transitive closure, and every member takes the cluster's smallest key, so the result does not depend
on row order. The rules the paper leaves open:

- *k counts every sample.* ``f_i(y) = #{samples of model i with key y} / k_i`` where ``k_i`` counts
  samples without an answer too; such samples lower the confidence but never form an answer.
- *A model's own tie* (two answers with the same count): the answer whose **first occurrence** in the
  model's sample order (sample index 0, 1, ...) comes first wins.
- *A model with no answer at all* has confidence ``s_i = 0`` and answer None; it loses to every
  model that answered. When no model answered, the tie-break below still names a model, and the
  selection's answer is None with confidence 0.
- *Ties between models* (equal ``s_i = S_max``): the model with the highest validation accuracy wins;
  a model with no validation accuracy (missing or NaN) ranks below every model with one; remaining
  ties (equal or both missing accuracies) go to the model whose **name sorts first**. The outcome
  therefore never depends on the order models are given in.
- *Agent Forest ties* (answers with the same pooled count): the **better-supported** answer wins,
  the one given by the model with the highest validation accuracy (the authors' code's rule, never
  the model key's spelling); when that same model gave several of the tied answers, its own tie rule
  (first occurrence) decides. Equivalently: samples are pooled by concatenating the models in
  :func:`model_priority` order, each in its sample order, and among the answers with the top count
  the one whose first occurrence in that pooled order comes first wins. The k-sweep
  (:mod:`slmmux.scaling`) uses the same rule.

Decisions record what each decision used (docs/dataflow.md "decisions"): the group's members, the
models whose samples it read, their decoding and seed, k (samples per model, indices 0..k-1) and the
completion tokens of exactly those samples, so tables and figures only aggregate them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import polars as pl

from slmmux.files import read_parquet
from slmmux.samples import read_samples
from slmmux.vocabulary import SELECTION_METHODS

METHODS = SELECTION_METHODS

DECISIONS_SCHEMA: dict[str, pl.DataType] = {
    "benchmark": pl.String,
    "group": pl.String,
    "seed": pl.Int64,
    "question_id": pl.String,
    "method": pl.String,
    "answer": pl.String,
    "answer_key": pl.String,
    "correct": pl.Boolean,
    "selected_model": pl.String,
    "confidence": pl.Float64,
    "members": pl.List(pl.String),
    "used_models": pl.List(pl.String),
    "used_decoding": pl.String,
    "used_seed": pl.Int64,
    "k": pl.Int64,
    "completion_tokens": pl.Int64,
}

# ---------------------------------------------------------------------------------------------
# the models' tie-break order


def _accuracy_or_none(validation_accuracy: Mapping[str, float], model: str) -> float | None:
    acc = validation_accuracy.get(model)
    if acc is None:
        return None
    acc = float(acc)
    return None if math.isnan(acc) else acc


def model_priority(models: Iterable[str], validation_accuracy: Mapping[str, float]) -> list[str]:
    """Models in tie-break order: highest validation accuracy first, models without one last,
    then by name. The first model is also the group's single best model."""

    def rank(m: str) -> tuple[int, float, str]:
        acc = _accuracy_or_none(validation_accuracy, m)
        return (1, 0.0, m) if acc is None else (0, -acc, m)

    return sorted(set(models), key=rank)


# ---------------------------------------------------------------------------------------------
# equivalent answers vote together


CLUSTERS_SCHEMA = {"benchmark": pl.String, "split": pl.String, "question_id": pl.String, "answer_key": pl.String,
                   "cluster": pl.String}
_QCOLS = ["benchmark", "split", "question_id"]


def answer_clusters(graded: pl.DataFrame, equivalent: Callable | None = None) -> pl.DataFrame:
    """Every distinct answer key of every question, with the key of its cluster of equivalent answers.

    Per (benchmark, split, question): the distinct non-null keys (over every model, seed and sample,
    so a model's own vote and Agent Forest's pooled vote use the same clusters) are compared pairwise
    with the grader's equivalence on one example answer per key (the first in model, seed, decoding,
    sample order); equivalent pairs are merged transitively (union-find) and each cluster is
    represented by its smallest key. GSM8K, GPQA and arith keys are exact already: each is its own
    cluster. ``equivalent``: ``(pairs, benchmark) -> verdicts``, default
    :func:`slmmux.answers.equivalent_many` (each symbolic check bounded by the worker pool's timeout).
    The workflow computes this once per benchmark, over every model's samples (rule
    ``answer_clusters``), so that every group, the search and the sweeps vote on the same clusters.
    """
    if equivalent is None:
        from slmmux.answers import equivalent_many as equivalent
    examples = (
        graded.filter(pl.col("answer_key").is_not_null())
        .sort(["model", "seed", "decoding", "sample"])
        .group_by([*_QCOLS, "answer_key"], maintain_order=True)
        .agg(example=pl.col("answer").first())
        .sort([*_QCOLS, "answer_key"])
    )
    pairs, where = [], []
    by_question: dict[tuple, list[tuple[str, str]]] = {}
    for b, split, q, key, ex in examples.filter(pl.col("benchmark") == "math").iter_rows():
        by_question.setdefault((b, split, q), []).append((key, ex if ex is not None else key))
    for question, keyed in by_question.items():
        for i in range(len(keyed)):
            for j in range(i + 1, len(keyed)):
                pairs.append((keyed[j][1], keyed[i][1]))
                where.append((question, keyed[i][0], keyed[j][0]))
    verdicts = equivalent(pairs, "math") if pairs else []
    parent: dict[tuple, str] = {}

    def find(question, key):
        while parent.get((question, key), key) != key:
            key = parent[(question, key)]
        return key

    for (question, a, b), same in zip(where, verdicts):
        if same:
            ra, rb = find(question, a), find(question, b)
            if ra != rb:
                lo, hi = min(ra, rb), max(ra, rb)
                parent[(question, hi)] = lo
    renamed = [(*question, key, find(question, key)) for question, keyed in by_question.items() for key, _ in keyed
               if find(question, key) != key]
    mapping = pl.DataFrame(renamed, schema={**{c: pl.String for c in _QCOLS}, "answer_key": pl.String,
                                            "_cluster": pl.String}, orient="row")
    return (
        examples.select([*_QCOLS, "answer_key"])
        .join(mapping, on=[*_QCOLS, "answer_key"], how="left")
        .select(*_QCOLS, "answer_key", cluster=pl.coalesce("_cluster", "answer_key"))
    )


def apply_answer_clusters(graded: pl.DataFrame, clusters: pl.DataFrame, source: str = "answer clusters") -> pl.DataFrame:
    """``graded`` with each ``answer_key`` replaced by its cluster's key from :func:`answer_clusters`.

    Raises ``ValueError`` when ``graded`` holds an answer key ``clusters`` does not list (the clusters
    were computed from other samples) or ``clusters`` is not such a table."""
    missing_cols = [c for c in CLUSTERS_SCHEMA if c not in clusters.columns]
    if missing_cols:
        raise ValueError(f"{source} is not an answer-clusters table: no column(s) {', '.join(missing_cols)}")
    if clusters.select([*_QCOLS, "answer_key"]).is_duplicated().any():
        raise ValueError(f"{source} lists an answer key of a question twice")
    joined = graded.join(clusters.select([*_QCOLS, "answer_key", pl.col("cluster").alias("_cluster")]),
                         on=[*_QCOLS, "answer_key"], how="left", maintain_order="left")
    unknown = joined.filter(pl.col("answer_key").is_not_null() & pl.col("_cluster").is_null())
    if unknown.height:
        first = unknown.row(0, named=True)
        raise ValueError(f"{source} does not list {unknown.height} answer(s) of these samples (e.g. key "
                         f"{first['answer_key']!r} of {first['benchmark']} {first['split']} question "
                         f"{first['question_id']}): it was computed from other samples; rerun its rule")
    return joined.with_columns(answer_key=pl.col("_cluster")).drop("_cluster").select(graded.columns)


def read_clustered_samples(samples: Sequence, clusters: str) -> pl.DataFrame:
    """Read graded samples tables and vote on the clusters of the ``answer_clusters`` file."""
    if not Path(clusters).exists():
        raise FileNotFoundError(f"answer clusters file not found: {clusters}")
    return apply_answer_clusters(read_samples(list(samples), graded=True), read_parquet(clusters), source=str(clusters))


def cluster_equivalent_answers(graded: pl.DataFrame, equivalent: Callable | None = None) -> pl.DataFrame:
    """``graded`` with ``answer_key`` replaced by one representative per cluster of equivalent answers
    found among its own samples (:func:`answer_clusters`, then :func:`apply_answer_clusters`)."""
    return apply_answer_clusters(graded, answer_clusters(graded, equivalent))


# ---------------------------------------------------------------------------------------------
# table-level path


def first_k_samples(graded: pl.DataFrame, k: int) -> pl.DataFrame:
    """Keep the first ``k`` sampled samples (``sample < k``) of every (model, seed, question); greedy
    rows are kept. Raises ``ValueError`` naming a model that has fewer than ``k`` sampled samples for
    some (seed, question) of the test split."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    out = graded.filter((pl.col("decoding") != "sampled") | (pl.col("sample") < k))
    counts = (
        out.filter((pl.col("decoding") == "sampled") & (pl.col("split") == "test"))
        .group_by(["model", "seed", "question_id"])
        .agg(n=pl.len())
        .filter(pl.col("n") < k)
        .sort(["model", "seed", "question_id"])
    )
    if counts.height:
        r = counts.row(0, named=True)
        raise ValueError(
            f"model {r['model']} has only {r['n']} sampled test sample(s) with index < {k} for seed "
            f"{r['seed']} question {r['question_id']!r} ({counts.height} such (model, seed, question))"
        )
    return out


_QKEY = ["seed", "question_id"]


#: Where this implementation and the authors' public code differ, the paper's reading is the default
#: and the authors' behaviour an option (README "Differences from the authors' code").
CONFIDENCE_DENOMINATORS = ("k", "answered")
OWN_TIES = ("first", "random")


def tie_rank(seed: int, question_id: str, model: str, answer_key: str) -> str:
    """The seeded random order of a model's tied answers (``own_tie="random"``): the answer with the
    smallest sha256 of (seed, question, model, key) wins, the same on every machine and run."""
    import hashlib

    return hashlib.sha256(f"{seed}\x00{question_id}\x00{model}\x00{answer_key}".encode()).hexdigest()


def model_majorities(sampled: pl.DataFrame, confidence_denominator: str = "k", own_tie: str = "first") -> pl.DataFrame:
    """Each model's majority answer per (seed, question), vectorised.

    Input: sampled rows with ``seed, question_id, model, sample, answer, answer_key, correct``.
    Output: one row per (seed, question_id, model) with ``k`` (all samples), ``answer_key``,
    ``answer`` and ``correct`` of the first sample carrying the majority key (nulls / False when the
    model gave no answer), and ``confidence = count / k`` (0 when no answer).

    Options (paper default first): ``confidence_denominator`` ``"k"`` (every sample counts) or
    ``"answered"`` (only samples with an answer, the authors' code); ``own_tie`` ``"first"`` (first
    occurrence in sample order) or ``"random"`` (seeded, :func:`tie_rank`).
    """
    if confidence_denominator not in CONFIDENCE_DENOMINATORS:
        raise ValueError(f"confidence_denominator must be one of {CONFIDENCE_DENOMINATORS}, got {confidence_denominator!r}")
    if own_tie not in OWN_TIES:
        raise ValueError(f"own_tie must be one of {OWN_TIES}, got {own_tie!r}")
    grp = [*_QKEY, "model"]
    k = sampled.group_by(grp).agg(k=pl.len(), answered=pl.col("answer_key").count())
    votes = (
        sampled.filter(pl.col("answer_key").is_not_null())
        .group_by([*grp, "answer_key"])
        .agg(
            count=pl.len(),
            first=pl.col("sample").min(),
            answer=pl.col("answer").sort_by("sample").first(),
            correct=pl.col("correct").sort_by("sample").first(),
        )
    )
    if own_tie == "random":
        votes = votes.with_columns(
            first=pl.struct(grp + ["answer_key"]).map_elements(
                lambda r: tie_rank(r["seed"], r["question_id"], r["model"], r["answer_key"]), return_dtype=pl.String)
        )
    top = votes.group_by(grp).agg(
        pl.col(c).sort_by(["count", "first"], descending=[True, False]).first()
        for c in ("answer_key", "answer", "correct", "count")
    )
    denominator = pl.col("k") if confidence_denominator == "k" else pl.col("answered")
    return k.join(top, on=grp, how="left").with_columns(
        correct=pl.col("correct").fill_null(False),
        confidence=pl.when(denominator > 0).then(pl.col("count").fill_null(0) / denominator).otherwise(0.0)
        .cast(pl.Float64),
    ).drop("count", "answered")


def _pooled_majority(sampled: pl.DataFrame, priority: Sequence[str]) -> pl.DataFrame:
    """Agent Forest per (seed, question): pooled majority, ties by first occurrence in the samples
    pooled in ``priority`` order (the better-supported answer wins)."""
    name_rank = pl.DataFrame(
        {"model": list(priority), "_rank": list(range(len(priority)))},
        schema={"model": pl.String, "_rank": pl.Int64},
    )
    big = int(sampled["sample"].max()) + 1 if sampled.height else 1
    pooled = sampled.join(name_rank, on="model").with_columns(
        _pos=pl.col("_rank") * big + pl.col("sample")
    )
    votes = (
        pooled.filter(pl.col("answer_key").is_not_null())
        .group_by([*_QKEY, "answer_key"])
        .agg(
            count=pl.len(),
            first=pl.col("_pos").min(),
            answer=pl.col("answer").sort_by("_pos").first(),
            correct=pl.col("correct").sort_by("_pos").first(),
        )
    )
    top = votes.group_by(_QKEY).agg(
        pl.col(c).sort_by(["count", "first"], descending=[True, False]).first()
        for c in ("answer_key", "answer", "correct")
    )
    keys = sampled.select(_QKEY).unique()
    return keys.join(top, on=_QKEY, how="left").with_columns(correct=pl.col("correct").fill_null(False))


def _check_complete(sampled: pl.DataFrame, models: Sequence[str], group: str) -> None:
    present = set(sampled["model"].unique().to_list())
    absent = [m for m in models if m not in present]
    if absent:
        raise ValueError(
            f"group {group!r}: model(s) {', '.join(absent)} have no sampled test samples"
        )
    coverage = sampled.group_by(_QKEY).agg(n=pl.col("model").n_unique())
    short = coverage.filter(pl.col("n") < len(set(models)))
    if short.height:
        pairs = short.sort(_QKEY).head(1).join(sampled.select([*_QKEY, "model"]).unique(), on=_QKEY)
        have = set(pairs["model"].to_list())
        row = short.sort(_QKEY).row(0, named=True)
        lacking = [m for m in models if m not in have]
        raise ValueError(
            f"group {group!r}: {short.height} (seed, question) pair(s) lack samples of some model, "
            f"e.g. seed {row['seed']} question {row['question_id']!r} has none from {', '.join(lacking)}"
        )


def decisions(
    graded: pl.DataFrame,
    models: list[str],
    validation_accuracy: Mapping[str, float],
    group: str,
    k: int | None = None,
    confidence_denominator: str = "k",
    own_tie: str = "first",
) -> pl.DataFrame:
    """Per-question decisions of SLM-MUX and the baselines on the test split (vectorised).

    ``confidence_denominator`` and ``own_tie``: see :func:`model_majorities` (the paper's reading by
    default); they apply to SLM-MUX and Single-Best-SC.

    ``graded``: a graded samples table of one benchmark (other models and the validation split are
    ignored). ``k``: use only the first k sampled samples (index < k) of every model per (seed,
    question), :func:`first_k_samples` (None: all of them). Every model of ``models`` must have
    sampled test samples for every (seed, question) that any model has; a ``ValueError`` names the
    gap otherwise.

    Returns the decisions format of ``docs/dataflow.md``: one row per (seed, question_id, method),
    methods :data:`METHODS`, sorted by seed, question_id and method order.

    - ``slm_mux``: Algorithm 1 over each model's sampled samples of that seed; ``selected_model`` and
      ``confidence`` (s_i) set.
    - ``single_best``: the group's best model by validation accuracy (first of :func:`model_priority`).
      Its greedy test sample of the same seed when there is one; otherwise its greedy sample of that
      question from the lowest seed (greedy decoding does not depend on the seed); otherwise (no greedy
      sample of the question) its first sampled sample of that seed. ``selected_model`` = that model.
    - ``single_best_sc``: that model's self-consistency; ``selected_model`` = that model.
    - ``agent_forest``: pooled majority of all models' sampled samples of that seed (ties: the
      better-supported answer, see the module docstring).
    - ``oracle``: ``correct`` = any sample SLM-MUX used (any sampled sample of any model of that
      seed) correct; answer columns null.

    Every row also records what the decision used: ``members`` (the group, sorted), ``used_models``,
    ``used_decoding`` and ``used_seed`` of the samples read, ``k`` (samples per used model, indices
    0..k-1) and ``completion_tokens`` (their sum).

    ``answer`` / ``correct`` are those of the first sample (in the method's order) carrying the winning
    ``answer_key``; a decision without an answer has null answer and ``correct = False``.
    """
    if not models:
        raise ValueError(f"group {group!r} has no models")
    if len(set(models)) != len(models):
        raise ValueError(f"group {group!r} lists a model twice: {models}")
    test = graded.filter((pl.col("split") == "test") & pl.col("model").is_in(list(models)))
    if k is not None:
        test = first_k_samples(test, k)
    benchmarks = test["benchmark"].unique().to_list()
    if len(benchmarks) > 1:
        raise ValueError(f"decisions takes one benchmark, the samples hold {sorted(benchmarks)}")
    sampled = test.filter(pl.col("decoding") == "sampled").select(
        ["seed", "question_id", "model", "sample", "answer", "answer_key", "correct", "completion_tokens"]
    )
    _check_complete(sampled, models, group)
    benchmark = benchmarks[0]
    priority = model_priority(models, validation_accuracy)
    best = priority[0]
    members = sorted(models)
    prio = pl.DataFrame(
        {"model": priority, "_prio": list(range(len(priority)))},
        schema={"model": pl.String, "_prio": pl.Int64},
    )

    per_model = model_majorities(sampled, confidence_denominator, own_tie).join(
        sampled.group_by([*_QKEY, "model"]).agg(completion_tokens=pl.col("completion_tokens").sum()),
        on=[*_QKEY, "model"],
    )
    all_used = per_model.group_by(_QKEY).agg(
        k=pl.col("k").max(), completion_tokens=pl.col("completion_tokens").sum()
    ).with_columns(
        used_models=pl.lit(members, dtype=pl.List(pl.String)),
        used_decoding=pl.lit("sampled"),
        used_seed=pl.col("seed"),
    )
    mux = (
        per_model.join(prio, on="model")
        .group_by(_QKEY)
        .agg(
            pl.col(c).sort_by(["confidence", "_prio"], descending=[True, False]).first()
            for c in ("model", "answer_key", "answer", "correct", "confidence")
        )
        .rename({"model": "selected_model"})
        .join(all_used, on=_QKEY)
        .with_columns(method=pl.lit("slm_mux"))
    )

    best_used = dict(used_models=pl.lit([best], dtype=pl.List(pl.String)), selected_model=pl.lit(best))
    sc = (
        per_model.filter(pl.col("model") == best)
        .select([*_QKEY, "answer_key", "answer", "correct", "k", "completion_tokens"])
        .with_columns(method=pl.lit("single_best_sc"), used_decoding=pl.lit("sampled"), used_seed=pl.col("seed"),
                      **best_used)
    )

    cols = ["answer_key", "answer", "correct", "completion_tokens"]
    keys = sampled.select(_QKEY).unique()
    first_sampled = (
        sampled.filter(pl.col("model") == best)
        .group_by(_QKEY)
        .agg(pl.col(c).sort_by("sample").first() for c in cols)
        .with_columns(used_decoding=pl.lit("sampled"), used_seed=pl.col("seed"))
    )
    greedy = test.filter((pl.col("decoding") == "greedy") & (pl.col("model") == best)).select(
        ["seed", "question_id", "sample", *cols]
    )
    if greedy.height:
        same_seed = greedy.group_by(_QKEY).agg(pl.col(c).sort_by("sample").first() for c in cols)
        any_seed = greedy.group_by("question_id").agg(
            *(pl.col(c).sort_by(["seed", "sample"]).first().alias(f"{c}_any") for c in cols),
            used_seed_any=pl.col("seed").sort_by(["seed", "sample"]).first(),
        )
        chosen = [*cols, "used_decoding", "used_seed"]
        single = (
            keys.join(same_seed.with_columns(_g=pl.lit(True), used_decoding=pl.lit("greedy"), used_seed=pl.col("seed")),
                      on=_QKEY, how="left")
            .join(any_seed.with_columns(_ga=pl.lit(True), used_decoding_any=pl.lit("greedy")), on="question_id", how="left")
            .join(first_sampled.rename({c: f"{c}_s" for c in chosen}), on=_QKEY, how="left")
            .select(
                *_QKEY,
                *(
                    pl.when(pl.col("_g").is_not_null())
                    .then(pl.col(c))
                    .when(pl.col("_ga").is_not_null())
                    .then(pl.col(f"{c}_any"))
                    .otherwise(pl.col(f"{c}_s"))
                    .alias(c)
                    for c in chosen
                ),
            )
        )
    else:
        single = keys.join(first_sampled, on=_QKEY, how="left")
    single = single.with_columns(method=pl.lit("single_best"), k=pl.lit(1, dtype=pl.Int64), **best_used)

    forest = (
        _pooled_majority(sampled, priority)
        .join(all_used, on=_QKEY)
        .with_columns(method=pl.lit("agent_forest"))
    )
    orc = (
        sampled.group_by(_QKEY)
        .agg(correct=pl.col("correct").any())
        .join(all_used, on=_QKEY)
        .with_columns(method=pl.lit("oracle"))
    )

    method_order = pl.DataFrame({"method": list(METHODS), "_m": list(range(len(METHODS)))})
    out = pl.concat(
        [mux, single, sc, forest, orc], how="diagonal_relaxed"
    ).with_columns(
        benchmark=pl.lit(benchmark, dtype=pl.String),
        group=pl.lit(group, dtype=pl.String),
        correct=pl.col("correct").fill_null(False),
        members=pl.lit(members, dtype=pl.List(pl.String)),
    )
    for c, dtype in DECISIONS_SCHEMA.items():
        if c not in out.columns:
            out = out.with_columns(pl.lit(None, dtype=dtype).alias(c))
    out = out.join(method_order, on="method").sort(["seed", "question_id", "_m"])
    return out.select(list(DECISIONS_SCHEMA)).cast(DECISIONS_SCHEMA)
