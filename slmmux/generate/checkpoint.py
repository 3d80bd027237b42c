"""A generation target's checkpoint: an append-only log of finished questions.

The log is ``<out>.partial/samples.jsonl``, one JSON line per finished question holding that
question's sample rows (a list of raw-schema rows). A checkpoint appends the lines of the questions
finished since the last one with a single ``os.write``: no new file, no Parquet encoding and no
``fsync`` per checkpoint, about 20 microseconds per question where one Parquet chunk file cost 2 ms.
So the checkpoint granularity costs no generation throughput, one question per checkpoint included.

Durability:

- a killed process (SIGKILL, SLURM preemption) loses nothing it appended: once ``os.write``
  returns, the lines are the operating system's to write out, whatever becomes of the process;
- a machine crash loses at most the last :data:`FSYNC_SECONDS` of appends: the log is fsynced when
  that long has passed since the last fsync, and when the log is closed;
- a line cut short by a crash (the last one, without its newline) is dropped when the log is read
  and cut from the file before anything is appended, so its question is simply generated again.
  One question per line means a question is either whole in the log or absent.

A complete line that does not parse is corruption, not a crash: reading raises, naming the line.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import polars as pl

from slmmux.samples import RAW_SCHEMA, validate

LOG_NAME = "samples.jsonl"
FSYNC_SECONDS = 10.0


class CheckpointError(ValueError):
    """The checkpoint log is corrupt (not merely cut short by a crash)."""


def read_log(path: Path) -> tuple[pl.DataFrame, int]:
    """The rows of every whole question in the log, and the byte length of its whole lines.

    A missing log holds no rows. A last line without its newline (a write cut short) is ignored.
    """
    if not path.exists():
        return pl.DataFrame(schema=RAW_SCHEMA), 0
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1  # bytes after the last newline: a write cut short
    rows: list[dict] = []
    for number, line in enumerate(data[:end].splitlines(), start=1):
        try:
            question_rows = json.loads(line)
        except ValueError as exc:
            raise CheckpointError(f"checkpoint {path}, line {number}, is corrupt ({exc}); "
                                  f"delete the folder {path.parent} to start over") from None
        if not isinstance(question_rows, list) or not all(isinstance(r, dict) for r in question_rows):
            raise CheckpointError(f"checkpoint {path}, line {number}, is not a list of sample rows; "
                                  f"delete the folder {path.parent} to start over")
        rows.extend(question_rows)
    try:
        df = pl.DataFrame(rows, schema=RAW_SCHEMA, strict=False) if rows else pl.DataFrame(schema=RAW_SCHEMA)
    except Exception as exc:  # a row with a value of the wrong type
        raise CheckpointError(f"checkpoint {path} holds rows that do not fit the samples schema ({exc}); "
                              f"delete the folder {path.parent} to start over") from None
    return validate(df, source=str(path)).select(list(RAW_SCHEMA)), end


class CheckpointLog:
    """Appends finished questions to a target's log; see the module's notes on durability."""

    def __init__(self, path: Path, whole_bytes: int):
        """Open ``path`` for appending, first cutting it to ``whole_bytes`` (what :func:`read_log`
        found whole), so that a line cut short by an earlier crash is not continued."""
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        if os.fstat(self.fd).st_size != whole_bytes:
            os.ftruncate(self.fd, whole_bytes)
        self.last_sync = time.monotonic()

    def append(self, questions: list[list[dict]]) -> None:
        """Append one line per question (each a list of its sample rows)."""
        if not questions:
            return
        data = "".join(json.dumps(rows, separators=(",", ":")) + "\n" for rows in questions).encode()
        whole = os.fstat(self.fd).st_size
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self.fd, view):]
        except BaseException:  # a full disk, a signal: leave whole lines only, so a retry cannot duplicate
            try:
                os.ftruncate(self.fd, whole)
            except OSError:
                pass  # the line cut short is dropped when the log is read
            raise
        if time.monotonic() - self.last_sync >= FSYNC_SECONDS:
            self.sync()

    def sync(self) -> None:
        os.fsync(self.fd)
        self.last_sync = time.monotonic()

    def close(self) -> None:
        if self.fd < 0:
            return
        try:
            self.sync()
        finally:
            os.close(self.fd)
            self.fd = -1
