"""Replay: import completions made elsewhere into the raw samples table.

Published generations (JSONL or Parquet) can then be graded and audited without a GPU. A replay file
has one row per completion with at least ``question_id`` and ``text``; optional columns:

- ``sample``: the index 0..k-1 within the question (default: order of appearance);
- ``split`` and ``decoding`` (``sampled``/``greedy``): needed only to tell blocks apart when the file
  holds more than one block of the same split (e.g. ``test:3:0.3`` and ``test:1:0``);
- ``prompt_tokens``, ``completion_tokens``, ``finish_reason``, ``mean_logprob``.

Absent token counts are recorded as 0 and flagged in the provenance (``token_counts_present``);
an absent finish reason is recorded as ``"unknown"``.

Discussion calls are replayed too (:class:`ReplayChatBackend`): rows with a ``call_seed`` (the
transcript of ``scripts/discuss.py`` has one per call) answer the discussion call with that seed,
for the row's ``model`` when the file names models. Such rows are not samples: the raw samples
table ignores them, so one replay file per model can hold both.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from slmmux.generate.base import Completion, IsolatingBackend, QuestionError, SamplingSpec
from slmmux.generate.runner import SampleBlock, benchmark_of, block_questions, check_blocks
from slmmux.samples import RAW_SCHEMA, validate

REQUIRED = ("question_id", "text")
OPTIONAL_INT = ("sample", "prompt_tokens", "completion_tokens")


class ReplayError(ValueError):
    """A replay file cannot provide the requested samples."""


def read_replay_file(path: str | Path) -> pl.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise ReplayError(f"replay file not found: {path}")
    try:
        if path.suffix == ".parquet":
            df = pl.read_parquet(path)
        elif path.suffix in (".jsonl", ".ndjson") or path.name.endswith((".jsonl.gz",)):
            rows = []
            import gzip

            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rt", encoding="utf-8") as fh:
                for lineno, line in enumerate(fh, 1):
                    if line.strip():
                        try:
                            rows.append(json.loads(line))
                        except ValueError as exc:
                            raise ReplayError(f"{path}:{lineno}: not valid JSON ({exc})") from None
            df = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()
        else:
            raise ReplayError(f"replay file {path} must be .jsonl, .jsonl.gz or .parquet")
    except ReplayError:
        raise
    except Exception as exc:
        raise ReplayError(f"cannot read replay file {path}: {exc}") from exc
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ReplayError(f"replay file {path} lacks column(s) {missing} (has {df.columns})")
    casts = [pl.col("question_id").cast(pl.String), pl.col("text").cast(pl.String)]
    for c in OPTIONAL_INT:
        if c in df.columns:
            casts.append(pl.col(c).cast(pl.Int64))
    if "mean_logprob" in df.columns:
        casts.append(pl.col("mean_logprob").cast(pl.Float64))
    if "call_seed" in df.columns:
        casts.append(pl.col("call_seed").cast(pl.Int64))
    for c in ("split", "decoding", "finish_reason", "model"):
        if c in df.columns:
            casts.append(pl.col(c).cast(pl.String))
    return df.with_columns(casts)


def replay_samples(questions: pl.DataFrame, replay: pl.DataFrame | str | Path, *, model_key: str, seed: int,
                   blocks: list[SampleBlock], source: str = "replay file") -> tuple[pl.DataFrame, dict]:
    """Build the raw samples table from replayed completions; return it with replay provenance."""
    check_blocks(blocks)
    if not isinstance(replay, pl.DataFrame):
        source = str(replay)
        replay = read_replay_file(replay)
    benchmark = benchmark_of(questions)
    if "call_seed" in replay.columns:  # discussion calls, not samples
        replay = replay.filter(pl.col("call_seed").is_null())
    df = replay.with_row_index("_order")
    if "sample" not in df.columns:
        df = df.with_columns(sample=pl.col("_order").rank("ordinal").over("question_id").cast(pl.Int64) - 1)
    has_tokens = "prompt_tokens" in df.columns and "completion_tokens" in df.columns
    frames, used = [], 0
    for b in blocks:
        qs = block_questions(questions, b)
        sel = df
        if "split" in sel.columns:
            sel = sel.filter(pl.col("split").is_null() | (pl.col("split") == b.split))
        if "decoding" in sel.columns:
            sel = sel.filter(pl.col("decoding").is_null() | (pl.col("decoding") == b.decoding))
        elif sum(1 for o in blocks if o.split == b.split) > 1:
            raise ReplayError(f"{source}: several blocks for split {b.split!r}; the replay file needs a "
                              f"'decoding' column (sampled/greedy) to tell them apart")
        sel = sel.filter(pl.col("question_id").is_in(qs["question_id"].implode()) & (pl.col("sample") < b.k)
                         & (pl.col("sample") >= 0))
        dup = sel.select("question_id", "sample").is_duplicated()
        if dup.any():
            bad = sel.filter(dup)["question_id"].unique().head(5).to_list()
            raise ReplayError(f"{source}: repeated (question_id, sample) rows for {bad}")
        counts = dict(sel.group_by("question_id").len().iter_rows())
        missing = [q for q in qs["question_id"].to_list() if counts.get(q, 0) < b.k]
        if missing:
            raise ReplayError(f"{source}: {len(missing)} of {qs.height} {b.split} question(s) lack {b.k} "
                              f"sample(s) for {b.decoding} decoding, e.g. {', '.join(missing[:5])}")
        used += sel.height
        frames.append(sel.select(
            pl.lit(benchmark).alias("benchmark"), pl.lit(b.split).alias("split"), "question_id",
            pl.lit(model_key).alias("model"), pl.lit(seed, dtype=pl.Int64).alias("seed"),
            pl.lit(b.decoding).alias("decoding"), pl.col("sample").cast(pl.Int64), "text",
            (pl.col("prompt_tokens").fill_null(0) if "prompt_tokens" in sel.columns else pl.lit(0, dtype=pl.Int64)).alias("prompt_tokens"),
            (pl.col("completion_tokens").fill_null(0) if "completion_tokens" in sel.columns else pl.lit(0, dtype=pl.Int64)).alias("completion_tokens"),
            (pl.col("finish_reason").fill_null("unknown") if "finish_reason" in sel.columns else pl.lit("unknown")).alias("finish_reason"),
            (pl.col("mean_logprob") if "mean_logprob" in sel.columns else pl.lit(None, dtype=pl.Float64)).alias("mean_logprob"),
        ).cast(RAW_SCHEMA))
    table = validate(pl.concat(frames), source=f"samples replayed from {source}")
    info = {"replay_file": source, "replay_rows": replay.height, "replay_rows_used": used,
            "token_counts_present": has_tokens}
    return table, info


def run_replay(questions: pl.DataFrame, replay_file: str | Path, *, model_key: str, model: str,
               revision: str | None, seed: int, blocks: list[SampleBlock], out: str | Path,
               provenance: str | Path, questions_path: str | Path | None = None,
               top_p: float | None = None, max_tokens: int | None = None) -> pl.DataFrame:
    """Replay ``replay_file`` into the raw samples table at ``out`` with its provenance sidecar."""
    from slmmux.files import file_sha256, write_json
    from slmmux.generate.provenance import now, provenance_sidecar
    from slmmux.samples import write_samples

    started = now()
    table, info = replay_samples(questions, replay_file, model_key=model_key, seed=seed, blocks=blocks)
    benchmark = benchmark_of(questions)
    info["replay_sha256"] = file_sha256(replay_file)
    sidecar = provenance_sidecar(
        benchmark=benchmark, model_key=model_key, model=model, revision=revision,
        backend_details={"backend": "replay", **info}, device="none (replayed completions)", seed=seed,
        seed_derivation="not applicable: completions replayed from a file", blocks=blocks, top_p=top_p,
        max_tokens=max_tokens, questions=questions, questions_path=questions_path,
        questions_sha256=file_sha256(questions_path) if questions_path else None, out=out, table=table,
        started_at=started,
        prompt_note="the template this project would use; the replayed completions may come from another prompt")
    write_samples(table, out)
    write_json(sidecar, provenance)
    return table


class ReplayChatBackend(IsolatingBackend):
    """A chat backend that answers discussion calls from a replay file's ``call_seed`` rows.

    A call's seed derives from (run seed, model key, question, method, round, agent), so a transcript
    replays exactly the calls it recorded; a call the file lacks fails alone (its reply counts as
    no answer) with its label named. ``sampling.n`` must be 1 (one completion per call).
    """

    def __init__(self, replay_file: str | Path, model_key: str):
        self.path, self.model_key = str(replay_file), model_key
        df = read_replay_file(replay_file)
        if "call_seed" not in df.columns:
            raise ReplayError(f"replay file {replay_file} has no 'call_seed' column: discussion calls are replayed from "
                              f"a transcript (scripts/discuss.py --transcript) keyed by call seed")
        df = df.filter(pl.col("call_seed").is_not_null())
        if "model" in df.columns:
            df = df.filter(pl.col("model") == model_key)
        dup = df["call_seed"].is_duplicated()
        if dup.any():
            raise ReplayError(f"replay file {replay_file}: repeated call_seed rows for model {model_key!r}: "
                              f"{df.filter(dup)['call_seed'].unique().head(5).to_list()}")
        self.rows = {r["call_seed"]: r for r in df.iter_rows(named=True)}

    def chat_each(self, conversations: list[list[dict[str, str]]], sampling: SamplingSpec, seeds: list[int],
                  labels: list[str] | None = None) -> list[list[Completion] | Exception]:
        if sampling.n != 1:
            raise ValueError("replayed discussion calls have one completion each: sampling.n must be 1")
        labels = labels or [f"conversation {i}" for i in range(len(conversations))]
        out: list[list[Completion] | Exception] = []
        for i, (seed, label) in enumerate(zip(seeds, labels)):
            r = self.rows.get(int(seed))
            if r is None:
                out.append(QuestionError(i, f"{label}: {self.path} holds no reply of model {self.model_key!r} "
                                            f"with call_seed {seed}"))
                continue
            out.append([Completion(text=r["text"], prompt_tokens=int(r.get("prompt_tokens") or 0),
                                   completion_tokens=int(r.get("completion_tokens") or 0),
                                   finish_reason=str(r.get("finish_reason") or "unknown"),
                                   mean_logprob=r.get("mean_logprob"))])
        return out

    def describe(self) -> dict:
        from slmmux.files import file_sha256

        return {"backend": "replay", "model": self.model_key, "replay_file": self.path,
                "replay_sha256": file_sha256(self.path), "replayed_calls": len(self.rows),
                "device": "none (replayed completions)"}

    def close(self) -> None:
        return None
