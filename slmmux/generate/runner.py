"""Resumable generation of the raw samples table, with a provenance sidecar.

Work is a list of *sampling blocks* (``split``, ``k``, ``temperature``): every question of the split
gets ``k`` samples at that temperature (``decoding`` = ``greedy`` at temperature 0, else
``sampled``). Questions are processed in chunks; each finished chunk is written atomically to
``<out>.partial/chunk-NNNN.parquet``. A run killed at any point keeps every finished chunk; the next
run generates only the (split, decoding, question) units no chunk holds, so no row is duplicated or
lost. Per-question sampling seeds come from :func:`~slmmux.generate.base.question_seed`, so the
samples do not depend on chunking or restart point. When all units are done, the output and the
sidecar are written atomically and the checkpoint folder is removed.

A question that fails (prompt too long, a request that keeps failing) does not stop the others: it
is recorded with its error in ``<out>.partial/failures.json`` and retried by the next run;
:func:`run_generation` then raises :class:`IncompleteGeneration` and writes no final output.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

import polars as pl

from slmmux import prompts
from slmmux.generate.base import ChatBackend, Completion, SamplingSpec, question_seed
from slmmux.generate.provenance import (command_line, device_name, file_sha256, library_versions, model_identity,
                                        write_json_atomic)
from slmmux.samples import KEY_COLUMNS, RAW_SCHEMA, SPLITS, validate, write_atomic, write_samples

CHUNK_RE = re.compile(r"^chunk-(\d{4,})\.parquet$")


class IncompleteGeneration(RuntimeError):
    """Some questions failed; what succeeded is in the checkpoint folder, the output is not written."""

    def __init__(self, failures: list[dict], partial_dir: Path):
        self.failures = failures
        self.partial_dir = partial_dir
        ids = ", ".join(f["question_id"] for f in failures[:5])
        more = f" and {len(failures) - 5} more" if len(failures) > 5 else ""
        super().__init__(f"{len(failures)} question(s) failed ({ids}{more}): first error: {failures[0]['error']}; "
                         f"finished work is kept in {partial_dir}, rerun to retry")


@dataclass(frozen=True)
class SampleBlock:
    """``k`` samples at ``temperature`` for every question of ``split``."""

    split: str
    k: int
    temperature: float

    def __post_init__(self) -> None:
        if self.split not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(SPLITS)}, not {self.split!r}")
        if self.k < 1:
            raise ValueError(f"k must be >= 1, not {self.k}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, not {self.temperature}")
        if self.temperature == 0 and self.k != 1:
            raise ValueError(f"temperature 0 (greedy) requires k=1, not k={self.k}")

    @property
    def decoding(self) -> str:
        return "greedy" if self.temperature == 0 else "sampled"

    def sampling(self, top_p: float, max_tokens: int) -> SamplingSpec:
        return SamplingSpec(n=self.k, temperature=self.temperature, top_p=top_p, max_tokens=max_tokens)

    @classmethod
    def parse(cls, text: str) -> "SampleBlock":
        """Parse ``SPLIT:K:TEMPERATURE`` (e.g. ``test:3:0.3``)."""
        parts = text.split(":")
        if len(parts) != 3:
            raise ValueError(f"--samples {text!r}: expected SPLIT:K:TEMPERATURE, e.g. test:3:0.3")
        split, k, t = parts
        try:
            k_int, t_f = int(k), float(t)
        except ValueError:
            raise ValueError(f"--samples {text!r}: K must be an integer and TEMPERATURE a number") from None
        try:
            return cls(split, k_int, t_f)
        except ValueError as exc:
            raise ValueError(f"--samples {text!r}: {exc}") from None


def check_blocks(blocks: list[SampleBlock]) -> None:
    if not blocks:
        raise ValueError("no sampling blocks given (e.g. --samples test:3:0.3)")
    seen: dict[tuple[str, str], SampleBlock] = {}
    for b in blocks:
        key = (b.split, b.decoding)
        if key in seen:
            raise ValueError(f"two sampling blocks for split {b.split!r} with decoding {b.decoding!r} "
                             f"({seen[key]} and {b}): their samples would share keys")
        seen[key] = b


def benchmark_of(questions: pl.DataFrame) -> str:
    if "benchmark" not in questions.columns:
        raise ValueError("questions table has no 'benchmark' column")
    values = questions["benchmark"].unique().to_list()
    if len(values) != 1:
        raise ValueError(f"questions table must hold one benchmark, found {sorted(map(str, values))}")
    return values[0]


def block_questions(questions: pl.DataFrame, block: SampleBlock) -> pl.DataFrame:
    qs = questions.filter(pl.col("split") == block.split)
    if qs.height == 0:
        raise ValueError(f"--samples {block.split}:{block.k}:{block.temperature}: the questions table has no "
                         f"{block.split!r} questions")
    dup = qs["question_id"].is_duplicated()
    if dup.any():
        raise ValueError(f"duplicate question ids in split {block.split!r}: {qs.filter(dup)['question_id'].unique().head(5).to_list()}")
    return qs


def seed_salt(block: SampleBlock) -> str:
    return block.decoding


def rows_for(question: dict, block: SampleBlock, model_key: str, seed: int, completions: list[Completion]) -> list[dict]:
    if len(completions) != block.k:
        raise RuntimeError(f"question {question['question_id']}: backend returned {len(completions)} completions, expected {block.k}")
    return [{"benchmark": question["benchmark"], "split": block.split, "question_id": question["question_id"],
             "model": model_key, "seed": seed, "decoding": block.decoding, "sample": j, "text": c.text,
             "prompt_tokens": int(c.prompt_tokens), "completion_tokens": int(c.completion_tokens),
             "finish_reason": c.finish_reason, "mean_logprob": c.mean_logprob}
            for j, c in enumerate(completions)]


def partial_dir_for(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".partial")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class _Progress:
    def __init__(self, total: int, stream: TextIO | None):
        self.total, self.stream = total, stream
        self.done = 0
        self.tokens = 0
        self.t0 = time.monotonic()

    def update(self, questions: int, tokens: int, label: str) -> None:
        self.done += questions
        self.tokens += tokens
        if self.stream is None:
            return
        dt = max(time.monotonic() - self.t0, 1e-9)
        rate_q = self.done / dt
        eta = (self.total - self.done) / rate_q if rate_q > 0 else float("nan")
        print(f"[generate] {label}: {self.done}/{self.total} questions, {self.tokens / dt:.1f} tokens/s, "
              f"ETA {eta:.0f} s", file=self.stream, flush=True)


def load_checkpoint(partial: Path) -> tuple[pl.DataFrame, int]:
    """The rows of every finished chunk and the next chunk number."""
    frames, last = [], -1
    if partial.is_dir():
        for p in sorted(partial.iterdir()):
            m = CHUNK_RE.match(p.name)
            if m:
                frames.append(validate(pl.read_parquet(p), source=str(p)).select(list(RAW_SCHEMA)))
                last = max(last, int(m.group(1)))
    df = pl.concat(frames) if frames else pl.DataFrame(schema=RAW_SCHEMA)
    return df, last + 1


def run_generation(questions: pl.DataFrame, backend: ChatBackend, *, model_key: str, model: str,
                   revision: str | None, seed: int, blocks: list[SampleBlock], out: str | Path,
                   provenance: str | Path, top_p: float = 1.0, max_tokens: int = 512, chunk_size: int = 64,
                   questions_path: str | Path | None = None, backend_name: str | None = None,
                   progress: TextIO | None = sys.stderr, extra: dict | None = None) -> pl.DataFrame:
    """Generate every block's samples for ``questions``, resuming from ``<out>.partial``; return the table.

    Raises :class:`IncompleteGeneration` (after checkpointing the rest) when some question failed.
    """
    check_blocks(blocks)
    if chunk_size < 1:
        raise ValueError(f"chunk size must be >= 1, not {chunk_size}")
    benchmark = benchmark_of(questions)
    out, provenance = Path(out), Path(provenance)
    partial = partial_dir_for(out)
    for b in blocks:
        b.sampling(top_p, max_tokens)  # validates top_p / max_tokens early

    identity = {
        "benchmark": benchmark, "model_key": model_key, "model": model, "revision": revision, "seed": seed,
        "blocks": [asdict(b) for b in blocks], "top_p": top_p, "max_tokens": max_tokens,
        "template_hash": prompts.template_hash(benchmark),
        "questions_sha256": file_sha256(questions_path) if questions_path else None,
    }
    partial.mkdir(parents=True, exist_ok=True)
    config_path = partial / "config.json"
    if config_path.exists():
        previous = json.loads(config_path.read_text())
        if previous.get("identity") != identity:
            raise ValueError(f"checkpoint {partial} was made with different settings "
                             f"({_diff(previous.get('identity', {}), identity)}); delete it to start over")
        first_started = previous.get("first_started_at")
    else:
        first_started = _now()
        write_json_atomic({"identity": identity, "first_started_at": first_started}, config_path)
    failures_path = partial / "failures.json"
    earlier_failures = json.loads(failures_path.read_text()) if failures_path.exists() else []

    done_df, next_chunk = load_checkpoint(partial)
    done_df = done_df.filter((pl.col("model") == model_key) & (pl.col("seed") == seed))
    done_keys = set(zip(done_df["split"].to_list(), done_df["decoding"].to_list(), done_df["question_id"].to_list()))
    reused_rows = done_df.height

    todo: list[tuple[SampleBlock, list[dict]]] = []
    total_units = 0
    for b in blocks:
        qs = block_questions(questions, b)
        rows = [r for r in qs.iter_rows(named=True) if (b.split, b.decoding, r["question_id"]) not in done_keys]
        total_units += len(rows)
        for i in range(0, len(rows), chunk_size):
            todo.append((b, rows[i:i + chunk_size]))

    started = _now()
    t_start = time.monotonic()
    gen_seconds = 0.0
    new_prompt_tokens = new_completion_tokens = 0
    failures: list[dict] = []
    bar = _Progress(total_units, progress)
    if progress is not None and reused_rows:
        print(f"[generate] resuming: {reused_rows} rows from {partial} kept, {total_units} question(s) to go",
              file=progress, flush=True)
    for b, chunk in todo:
        sampling = b.sampling(top_p, max_tokens)
        convs = [prompts.build_messages(r, benchmark) for r in chunk]
        seeds = [question_seed(seed, model_key, r["question_id"], seed_salt(b)) for r in chunk]
        labels = [f"question {r['question_id']} ({b.split})" for r in chunk]
        t0 = time.monotonic()
        results = _chat_each(backend, convs, sampling, seeds, labels)
        gen_seconds += time.monotonic() - t0
        rows: list[dict] = []
        for r, res in zip(chunk, results):
            if isinstance(res, Exception):
                failures.append({"split": b.split, "decoding": b.decoding, "question_id": r["question_id"],
                                 "error": f"{type(res).__name__}: {res}", "at": _now()})
                continue
            rows.extend(rows_for(r, b, model_key, seed, res))
        chunk_tokens = sum(x["completion_tokens"] for x in rows)
        if rows:
            df = pl.DataFrame(rows, schema=RAW_SCHEMA)
            write_atomic(validate(df, source="chunk"), partial / f"chunk-{next_chunk:04d}.parquet")
            next_chunk += 1
            new_prompt_tokens += sum(x["prompt_tokens"] for x in rows)
            new_completion_tokens += chunk_tokens
        bar.update(len(chunk), chunk_tokens, f"{b.split}/{b.decoding}")

    if failures:
        write_json_atomic(earlier_failures + failures, failures_path)  # type: ignore[arg-type]
        raise IncompleteGeneration(failures, partial)

    table, _ = load_checkpoint(partial)
    table = table.filter((pl.col("model") == model_key) & (pl.col("seed") == seed))
    _check_complete(table, questions, blocks)
    finished = _now()
    details = backend.describe()
    sidecar = {
        "status": "complete",
        "benchmark": benchmark,
        "model_key": model_key,
        "model": model_identity(model, revision),
        "backend": backend_name or details.get("backend"),
        "backend_details": details,
        "versions": library_versions(),
        "device": details.get("device") or device_name(),
        "seed": seed,
        "seed_derivation": "question_seed(run_seed, model_key, question_id, salt=decoding): blake2b -> 31-bit",
        "sampling": [{"split": b.split, "k": b.k, "temperature": b.temperature, "top_p": top_p,
                      "max_tokens": max_tokens, "decoding": b.decoding,
                      "n_questions": questions.filter(pl.col("split") == b.split).height} for b in blocks],
        "prompt": {"benchmark": benchmark, "template": prompts.template_name(benchmark),
                   "template_text": prompts.template_text(benchmark), "template_sha256": prompts.template_hash(benchmark)},
        "questions": {"path": str(questions_path) if questions_path else None,
                      "sha256": identity["questions_sha256"], "n_questions": questions.height},
        "output": {"path": str(out), "rows": table.height},
        "first_started_at": first_started,
        "started_at": started,
        "finished_at": finished,
        "wall_seconds": round(time.monotonic() - t_start, 3),
        "tokens": {"prompt": int(table["prompt_tokens"].sum()), "completion": int(table["completion_tokens"].sum()),
                   "this_run_prompt": new_prompt_tokens, "this_run_completion": new_completion_tokens},
        "throughput": {"generation_seconds": round(gen_seconds, 3),
                       "completion_tokens_per_second": round(new_completion_tokens / gen_seconds, 2) if gen_seconds else None},
        "resumed": {"rows_from_checkpoint": reused_rows},
        "failures": [],
        "earlier_failures": earlier_failures,
        "command": command_line(),
    }
    if extra:
        sidecar.update(extra)
    write_samples(table, out)
    write_json_atomic(sidecar, provenance)
    shutil.rmtree(partial, ignore_errors=True)
    return table.sort(list(KEY_COLUMNS))


def _chat_each(backend, convs, sampling, seeds, labels) -> list:
    each = getattr(backend, "chat_each", None)
    if each is not None:
        return each(convs, sampling, seeds, labels)
    try:
        return backend.chat(convs, sampling, seeds)
    except Exception:
        results = []
        for c, s, label in zip(convs, seeds, labels):
            try:
                results.append(backend.chat([c], sampling, [s])[0])
            except Exception as exc:  # one failing question does not take the others down
                results.append(RuntimeError(f"{label}: {type(exc).__name__}: {exc}"))
        return results


def _check_complete(table: pl.DataFrame, questions: pl.DataFrame, blocks: list[SampleBlock]) -> None:
    expected = sum(questions.filter(pl.col("split") == b.split).height * b.k for b in blocks)
    if table.height != expected:
        raise RuntimeError(f"checkpoint holds {table.height} rows, expected {expected}: the checkpoint folder is "
                           f"inconsistent, delete it and rerun")


def _diff(a: dict, b: dict) -> str:
    keys = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    return ", ".join(f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in keys[:4]) or "unknown"
