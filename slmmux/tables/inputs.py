"""What the tables and figures read: the workflow's output files by kind, loaded into :class:`Inputs`
(decisions, search rankings, scaling sweeps, graded samples, validation accuracy, questions), with
the model sheet's hub ids and the configuration the paper's numbers are matched against."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import yaml

from slmmux.config import SEARCHED_GROUP, model_sheet_entries, read_model_sheet
from slmmux.files import file_sha256
from slmmux.vocabulary import bench_key

DECISION_COLUMNS = ("benchmark", "group", "seed", "question_id", "method", "correct")


def group_key(g: str) -> tuple:
    """Sort key of a group: named groups by name, then searched groups ``s<K>r<R>`` by K and R."""
    m = SEARCHED_GROUP.match(g)
    return (1, int(m.group(1)), int(m.group(2)), g) if m else (0, 0, 0, g)


def read_mapping(path: str | Path) -> dict:
    """A YAML or JSON file holding a mapping."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"file not found: {path}")
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh) if path.suffix == ".json" else yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a mapping")
    return data


def model_sheet_ids(sheet: dict) -> dict[str, str]:
    """Model key -> hub id (or local model folder) from a loaded model sheet, in any shape
    :func:`slmmux.config.model_sheet_entries` accepts."""
    return {str(key): entry["model"] for key, entry in model_sheet_entries(sheet).items()}


@dataclass
class Inputs:
    """Everything the tables read, already loaded. Frames may be empty when an input is absent."""

    decisions: pl.DataFrame
    search: dict[str, pl.DataFrame] = field(default_factory=dict)
    scaling_samples: pl.DataFrame | None = None
    scaling_models: pl.DataFrame | None = None
    samples: pl.DataFrame | None = None
    validation: pl.DataFrame | None = None
    questions: pl.DataFrame | None = None
    hub_ids: dict[str, str] = field(default_factory=dict)
    test_temperature: float | None = None
    reference_model: str | None = None
    sources: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # kind -> [(path, sha256)]

    def group_models(self, benchmark: str, group: str) -> list[str] | None:
        """The group's members as the selection recorded them (decisions ``members``), else as the
        samples sweep recorded them (its ``models``); None when neither records the group."""
        dec = self.decisions
        if "members" in dec.columns:
            m = dec.filter((pl.col("benchmark") == benchmark) & (pl.col("group") == group))["members"].drop_nulls()
            if m.len():
                return sorted(m[0].to_list())
        sw = self.scaling_samples
        if sw is not None and "models" in sw.columns:
            m = sw.filter((pl.col("benchmark") == benchmark) & (pl.col("group") == group))["models"].drop_nulls()
            if m.len():
                return sorted(m[0].to_list())
        return None

    def hub_set(self, models: list[str] | None) -> frozenset[str] | None:
        if not models or any(m not in self.hub_ids for m in models):
            return None
        return frozenset(self.hub_ids[m] for m in models)

    def benchmarks(self) -> list[str]:
        found: set[str] = set()
        if self.decisions.height:
            found |= set(self.decisions["benchmark"].unique().to_list())
        for frame in (self.scaling_samples, self.scaling_models, self.samples, self.validation):
            if frame is not None and frame.height:
                found |= set(frame["benchmark"].unique().to_list())
        found |= set(self.search)
        return sorted(found, key=bench_key)


def _sources(paths) -> list[tuple[str, str]]:
    return sorted((str(p), file_sha256(p)) for p in paths)


def _read_all(paths, what: str) -> pl.DataFrame | None:
    frames = []
    for p in paths:
        if not Path(p).exists():
            raise FileNotFoundError(f"{what} file not found: {p}")
        frames.append(pl.read_parquet(p))
    if not frames:
        return None
    return pl.concat(frames, how="diagonal_relaxed")


def load_inputs(
    decisions=(),
    search=(),
    scaling_samples=(),
    scaling_models=(),
    samples=(),
    validation=(),
    questions=(),
    config: str | Path | None = None,
    model_sheet: str | Path | None = None,
    reference_model: str | None = None,
) -> Inputs:
    """Read every input file by kind (lists of paths) into :class:`Inputs`.

    ``decisions`` takes the selection files and the discussion-baseline files (same format, an optional
    ``completion_tokens`` column). ``search`` files are keyed by their ``benchmark`` column when present,
    else by the file stem (``results/search/{b}.parquet``). ``config`` (the workflow's YAML/JSON config)
    gives ``models`` (the model sheet), ``sampling.test.temperature`` (compared with the paper's) and
    ``report.reference_model``; ``model_sheet`` and ``reference_model`` override those.
    """
    from slmmux.samples import read_samples

    dec = _read_all(decisions, "decisions")
    if dec is None:
        dec = pl.DataFrame(schema={"benchmark": pl.String, "group": pl.String, "seed": pl.Int64,
                                   "question_id": pl.String, "method": pl.String, "correct": pl.Boolean})
    missing = [c for c in DECISION_COLUMNS if c not in dec.columns]
    if missing:
        raise ValueError(f"decisions lack columns: {', '.join(missing)}")
    search_frames: dict[str, pl.DataFrame] = {}
    for p in search:
        if not Path(p).exists():
            raise FileNotFoundError(f"search file not found: {p}")
        df = pl.read_parquet(p)
        b = df["benchmark"][0] if "benchmark" in df.columns and df.height else Path(p).stem
        search_frames[b] = df
    cfg = read_mapping(config) if config else {}
    hub_ids = model_sheet_ids(cfg) if isinstance(cfg.get("models"), dict) else {}
    if model_sheet:
        hub_ids = model_sheet_ids(read_model_sheet(model_sheet))
    temperature = ((cfg.get("sampling") or {}).get("test") or {}).get("temperature")
    ref = reference_model or (cfg.get("report") or {}).get("reference_model")
    sources = {
        "decisions": _sources(decisions), "search": _sources(search),
        "scaling_samples": _sources(scaling_samples), "scaling_models": _sources(scaling_models),
        "samples": _sources(samples), "validation": _sources(validation), "questions": _sources(questions),
        "config": _sources([p for p in (config, model_sheet) if p]),
    }
    return Inputs(
        decisions=dec,
        search=search_frames,
        scaling_samples=_read_all(scaling_samples, "scaling samples"),
        scaling_models=_read_all(scaling_models, "scaling models"),
        samples=read_samples(list(samples), graded=True) if samples else None,
        validation=_read_all(validation, "validation"),
        questions=_read_all(questions, "questions"),
        hub_ids=hub_ids,
        test_temperature=None if temperature is None else float(temperature),
        reference_model=ref,
        sources=sources,
    )
