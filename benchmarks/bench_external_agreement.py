"""Agreement of :func:`slmmux.answers.is_correct` with third-party answer-checker test suites.

Reads every ``benchmarks/external_checker_suites/*.jsonl`` (one gold/prediction pair a line, with the
verdict the third-party suite expects; see that folder's README for sources and licences), runs
``is_correct(prediction, gold, benchmark)`` on each, and prints the agreement per suite and overall on
the in-scope pairs, the count of out-of-scope pairs (an option or feature ``is_correct`` does not have;
they are also run and reported, but not counted), and every in-scope disagreement.

Usage: ``python benchmarks/bench_external_agreement.py [--show-out-of-scope] [--json OUT]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from slmmux.answers import is_correct

SUITES = Path(__file__).parent / "external_checker_suites"


def load(suite_dir: Path = SUITES) -> list[dict]:
    rows = []
    for path in sorted(suite_dir.glob("*.jsonl")):
        with path.open() as f:
            rows += [json.loads(line) for line in f if line.strip()]
    return rows


def run(rows: list[dict]) -> list[dict]:
    for r in rows:
        r["got"] = is_correct(r["prediction"], r["gold"], r["benchmark"])
        r["agree"] = r["got"] == r["expected"]
    return rows


def summarize(rows: list[dict]) -> dict:
    out: dict = {}
    for suite in sorted({r["suite"] for r in rows}) + ["ALL"]:
        sel = [r for r in rows if suite in ("ALL", r["suite"])]
        ins = [r for r in sel if not r.get("out_of_scope")]
        oos = [r for r in sel if r.get("out_of_scope")]
        out[suite] = {"in_scope": len(ins), "agree": sum(r["agree"] for r in ins),
                      "agreement": (sum(r["agree"] for r in ins) / len(ins)) if ins else None,
                      "out_of_scope": len(oos), "out_of_scope_agree": sum(r["agree"] for r in oos)}
    return out


def _short(s: str, n: int = 110) -> str:
    s = s.replace("\n", "\\n")
    return s if len(s) <= n else s[: n // 2 - 2] + " ... " + s[-n // 2 + 3 :]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show-out-of-scope", action="store_true", help="also list out-of-scope disagreements")
    ap.add_argument("--json", type=Path, help="write the per-suite summary as JSON here")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows = run(load())
    summary = summarize(rows)
    print(f"{'suite':<14} {'in-scope':>8} {'agree':>6} {'agreement':>9} {'out-of-scope':>12}")
    for suite, s in summary.items():
        pct = f"{100 * s['agreement']:.1f}%" if s["agreement"] is not None else "-"
        print(f"{suite:<14} {s['in_scope']:>8} {s['agree']:>6} {pct:>9} {s['out_of_scope']:>12}")
    print(f"({time.perf_counter() - t0:.1f} s)\n")
    for r in rows:
        if not r["agree"] and (args.show_out_of_scope or not r.get("out_of_scope")):
            tag = f" [out of scope: {r['out_of_scope']}]" if r.get("out_of_scope") else ""
            print(f"- {r['suite']} {r['source'].split(' ')[-3] if 'line' in r['source'] else r['source'][-60:]}"
                  f" expected={r['expected']} got={r['got']} ({r['benchmark']}){tag}\n"
                  f"    gold: {_short(r['gold'])}\n    pred: {_short(r['prediction'])}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
