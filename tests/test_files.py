"""slmmux.files: the file helpers every stage shares."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import pytest

from slmmux.files import atomic_write, file_sha256, read_parquet, write_json


def test_file_sha256_is_the_sha256_of_the_bytes(tmp_path):
    path = tmp_path / "f.bin"
    data = bytes(range(256)) * 5000  # over one read buffer
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()


def test_write_json_is_sorted_indented_and_atomic(tmp_path):
    path = tmp_path / "sub" / "x.json"
    write_json({"b": 1, "a": {"d": 2, "c": [1, 2]}}, path)
    text = path.read_text()
    assert text == json.dumps({"a": {"c": [1, 2], "d": 2}, "b": 1}, indent=2, sort_keys=True) + "\n"

    def fail(tmp: str) -> None:
        Path(tmp).write_text("partial")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, fail)
    assert path.read_text() == text  # a failed write leaves the old file
    assert [p.name for p in path.parent.iterdir()] == ["x.json"]  # and no temporary file


def test_read_parquet_names_a_corrupt_file(tmp_path):
    good = tmp_path / "good.parquet"
    pl.DataFrame({"a": [1, 2]}).write_parquet(good)
    assert read_parquet(good)["a"].to_list() == [1, 2]
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(good.read_bytes()[:20])
    with pytest.raises(ValueError, match=r"bad\.parquet is not a readable Parquet file \(truncated or corrupt\?\)"):
        read_parquet(bad)
