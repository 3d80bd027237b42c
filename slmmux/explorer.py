"""The question explorer: one static, self-contained HTML page per benchmark and model group.

For every test question (and seed) the page shows the question, the gold answer, each group model's k
sampled answers (extracted answer, voting key, verdict of the flexible and the strict extraction; the
raw completion on demand), each model's confidence ``s_i`` and majority answer, the SLM-MUX decision
with the selected model, and every baseline's answer. Nothing is fetched: the data sit inside the page
(no server, no CDN), so it opens from disk and inside the Snakemake report.

Filters (each a flag computed here, in Python, so the page and the tests agree on what it means):

- ``mux_wrong_model_right``: SLM-MUX is wrong while some group model's majority answer is correct
  (a selection error: the right answer was on the table);
- ``confidence_tie``: two or more models share the top confidence ``S_max`` (validation accuracy,
  then the model name, decided the selection);
- ``all_confident_wrong``: every model is confident (``s_i`` > 1/2: a strict majority of its samples
  agree) and its majority answer is wrong;
- ``strict_flexible_disagree``: for some sample the strict and the flexible extraction grade differently;

plus the model SLM-MUX selected, whose samples to show, the seed, and a free-text search over the
question id, question, gold and answers. Counts follow the filters.

Size: answers, keys and verdicts are plain JSON (a few dozen bytes per sample); the raw completions,
by far the largest part, are gzip-compressed and base64-encoded in chunks of :data:`PAGE_SIZE` rows and
decompressed in the browser (``DecompressionStream``) only when a row's raw text is opened. Rows are
rendered one page at a time. ``benchmarks/bench_explorer.py`` measures file size and load time at the
paper's size.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from slmmux.mux import METHODS, model_majorities
from slmmux.files import atomic_write

PAGE_SIZE = 50
FLAGS = ("mux_wrong_model_right", "confidence_tie", "all_confident_wrong", "strict_flexible_disagree")
FLAG_LABELS = {
    "mux_wrong_model_right": "SLM-MUX wrong, some model's majority right",
    "confidence_tie": "confidence tie between models",
    "all_confident_wrong": "every model confident (s > 1/2) and wrong",
    "strict_flexible_disagree": "strict and flexible extraction disagree",
}
CONFIDENT = 0.5
METHOD_LABELS = {
    "slm_mux": "SLM-MUX", "single_best": "Single-Best", "single_best_sc": "Single-Best-SC",
    "agent_forest": "Agent Forest", "moa": "Mixture-of-Agents", "debate": "LLM-Debate",
    "mav": "Multi-Agent Verification", "oracle": "Oracle",
}

_SAMPLE_COLS = ["seed", "question_id", "model", "sample", "text", "answer", "answer_key", "correct",
                "strict_answer", "strict_correct"]


def explorer_file(benchmark: str, group: str) -> str:
    """The explorer's file name: unique across benchmarks and groups (the report links by file name)."""
    return f"explorer_{benchmark}_{group}.html"


def _methods(decisions: pl.DataFrame) -> list[str]:
    present = set(decisions["method"].unique().to_list())
    known = [m for m in METHODS if m in present and m != "oracle"]
    return known + sorted(present - set(METHODS))


def explorer_data(samples: pl.DataFrame, questions: pl.DataFrame, decisions: pl.DataFrame,
                  models: Sequence[str], benchmark: str, group: str) -> tuple[dict, list[str]]:
    """The page's data and its raw-text chunks.

    ``samples``: graded samples (other benchmarks, models, splits and the greedy samples are ignored);
    ``questions``: the questions table; ``decisions``: SLM-MUX and baseline decisions of this benchmark
    and group (read by column name; extra columns are ignored). Rows: one per (seed, question) that
    SLM-MUX decided, sorted by seed and question id.
    """
    models = sorted(models)
    if not models:
        raise ValueError("the explorer needs the group's models")
    dec = decisions.filter((pl.col("benchmark") == benchmark) & (pl.col("group") == group))
    if dec.filter(pl.col("method") == "slm_mux").height == 0:
        raise ValueError(f"no SLM-MUX decisions for {benchmark}/{group}")
    test = samples.filter((pl.col("benchmark") == benchmark) & (pl.col("split") == "test")
                          & (pl.col("decoding") == "sampled") & pl.col("model").is_in(models)).select(_SAMPLE_COLS)
    absent = sorted(set(models) - set(test["model"].unique().to_list()))
    if absent:
        raise ValueError(f"no sampled test samples of {', '.join(absent)} on {benchmark}")
    majors = model_majorities(test.select("seed", "question_id", "model", "sample", "answer", "answer_key", "correct"))
    methods = _methods(dec)
    mux = dec.filter(pl.col("method") == "slm_mux").select("seed", "question_id").unique().sort("seed", "question_id")

    q = questions.filter((pl.col("benchmark") == benchmark) & (pl.col("split") == "test"))
    qinfo = {r["question_id"]: [r["question"], r["gold"], list(r["choices"] or []), r["subject"] or ""]
             for r in q.select("question_id", "question", "gold", "choices", "subject").iter_rows(named=True)}

    by_q: dict[tuple, dict] = {}
    for r in test.sort("seed", "question_id", "model", "sample").iter_rows(named=True):
        by_q.setdefault((r["seed"], r["question_id"]), {}).setdefault(r["model"], []).append(r)
    maj = {(r["seed"], r["question_id"], r["model"]): r for r in majors.iter_rows(named=True)}
    decided = {(r["seed"], r["question_id"], r["method"]): r for r in dec.iter_rows(named=True)}

    rows, raw = [], []
    for seed, qid in mux.iter_rows():
        per_model, texts, confs = [], [], []
        disagree = False
        for m in models:
            ss = by_q.get((seed, qid), {}).get(m, [])
            mj = maj.get((seed, qid, m))
            conf = float(mj["confidence"]) if mj else 0.0
            confs.append(conf)
            per_model.append({
                "conf": conf,
                "major": mj["answer"] if mj else None,
                "major_ok": bool(mj["correct"]) if mj else False,
                "samples": [[s["answer"], s["answer_key"], int(bool(s["correct"])), s["strict_answer"],
                             int(bool(s["strict_correct"]))] for s in ss],
            })
            texts.append([s["text"] or "" for s in ss])
            disagree = disagree or any(bool(s["correct"]) != bool(s["strict_correct"]) for s in ss)
        d = {}
        for meth in methods:
            r = decided.get((seed, qid, meth))
            d[meth] = None if r is None else [r["answer"], int(bool(r["correct"]))]
        sel = decided[(seed, qid, "slm_mux")]
        top = max(confs)
        flags = {
            "mux_wrong_model_right": (not sel["correct"]) and any(p["major_ok"] for p in per_model),
            "confidence_tie": sum(c == top for c in confs) >= 2,
            "all_confident_wrong": all(p["conf"] > CONFIDENT and not p["major_ok"] for p in per_model),
            "strict_flexible_disagree": disagree,
        }
        rows.append({"qid": qid, "seed": seed, "selected": sel["selected_model"], "confidence": sel["confidence"],
                     "decisions": d, "models": per_model, "flags": [f for f in FLAGS if flags[f]]})
        raw.append(texts)
    chunks = [_pack(raw[i:i + PAGE_SIZE]) for i in range(0, len(raw), PAGE_SIZE)]
    data = {"benchmark": benchmark, "group": group, "models": models, "methods": methods,
            "method_labels": {m: METHOD_LABELS.get(m, m) for m in methods},
            "flags": list(FLAGS), "flag_labels": FLAG_LABELS, "page_size": PAGE_SIZE,
            "seeds": sorted({r["seed"] for r in rows}), "questions": qinfo, "rows": rows}
    return data, chunks


def _pack(texts) -> str:
    """gzip (no timestamp, so the page is reproducible) + base64 of a JSON value."""
    return base64.b64encode(gzip.compress(json.dumps(texts, ensure_ascii=False).encode("utf-8"), mtime=0)).decode("ascii")


def _script_json(value) -> str:
    """JSON safe inside a <script> element: no '<' (so no '</script>' or '<!--') can end it early."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c") \
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def render_html(data: dict, chunks: Sequence[str]) -> str:
    """The self-contained page: styles, script and data inline."""
    title = f"Question explorer: {data['benchmark']} / {data['group']}"
    raw = "\n".join(f'<script type="application/octet-stream" id="raw-{i}">{c}</script>' for i, c in enumerate(chunks))
    return (_TEMPLATE.replace("@TITLE@", html.escape(title))
            .replace("@DATA@", _script_json(data))
            .replace("@RAW@", raw)
            .replace("@SCRIPT@", _SCRIPT)
            .replace("@STYLE@", _STYLE))


def write_explorer(path: str | Path, samples: pl.DataFrame, questions: pl.DataFrame, decisions: pl.DataFrame,
                   models: Sequence[str], benchmark: str, group: str) -> dict:
    """Build and atomically write the explorer page; returns its data (for logging and tests)."""
    data, chunks = explorer_data(samples, questions, decisions, models, benchmark, group)
    page = render_html(data, chunks)
    atomic_write(path, lambda tmp: Path(tmp).write_text(page, encoding="utf-8", newline="\n"))
    return data


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">
<title>@TITLE@</title>
<style>@STYLE@</style>
</head><body>
<header>
<h1 id="title">@TITLE@</h1>
<p class="help">One row per test question and seed. Chips are a model's k sampled answers in sample order:
green = correct, red = wrong, grey = no answer; hover a chip for its voting key and the strict extraction;
a &#8800; mark means strict and flexible extraction grade it differently. s = the model's confidence
(share of its samples with its majority answer); &#9733; = the model SLM-MUX selected.</p>
<form id="filters" onsubmit="return false">
<fieldset id="flag-filters"><legend>Filters</legend></fieldset>
<fieldset><legend>Narrow</legend>
<label>Selected by SLM-MUX <select id="selected-model"><option value="">any model</option></select></label>
<label>Show samples of <select id="show-model"><option value="">every model</option></select></label>
<label>Seed <select id="seed"><option value="">every seed</option></select></label>
<label>Search <input id="search" type="search" placeholder="question id, question, gold, answer"></label>
</fieldset>
</form>
<p><strong id="count"></strong> <span id="pager"><button id="prev" type="button">&#8592; previous</button>
<span id="page"></span> <button id="next" type="button">next &#8594;</button></span></p>
</header>
<main id="rows"></main>
<script type="application/json" id="explorer-data">@DATA@</script>
@RAW@
<script>@SCRIPT@</script>
</body></html>
"""

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1em;color:#222}
h1{font-size:1.3em;margin:.2em 0}.help{color:#555;max-width:70em}
fieldset{display:inline-block;vertical-align:top;border:1px solid #ccc;margin:0 .5em .5em 0}
fieldset label{display:block;margin:.15em 0}
.q{border:1px solid #ddd;border-radius:4px;margin:.6em 0;padding:.5em}
.q h2{font-size:1em;margin:0 0 .3em 0}.qtext{white-space:pre-wrap;max-height:12em;overflow:auto;background:#fafafa;padding:.3em}
table{border-collapse:collapse;margin-top:.3em}td,th{border-top:1px solid #eee;padding:.15em .4em;text-align:left;vertical-align:top}
.chip{display:inline-block;border-radius:3px;padding:0 .35em;margin:1px;font-family:monospace;max-width:16em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.ok{background:#d4f4d4}.bad{background:#f8d4d4}.none{background:#e4e4e4;color:#666}
.sel{font-weight:bold}.raw{white-space:pre-wrap;font-family:monospace;font-size:12px;background:#f4f4f4;padding:.3em;max-height:20em;overflow:auto}
.dec span{margin-right:1em}.flag{font-size:11px;background:#fff3c4;border-radius:3px;padding:0 .3em;margin-left:.4em}
"""

_SCRIPT = r"""
'use strict';
const DATA = JSON.parse(document.getElementById('explorer-data').textContent);
const ROWS = DATA.rows, MODELS = DATA.models;
const state = {flags: new Set(), selected: '', show: '', seed: '', search: '', page: 0};
const rawCache = new Map();

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

// lower-cased text each row is searched in
const HAY = ROWS.map(r => {
  const q = DATA.questions[r.qid] || ['', '', [], ''];
  const parts = [r.qid, q[0], q[1], ...q[2]];
  for (const m of r.models) for (const s of m.samples) parts.push(s[0] || '', s[3] || '');
  for (const d of Object.values(r.decisions)) if (d) parts.push(d[0] || '');
  return parts.join('\n').toLowerCase();
});
const FLAGSETS = ROWS.map(r => new Set(r.flags));

function passes(i, skipFlag) {
  const r = ROWS[i];
  for (const f of state.flags) if (f !== skipFlag && !FLAGSETS[i].has(f)) return false;
  if (state.selected && r.selected !== state.selected) return false;
  if (state.seed !== '' && String(r.seed) !== state.seed) return false;
  if (state.search && !HAY[i].includes(state.search)) return false;
  return true;
}

function visible() {
  const out = [];
  for (let i = 0; i < ROWS.length; i++) if (passes(i, null)) out.push(i);
  return out;
}

async function rawTexts(i) {
  const chunk = Math.floor(i / DATA.page_size);
  if (!rawCache.has(chunk)) {
    const b64 = document.getElementById('raw-' + chunk).textContent.trim();
    const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    rawCache.set(chunk, await new Response(stream).json());
  }
  return rawCache.get(chunk)[i % DATA.page_size];
}

function chip(s) {
  const [ans, key, ok, strict, strictOk] = s;
  const cls = ans === null ? 'none' : (ok ? 'ok' : 'bad');
  const e = el('span', {class: 'chip ' + cls, text: (ans === null ? '∅' : ans) + (ok !== strictOk ? ' ≠' : '')});
  e.title = 'answer: ' + (ans === null ? '(none)' : ans) + '\nvoting key: ' + (key === null ? '(none)' : key) +
    '\nflexible: ' + (ok ? 'correct' : 'wrong') + '\nstrict answer: ' + (strict === null ? '(none)' : strict) +
    '\nstrict: ' + (strictOk ? 'correct' : 'wrong');
  return e;
}

function renderRow(i) {
  const r = ROWS[i];
  const q = DATA.questions[r.qid] || ['(question not found)', '', [], ''];
  const head = el('h2', {}, el('span', {text: r.qid}), el('span', {text: '  seed ' + r.seed}));
  for (const f of r.flags) head.append(el('span', {class: 'flag', text: DATA.flag_labels[f]}));
  const dec = el('div', {class: 'dec'});
  for (const m of DATA.methods) {
    const d = r.decisions[m];
    const text = d === null ? '—' : (d[0] === null ? '∅' : d[0]);
    const extra = m === 'slm_mux' ? ' (' + r.selected + ', s=' + Number(r.confidence).toFixed(2) + ')' : '';
    dec.append(el('span', {}, DATA.method_labels[m] + ': ',
      el('span', {class: 'chip ' + (d === null || d[0] === null ? 'none' : (d[1] ? 'ok' : 'bad')), text}), extra));
  }
  const table = el('table', {}, el('tr', {}, el('th', {text: 'model'}), el('th', {text: 's'}),
    el('th', {text: 'majority'}), el('th', {text: 'samples'}), el('th', {})));
  MODELS.forEach((m, j) => {
    if (state.show && state.show !== m) return;
    const pm = r.models[j];
    const rawCell = el('td', {});
    const btn = el('button', {type: 'button', class: 'rawbtn', text: 'raw text'});
    btn.addEventListener('click', async () => {
      const texts = (await rawTexts(i))[j];
      rawCell.replaceChildren(...texts.map((t, n) => el('div', {class: 'raw', text: '[' + n + '] ' + t})));
    });
    rawCell.append(btn);
    table.append(el('tr', {class: m === r.selected ? 'sel' : ''},
      el('td', {text: (m === r.selected ? '★ ' : '') + m}), el('td', {text: pm.conf.toFixed(2)}),
      el('td', {}, el('span', {class: 'chip ' + (pm.major === null ? 'none' : (pm.major_ok ? 'ok' : 'bad')),
        text: pm.major === null ? '∅' : pm.major})),
      el('td', {}, ...pm.samples.map(chip)), rawCell));
  });
  const choices = q[2].length ? el('ol', {type: 'A'}, ...q[2].map(c => el('li', {text: c}))) : null;
  return el('section', {class: 'q', 'data-qid': r.qid, 'data-seed': String(r.seed)}, head,
    el('div', {class: 'qtext', text: q[0]}), choices,
    el('div', {}, el('strong', {text: 'gold: '}), el('span', {class: 'gold', text: q[1]}),
      q[3] ? el('span', {text: '   subject: ' + q[3]}) : null), dec, table);
}

function render() {
  const shown = visible();
  const pages = Math.max(1, Math.ceil(shown.length / DATA.page_size));
  state.page = Math.min(state.page, pages - 1);
  document.getElementById('count').textContent = shown.length + ' of ' + ROWS.length + ' questions';
  document.getElementById('count').dataset.shown = String(shown.length);
  document.getElementById('page').textContent = 'page ' + (state.page + 1) + ' of ' + pages;
  document.getElementById('prev').disabled = state.page === 0;
  document.getElementById('next').disabled = state.page >= pages - 1;
  const start = state.page * DATA.page_size;
  document.getElementById('rows').replaceChildren(...shown.slice(start, start + DATA.page_size).map(renderRow));
  for (const f of DATA.flags) {  // how many of the rows the other filters let through carry this flag
    let n = 0;
    for (let i = 0; i < ROWS.length; i++) if (FLAGSETS[i].has(f) && passes(i, f)) n++;
    document.getElementById('n-' + f).textContent = '(' + n + ')';
  }
}

function setup() {
  const box = document.getElementById('flag-filters');
  for (const f of DATA.flags) {
    const input = el('input', {type: 'checkbox', id: 'flag-' + f, value: f});
    input.addEventListener('change', () => {
      if (input.checked) state.flags.add(f); else state.flags.delete(f);
      state.page = 0; render();
    });
    box.append(el('label', {}, input, ' ' + DATA.flag_labels[f] + ' ', el('span', {id: 'n-' + f})));
  }
  for (const id of ['selected-model', 'show-model']) {
    const s = document.getElementById(id);
    for (const m of MODELS) s.append(el('option', {value: m, text: m}));
  }
  const seed = document.getElementById('seed');
  for (const s of DATA.seeds) seed.append(el('option', {value: String(s), text: String(s)}));
  const bind = (id, key, ev, f) => document.getElementById(id).addEventListener(ev, e => {
    state[key] = f(e.target.value); state.page = 0; render();
  });
  bind('selected-model', 'selected', 'change', v => v);
  bind('show-model', 'show', 'change', v => v);
  bind('seed', 'seed', 'change', v => v);
  bind('search', 'search', 'input', v => v.trim().toLowerCase());
  document.getElementById('prev').addEventListener('click', () => { state.page--; render(); });
  document.getElementById('next').addEventListener('click', () => { state.page++; render(); });
  render();
  document.body.dataset.ready = 'true';
}
setup();
"""
