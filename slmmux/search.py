"""Model-subset search (paper §1.2): rank subsets S of a model pool by
``O(S) = UnionAcc(S) - lam * Contradiction(S)`` over the validation set.

Definitions, over a set D of validation *items*:

- A model m is **correct** on item x when at least ``robust_level`` of its samples on x are
  correct (the paper: 1; the authors' code: 2).
- m is **consistently wrong** on x when all its samples on x carry the same non-null
  ``answer_key`` and none of them is correct (one wrong answer, given every time). Two choices the
  paper leaves open are options, the paper's reading by default: ``empty_samples="break"`` (a sample
  without an answer makes the model not consistent) or ``"ignore"`` (its answered samples decide);
  ``single_sample_consistent=True`` (with k = 1 the one wrong answer is consistent) or ``False``
  (consistency needs at least two answered samples).
- ``UnionAcc(S)``: fraction of items where some m in S is correct.
- ``Contradiction(S)``: number of items where some m1 in S is consistently wrong AND some m2 in S
  is correct, divided by |D| (``contradiction_base="all"``, the paper) or by the number of
  union-correct items (``"union"``, the authors' code; 0/0 is 0).

Items and seeds: an item is one ``(seed, question_id)`` pair, so D pools every validation seed.
When every seed covers the same questions this equals averaging UnionAcc (and Contradiction with
base ``"all"``) over seeds; with base ``"union"`` the ratio is pooled over seeds (total contradicted
items / total union-correct items), not an average of per-seed ratios. D is the set of items any
model of the pool has samples on; a model with no samples on an item is neither correct nor wrong
there.

Rows used: :func:`rank_subsets` keeps ``split == "validation"`` and ``decoding == "sampled"``
rows by default; pass ``split=None`` / ``decoding=None`` for a table that is already filtered (or,
for instance, ``decoding="greedy"`` to search over one greedy sample per question).

Implementation: per model two bitsets over the items (``correct`` and ``wrong``, numpy ``uint64``
words). For a subset, the union count is ``popcount(OR correct)`` and the contradiction count is
``popcount(OR correct & OR wrong)`` (correct and wrong are disjoint per model, so an item in both
ORs has a correct model and a different, consistently wrong one). Exhaustive search walks the
``(K-1)``-prefixes in lexicographic chunks, ORs each prefix once and extends it by every later
model with one vectorised OR, so the cost is one OR and two popcounts per subset.

Reading a search table (the selection, the scaling sweeps and the explorer name searched groups by it):
:func:`ranked_subset` (the R-th best subset of K models, group ``s<K>r<R>``) and :func:`best_subsets`
(the best subset of each size) follow the table's exact ``rank`` column, never its float ``objective``.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import polars as pl
import pyarrow as pa

log = logging.getLogger(__name__)

METHODS = ("exhaustive", "greedy", "beam")
EMPTY_SAMPLES = ("break", "ignore")
CONTRADICTION_BASES = ("all", "union")
OUTPUT_SCHEMA = {
    "models": pl.List(pl.String),
    "size": pl.Int64,
    "union_accuracy": pl.Float64,
    "contradiction": pl.Float64,
    "objective": pl.Float64,
    "union_count": pl.Int64,
    "contradiction_count": pl.Int64,
    "n_items": pl.Int64,
    "rank": pl.Int64,
}

# Words (uint64) handled per vectorised chunk, per bitset array: bounds the working memory.
_CHUNK_WORDS = 1 << 22
_LOG_EVERY_S = 2.0


@dataclass(frozen=True)
class Bitsets:
    """Per-model item bitsets: ``correct[i]`` / ``wrong[i]`` are the packed rows of ``models[i]``."""

    models: tuple[str, ...]  # sorted
    correct: np.ndarray  # (n_models, n_words) uint64
    wrong: np.ndarray  # (n_models, n_words) uint64
    n_items: int


# ---------------------------------------------------------------------------------------------
# bitsets


def _pack(matrix: np.ndarray) -> np.ndarray:
    """Pack a (rows, items) bool matrix into (rows, words) uint64, zero padded."""
    rows, n = matrix.shape
    n_words = max(1, -(-n // 64))
    packed = np.packbits(matrix, axis=1, bitorder="little")
    out = np.zeros((rows, n_words * 8), dtype=np.uint8)
    out[:, : packed.shape[1]] = packed
    return out.view(np.uint64)


if hasattr(np, "bitwise_count"):

    def _popcount_rows(a: np.ndarray) -> np.ndarray:
        return np.bitwise_count(a).sum(axis=-1, dtype=np.int64)

else:  # numpy < 2.0
    _BYTE_POP = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)

    def _popcount_rows(a: np.ndarray) -> np.ndarray:
        b = np.ascontiguousarray(a).view(np.uint8)
        return _BYTE_POP[b].sum(axis=-1, dtype=np.int64)


def filter_validation(samples: pl.DataFrame, split: str | None = "validation", decoding: str | None = "sampled") -> pl.DataFrame:
    """The rows the search uses: ``split`` / ``decoding`` equal to the given values (None: no filter)."""
    if split is not None:
        samples = samples.filter(pl.col("split") == split)
    if decoding is not None:
        samples = samples.filter(pl.col("decoding") == decoding)
    return samples


def model_bitsets(samples: pl.DataFrame, robust_level: int = 1, empty_samples: str = "break",
                  single_sample_consistent: bool = True) -> Bitsets:
    """Correct / consistently-wrong bitsets of every model over the ``(seed, question_id)`` items.

    ``samples`` is used as given (no split/decoding filter); it needs the columns ``model, seed,
    question_id, sample, answer_key, correct``. Raises ``ValueError`` on an empty table or when
    ``robust_level`` exceeds some model's number of samples per question.
    """
    need = ["model", "seed", "question_id", "sample", "answer_key", "correct"]
    missing = [c for c in need if c not in samples.columns]
    if missing:
        raise ValueError(f"samples table lacks column(s): {', '.join(missing)}")
    if not isinstance(robust_level, (int, np.integer)) or isinstance(robust_level, bool) or robust_level < 1:
        raise ValueError(f"robust_level must be an integer >= 1, got {robust_level!r}")
    if empty_samples not in EMPTY_SAMPLES:
        raise ValueError(f"empty_samples must be one of {EMPTY_SAMPLES}, got {empty_samples!r}")
    if samples.height == 0:
        raise ValueError("no samples to search over (after filtering split/decoding)")
    if samples["correct"].null_count():
        raise ValueError("column 'correct' has null values: grade the samples first")
    per = samples.group_by(["model", "seed", "question_id"]).agg(
        n=pl.len(),
        n_correct=pl.col("correct").cast(pl.Int64).sum(),
        n_null=pl.col("answer_key").null_count(),
        n_keys=pl.col("answer_key").drop_nulls().n_unique(),
    )
    k_per_model = per.group_by("model").agg(k=pl.col("n").max()).sort("model")
    low = k_per_model.filter(pl.col("k") < robust_level)
    if low.height:
        m, k = low.row(0)
        raise ValueError(f"robust_level={robust_level} exceeds k={k}, the samples per question of model {m!r}")
    items = per.select("seed", "question_id").unique().sort("seed", "question_id").with_row_index("item")
    models = tuple(sorted(per["model"].unique().to_list()))
    model_idx = pl.DataFrame({"model": list(models), "midx": np.arange(len(models), dtype=np.int64)})
    per = per.join(items, on=["seed", "question_id"]).join(model_idx, on="model").with_columns(
        is_correct=pl.col("n_correct") >= robust_level,
        is_wrong=(pl.col("n_null") == 0 if empty_samples == "break" else pl.lit(True))
        & (pl.col("n_keys") == 1) & (pl.col("n_correct") == 0)
        & (pl.lit(True) if single_sample_consistent else (pl.col("n") - pl.col("n_null") >= 2)),
    )
    n_items = items.height
    rows = per["midx"].to_numpy()
    cols = per["item"].to_numpy().astype(np.int64)
    correct = np.zeros((len(models), n_items), dtype=bool)
    wrong = np.zeros((len(models), n_items), dtype=bool)
    correct[rows, cols] = per["is_correct"].to_numpy()
    wrong[rows, cols] = per["is_wrong"].to_numpy()
    return Bitsets(models=models, correct=_pack(correct), wrong=_pack(wrong), n_items=n_items)


# ---------------------------------------------------------------------------------------------
# scoring and ordering


def rational(lam: float) -> Fraction:
    """``lam`` as the exact rational its decimal spelling means (0.1 -> 1/10, not the binary float)."""
    return Fraction(repr(float(lam))) if not isinstance(lam, (int, np.integer)) else Fraction(int(lam))


def exact_objective(u: np.ndarray, c: np.ndarray, n_items: int, lam: Fraction, base: str) -> np.ndarray:
    """The objective of every row as an exact sort key (larger = better).

    Base ``"all"``: the integer ``q*u - p*c`` for ``lam = p/q`` (the objective times ``n_items * q``).
    Base ``"union"``: ``u/n - lam*c/u`` as :class:`fractions.Fraction` objects (0/0 counts as 0).
    Floating-point objectives would order ties by rounding noise (issue 11, finding 5)."""
    p, q = lam.numerator, lam.denominator
    if base == "all":
        if max(p, q) * max(n_items, 1) < 2**62:
            return u.astype(np.int64) * q - c.astype(np.int64) * p
        return np.array([int(a) * q - int(b) * p for a, b in zip(u, c)], dtype=object)
    return np.array([Fraction(int(a), n_items) - (lam * Fraction(int(b), int(a)) if a else 0) for a, b in zip(u, c)],
                    dtype=object)


def _scores(u: np.ndarray, c: np.ndarray, n_items: int, lam: Fraction, base: str) -> tuple[np.ndarray, ...]:
    """(union_accuracy, contradiction, objective, exact key) from the integer counts; the first
    three as float64 for display, the key exact (:func:`exact_objective`) for ranking."""
    union = u.astype(np.float64) / float(n_items)
    if base == "all":
        contra = c.astype(np.float64) / float(n_items)
    else:
        uf = u.astype(np.float64)
        contra = np.divide(c.astype(np.float64), uf, out=np.zeros(len(u), dtype=np.float64), where=u > 0)
    return union, contra, union - float(lam) * contra, exact_objective(u, c, n_items, lam, base)


def _order(key: np.ndarray, u: np.ndarray, combos: np.ndarray) -> np.ndarray:
    """Indices ordering rows by exact objective desc, union count desc, then model index tuple ascending.

    ``combos`` is (rows, width) int, padded with -1 on the right for shorter subsets, so a
    subset sorts before its extensions, as Python list comparison does.
    """
    keys = [combos[:, j] for j in range(combos.shape[1] - 1, -1, -1)]
    return np.lexsort(keys + [-u.astype(np.int64), -key])


@dataclass
class _Ranked:
    combos: np.ndarray  # (rows, K) int16
    u: np.ndarray  # union-correct counts
    c: np.ndarray  # contradiction counts
    union: np.ndarray
    contra: np.ndarray
    obj: np.ndarray
    key: np.ndarray  # exact objective (int64 or Fraction objects), see exact_objective

    _FIELDS = ("combos", "u", "c", "union", "contra", "obj", "key")

    @staticmethod
    def empty(k: int) -> "_Ranked":
        z = np.zeros(0, dtype=np.float64)
        zi = np.zeros(0, dtype=np.int64)
        return _Ranked(np.zeros((0, k), dtype=np.int16), zi, zi, z, z, z, zi)

    def take(self, idx: np.ndarray) -> "_Ranked":
        return _Ranked(*(getattr(self, f)[idx] for f in self._FIELDS))

    @staticmethod
    def concat(parts: list["_Ranked"], k: int) -> "_Ranked":
        if not parts:
            return _Ranked.empty(k)
        return _Ranked(*(np.concatenate([getattr(p, f) for p in parts]) for f in _Ranked._FIELDS))

    def best(self, top: int | None) -> "_Ranked":
        """The ``top`` best rows in order (all rows, ordered, when ``top`` is None)."""
        n = len(self.obj)
        if top is not None and n > top:
            # pre-filter by exact objective with a linear-time partition, keeping ties at the threshold
            thr = np.partition(self.key, n - top)[n - top]
            sub = self.take(np.flatnonzero(self.key >= thr))
            return sub.take(_order(sub.key, sub.u, sub.combos)[:top])
        return self.take(_order(self.key, self.u, self.combos))


def _evaluate(bits: Bitsets, combos: np.ndarray, lam: float, base: str) -> _Ranked:
    """Score explicit subsets (rows of model indices) by gather + OR-reduce."""
    if combos.shape[0] == 0:
        return _Ranked.empty(combos.shape[1])
    cor = np.bitwise_or.reduce(bits.correct[combos], axis=1)
    wro = np.bitwise_or.reduce(bits.wrong[combos], axis=1)
    u = _popcount_rows(cor)
    c = _popcount_rows(cor & wro)
    return _Ranked(combos.astype(np.int16), u, c, *_scores(u, c, bits.n_items, lam, base))


# ---------------------------------------------------------------------------------------------
# exhaustive


def _prefix_chunks(n: int, k: int, batch: int) -> Iterator[np.ndarray]:
    """Lexicographic chunks of the (k)-combinations of range(n) that can still be extended."""
    it = itertools.combinations(range(n - 1), k) if k else iter([()])
    while True:
        chunk = list(itertools.islice(it, batch))
        if not chunk:
            return
        yield np.array(chunk, dtype=np.int64).reshape(len(chunk), k)


def _exhaustive_size(bits: Bitsets, k: int, lam: float, base: str, top: int | None, progress: Callable[[int], None]) -> _Ranked:
    n = len(bits.models)
    n_words = bits.correct.shape[1]
    target = max(1024, _CHUNK_WORDS // n_words)  # subsets per chunk
    batch = max(1, target // max(1, n - k + 1))  # prefixes per chunk
    kept: _Ranked | None = None
    parts: list[_Ranked] = []
    for prefixes in _prefix_chunks(n, k - 1, batch):
        p = prefixes.shape[0]
        if k > 1:
            pc = np.bitwise_or.reduce(bits.correct[prefixes], axis=1)
            pw = np.bitwise_or.reduce(bits.wrong[prefixes], axis=1)
            start = prefixes[:, -1] + 1
        else:
            pc = np.zeros((1, n_words), dtype=np.uint64)
            pw = np.zeros((1, n_words), dtype=np.uint64)
            start = np.zeros(1, dtype=np.int64)
        counts = n - start
        total = int(counts.sum())
        if total == 0:
            continue
        row = np.repeat(np.arange(p), counts)
        offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        ext = start[row] + offsets
        cor = pc[row] | bits.correct[ext]
        wro = pw[row] | bits.wrong[ext]
        u = _popcount_rows(cor)
        c = _popcount_rows(cor & wro)
        del cor, wro
        combos = np.empty((total, k), dtype=np.int16)
        if k > 1:
            combos[:, :-1] = prefixes[row]
        combos[:, -1] = ext
        chunk = _Ranked(combos, u, c, *_scores(u, c, bits.n_items, lam, base))
        if top is None:
            parts.append(chunk)
        else:
            kept = chunk.best(top) if kept is None else _Ranked.concat([kept, chunk], k).best(top)
        progress(total)
    if top is None:
        return _Ranked.concat(parts, k).best(None)
    return kept if kept is not None else _Ranked.empty(k)


# ---------------------------------------------------------------------------------------------
# greedy / beam


def _beam(bits: Bitsets, sizes: list[int], lam: float, base: str, top: int | None, width: int,
          progress: Callable[[int], None]) -> dict[int, _Ranked]:
    """Beam search from the empty set: level K scores every extension of the level K-1 beam by one
    later-unused model (deduplicated), and keeps the best ``width`` as the next beam. The rows
    reported for size K are those scored extensions (``width=1`` is the greedy search)."""
    n = len(bits.models)
    out: dict[int, _Ranked] = {}
    beam = np.zeros((1, 0), dtype=np.int64)
    for k in range(1, max(sizes) + 1):
        m = beam.shape[0]
        cand = np.repeat(beam, n, axis=0)
        add = np.tile(np.arange(n), m)
        in_beam = (cand == add[:, None]).any(axis=1) if k > 1 else np.zeros(len(add), dtype=bool)
        cand = np.sort(np.concatenate([cand, add[:, None]], axis=1)[~in_beam], axis=1)
        cand = np.unique(cand, axis=0)
        ranked = _evaluate(bits, cand, lam, base).best(None)
        progress(len(cand))
        if k in sizes:
            out[k] = ranked if top is None else ranked.take(np.arange(min(top, len(ranked.obj))))
        beam = ranked.combos[:width].astype(np.int64)
    return out


# ---------------------------------------------------------------------------------------------
# public API


def _check_options(sizes, lam, robust_level, contradiction_base, top, method, beam_width) -> list[int]:
    if isinstance(sizes, (int, np.integer)):
        sizes = [sizes]
    sizes = list(sizes)
    if not sizes:
        raise ValueError("sizes is empty")
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1:
            raise ValueError(f"subset sizes must be integers >= 1, got {s!r}")
    if isinstance(lam, bool) or not isinstance(lam, (int, float, np.integer, np.floating)) or not math.isfinite(lam) or lam < 0:
        raise ValueError(f"lam must be a finite number >= 0, got {lam!r}")
    if isinstance(robust_level, bool) or not isinstance(robust_level, (int, np.integer)) or robust_level < 1:
        raise ValueError(f"robust_level must be an integer >= 1, got {robust_level!r}")
    if contradiction_base not in CONTRADICTION_BASES:
        raise ValueError(f"contradiction_base must be one of {CONTRADICTION_BASES}, got {contradiction_base!r}")
    if top is not None and (isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1):
        raise ValueError(f"top must be None or an integer >= 1, got {top!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if isinstance(beam_width, bool) or not isinstance(beam_width, (int, np.integer)) or beam_width < 1:
        raise ValueError(f"beam_width must be an integer >= 1, got {beam_width!r}")
    return sorted({int(s) for s in sizes})


class _Progress:
    def __init__(self, total: int, label: str):
        self.total, self.label, self.done = total, label, 0
        self.t0 = self.last = time.perf_counter()

    def __call__(self, n: int) -> None:
        self.done += n
        now = time.perf_counter()
        if now - self.last >= _LOG_EVERY_S:
            self.last = now
            rate = self.done / max(now - self.t0, 1e-9)
            log.info("%s: %d / %d subsets (%.0f subsets/s)", self.label, self.done, self.total, rate)


def search_bitsets(bits: Bitsets, sizes: Iterable[int], lam: float = 1.0, contradiction_base: str = "all",
                   top: int | None = None, method: str = "exhaustive", beam_width: int = 10) -> pl.DataFrame:
    """:func:`rank_subsets` on precomputed :class:`Bitsets` (see there for the options and output)."""
    sizes = _check_options(sizes, lam, 1, contradiction_base, top, method, beam_width)
    n = len(bits.models)
    skipped = [s for s in sizes if s > n]
    if skipped:
        log.warning("skipping subset size(s) %s: the pool has only %d model(s)", skipped, n)
    sizes = [s for s in sizes if s <= n]
    lam = rational(lam)
    results: dict[int, _Ranked] = {}
    if sizes and method == "exhaustive":
        progress = _Progress(sum(math.comb(n, s) for s in sizes), "exhaustive search")
        for s in sizes:
            results[s] = _exhaustive_size(bits, s, lam, contradiction_base, top, progress)
    elif sizes:
        width = 1 if method == "greedy" else beam_width
        progress = _Progress(sum(min(width, math.comb(n, s - 1)) * n for s in range(1, max(sizes) + 1)), f"{method} search")
        results = _beam(bits, sizes, lam, contradiction_base, top, width, progress)
    return _to_frame(bits, [results[s] for s in sizes])


def _to_frame(bits: Bitsets, parts: list[_Ranked]) -> pl.DataFrame:
    parts = [p for p in parts if len(p.obj)]
    if not parts:
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    width = max(p.combos.shape[1] for p in parts)
    padded = np.concatenate([np.pad(p.combos.astype(np.int64), ((0, 0), (0, width - p.combos.shape[1])), constant_values=-1) for p in parts])
    size = np.concatenate([np.full(len(p.obj), p.combos.shape[1], dtype=np.int64) for p in parts])
    cols = {f: np.concatenate([getattr(p, f) for p in parts]) for f in ("u", "c", "union", "contra", "obj", "key")}
    order = _order(cols["key"], cols["u"], padded)
    padded, size = padded[order], size[order]
    cols = {f: v[order] for f, v in cols.items()}
    names = pl.Series("n", list(bits.models), dtype=pl.String)
    flat = padded[padded >= 0]  # row-major: each row's indices in order
    offsets = np.concatenate([[0], np.cumsum(size)])
    models = _list_column(names.gather(flat), offsets)
    out = pl.DataFrame({"models": models, "size": size, "union_accuracy": cols["union"],
                        "contradiction": cols["contra"], "objective": cols["obj"], "union_count": cols["u"],
                        "contradiction_count": cols["c"], "n_items": np.full(len(size), bits.n_items, dtype=np.int64)})
    out = out.with_columns(rank=pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("size"))
    return out.select(list(OUTPUT_SCHEMA)).cast(OUTPUT_SCHEMA)


def _list_column(values: pl.Series, offsets: np.ndarray) -> pl.Series:
    """A list column whose row i holds ``values[offsets[i]:offsets[i+1]]``."""
    arr = pa.LargeListArray.from_arrays(pa.array(offsets.astype(np.int64)), values.to_arrow())
    return pl.Series("models", pl.from_arrow(arr)).cast(pl.List(pl.String))


def rank_subsets(samples: pl.DataFrame, sizes: Iterable[int] | int, lam: float = 1.0, robust_level: int = 1,
                 contradiction_base: str = "all", top: int | None = None, method: str = "exhaustive",
                 beam_width: int = 10, split: str | None = "validation", decoding: str | None = "sampled",
                 empty_samples: str = "break", single_sample_consistent: bool = True) -> pl.DataFrame:
    """Rank model subsets of each size in ``sizes`` by ``UnionAcc - lam * Contradiction``.

    ``samples`` is a graded samples table (:mod:`slmmux.samples`); only rows with ``split ==
    split`` and ``decoding == decoding`` are used (None skips that filter). Items are
    ``(seed, question_id)`` pairs (see the module docstring).

    - ``robust_level``: samples that must be correct for a model to count as correct (>= 1, <= k).
    - ``empty_samples``, ``single_sample_consistent``: what "consistently wrong" makes of samples
      without an answer and of k = 1 (module docstring; the paper's reading by default).
    - ``contradiction_base``: ``"all"`` divides by |D| (paper), ``"union"`` by the union-correct items.
    - ``top``: keep only the best ``top`` rows per size (None: every scored subset).
    - ``method``: ``"exhaustive"`` (every subset), ``"greedy"`` (grow the best (K-1)-subset by the
      model that maximises the objective) or ``"beam"`` (keep the best ``beam_width`` subsets per
      size). Greedy/beam report, for size K, the extensions of the previous level they scored.

    Sizes larger than the pool are skipped with a logged warning. Returns columns ``models``
    (list[str], sorted), ``size``, ``union_accuracy``, ``contradiction``, ``objective`` (floats, for
    reading), the exact counts ``union_count``, ``contradiction_count``, ``n_items``, and ``rank``
    (1 = best within its size), ordered by the **exact** objective desc (integers or rationals, never
    floats: :func:`exact_objective`), union count desc, then ``models`` ascending.
    """
    _check_options(sizes, lam, robust_level, contradiction_base, top, method, beam_width)
    bits = model_bitsets(filter_validation(samples, split, decoding), robust_level, empty_samples,
                         single_sample_consistent)
    return search_bitsets(bits, sizes, lam=lam, contradiction_base=contradiction_base, top=top,
                          method=method, beam_width=beam_width)


# --------------------------------------------------------------------------- reading a search table


def _ranked_search(search: pl.DataFrame) -> pl.DataFrame:
    missing = {"models", "size", "rank"} - set(search.columns)
    if missing:
        raise ValueError(f"search table lacks columns: {', '.join(sorted(missing))}")
    return search.sort(["size", "rank"])


def ranked_subset(search: pl.DataFrame, size: int, rank: int = 1) -> list[str]:
    """The ``rank``-th best subset (1 = best) of ``size`` models in a search table, sorted by name.

    The ranking is the search's own ``rank`` column, computed on exact values (:func:`rank_subsets`); it is
    never re-derived from the floating-point ``objective`` column. Raises ``ValueError`` when the
    table has fewer than ``rank`` subsets of that size.
    """
    if rank < 1:
        raise ValueError(f"rank must be at least 1, got {rank}")
    part = _ranked_search(search).filter(pl.col("size") == size)
    if part.height < rank:
        raise ValueError(f"the search table has {part.height} subset(s) of size {size}, no rank {rank}")
    return sorted(part.filter(pl.col("rank") == rank)["models"][0].to_list())


def best_subsets(search: pl.DataFrame, sizes: Sequence[int]) -> dict[int, list[str]]:
    """The top subset of each requested size in a search table (see :func:`ranked_subset`).
    Sizes absent from the table are left out."""
    ranked = _ranked_search(search)
    out = {}
    for size in sizes:
        part = ranked.filter(pl.col("size") == size)
        if part.height:
            out[int(size)] = sorted(part["models"][0].to_list())
    return out
