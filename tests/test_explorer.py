"""The question explorer: its data and filters (by construction), and the page in a real headless
Chromium (Debian's package): it loads offline, filters change the visible count to what the data say,
raw text opens on demand, hostile text stays text, and the report's link opens the right page.

Without Chromium these tests skip on a developer machine and fail under CI=true (.ci/run installs it).
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import polars as pl
import pytest

from slmmux.data import QUESTION_SCHEMA
from slmmux.explorer import FLAGS, explorer_data, explorer_file, render_html, write_explorer
from slmmux.headless import Chromium, find_chromium
from slmmux.mux import answer_clusters, decisions
from slmmux.samples import GRADED_SCHEMA

REPO = Path(__file__).resolve().parents[1]
HOSTILE = 'What is 2+3? </script><script>window.PWNED=1</script><img src=x onerror="window.PWNED=2">'

# model -> question -> k sampled answers (None = no answer); gold: q1 "1", q2 "7", q3 "7"
ANSWERS = {
    "a": {"q1": ["1", "1", "2"], "q2": ["5", "5", None], "q3": ["7", "7", "7"]},
    "b": {"q1": ["3", "3", "3"], "q2": ["6", "6", "7"], "q3": ["7", "8", "9"]},
}
GOLD = {"q1": "1", "q2": "7", "q3": "7"}
# q1: b (s=1, wrong) beats a (s=2/3, right)     -> SLM-MUX wrong, some model right
# q2: a and b both s=2/3, both wrong           -> confidence tie, every model confident and wrong
# q3: the strict extraction misses b's "7"     -> strict and flexible disagree
EXPECTED_FLAGS = {"q1": {"mux_wrong_model_right"}, "q2": {"confidence_tie", "all_confident_wrong"},
                  "q3": {"strict_flexible_disagree"}}


def _samples() -> pl.DataFrame:
    rows = []
    for m, per_q in ANSWERS.items():
        for q, answers in per_q.items():
            for i, a in enumerate(answers):
                ok = a == GOLD[q]
                strict_ok = ok and not (m == "b" and q == "q3")
                rows.append({"benchmark": "math", "split": "test", "question_id": q, "model": m, "seed": 0,
                             "decoding": "sampled", "sample": i, "text": f"<b>{m} says</b> {a} for {q}",
                             "prompt_tokens": 10, "completion_tokens": 5, "finish_reason": "stop",
                             "mean_logprob": None, "answer": a, "answer_key": a, "correct": ok,
                             "strict_answer": a if strict_ok or not ok else None, "strict_correct": strict_ok})
    return pl.DataFrame(rows, schema=GRADED_SCHEMA)


def _questions() -> pl.DataFrame:
    rows = [{"benchmark": "math", "split": "test", "question_id": q, "question": HOSTILE if q == "q1" else f"Question {q}",
             "choices": [], "gold": g, "subject": "algebra", "level": 1} for q, g in GOLD.items()]
    return pl.DataFrame(rows, schema=QUESTION_SCHEMA)


def _decisions(samples: pl.DataFrame) -> pl.DataFrame:
    return decisions(samples, ["a", "b"], {"a": 0.6, "b": 0.5}, "main")


def test_flags_by_construction():
    s = _samples()
    data, chunks = explorer_data(s, _questions(), _decisions(s), ["b", "a"], "math", "main")
    assert data["models"] == ["a", "b"]
    assert {r["qid"]: set(r["flags"]) for r in data["rows"]} == EXPECTED_FLAGS
    q1 = data["rows"][0]
    assert q1["selected"] == "b" and q1["decisions"]["slm_mux"] == ["3", 0]
    assert q1["models"][0]["conf"] == pytest.approx(2 / 3) and q1["models"][0]["major_ok"]
    assert data["methods"] == ["slm_mux", "single_best", "single_best_sc", "agent_forest"]  # not the oracle
    q2 = data["rows"][1]
    assert q2["selected"] == "a"  # the tie goes to the higher validation accuracy
    assert len(chunks) == 1


def test_page_escapes_hostile_text_and_is_self_contained():
    s = _samples()
    page = render_html(*explorer_data(s, _questions(), _decisions(s), ["a", "b"], "math", "main"))
    assert "</script><script>window.PWNED" not in page
    assert page.count("<script") == page.count("</script>") == 3  # data, one raw chunk, the code
    for remote in ("http://", "https://", "//cdn", "<link", "src="):
        assert remote not in page.replace("\\u003cimg src=x", ""), remote


def test_missing_model_samples_are_an_error():
    s = _samples()
    with pytest.raises(ValueError, match="no sampled test samples of c"):
        explorer_data(s, _questions(), _decisions(s), ["a", "b", "c"], "math", "main")


def test_script_writes_the_page_and_names_a_missing_model(tmp_path):
    s = _samples()
    s.write_parquet(tmp_path / "samples.parquet")
    _questions().write_parquet(tmp_path / "questions.parquet")
    _decisions(s).write_parquet(tmp_path / "decisions.parquet")
    answer_clusters(s).write_parquet(tmp_path / "clusters.parquet")
    base = [sys.executable, str(REPO / "scripts" / "explorer.py"), "--samples", str(tmp_path / "samples.parquet"),
            "--answer-clusters", str(tmp_path / "clusters.parquet"),
            "--questions", str(tmp_path / "questions.parquet"), "--decisions", str(tmp_path / "decisions.parquet"),
            "--benchmark", "math", "--group", "main", "--out", str(tmp_path / "page.html")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    ok = subprocess.run(base + ["--models", "a", "b"], capture_output=True, text=True, env=env, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "3 rows" in ok.stderr and "confidence_tie 1" in ok.stderr
    assert "<title>Question explorer: math / main</title>" in (tmp_path / "page.html").read_text(encoding="utf-8")
    bad = subprocess.run(base + ["--models", "a", "c"], capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "no sampled test samples of c" in bad.stderr


# --------------------------------------------------------------------------- in Chromium


@pytest.fixture(scope="module")
def chromium():
    if find_chromium() is None:
        msg = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    with Chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> Path:
    s = _samples()
    path = tmp_path_factory.mktemp("explorer") / explorer_file("math", "main")
    write_explorer(path, s, _questions(), _decisions(s), ["a", "b"], "math", "main")
    return path


def _open(chromium, path: Path):
    page = chromium.open(path.as_uri())
    page.wait_for("document.body.dataset.ready === 'true'")
    return page


def _shown(page) -> int:
    return int(page.evaluate("document.getElementById('count').dataset.shown"))


def test_page_loads_offline_and_counts_follow_the_filters(chromium, page_file):
    page = _open(chromium, page_file)
    assert page.evaluate("document.getElementById('count').textContent") == "3 of 3 questions"
    assert page.evaluate("performance.getEntriesByType('resource').length") == 0  # nothing fetched
    for flag in FLAGS:
        want = sum(flag in f for f in EXPECTED_FLAGS.values())
        page.evaluate(f"document.getElementById('flag-{flag}').click()")
        assert _shown(page) == want, flag
        shown_ids = page.evaluate("[...document.querySelectorAll('section.q')].map(s => s.dataset.qid)")
        assert shown_ids == sorted(q for q, f in EXPECTED_FLAGS.items() if flag in f)
        page.evaluate(f"document.getElementById('flag-{flag}').click()")
        assert _shown(page) == 3
    # two filters at once: q2 carries both
    page.evaluate("document.getElementById('flag-confidence_tie').click();"
                  "document.getElementById('flag-all_confident_wrong').click()")
    assert _shown(page) == 1
    assert page.evaluate("document.getElementById('n-mux_wrong_model_right').textContent") == "(0)"
    page.evaluate("document.getElementById('flag-confidence_tie').click();"
                  "document.getElementById('flag-all_confident_wrong').click()")
    # the model SLM-MUX selected: b on q1 only
    page.evaluate("const s = document.getElementById('selected-model'); s.value = 'b';"
                  "s.dispatchEvent(new Event('change'))")
    assert _shown(page) == 1
    page.evaluate("const t = document.getElementById('selected-model'); t.value = '';"
                  "t.dispatchEvent(new Event('change'))")
    # one model's samples: only its rows in every question's table
    page.evaluate("const u = document.getElementById('show-model'); u.value = 'a';"
                  "u.dispatchEvent(new Event('change'))")
    assert page.evaluate("document.querySelectorAll('section.q tr td:first-child').length") == 3
    assert _shown(page) == 3
    # free-text search over questions and answers
    page.evaluate("const i = document.getElementById('search'); i.value = 'Question q3';"
                  "i.dispatchEvent(new Event('input'))")
    assert _shown(page) == 1


def test_hostile_question_is_shown_as_text(chromium, page_file):
    page = _open(chromium, page_file)
    assert page.evaluate("window.PWNED === undefined")
    assert page.evaluate("document.querySelectorAll('main img, main script').length") == 0
    assert page.evaluate("document.querySelector('section.q .qtext').textContent") == HOSTILE


def test_raw_text_opens_on_demand(chromium, page_file):
    page = _open(chromium, page_file)
    assert page.evaluate("document.querySelectorAll('.raw').length") == 0
    page.evaluate("document.querySelector('section.q .rawbtn').click()")
    texts = page.wait_for("document.querySelectorAll('.raw').length && [...document.querySelectorAll('.raw')].map(e => e.textContent)")
    assert texts == ["[0] <b>a says</b> 1 for q1", "[1] <b>a says</b> 1 for q1", "[2] <b>a says</b> 2 for q1"]


# --------------------------------------------------------------------------- from the Snakemake report


def _report_workflow(tmp: Path) -> Path:
    """A small workflow with the project's own captions: a method comparison table and two explorers."""
    s = _samples()
    data_dir = tmp / "data"
    data_dir.mkdir()
    for b in ("math", "gsm8k"):
        sb = s.with_columns(benchmark=pl.lit(b))
        sb.write_parquet(data_dir / f"samples_{b}.parquet")
        _questions().with_columns(benchmark=pl.lit(b)).write_parquet(data_dir / f"questions_{b}.parquet")
        _decisions(sb).write_parquet(data_dir / f"decisions_{b}.parquet")
        answer_clusters(sb).write_parquet(data_dir / f"clusters_{b}.parquet")
    caps = REPO / "workflow" / "report"
    (tmp / "Snakefile").write_text(f"""
rule all:
    input:
        "out/method_comparison.csv",
        expand("out/explorer/{{benchmark}}/explorer_{{benchmark}}_main.html", benchmark=["math", "gsm8k"]),


rule table:
    output:
        report("out/method_comparison.csv", caption="{caps / 'method_comparison.rst'}", category="Tables"),
    log:
        "logs/table.log",
    shell:
        "printf 'group,method\\nmain,slm_mux\\n' > {{output}} 2> {{log}}"


rule explorer:
    input:
        samples="data/samples_{{benchmark}}.parquet",
        clusters="data/clusters_{{benchmark}}.parquet",
        questions="data/questions_{{benchmark}}.parquet",
        decisions="data/decisions_{{benchmark}}.parquet",
    output:
        report("out/explorer/{{benchmark}}/explorer_{{benchmark}}_{{group}}.html", caption="{caps / 'explorer.rst'}",
               category="Question explorer", subcategory="{{benchmark}}",
               labels={{"benchmark": "{{benchmark}}", "group": "{{group}}"}}),
    log:
        "logs/explorer_{{benchmark}}_{{group}}.log",
    shell:
        "{sys.executable} {REPO / 'scripts' / 'explorer.py'} --samples {{input.samples}}"
        " --answer-clusters {{input.clusters}} --questions {{input.questions}}"
        " --decisions {{input.decisions}} --benchmark {{wildcards.benchmark}} --group {{wildcards.group}}"
        " --models a b --out {{output}} 2> {{log}}"
""")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    smk = [str(Path(sys.executable).parent / "snakemake"), "--snakefile", str(tmp / "Snakefile"), "--directory", str(tmp),
           "--cores", "1"]
    for extra in ([], ["--report", str(tmp / "report.html")]):
        proc = subprocess.run(smk + extra, cwd=tmp, capture_output=True, text=True, timeout=600, env=env)
        assert proc.returncode == 0, proc.stderr[-4000:]
    return tmp / "report.html"


def test_report_link_opens_the_explorer_of_that_benchmark_and_group(chromium, tmp_path):
    report = _report_workflow(tmp_path)
    page = chromium.open(report.as_uri())
    page.wait_for("typeof app !== 'undefined' && document.querySelector('#app nav') !== null")
    # the method comparison table's caption carries one link per explorer (shown with the table's entry;
    # asked again on every poll, in case the app had not finished mounting)
    links = page.wait_for("app.showResultInfo('out/method_comparison.csv'), [...document.querySelectorAll('a')]"
                          ".filter(a => a.textContent.startsWith('explorer_')).map(a => a.textContent)")
    assert sorted(links) == ["explorer_gsm8k_main.html", "explorer_math_main.html"]
    page.evaluate("[...document.querySelectorAll('a')].find(a => a.textContent === 'explorer_gsm8k_main.html').click()")
    # it opens the explorer's entry; its view button shows the page
    page.wait_for("document.body.textContent.includes('Question explorer of gsm8k, group main')")
    page.evaluate("document.querySelector('#app a[iconname=\"eye\"]').click()")
    src = page.wait_for("document.querySelector('iframe') && document.querySelector('iframe').src")
    assert src.startswith("data:text/html")
    body = src.split(",", 1)[1]
    html = base64.b64decode(body).decode() if ";base64" in src.split(",", 1)[0] else urllib.parse.unquote(body)
    assert "<title>Question explorer: gsm8k / main</title>" in html
    ctx = page.frame_context("data:")
    page.wait_for("document.body.dataset.ready === 'true'", context=ctx)
    assert page.evaluate("document.getElementById('title').textContent", context=ctx) == "Question explorer: gsm8k / main"
    assert page.evaluate("document.getElementById('count').textContent", context=ctx) == "3 of 3 questions"
    page.evaluate("document.getElementById('flag-confidence_tie').click()", context=ctx)
    assert int(page.evaluate("document.getElementById('count').dataset.shown", context=ctx)) == 1
