#!/usr/bin/env python
"""Size and load time of the question explorer at the paper's scale, in headless Chromium.

Builds synthetic graded samples of one benchmark (default 1,000 test questions x 6 models x 9 samples,
one seed; answers drawn so that selection, ties and strict/flexible disagreements occur; raw completions
of --raw-chars characters drawn from a Zipf-distributed vocabulary, roughly as compressible as model
output), runs the real selection (slmmux.mux.decisions) and writes the explorer. Prints:

- build time (Python) and file size, with the share taken by the compressed raw completions;
- load time in Debian's headless Chromium: navigation start to the page's ready mark (data parsed,
  first page rendered), median of --repeats fresh tabs;
- the time for a filter click to re-count and re-render, and for opening one row's raw completions;
- whether the page also loads as a data: URL in an iframe (how the Snakemake report shows it).

  python benchmarks/bench_explorer.py [--questions 1000 --models 6 --k 9 --seeds 1 --raw-chars 1500]
"""

from __future__ import annotations

import argparse
import base64
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from slmmux.data import QUESTION_SCHEMA
from slmmux.explorer import explorer_file, write_explorer
from slmmux.headless import Chromium
from slmmux.mux import decisions
from slmmux.samples import GRADED_SCHEMA


def synthetic(questions: int, models: int, k: int, seeds: int, raw_chars: int, rng: random.Random):
    vocab = [''.join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(3000)]
    weights = [1 / (i + 1) for i in range(len(vocab))]
    names = [f"model-{i}" for i in range(models)]
    skill = {m: 0.35 + 0.5 * i / max(1, models - 1) for i, m in enumerate(names)}
    cols = {c: [] for c in GRADED_SCHEMA}
    for s in range(seeds):
        for q in range(questions):
            gold = str(q % 97)
            for m in names:
                for i in range(k):
                    r = rng.random()
                    ans = gold if r < skill[m] else (None if r > 0.97 else str(rng.randint(0, 5) + q % 97 + 1))
                    words = []
                    while sum(len(w) + 1 for w in words) < raw_chars:
                        words += rng.choices(vocab, weights, k=20)
                    text = " ".join(words)[:raw_chars] + f" The answer is {ans}."
                    ok = ans == gold
                    strict_ok = ok and rng.random() > 0.05
                    row = {"benchmark": "math", "split": "test", "question_id": f"q{q:04d}", "model": m, "seed": s,
                           "decoding": "sampled", "sample": i, "text": text, "prompt_tokens": 200,
                           "completion_tokens": raw_chars // 4, "finish_reason": "stop", "mean_logprob": None,
                           "answer": ans, "answer_key": ans, "correct": ok,
                           "strict_answer": ans if strict_ok or not ok else None, "strict_correct": strict_ok}
                    for c in cols:
                        cols[c].append(row[c])
    samples = pl.DataFrame(cols, schema=GRADED_SCHEMA)
    qs = pl.DataFrame([{"benchmark": "math", "split": "test", "question_id": f"q{q:04d}",
                        "question": " ".join(rng.choices(vocab, weights, k=60)), "choices": [], "gold": str(q % 97),
                        "subject": "algebra", "level": 3} for q in range(questions)], schema=QUESTION_SCHEMA)
    val = {m: skill[m] for m in names}
    return samples, qs, names, val


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", type=int, default=1000)
    ap.add_argument("--models", type=int, default=6)
    ap.add_argument("--k", type=int, default=9)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--raw-chars", type=int, default=1500, help="characters of each raw completion (default 1500)")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    rng = random.Random(0)
    samples, qs, names, val = synthetic(a.questions, a.models, a.k, a.seeds, a.raw_chars, rng)
    dec = decisions(samples, names, val, "bench")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / explorer_file("math", "bench")
        t0 = time.perf_counter()
        write_explorer(path, samples, qs, dec, names, "math", "bench")
        build = time.perf_counter() - t0
        page_html = path.read_text(encoding="utf-8")
        raw = sum(len(chunk) for chunk in page_html.split('type="application/octet-stream"')[1:])
        size = path.stat().st_size
        print(f"rows (seed x question): {a.seeds * a.questions}; samples: {samples.height}; raw text: "
              f"{samples['text'].str.len_bytes().sum() / 2**20:.1f} MiB uncompressed")
        print(f"build: {build:.1f} s; file: {size / 2**20:.1f} MiB, of which compressed raw completions "
              f"{raw / 2**20:.1f} MiB")
        loads, filters, raws = [], [], []
        with Chromium() as browser:
            for _ in range(a.repeats):
                page = browser.open(path.as_uri())
                page.wait_for("document.body.dataset.ready === 'true'", timeout=300)
                loads.append(page.evaluate("performance.now()") / 1000)
                filters.append(page.evaluate(
                    "(() => { const t = performance.now(); document.getElementById('flag-confidence_tie').click();"
                    " return (performance.now() - t) / 1000; })()"))
                raws.append(page.evaluate(
                    "(async () => { const t = performance.now(); document.querySelector('.rawbtn').click();"
                    " while (!document.querySelector('.raw')) await new Promise(r => setTimeout(r, 5));"
                    " return (performance.now() - t) / 1000; })()"))
            shown = page.evaluate("document.getElementById('count').textContent")
            print(f"load to ready (median of {a.repeats}): {statistics.median(loads):.2f} s "
                  f"(all: {', '.join(f'{x:.2f}' for x in loads)})")
            print(f"filter click (confidence ties -> {shown}): {statistics.median(filters) * 1000:.0f} ms; "
                  f"open raw text of a row: {statistics.median(raws) * 1000:.0f} ms")
            frame = Path(tmp) / "frame.html"
            uri = "data:text/html;base64," + base64.b64encode(page_html.encode("utf-8")).decode("ascii")
            frame.write_text(f'<!DOCTYPE html><iframe id="f" src="{uri}"></iframe>', encoding="utf-8")
            top = browser.open(frame.as_uri())
            try:
                ctx = top.frame_context("data:", timeout=120)
                top.wait_for("document.body.dataset.ready === 'true'", timeout=300, context=ctx)
                print("as a data: URL in an iframe (the Snakemake report): loads")
            except Exception as exc:  # noqa: BLE001 - a measurement, reported either way
                print(f"as a data: URL in an iframe (the Snakemake report): does not load ({exc})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
