"""Tables on the derived fixture (tests/fixtures/results_small: samples written by hand, everything else
derived by the project's code), the ± kinds and paper comparisons of issue 11, determinism, and the
paper reference data. Every cell is also checked against an independent recomputation in
tests/test_reference.py."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from slmmux import mux, tables
from slmmux import paper_reference as paper

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
    """Numbers of the derived fixture (each equals the independent recomputation, tests/test_reference.py);
    here: which ± each row carries and where the paper's number appears."""
    t = tabs["method_comparison"]
    r = _row(t, benchmark="math", group="main", method="slm_mux")
    assert (r["ours_accuracy"], r["ours_stderr"], r["ours_error_over"], r["ours_n"], r["k"]) == (approx(75.0), approx(0.0), "seeds", 2, 3)
    assert (r["paper_table"], r["paper_accuracy"], r["paper_difference"]) == ("Table 1", 61.8, approx(13.2))
    r = _row(t, benchmark="math", group="main", method="single_best")  # greedy: the same answers in both seeds
    assert (r["ours_accuracy"], r["ours_error_over"], r["ours_n"]) == (approx(87.5), "questions", 4)
    assert r["ours_stderr"] == approx(100 * (0.875 * 0.125 / 4) ** 0.5) and r["paper_accuracy"] == 56.8
    r = _row(t, benchmark="math", group="main", method="agent_forest")
    assert (r["ours_accuracy"], r["ours_stderr"], r["paper_accuracy"]) == (approx(62.5), approx(12.5), None)
    r = _row(t, benchmark="math", group="main", method="moa")
    assert (r["ours_accuracy"], r["ours_error_over"], r["paper_accuracy"], r["paper_difference"]) == (
        approx(37.5), "questions", 51.4, approx(-13.9))
    r = _row(t, benchmark="gsm8k", group="s2r1", method="slm_mux")
    assert (r["ours_accuracy"], r["paper_table"], r["paper_accuracy"], r["paper_difference"]) == (approx(87.5), "Table 2", 85.2, approx(2.3))
    r = _row(t, benchmark="math", group="s2r1", method="slm_mux")  # b + c: not a paper pair
    assert (r["ours_accuracy"], r["paper_accuracy"]) == (approx(75.0), None)
    md = t.markdown()
    assert "| main | SLM-MUX | 75.0 ± 0.0 | 61.8 ± 1.2 | +13.2 | 87.5 ± 12.5 | 87.8 ± 0.6 | -0.3 |" in md
    assert "| main | Mixture-of-Agents | 37.5 ± 24.2 | 51.4 ± 2.2 | -13.9 | — | 81.6 ± 1.7 | — |" in md
    assert "over runs" in md and "over questions, sqrt(p(1-p)/n)" in md and "selection/math/main.parquet (sha256 " in md


def test_searched_groups_numbers(tabs):
    t = tabs["searched_groups"]
    assert t.data.height == 2  # only s<K>r<R> groups, not the fixed group "main"
    r = _row(t, benchmark="gsm8k", group="s2r1")
    assert r["models"] == "a + b" and r["best_single_model"] == "b"
    assert (r["best_single_accuracy"], r["best_single_error_over"], r["slm_mux_accuracy"], r["gain"]) == (
        approx(87.5), "questions", approx(87.5), approx(0.0))
    assert (r["paper_group"], r["paper_best_single"], r["paper_slm_mux"], r["paper_gain"]) == ("2", 80.8, 85.2, approx(4.4))
    r = _row(t, benchmark="math", group="s2r1")
    assert r["models"] == "b + c" and r["best_single_model"] == "c" and r["paper_slm_mux"] is None
    assert "| GSM8K | s2r1 | a + b | 87.5 ± 16.5 (b) | 87.5 ± 12.5 | +0.0 | 2 | 80.8 ± 2.1 | 85.2 ± 0.7 | +4.4 |" in t.markdown()


def test_agent_forest_numbers(tabs):
    t = tabs["agent_forest"]
    r = _row(t, benchmark="gsm8k", group="s2r1", samples="2")
    assert (r["slm_mux_error_over"], r["slm_mux_n"]) == ("seeds", 2)
    assert (r["paper_slm_mux"], r["paper_agent_forest"]) == (82.1, 77.7)
    r = _row(t, benchmark="gsm8k", group="s2r1", samples="best")
    assert (r["paper_slm_mux"], r["paper_agent_forest"]) == (86.5, 84.3)
    assert _row(t, benchmark="math", group="main", samples="best")["paper_slm_mux"] is None
    assert "Monte Carlo error" in t.markdown()


def test_reference_model_numbers(tabs):
    t = tabs["reference_model"]
    r = _row(t, benchmark="math", configuration="reference:r")
    # greedy answers [1,1,1,0] of one seed: binomial sqrt(.75 * .25 / 4)
    assert (r["ours_accuracy"], r["ours_stderr"], r["ours_error_over"], r["ours_n"]) == (
        approx(75.0), approx(100 * (0.75 * 0.25 / 4) ** 0.5), "questions", 4)
    assert (r["paper_accuracy"], r["paper_difference"]) == (82.3, approx(-7.3))
    r = _row(t, benchmark="gsm8k", configuration="reference:r")
    assert (r["status"], r["ours_accuracy"]) == ("not generated", None)
    r = _row(t, benchmark="gsm8k", configuration="slm_mux:s2r1")
    assert r["paper_accuracy"] == 86.5 and r["ours_error_over"] == "seeds"
    assert "| GSM8K | Reference r (Qwen/Qwen2.5-72B-Instruct) | not generated |" in t.markdown()


def test_model_accuracy_numbers(tabs):
    t = tabs["model_accuracy"]
    greedy = {("math", "a"): 37.5, ("math", "b"): 50.0, ("math", "c"): 87.5,
              ("gsm8k", "a"): 12.5, ("gsm8k", "b"): 87.5, ("gsm8k", "c"): 50.0}  # SAMPLES' greedy flags
    paper_greedy = {"a": {"math": 31.6, "gsm8k": 63.4}, "b": {"math": 48.6, "gsm8k": 84.2}, "c": {"math": 56.8, "gsm8k": 81.6}}
    for (b, m), g in greedy.items():
        r = _row(t, benchmark=b, model=m)
        assert (r["greedy_accuracy"], r["greedy_error_over"], r["sampled_error_over"]) == (approx(g), "questions", "seeds")
        assert r["paper_accuracy"] == paper_greedy[m][b] and r["paper_difference"] == approx(g - paper_greedy[m][b])
    r = _row(t, benchmark="math", model="a")  # sampled: 3/16 and 4/16 correct in seeds 0 and 1
    assert (r["sampled_accuracy"], r["sampled_stderr"]) == (approx(21.875), approx(3.125))


def test_token_usage_counts_only_the_samples_decisions_used(tabs):
    """Finding 1 of issue 11: 4 samples generated per question, selection.k = 3; before the fix the
    table counted all 4 (2520 tokens for math main SLM-MUX instead of 1890)."""
    t = tabs["token_usage"]
    expected = {  # tokens: a 100, b 200, c 300, + 10 per sample index; k = 3 -> + 30 per model
        ("math", "main", "slm_mux"): 1890, ("math", "main", "agent_forest"): 1890, ("math", "main", "oracle"): 1890,
        ("math", "main", "single_best_sc"): 930, ("math", "main", "single_best"): 300, ("math", "main", "moa"): 5000,
        ("math", "s2r1", "slm_mux"): 1560, ("gsm8k", "s2r1", "slm_mux"): 960, ("gsm8k", "s2r1", "single_best_sc"): 630,
        ("gsm8k", "s2r1", "single_best"): 200,
    }
    for (b, g, m), tok in expected.items():
        assert _row(t, benchmark=b, group=g, method=m)["completion_tokens_per_question"] == approx(tok), (b, g, m)


def _decisions(method, correct_by_seed, k, decoding, members=("a", "b"), group="g", benchmark="math"):
    rows = [{"benchmark": benchmark, "group": group, "seed": s, "question_id": f"q{i}", "method": method,
             "correct": bool(c), "selected_model": "a", "members": list(members), "used_models": ["a"],
             "used_decoding": decoding, "used_seed": s, "k": k, "completion_tokens": 1}
            for s, flags in enumerate(correct_by_seed) for i, c in enumerate(flags)]
    return pl.DataFrame(rows, schema={c: d for c, d in mux.DECISIONS_SCHEMA.items() if c in rows[0]})


def test_single_best_error_is_over_questions_even_with_several_seeds():
    """Finding 4 of issue 11: Single-Best is greedy, identical across seeds; an error over seeds
    showed ±0.0 beside the paper's ±2.2 over questions."""
    flags = [1] * 284 + [0] * 216  # 56.8% of 500
    dec = _decisions("single_best", [flags, flags, flags], 1, "greedy")
    r = _row(tables.method_comparison(tables.Inputs(decisions=dec)), method="single_best")
    assert (r["ours_error_over"], r["ours_n"], round(r["ours_stderr"], 1)) == ("questions", 500, 2.2)
    r = _row(tables.method_comparison(tables.Inputs(decisions=_decisions("slm_mux", [flags, flags[::-1]], 3, "sampled"))),
             method="slm_mux")
    assert (r["ours_error_over"], r["ours_n"]) == ("seeds", 2)
    one = tables.method_comparison(tables.Inputs(decisions=_decisions("slm_mux", [flags], 3, "sampled")))
    assert _row(one, method="slm_mux")["ours_error_over"] == "questions" and tables.QMARK in one.markdown()


def test_paper_numbers_only_beside_the_papers_setting():
    """Finding 6 of issue 11: Table 1's numbers appeared beside runs of any k or temperature."""
    hub = {"a": paper.MIXTRAL, "b": paper.LLAMA, "c": paper.GEMMA}
    flags = [[1, 0, 1, 1]] * 2

    def paper_of(k, temperature, method="slm_mux", decoding="sampled"):
        inp = tables.Inputs(decisions=_decisions(method, flags, k, decoding, ("a", "b", "c")), hub_ids=hub,
                            test_temperature=temperature)
        return _row(tables.method_comparison(inp), method=method)["paper_accuracy"]

    assert paper_of(3, 0.3) == 61.8
    assert paper_of(2, 0.3) is None and paper_of(3, 0.7) is None and paper_of(3, None) is None
    assert paper_of(1, 0.3, "single_best", "greedy") == 56.8 and paper_of(1, 0.3, "single_best", "sampled") is None


def test_paper_gain_is_the_printed_one_and_ours_is_unrounded():
    """Finding 6 of issue 11: GPQA group 2 printed +3.7 (48.8 - 45.1) where the paper says +3.6."""
    hub = {"b": paper.LLAMA, "m": paper.MISTRAL_SMALL}
    dec = pl.concat([_decisions("single_best", [[1, 1, 0]] * 2, 1, "greedy", ("b", "m"), "s2r1", "gpqa"),
                     _decisions("slm_mux", [[1, 1, 1], [1, 1, 0]], 3, "sampled", ("b", "m"), "s2r1", "gpqa")])
    r = _row(tables.searched_groups(tables.Inputs(decisions=dec, hub_ids=hub, test_temperature=0.3)), group="s2r1")
    assert (r["paper_best_single"], r["paper_slm_mux"], r["paper_gain"]) == (45.1, 48.8, 3.6)
    assert r["gain"] == approx(100 * (5 / 6 - 2 / 3))  # 16.67, not 83.3 - 66.7 = 16.6


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
    assert "66.6667" in csv


def test_missing_inputs_still_write_every_table(tmp_path):
    written = tables.write_tables(tables.build_tables(tables.load_inputs()), tmp_path)
    assert sorted(p.name for p in written) == sorted(tables.expected_tables())
    assert "Inputs: none given." in (tmp_path / "method_comparison.md").read_text()


def test_single_seed_error_is_over_questions():
    df = pl.DataFrame({"seed": [0] * 4, "question_id": ["q1", "q2", "q3", "q4"], "correct": [True, True, False, False]})
    e = tables.estimate_over_runs(df)
    assert (e.over, e.n, e.mean, e.marker) == ("questions", 4, 0.5, tables.QMARK)
    assert e.se == pytest.approx((0.25 / 4) ** 0.5)  # binomial sqrt(p(1-p)/n)


def test_model_sheet_forms():
    assert tables.model_sheet_ids({"x": "org/x"}) == {"x": "org/x"}
    assert tables.model_sheet_ids({"models": {"x": {"model": "org/x", "revision": None}}}) == {"x": "org/x"}
    with pytest.raises(ValueError, match="'y'"):
        tables.model_sheet_ids({"y": {"revision": "abc"}})


def test_paper_reference_lookup():
    r = paper.lookup("Table 1", "gpqa", "slm_mux", {paper.MIXTRAL, paper.LLAMA, paper.GEMMA}, 3, 0.3)
    assert (r.mean, r.se) == (42.1, 0.3)
    assert paper.lookup("Table 1", "gpqa", "slm_mux", {paper.MIXTRAL, paper.LLAMA}, 3, 0.3) is None
    assert paper.lookup("Table 3", "math", "agent_forest", {paper.QWEN7B, paper.LLAMA}, "best", 0.3).mean == 79.2
    assert paper.lookup("Table 4", "gpqa", "reference", {paper.QWEN72B}, temperature=0.0).mean == 44.9
    assert paper.lookup("Appendix", "gsm8k", "greedy", {paper.MIXTRAL}, temperature=0.0).mean == 63.4
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


def test_fixture_derived_files_are_the_projects_output_from_its_samples(tmp_path):
    """Only questions, samples, the MoA decisions and the config are written by hand; every other file
    of the committed fixture is what the project's code derives from them (no hand-written decisions
    contradicting their samples)."""
    builder = _load_builder()
    builder.write_inputs(tmp_path)
    inputs = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    builder.derive(tmp_path)
    derived = {p.relative_to(tmp_path) for p in tmp_path.rglob("*.parquet")} - inputs
    assert {p.parts[0] for p in derived} == {"validation", "search", "selection", "scaling"}
    committed = {p.relative_to(FIXTURE) for p in FIXTURE.rglob("*") if p.is_file() and p.name != "build_fixture.py"}
    assert committed == inputs | derived
    for rel in sorted(derived):
        assert pl.read_parquet(FIXTURE / rel).equals(pl.read_parquet(tmp_path / rel)), rel
    # the decisions agree with the samples they were derived from
    dec = pl.read_parquet(FIXTURE / "selection" / "math" / "main.parquet")
    assert dec.filter(pl.col("method") == "slm_mux")["members"][0].to_list() == ["a", "b", "c"]
    assert (dec["k"].filter(dec["method"] != "single_best") == builder.K_SELECTION).all()


def test_method_comparison_paired_significance(tabs):
    # gsm8k main, SLM-MUX [1,1,1,1],[1,1,1,0] vs Agent Forest [1,1,0,0],[1,0,1,0] (seeds 0, 1; the derived
    # fixture's decisions): discordant 3 vs 0 over the (seed, question) pairs -> exact McNemar
    # p = 2 * (1/2)^3 = 0.25; per-question differences (mean over seeds) 0, 0.5, 0.5, 0.5 -> +37.5 points.
    # A bootstrap resample of the 4 questions draws Z zeros, Z ~ Bin(4, 1/4), mean 0.5 (4 - Z) / 4:
    # P(Z = 4) = 1/256 < 2.5% <= P(Z >= 3) = 13/256, so the 2.5% quantile is 0.125; P(Z = 0) = 81/256,
    # so the 97.5% quantile is 0.5
    t = tabs["method_comparison"]
    r = _row(t, benchmark="gsm8k", group="main", method="agent_forest")
    assert r["vs_slm_mux_p_value"] == approx(0.25)
    assert (r["vs_slm_mux_difference"], r["vs_slm_mux_ci_low"], r["vs_slm_mux_ci_high"]) == (approx(37.5), approx(12.5), approx(50.0))
    assert r["vs_slm_mux_n_pairs"] == 8
    # gsm8k main: Single-Best answers exactly like SLM-MUX -> no discordant pair, p = 1, interval [0, 0]
    r = _row(t, benchmark="gsm8k", group="main", method="single_best")
    assert (r["vs_slm_mux_p_value"], r["vs_slm_mux_ci_low"], r["vs_slm_mux_ci_high"]) == (1.0, 0.0, 0.0)
    # SLM-MUX and the oracle are not compared with SLM-MUX
    for m in ("slm_mux", "oracle"):
        assert _row(t, benchmark="gsm8k", group="main", method=m)["vs_slm_mux_p_value"] is None
    md = t.markdown()
    assert "+37.5 [+12.5, +50.0] p=0.25" in md
    assert "exact McNemar" in md and "bootstrap" in md


def test_paired_significance_per_seed_and_pooled(tabs):
    t = tabs["paired_significance"]
    rows = t.data.filter((pl.col("benchmark") == "gsm8k") & (pl.col("group") == "main") & (pl.col("method") == "agent_forest"))
    assert rows["seed"].to_list() == [0, 1, None]
    s0, s1, pooled = rows.iter_rows(named=True)
    assert (s0["slm_mux_only"], s0["baseline_only"], s0["p_value"]) == (2, 0, approx(0.5))
    assert (s1["slm_mux_only"], s1["baseline_only"], s1["p_value"]) == (1, 0, approx(1.0))
    assert (pooled["slm_mux_only"], pooled["n_questions"], pooled["difference"]) == (3, 4, approx(37.5))
    # MoA (discussion decisions) is compared on the questions it answered
    moa = t.data.filter((pl.col("benchmark") == "math") & (pl.col("method") == "moa") & pl.col("seed").is_null())
    assert moa.height == 1 and moa["n_pairs"][0] == 8
    assert "pooled" in t.markdown()
