"""Golden tests: every table's numbers on the hand-checkable fixture (expected values derived by hand
in tests/fixtures/results_small/build_fixture.py), determinism, and the paper reference data."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from slmmux import paper_reference as paper
from slmmux import tables

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "results_small"


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_fixture", FIXTURE / "build_fixture.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def fixture_inputs(root: Path) -> dict:
    g = lambda pat: sorted(str(p) for p in root.glob(pat))  # noqa: E731
    return dict(
        decisions=g("selection/*/*.parquet") + g("discussion/*/*.parquet"),
        search=g("search/*.parquet"),
        scaling_samples=g("scaling/*/samples_*.parquet"),
        scaling_models=g("scaling/*/models.parquet"),
        samples=g("samples/graded/*/*/*.parquet"),
        validation=g("validation/*.parquet"),
        questions=g("questions/*.parquet"),
        config=str(root / "config.yaml"),
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("results_small")
    _load_builder().build(root)
    return root


@pytest.fixture(scope="module")
def tabs(built):
    inp = tables.load_inputs(**fixture_inputs(built))
    return {t.name: t for t in tables.build_tables(inp)}


def _row(t: tables.Table, **match) -> dict:
    hits = t.data.filter(pl.all_horizontal([pl.col(k) == v for k, v in match.items()]))
    assert hits.height == 1, f"{t.name}: {match} matched {hits.height} rows"
    return hits.row(0, named=True)


def approx(x):
    return pytest.approx(x, abs=1e-9)


def test_method_comparison_numbers(tabs):
    t = tabs["method_comparison"]
    r = _row(t, benchmark="math", group="main", method="slm_mux")
    assert (r["ours_accuracy"], r["ours_stderr"], r["ours_error_over"], r["ours_n"]) == (approx(87.5), approx(12.5), "seeds", 2)
    assert (r["paper_table"], r["paper_accuracy"], r["paper_difference"]) == ("Table 1", 61.8, approx(25.7))
    r = _row(t, benchmark="math", group="main", method="single_best_sc")
    assert (r["ours_accuracy"], r["ours_stderr"], r["paper_accuracy"]) == (approx(100.0), approx(0.0), 58.0)
    r = _row(t, benchmark="math", group="main", method="agent_forest")
    assert (r["ours_accuracy"], r["ours_stderr"], r["paper_accuracy"]) == (approx(62.5), approx(12.5), None)
    r = _row(t, benchmark="math", group="main", method="moa")
    assert (r["ours_accuracy"], r["paper_accuracy"], r["paper_difference"]) == (approx(37.5), 51.4, approx(-13.9))
    r = _row(t, benchmark="gsm8k", group="main", method="slm_mux")
    assert (r["ours_accuracy"], r["paper_difference"]) == (approx(87.5), approx(-0.3))
    r = _row(t, benchmark="gsm8k", group="s2r1", method="slm_mux")
    assert (r["ours_accuracy"], r["paper_table"], r["paper_accuracy"], r["paper_difference"]) == (approx(100.0), "Table 2", 85.2, approx(14.8))
    r = _row(t, benchmark="math", group="s2r1", method="slm_mux")  # b + c: not a paper pair
    assert (r["ours_accuracy"], r["paper_accuracy"]) == (approx(62.5), None)
    md = t.markdown()
    assert "| main | SLM-MUX | 87.5 ± 12.5 | 61.8 ± 1.2 | +25.7 | 87.5 ± 12.5 | 87.8 ± 0.6 | -0.3 |" in md
    assert "| main | Mixture-of-Agents | 37.5 ± 12.5 | 51.4 ± 2.2 | -13.9 | — | 81.6 ± 1.7 | — |" in md
    assert "over seeds (n = 2 seeds)" in md and "Inputs: " in md and "selection/math/main.parquet (sha256 " in md


def test_searched_groups_numbers(tabs):
    t = tabs["searched_groups"]
    assert t.data.height == 2  # only s<K>r<R> groups, not the fixed group "main"
    r = _row(t, benchmark="gsm8k", group="s2r1")
    assert r["models"] == "a + b" and r["best_single_model"] == "b"
    assert (r["best_single_accuracy"], r["best_single_stderr"]) == (approx(87.5), approx(12.5))
    assert (r["slm_mux_accuracy"], r["gain"]) == (approx(100.0), approx(12.5))
    assert (r["paper_group"], r["paper_best_single"], r["paper_slm_mux"], r["paper_gain"]) == ("2", 80.8, 85.2, approx(4.4))
    r = _row(t, benchmark="math", group="s2r1")
    assert r["models"] == "b + c" and r["best_single_model"] == "c" and r["paper_slm_mux"] is None
    assert (r["best_single_accuracy"], r["slm_mux_accuracy"], r["gain"]) == (approx(50.0), approx(62.5), approx(12.5))
    assert "| GSM8K | s2r1 | a + b | 87.5 ± 12.5 (b) | 100.0 ± 0.0 | +12.5 | 2 | 80.8 ± 2.1 | 85.2 ± 0.7 | +4.4 |" in t.markdown()


def test_agent_forest_numbers(tabs):
    t = tabs["agent_forest"]
    r = _row(t, benchmark="math", group="main", samples="2")
    assert (r["slm_mux_accuracy"], r["slm_mux_stderr"], r["agent_forest_accuracy"], r["agent_forest_stderr"]) == (
        approx(70.0), approx(2.0), approx(60.0), approx(3.0))
    assert r["slm_mux_error_over"] == "trials" and r["slm_mux_n"] == 3
    r = _row(t, benchmark="math", group="main", samples="best")
    assert (r["slm_mux_k"], r["slm_mux_accuracy"], r["agent_forest_k"], r["agent_forest_accuracy"]) == (3, approx(80.0), 4, approx(75.0))
    assert r["paper_slm_mux"] is None
    r = _row(t, benchmark="gsm8k", group="s2r1", samples="best")
    assert (r["slm_mux_k"], r["slm_mux_accuracy"], r["agent_forest_k"], r["agent_forest_accuracy"]) == (4, approx(95.0), 3, approx(82.0))
    assert (r["paper_slm_mux"], r["paper_agent_forest"]) == (86.5, 84.3)
    r = _row(t, benchmark="gsm8k", group="s2r1", samples="2")
    assert (r["paper_slm_mux"], r["paper_agent_forest"]) == (82.1, 77.7)
    assert "Monte Carlo trials (n = 3 trials)" in t.markdown()


def test_reference_model_numbers(tabs):
    t = tabs["reference_model"]
    r = _row(t, benchmark="math", configuration="slm_mux:main")
    assert (r["k"], r["ours_accuracy"], r["ours_stderr"], r["paper_accuracy"]) == (3, approx(80.0), approx(1.0), None)
    r = _row(t, benchmark="math", configuration="reference:r")
    # one seed -> error over questions: sd([1,1,1,0]) / sqrt(4) = 0.25
    assert (r["ours_accuracy"], r["ours_stderr"], r["ours_error_over"], r["ours_n"]) == (approx(75.0), approx(25.0), "questions", 4)
    assert (r["paper_accuracy"], r["paper_difference"]) == (82.3, approx(-7.3))
    r = _row(t, benchmark="gsm8k", configuration="reference:r")
    assert (r["status"], r["ours_accuracy"], r["paper_accuracy"]) == ("not generated", None, 90.4)
    r = _row(t, benchmark="gsm8k", configuration="slm_mux:s2r1")
    assert (r["k"], r["ours_accuracy"], r["paper_accuracy"], r["paper_difference"]) == (4, approx(95.0), 86.5, approx(8.5))
    md = t.markdown()
    assert "| GSM8K | Reference r (Qwen/Qwen2.5-72B-Instruct) | not generated | 90.4 | — |" in md
    assert "75.0 ± 25.0†" in md


def test_model_accuracy_numbers(tabs):
    t = tabs["model_accuracy"]
    expected = {  # (benchmark, model): (greedy, greedy se, sampled, sampled se, paper greedy)
        ("math", "a"): (37.5, 12.5, 25.0, 0.0, 31.6),
        ("math", "b"): (50.0, 0.0, 62.5, 12.5, 48.6),
        ("math", "c"): (87.5, 12.5, 100.0, 0.0, 56.8),
        ("gsm8k", "a"): (12.5, 12.5, 100 / 12, 0.0, 63.4),
        ("gsm8k", "b"): (87.5, 12.5, 87.5, 12.5, 84.2),
        ("gsm8k", "c"): (50.0, 0.0, 37.5, 12.5, 81.6),
    }
    for (b, m), (g, gse, s, sse, p) in expected.items():
        r = _row(t, benchmark=b, model=m)
        assert (r["greedy_accuracy"], r["greedy_stderr"], r["sampled_accuracy"], r["sampled_stderr"]) == (
            approx(g), approx(gse), approx(s), approx(sse)), (b, m)
        assert r["paper_accuracy"] == p and r["paper_difference"] == approx(g - p)
    r = _row(t, benchmark="math", model="r")
    assert (r["greedy_accuracy"], r["greedy_error_over"], r["sampled_accuracy"]) == (approx(75.0), "questions", None)


def test_token_usage_numbers(tabs):
    t = tabs["token_usage"]
    expected = {
        ("math", "main", "slm_mux"): 1800, ("math", "main", "agent_forest"): 1800, ("math", "main", "oracle"): 1800,
        ("math", "main", "single_best_sc"): 900, ("math", "main", "single_best"): 300, ("math", "main", "moa"): 5000,
        ("math", "s2r1", "slm_mux"): 1500, ("math", "s2r1", "single_best"): 300,
        ("gsm8k", "s2r1", "slm_mux"): 900, ("gsm8k", "s2r1", "single_best_sc"): 600, ("gsm8k", "s2r1", "single_best"): 200,
    }
    for (b, g, m), tok in expected.items():
        assert _row(t, benchmark=b, group=g, method=m)["completion_tokens_per_question"] == approx(tok), (b, g, m)


def test_tables_byte_identical_across_runs(built, tmp_path):
    args = fixture_inputs(built)
    out1, out2 = tmp_path / "one", tmp_path / "two"
    tables.write_tables(tables.build_tables(tables.load_inputs(**args)), out1)
    tables.write_tables(tables.build_tables(tables.load_inputs(**args)), out2)
    names = sorted(p.name for p in out1.iterdir())
    assert names == sorted(tables.expected_tables())
    for n in names:
        assert (out1 / n).read_bytes() == (out2 / n).read_bytes(), n


def test_latex_and_csv_formats(tabs):
    tex = tabs["method_comparison"].latex()
    assert "\\begin{tabular}" in tex and "$\\pm$" in tex and "s2r1" in tex and "\\_" in tex
    csv = tabs["agent_forest"].csv()
    header = csv.splitlines()[0].split(",")
    assert header[:4] == ["benchmark", "group", "samples", "slm_mux_k"]
    assert "70.0000" in csv


def test_missing_inputs_still_write_every_table(tmp_path):
    written = tables.write_tables(tables.build_tables(tables.load_inputs()), tmp_path)
    assert sorted(p.name for p in written) == sorted(tables.expected_tables())
    assert "Inputs: none given." in (tmp_path / "method_comparison.md").read_text()


def test_single_seed_error_is_over_questions():
    df = pl.DataFrame({"seed": [0] * 4, "question_id": ["q1", "q2", "q3", "q4"], "correct": [True, True, False, False]})
    e = tables.estimate_runs(df)
    assert (e.over, e.n, e.mean) == ("questions", 4, 0.5)
    assert e.se == pytest.approx((1 / 3) ** 0.5 / 2)  # sd ddof=1 of [1,1,0,0] = sqrt(1/3), over sqrt(4)


def test_model_sheet_forms():
    assert tables.model_sheet_ids({"x": "org/x"}) == {"x": "org/x"}
    assert tables.model_sheet_ids({"models": {"x": {"model": "org/x", "revision": None}}}) == {"x": "org/x"}
    with pytest.raises(ValueError, match="'y'"):
        tables.model_sheet_ids({"y": {"revision": "abc"}})


def test_paper_reference_lookup():
    r = paper.lookup("Table 1", "gpqa", "slm_mux", {paper.MIXTRAL, paper.LLAMA, paper.GEMMA})
    assert (r.mean, r.se) == (42.1, 0.3)
    assert paper.lookup("Table 1", "gpqa", "slm_mux", {paper.MIXTRAL, paper.LLAMA}) is None
    assert paper.lookup("Table 3", "math", "agent_forest", {paper.QWEN7B, paper.LLAMA}, "best").mean == 79.2
    assert paper.lookup("Table 4", "gpqa", "reference", {paper.QWEN72B}).mean == 44.9
    assert paper.lookup("Appendix", "gsm8k", "greedy", {paper.MIXTRAL}).mean == 63.4
    t2 = [r for r in paper.REPORTED if r.table == "Table 2"]
    assert len(t2) == 12


def test_make_tables_cli(built, tmp_path):
    a = fixture_inputs(built)
    cmd = [sys.executable, str(ROOT / "scripts" / "make_tables.py"), "--decisions", *a["decisions"], "--search", *a["search"],
           "--scaling-samples", *a["scaling_samples"], "--samples", *a["samples"], "--validation", *a["validation"],
           "--config", a["config"], "--outdir", str(tmp_path / "t")]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == sorted(tables.expected_tables())
    bad = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_tables.py"), "--decisions", str(tmp_path / "nope.parquet"),
                          "--outdir", str(tmp_path / "u")], capture_output=True, text=True)
    assert bad.returncode != 0 and "nope.parquet" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_committed_fixture_matches_builder(built):
    for p in sorted(built.rglob("*.parquet")):
        committed = FIXTURE / p.relative_to(built)
        assert committed.exists(), committed
        assert pl.read_parquet(committed).equals(pl.read_parquet(p)), committed


def test_best_single_prefers_recorded_decision():
    dec = pl.DataFrame({"benchmark": ["math"], "group": ["g"], "seed": [0], "question_id": ["q"], "method": ["single_best"],
                        "correct": [True], "selected_model": ["a"]})
    val = pl.DataFrame({"benchmark": ["math", "math"], "model": ["a", "c"], "validation_accuracy": [0.1, 0.9]})
    inp = tables.Inputs(decisions=dec, validation=val)
    assert tables.best_single_model(inp, "math", ["a", "c"], "g") == "a"
    assert tables.best_single_model(inp, "math", ["a", "c"]) == "c"


def test_method_comparison_paired_significance(tabs):
    # gsm8k main, SLM-MUX [1,1,1,1],[1,1,1,0] vs Single-Best [1,1,0,0],[1,1,0,0]: discordant 3 vs 0 over the
    # (seed, question) pairs -> exact McNemar p = 2 * (1/2)^3 = 0.25; per-question differences (mean over
    # seeds) 0, 0, 1, 0.5 -> +37.5 points; the bootstrap's 2.5% quantile is 0 (P(all four resampled
    # differences are 0) = 1/16) and its 97.5% quantile 0.75 (P(mean >= 0.875) = 5/256 < 2.5% <= P(>= 0.75))
    t = tabs["method_comparison"]
    r = _row(t, benchmark="gsm8k", group="main", method="single_best")
    assert r["vs_slm_mux_p_value"] == approx(0.25)
    assert (r["vs_slm_mux_difference"], r["vs_slm_mux_ci_low"], r["vs_slm_mux_ci_high"]) == (approx(37.5), approx(0.0), approx(75.0))
    assert r["vs_slm_mux_n_pairs"] == 8
    # math main: Single-Best answers exactly like SLM-MUX -> no discordant pair, p = 1, interval [0, 0]
    r = _row(t, benchmark="math", group="main", method="single_best")
    assert (r["vs_slm_mux_p_value"], r["vs_slm_mux_ci_low"], r["vs_slm_mux_ci_high"]) == (1.0, 0.0, 0.0)
    # SLM-MUX and the oracle are not compared with SLM-MUX
    for m in ("slm_mux", "oracle"):
        assert _row(t, benchmark="gsm8k", group="main", method=m)["vs_slm_mux_p_value"] is None
    md = t.markdown()
    assert "+37.5 [+0.0, +75.0] p=0.25" in md
    assert "exact McNemar" in md and "bootstrap" in md


def test_paired_significance_per_seed_and_pooled(tabs):
    t = tabs["paired_significance"]
    rows = t.data.filter((pl.col("benchmark") == "gsm8k") & (pl.col("group") == "main") & (pl.col("method") == "single_best"))
    assert rows["seed"].to_list() == [0, 1, None]
    s0, s1, pooled = rows.iter_rows(named=True)
    assert (s0["slm_mux_only"], s0["baseline_only"], s0["p_value"]) == (2, 0, approx(0.5))
    assert (s1["slm_mux_only"], s1["baseline_only"], s1["p_value"]) == (1, 0, approx(1.0))
    assert (pooled["slm_mux_only"], pooled["n_questions"], pooled["difference"]) == (3, 4, approx(37.5))
    # MoA (discussion decisions) is compared on the questions it answered
    moa = t.data.filter((pl.col("benchmark") == "math") & (pl.col("method") == "moa") & pl.col("seed").is_null())
    assert moa.height == 1 and moa["n_pairs"][0] == 8
    assert "pooled" in t.markdown()
