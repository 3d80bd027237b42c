"""Figures render on the fixture, are non-blank PNGs of the expected size, and missing inputs skip; what
each figure plots (its ``*_data`` function) equals a plain recomputation from the committed fixture's
files (loops over their rows, no slmmux code)."""

from __future__ import annotations

import math
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from matplotlib.image import imread

from slmmux import figures, tables

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_tables import FIXTURE, ROOT, _load_builder, fixture_inputs  # noqa: E402


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("results_small")
    _load_builder().build(root)
    inp = tables.load_inputs(**fixture_inputs(root))
    out = tmp_path_factory.mktemp("figures")
    return root, inp, out, figures.make_figures(inp, out)


def test_every_expected_figure_renders_except_missing_inputs(rendered):
    _, _, out, written = rendered
    names = sorted(p.name for p in written)
    expected = figures.expected_figures(["math", "gsm8k"], ["main", "s2r1"], discussion=True)
    # the fixture has no discussion baselines for gsm8k: those figures (only) are skipped
    assert sorted(set(expected) - set(names)) == ["discussion_gsm8k.pdf", "discussion_gsm8k.png"]
    assert set(names) <= set(expected)


def test_pngs_have_size_and_are_not_blank(rendered):
    _, _, out, written = rendered
    pngs = [p for p in written if p.suffix == ".png"]
    assert len(pngs) == 13
    for p in pngs:
        img = imread(p)
        h, w = img.shape[:2]
        assert h >= 250 and w >= 350, p.name
        assert float(np.var(img[..., :3])) > 1e-3, f"{p.name} looks blank"
    for p in written:
        if p.suffix == ".pdf":
            data = p.read_bytes()
            assert data.startswith(b"%PDF") and b"CreationDate" not in data


def test_figures_are_reproducible(rendered, tmp_path):
    _, inp, out, written = rendered
    again = figures.make_figures(inp, tmp_path)
    for a, b in zip(written, again):
        assert a.name == b.name and a.read_bytes() == b.read_bytes(), a.name


def test_missing_inputs_are_skipped_with_a_note(tmp_path, caplog):
    inp = tables.load_inputs()
    with caplog.at_level("INFO", logger="slmmux.figures"):
        written = figures.make_figures(inp, tmp_path)
    assert [p.name for p in written] == ["theory_majority.pdf", "theory_majority.png"]
    assert "math_subject_radar: skipped" in caplog.text


def test_expected_figures_names():
    assert figures.expected_figures(["gsm8k"], []) == [
        "models_scaling_gsm8k.png", "models_scaling_gsm8k.pdf", "samples_scaling_gsm8k.png", "samples_scaling_gsm8k.pdf",
        "search_objectives_gsm8k.png", "search_objectives_gsm8k.pdf", "theory_majority.png", "theory_majority.pdf"]
    assert "math_subject_radar.png" in figures.expected_figures(["math"], {"main": ["a"]})


def test_majority_accuracy_formula():
    # A(3, p) = 3p^2(1-p) + p^3
    for p in (0.2, 0.5, 0.7):
        assert figures.majority_accuracy(3, p) == pytest.approx(3 * p**2 * (1 - p) + p**3)
    assert figures.majority_accuracy(1, 0.3) == pytest.approx(0.3)
    assert figures.majority_accuracy(9, 0.6) > 0.6 > figures.majority_accuracy(9, 0.4) + 0.2


def test_make_figures_cli(rendered, tmp_path):
    root = rendered[0]
    a = fixture_inputs(root)
    script = str(ROOT / "scripts" / "make_figures.py")
    res = subprocess.run([sys.executable, script, "--decisions", *a["decisions"], "--search", *a["search"],
                          "--questions", *a["questions"], "--config", a["config"], "--outdir", str(tmp_path)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "math_subject_radar.png").exists() and "samples_scaling_math: skipped" in res.stderr
    listed = subprocess.run([sys.executable, script, "--list", "math", "--config", a["config"]], capture_output=True, text=True)
    assert listed.stdout.split() == figures.expected_figures(["math"], ["main"])


def test_every_table_and_figure_has_a_report_caption():
    report = ROOT / "workflow" / "report"
    stems = set(tables.TABLES) | set(figures.FIGURE_KINDS) | {"math_subject_radar", "theory_majority"}
    for s in stems:
        text = (report / f"{s}.rst").read_text().strip()
        assert len(text) > 80 and "\n\n" not in text, s


# -- what the figures plot, recomputed by hand from the committed fixture -------------------------------------------

BENCHMARKS = ("math", "gsm8k")


@pytest.fixture(scope="module")
def committed():
    return tables.load_inputs(**fixture_inputs(FIXTURE))


def rows(pattern: str) -> list[dict]:
    """Every row of the fixture's Parquet files matching ``pattern``, as plain dicts."""
    out = []
    for path in sorted(FIXTURE.glob(pattern)):
        out += pl.read_parquet(path).to_dicts()
    assert out, pattern
    return out


def group_order(g: str) -> tuple:
    """Named groups by name, then searched groups s<K>r<R> (the fixture's: s2r1)."""
    return (g.startswith("s") and g[1:].replace("r", "").isdigit(), g)


def assert_frame_rows(got: pl.DataFrame, want: list[tuple]):
    assert len(got.columns) == len(want[0]) if want else got.height == 0
    assert got.height == len(want)
    for g, w in zip(got.rows(), want):
        assert g == pytest.approx(w, nan_ok=True), (g, w)


def mean_over_runs(rs: list[dict]) -> tuple[float, float]:
    """Accuracy over runs as the tables give it: the mean of the per-seed accuracies and their standard
    error (one seed: the binomial error over questions)."""
    per_seed = defaultdict(list)
    for r in rs:
        per_seed[r["seed"]].append(float(r["correct"]))
    if len(per_seed) >= 2:
        accs = [sum(v) / len(v) for _, v in sorted(per_seed.items())]
        return statistics.mean(accs), statistics.stdev(accs) / math.sqrt(len(accs))
    return mean_over_questions(rs)


def mean_over_questions(rs: list[dict]) -> tuple[float, float]:
    p = sum(float(r["correct"]) for r in rs) / len(rs)
    return p, math.sqrt(p * (1 - p) / len({r["question_id"] for r in rs}))


def test_calibration_data_is_the_share_of_correct_decisions_per_confidence(committed):
    for b in BENCHMARKS:
        bins = defaultdict(lambda: [0, 0])  # (group, confidence) -> [correct, n]
        for r in rows(f"selection/{b}/*.parquet"):
            if r["method"] == "slm_mux" and r["confidence"] is not None:
                cell = bins[(r["group"], round(r["confidence"], 3))]
                cell[0] += bool(r["correct"])
                cell[1] += 1
        want = []
        for (g, conf), (right, n) in sorted(bins.items(), key=lambda kv: (group_order(kv[0][0]), kv[0][1])):
            p = right / n
            want.append((g, conf, 100 * p, 100 * math.sqrt(p * (1 - p) / max(n - 1, 1)), n))
        assert_frame_rows(figures.calibration_data(committed, b), want)
    # the fixture holds more than one confidence level, with right and wrong decisions
    data = figures.calibration_data(committed, "math")
    assert data["confidence"].n_unique() >= 2 and 0 < data["accuracy"].min() < 100


def test_attribution_data_counts_the_selected_models(committed):
    for b in BENCHMARKS:
        counts = Counter((r["group"], r["selected_model"]) for r in rows(f"selection/{b}/*.parquet")
                         if r["method"] == "slm_mux" and r["selected_model"] is not None)
        want = [(g, m, n) for (g, m), n in sorted(counts.items(), key=lambda kv: (group_order(kv[0][0]), kv[0][1]))]
        assert_frame_rows(figures.attribution_data(committed, b), want)


def test_search_objectives_data_is_the_top_ranked_subset_per_size(committed):
    for b in BENCHMARKS:
        top = sorted((r for r in rows(f"search/{b}.parquet") if r["rank"] == 1), key=lambda r: r["size"])
        want = [(r["size"], 100 * r["union_accuracy"], 100 * r["contradiction"], 100 * r["objective"]) for r in top]
        assert_frame_rows(figures.search_objectives_data(committed, b), want)


def test_samples_scaling_data_is_the_sweep_with_its_error_over_seeds(committed):
    for b in BENCHMARKS:
        sweep = rows(f"scaling/{b}/samples_*.parquet")
        want = []
        for r in sorted(sweep, key=lambda r: (group_order(r["group"]), r["method"] != "slm_mux", r["k"])):
            err = r["stderr"] if r["seeds"] >= 2 else r["mc_stderr"]
            err = 0.0 if err is None or math.isnan(err) else err
            want.append((r["group"], r["method"], r["k"], 100 * r["mean"], 100 * err))
        assert_frame_rows(figures.samples_scaling_data(committed, b), want)


def test_models_scaling_data_is_the_sweep_and_its_union_accuracy(committed):
    for b in BENCHMARKS:
        sweep = rows(f"scaling/{b}/models.parquet")
        want = [(r["method"], r["n_models"], 100 * r["mean"], 100 * (r["stderr"] if r["stderr"] is not None else 0.0))
                for r in sorted(sweep, key=lambda r: (r["method"] != "slm_mux", r["n_models"]))]
        union = sorted({(r["n_models"], 100 * r["union_accuracy"]) for r in sweep})
        data = figures.models_scaling_data(committed, b)
        assert_frame_rows(data["accuracy"], want)
        assert_frame_rows(data["union"], union)


def test_subject_radar_data_is_the_accuracy_per_subject(committed):
    subject = {r["question_id"]: r["subject"] for r in rows("questions/math.parquet")}
    decided = [r for r in rows("selection/math/*.parquet") if r["method"] == "slm_mux" and subject.get(r["question_id"])]
    present = {subject[r["question_id"]] for r in decided}
    subjects = [s for s in figures.MATH_SUBJECTS if s in present] + sorted(present - set(figures.MATH_SUBJECTS))
    want = []
    for g in sorted({r["group"] for r in decided}, key=group_order)[:2]:
        for s in subjects:
            part = [r for r in decided if r["group"] == g and subject[r["question_id"]] == s]
            want.append((g, s, 100 * mean_over_runs(part)[0] if part else 0.0))
    assert len(subjects) >= 2
    assert_frame_rows(figures.subject_radar_data(committed), want)


def test_discussion_data_compares_on_the_questions_discussion_answered(committed):
    discussed = rows("discussion/math/*.parquet")
    decisions = rows("selection/math/*.parquet") + discussed
    want = []
    for g in sorted({r["group"] for r in discussed}, key=group_order):
        answered = {r["question_id"] for r in discussed if r["group"] == g}
        for m in figures.DISCUSSION_COMPARED:
            part = [r for r in decisions if r["group"] == g and r["method"] == m and r["question_id"] in answered]
            if part:
                mean, se = (mean_over_runs if m == "slm_mux" else mean_over_questions)(part)
                want.append((g, m, 100 * mean, 0.0 if math.isnan(se) else 100 * se))
    assert {w[1] for w in want} >= {"single_best", "slm_mux", "moa"}
    assert_frame_rows(figures.discussion_data(committed, "math"), want)
    assert figures.discussion_data(committed, "gsm8k").height == 0  # no discussion baselines there


def test_theory_majority_data_is_the_binomial_majority():
    data = figures.theory_majority_data((1, 3, 5), points=11)
    want = []
    for n in (1, 3, 5):
        for i in range(11):
            p = i / 10
            want.append((n, p, sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(n // 2 + 1, n + 1))))
    assert_frame_rows(data, want)


def test_figure_data_is_empty_without_inputs():
    inp = tables.load_inputs()
    for name in ("attribution", "search_objectives", "samples_scaling", "calibration", "discussion"):
        assert getattr(figures, f"{name}_data")(inp, "math").height == 0, name
    assert figures.models_scaling_data(inp, "math") is None
    assert figures.subject_radar_data(inp).height == 0
