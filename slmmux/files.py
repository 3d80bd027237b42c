"""File helpers every stage shares: hashing, atomic writes, JSON writing, reading Parquet.

- :func:`file_sha256`: the sha256 of a file's bytes (provenance sidecars, the manifest, tables).
- :func:`atomic_write`: fill a temporary file in the target's folder, fsync it, rename it over the
  target; a failed write leaves no partial file behind.
- :func:`write_json`: JSON, indented with sorted keys, written atomically.
- :func:`read_parquet`: read a Parquet file, turning the several error types polars raises for a
  truncated or corrupt file into one ``ValueError`` that names the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import polars as pl


def file_sha256(path: str | os.PathLike) -> str:
    """The hex sha256 of the file at ``path``."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> None:
    """Write a file atomically: ``write(tmp)`` fills a temporary file in the same folder, which is
    fsynced and renamed over ``path``; on any failure no partial file is left behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json(obj, path: str | os.PathLike) -> None:
    """Write ``obj`` as JSON (indented, keys sorted, non-JSON values as ``str``) atomically."""

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(obj, fh, indent=2, sort_keys=True, default=str)
            fh.write("\n")

    atomic_write(path, write)


def read_parquet(path: str | os.PathLike) -> pl.DataFrame:
    """Read a Parquet file; a truncated or corrupt one raises ``ValueError`` naming ``path``."""
    try:
        return pl.read_parquet(path)
    except Exception as exc:  # polars raises several error types for truncated or corrupt files
        raise ValueError(f"{path} is not a readable Parquet file (truncated or corrupt?): "
                         f"{type(exc).__name__}: {exc}") from None
