"""Resumable generation of the raw samples table, with a provenance sidecar.

Work is a list of *sampling blocks* (``split``, ``k``, ``temperature``): every question of the split
gets ``k`` samples at that temperature (``decoding`` = ``greedy`` at temperature 0, else
``sampled``). A job (:class:`GenerationJob`) covers one model and run seed on one or more
benchmarks, so the model loads once. All of its requests go to the engine at once (a backend's
``stream``); every ``chunk_size`` finished questions, as they finish, are appended to the target's
checkpoint log ``<out>.partial/samples.jsonl`` (:mod:`slmmux.generate.checkpoint`: one line per
question, microseconds per append), so checkpointing neither drains the engine nor slows it, one
question per checkpoint included. A run killed at any point keeps every appended question; the next
run generates only the (split, decoding, question) units the log does not hold, so no row is
duplicated or lost. Per-question sampling seeds come from
:func:`~slmmux.generate.base.question_seed`, so the samples do not depend on batching or restart
point. When all units are done, the outputs and sidecars are written atomically (after the engine
has shut down) and the checkpoint folders are removed last.

A question that fails (prompt too long, a request that keeps failing) does not stop the others: it
is recorded with its error in ``<out>.partial/failures.json`` and retried by the next run;
:func:`run_generation` then raises :class:`IncompleteGeneration` and writes no final output.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TextIO

import polars as pl

from slmmux import prompts
from slmmux.generate.base import ChatBackend, ChatRequest, Completion, SamplingSpec, question_seed
from slmmux.files import file_sha256, write_json
from slmmux.generate.checkpoint import LOG_NAME, CheckpointLog, read_log
from slmmux.generate.provenance import device_name, now, provenance_sidecar
from slmmux.samples import KEY_COLUMNS, SPLITS, write_samples


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


class _Progress:
    PRINT_SECONDS = 5.0

    def __init__(self, total: int, stream: TextIO | None):
        self.total, self.stream = total, stream
        self.done = 0
        self.tokens = 0
        self.t0 = time.monotonic()
        self.printed = float("-inf")

    def update(self, questions: int, tokens: int, label: str) -> None:
        """Count finished questions; print a line at most every PRINT_SECONDS, and at the end."""
        self.done += questions
        self.tokens += tokens
        t = time.monotonic()
        if self.stream is None or (t - self.printed < self.PRINT_SECONDS and self.done < self.total):
            return
        self.printed = t
        dt = max(t - self.t0, 1e-9)
        rate_q = self.done / dt
        eta = (self.total - self.done) / rate_q if rate_q > 0 else float("nan")
        print(f"[generate] {label}: {self.done}/{self.total} questions, {self.tokens / dt:.1f} tokens/s, "
              f"ETA {eta:.0f} s", file=self.stream, flush=True)


def load_checkpoint(partial: Path) -> pl.DataFrame:
    """The rows of every question the checkpoint folder's log holds."""
    return read_log(partial / LOG_NAME)[0]


@dataclass
class GenerationTarget:
    """One benchmark's questions and the raw samples table and sidecar they go to."""

    questions: pl.DataFrame
    out: Path
    provenance: Path
    questions_path: Path | None = None


@dataclass
class _Unit:
    """One question of one sampling block: one engine request."""

    target: int
    block: SampleBlock
    row: dict


class _TargetState:
    """A target's checkpoint folder: identity, finished rows, buffered rows, failures."""

    def __init__(self, target: GenerationTarget, identity: dict, partial: Path):
        self.target, self.identity, self.partial = target, identity, partial
        self.benchmark = identity["benchmark"]
        self.buffer: list[list[dict]] = []  # one list of sample rows per finished question
        self.log: CheckpointLog | None = None  # opened at the first checkpoint
        self.failures: list[dict] = []
        self.new_prompt_tokens = self.new_completion_tokens = 0
        partial.mkdir(parents=True, exist_ok=True)
        done_df, self.whole_bytes = read_log(partial / LOG_NAME)
        config_path = partial / "config.json"
        if config_path.exists() and done_df.height:
            previous = json.loads(config_path.read_text())
            if previous.get("identity") != identity:
                raise ValueError(f"checkpoint {partial} was made with different settings "
                                 f"({_diff(previous.get('identity', {}), identity)}); delete it to start over")
            self.first_started = previous.get("first_started_at")
        else:  # new, or holding no samples (e.g. the model failed to load): nothing to keep
            if config_path.exists() and json.loads(config_path.read_text()).get("identity") != identity:
                (partial / "failures.json").unlink(missing_ok=True)
            self.first_started = now()
            write_json({"identity": identity, "first_started_at": self.first_started}, config_path)
        failures_path = partial / "failures.json"
        self.earlier_failures = json.loads(failures_path.read_text()) if failures_path.exists() else []
        done_df = done_df.filter((pl.col("model") == identity["model_key"]) & (pl.col("seed") == identity["seed"]))
        self.done_keys = set(zip(done_df["split"].to_list(), done_df["decoding"].to_list(),
                                 done_df["question_id"].to_list()))
        self.reused_rows = done_df.height

    @property
    def buffered_questions(self) -> int:
        return len(self.buffer)

    def add(self, rows: list[dict]) -> None:
        self.buffer.append(rows)

    def flush(self) -> int:
        """Append the buffered questions to the checkpoint log; return their completion tokens."""
        if not self.buffer:
            return 0
        if self.log is None:
            self.log = CheckpointLog(self.partial / LOG_NAME, self.whole_bytes)
        self.log.append(self.buffer)
        rows = [r for question in self.buffer for r in question]
        tokens = sum(r["completion_tokens"] for r in rows)
        self.new_prompt_tokens += sum(r["prompt_tokens"] for r in rows)
        self.new_completion_tokens += tokens
        self.buffer = []
        return tokens

    def close(self) -> None:
        if self.log is not None:
            self.log.close()
            self.log = None


class GenerationJob:
    """Every sampling block of one model and run seed over one or more benchmarks (targets).

    Three steps, so that no finished work is lost to a kill at any moment:

    1. :meth:`generate` (needs an open backend, and only when :attr:`pending` is non-zero) sends every
       pending (block, question) request at once and appends each target's finished questions to
       its log in ``<out>.partial/`` every ``chunk_size`` questions, as they finish;
    2. :meth:`finalise` (no backend needed) writes each target's output and sidecar from its complete
       checkpoint; call it after the engine is shut down, so a kill during the shutdown leaves a
       complete checkpoint and the rerun finalises it without loading the model again;
    3. :meth:`remove_checkpoints`, last.
    """

    def __init__(self, targets: list[GenerationTarget], *, model_key: str, model: str, revision: str | None,
                 seed: int, blocks: list[SampleBlock], top_p: float = 1.0, max_tokens: int = 512,
                 chunk_size: int = 64, progress: TextIO | None = sys.stderr):
        check_blocks(blocks)
        if chunk_size < 1:
            raise ValueError(f"chunk size must be >= 1, not {chunk_size}")
        for b in blocks:
            b.sampling(top_p, max_tokens)  # validates top_p / max_tokens early
        if not targets:
            raise ValueError("no benchmark to generate")
        outs = [Path(t.out) for t in targets]
        if len(set(outs)) != len(outs):
            raise ValueError(f"two benchmarks write the same output: {sorted(map(str, outs))}")
        self.model_key, self.model, self.revision, self.seed = model_key, model, revision, seed
        self.blocks, self.top_p, self.max_tokens, self.chunk_size = blocks, top_p, max_tokens, chunk_size
        self.progress = progress
        self.started, self.t_start = now(), time.monotonic()
        self.gen_seconds = 0.0
        self.load_seconds: float | None = None  # engine start, set by the caller that opened it
        self.states: list[_TargetState] = []
        self.units: list[_Unit] = []
        for ti, t in enumerate(targets):
            t = GenerationTarget(t.questions, Path(t.out), Path(t.provenance),
                                 Path(t.questions_path) if t.questions_path else None)
            benchmark = benchmark_of(t.questions)
            identity = {
                "benchmark": benchmark, "model_key": model_key, "model": model, "revision": revision, "seed": seed,
                "blocks": [asdict(b) for b in blocks], "top_p": top_p, "max_tokens": max_tokens,
                "template_hash": prompts.template_hash(benchmark),
                "questions_sha256": file_sha256(t.questions_path) if t.questions_path else None,
            }
            state = _TargetState(t, identity, partial_dir_for(t.out))
            self.states.append(state)
            for b in blocks:
                for r in block_questions(t.questions, b).iter_rows(named=True):
                    if (b.split, b.decoding, r["question_id"]) not in state.done_keys:
                        self.units.append(_Unit(ti, b, r))
        if progress is not None:
            for st in self.states:
                if st.reused_rows:
                    left = sum(1 for u in self.units if self.states[u.target] is st)
                    print(f"[generate] resuming: {st.reused_rows} rows from {st.partial} kept, {left} question(s) to go",
                          file=progress, flush=True)

    @property
    def pending(self) -> int:
        """(block, question) requests no checkpoint holds yet."""
        return len(self.units)

    def generate(self, backend: ChatBackend) -> None:
        """Generate every pending request, checkpointing as they finish; record failures and the backend."""
        details = backend.describe()
        for st in self.states:
            write_json(details, st.partial / "backend.json")
        bar = _Progress(len(self.units), self.progress)
        requests = [ChatRequest(prompts.build_messages(u.row, self.states[u.target].benchmark),
                                u.block.sampling(self.top_p, self.max_tokens),
                                question_seed(self.seed, self.model_key, u.row["question_id"], seed_salt(u.block)),
                                f"question {u.row['question_id']} ({self.states[u.target].benchmark} {u.block.split})")
                    for u in self.units]
        t0 = time.monotonic()
        finished = 0
        try:
            for i, res in _stream(backend, requests, self.chunk_size):
                u = self.units[i]
                st = self.states[u.target]
                finished += 1
                if isinstance(res, Exception):
                    st.failures.append({"split": u.block.split, "decoding": u.block.decoding,
                                        "question_id": u.row["question_id"], "error": f"{type(res).__name__}: {res}",
                                        "at": now()})
                else:
                    st.add(rows_for(u.row, u.block, self.model_key, self.seed, res))
                if st.buffered_questions >= self.chunk_size:
                    bar.update(finished, st.flush(), st.benchmark)
                    finished = 0
        finally:  # a stop by exception or signal keeps every finished question
            for st in self.states:
                if st.buffer or finished:
                    bar.update(finished, st.flush(), st.benchmark)
                    finished = 0
                st.close()
                if st.failures:
                    write_json(st.earlier_failures + st.failures, st.partial / "failures.json")  # type: ignore[arg-type]
            self.gen_seconds += time.monotonic() - t0
        self.units = []

    def finalise(self) -> list[pl.DataFrame]:
        """Write every target's output and sidecar from its complete checkpoint; return the tables.

        Raises :class:`IncompleteGeneration` when a question failed in this run or is still missing."""
        failures = [f for st in self.states for f in st.failures]
        if failures:
            raise IncompleteGeneration(failures, self.states[0].partial if len(self.states) == 1
                                       else self.states[0].partial.parent)
        if self.units:
            raise RuntimeError(f"{len(self.units)} request(s) not generated yet: call generate() first")
        tables = []
        for st in self.states:
            tables.append(self._finalise_one(st))
        return tables

    def _finalise_one(self, st: _TargetState) -> pl.DataFrame:
        t = st.target
        table = load_checkpoint(st.partial)
        table = table.filter((pl.col("model") == self.model_key) & (pl.col("seed") == self.seed))
        _check_complete(table, t.questions, self.blocks)
        backend_path = st.partial / "backend.json"
        details = json.loads(backend_path.read_text()) if backend_path.exists() else {}
        job_completion = sum(s.new_completion_tokens for s in self.states)  # the engine served them together
        sidecar = provenance_sidecar(
            benchmark=st.benchmark, model_key=self.model_key, model=self.model, revision=self.revision,
            backend_details=details, device=details.get("device") or device_name(), seed=self.seed,
            seed_derivation="question_seed(run_seed, model_key, question_id, salt=decoding): blake2b -> 31-bit",
            blocks=self.blocks, top_p=self.top_p, max_tokens=self.max_tokens, questions=t.questions,
            questions_path=t.questions_path, questions_sha256=st.identity["questions_sha256"], out=t.out,
            table=table, started_at=self.started,
            extra_tokens={"this_run_prompt": st.new_prompt_tokens, "this_run_completion": st.new_completion_tokens},
            throughput={"engine_load_seconds": self.load_seconds,
                        "generation_seconds": round(self.gen_seconds, 3),
                        "completion_tokens_per_second": round(job_completion / self.gen_seconds, 2)
                        if self.gen_seconds and job_completion else None,
                        "scope": "the whole job (every benchmark in the engine at once)"},
            job_benchmarks=[s.benchmark for s in self.states],
            first_started_at=st.first_started,
            wall_seconds=round(time.monotonic() - self.t_start, 3),
            resumed={"rows_from_checkpoint": st.reused_rows},
            earlier_failures=st.earlier_failures,
        )
        write_samples(table, t.out)
        write_json(sidecar, t.provenance)
        return table.sort(list(KEY_COLUMNS))

    def remove_checkpoints(self) -> None:
        for st in self.states:
            shutil.rmtree(st.partial, ignore_errors=True)


def run_generation(questions: pl.DataFrame, backend: ChatBackend, *, model_key: str, model: str,
                   revision: str | None, seed: int, blocks: list[SampleBlock], out: str | Path,
                   provenance: str | Path, top_p: float = 1.0, max_tokens: int = 512, chunk_size: int = 64,
                   questions_path: str | Path | None = None, progress: TextIO | None = sys.stderr) -> pl.DataFrame:
    """Generate every block's samples for one benchmark with an open backend, resuming from
    ``<out>.partial``; return the table. (Jobs that own their engine use :class:`GenerationJob`.)

    Raises :class:`IncompleteGeneration` (after checkpointing the rest) when some question failed.
    """
    job = GenerationJob([GenerationTarget(questions, Path(out), Path(provenance),
                                          Path(questions_path) if questions_path else None)],
                        model_key=model_key, model=model, revision=revision, seed=seed, blocks=blocks, top_p=top_p,
                        max_tokens=max_tokens, chunk_size=chunk_size, progress=progress)
    if job.pending:
        job.generate(backend)
    table = job.finalise()[0]
    job.remove_checkpoints()
    return table


def _stream(backend, requests: list[ChatRequest], chunk_size: int):
    """``(index, completions or exception)`` per request, as they finish.

    Backends with ``stream`` (vLLM, OpenAI-compatible servers) get every request at once. Others
    (replay, test doubles) get one ``chat_each`` (or ``chat``) call per ``chunk_size`` requests of the
    same sampling, which waits for each call's slowest request."""
    stream = getattr(backend, "stream", None)
    if callable(stream):
        yield from stream(requests)
        return
    by_sampling: dict[SamplingSpec, list[int]] = {}
    for i, r in enumerate(requests):
        by_sampling.setdefault(r.sampling, []).append(i)
    for sampling, idx in by_sampling.items():
        for k in range(0, len(idx), chunk_size):
            part = idx[k:k + chunk_size]
            results = _chat_each(backend, [requests[i].conversation for i in part], sampling,
                                 [requests[i].seed for i in part], [requests[i].label for i in part])
            yield from zip(part, results)


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
