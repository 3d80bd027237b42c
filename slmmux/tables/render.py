"""How a table is shown: the :class:`Table` object with its Markdown, LaTeX and CSV forms, the
number format and marks of its cells, and the footnotes every table carries (what each ± is taken
over, which input files fed it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from slmmux.tables.estimates import Estimate
    from slmmux.tables.inputs import Inputs

DASH = "—"
QMARK = "†"  # error over questions where the paper's is over runs (one seed)
MCMARK = "‡"  # Monte Carlo error over trials where the paper's is over runs (one seed)


def fmt_num(x: float, signed: bool = False) -> str:
    """A percentage cell: one decimal, never ``-0.0``; ``signed`` writes the sign of a difference."""
    v = round(x, 1) + 0.0  # no "-0.0"
    return f"{v:+.1f}" if signed else f"{v:.1f}"


@dataclass
class Table:
    name: str
    title: str
    header: list[str]
    rows: list[list[str]]
    notes: list[str]
    data: pl.DataFrame  # the numbers, tidy, for CSV

    def markdown(self) -> str:
        lines = [f"# {self.title}", ""]
        lines.append("| " + " | ".join(self.header) + " |")
        lines.append("|" + "|".join("---" for _ in self.header) + "|")
        for r in self.rows:
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
        if not self.rows:
            lines.append("| " + " | ".join(DASH for _ in self.header) + " |")
        lines.append("")
        lines += [f"{i + 1}. {n}" for i, n in enumerate(self.notes)]
        return "\n".join(lines) + "\n"

    def latex(self) -> str:
        cols = "l" * len(self.header)
        out = ["% " + self.title, "\\begin{table}[t]", "\\centering", f"\\caption{{{_tex(self.title)}}}",
               f"\\label{{tab:{self.name}}}", f"\\begin{{tabular}}{{{cols}}}", "\\toprule",
               " & ".join(_tex(h) for h in self.header) + " \\\\", "\\midrule"]
        for r in self.rows:
            out.append(" & ".join(_tex(c) for c in r) + " \\\\")
        out += ["\\bottomrule", "\\end{tabular}"]
        if self.notes:
            out.append("\\par\\footnotesize")
            out += [f"{i + 1}. {_tex(n)}\\\\" for i, n in enumerate(self.notes)]
        out.append("\\end{table}")
        return "\n".join(out) + "\n"

    def csv(self) -> str:
        return self.data.write_csv(float_precision=4, null_value="")


_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
        "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
        "±": r"$\pm$", "—": "---", "†": r"$^\dagger$", "Δ": r"$\Delta$", "≥": r"$\geq$"}


def _tex(s: str) -> str:
    return "".join(_TEX.get(ch, ch) for ch in s)


def frame(records: list[dict], schema: dict) -> pl.DataFrame:
    """The CSV data of a table: ``records`` in ``schema`` (an empty frame of that schema when none)."""
    return pl.DataFrame(records, schema=schema, orient="row") if records else pl.DataFrame(schema=schema)


def inputs_note(inp: Inputs, kinds: list[str]) -> str:
    """Footnote naming the input files (path and sha256 prefix) of the given kinds."""
    parts = []
    for kind in kinds:
        for path, sha in inp.sources.get(kind, []):
            parts.append(f"{path} (sha256 {sha[:12]})")
    if not parts:
        return "Inputs: none given."
    return "Inputs: " + "; ".join(parts) + ". Full provenance (prompts, revisions, seeds, versions): manifest.json."


def error_note(ests: list[Estimate | None]) -> str:
    """Footnote naming what every ± of the table is taken over."""
    ests = [e for e in ests if e]
    parts = []
    qs = sorted({e.n for e in ests if e.over == "questions" and not e.marker})
    seeds = sorted({e.n for e in ests if e.over == "seeds"})
    qs1 = sorted({e.n for e in ests if e.over == "questions" and e.marker == QMARK})
    trials = sorted({e.n for e in ests if e.over == "trials"})
    if qs:
        parts.append("over questions, sqrt(p(1-p)/n) as the paper's single-model and discussion rows "
                     f"(n = {', '.join(map(str, qs))} questions)")
    if seeds:
        parts.append(f"over runs: the standard error of the per-seed accuracies (n = {', '.join(map(str, seeds))} seeds), "
                     "as the paper's SLM-MUX and sweep rows")
    if qs1:
        parts.append(f"{QMARK}: one seed, so no error over runs exists; shown is the error over questions "
                     f"(n = {', '.join(map(str, qs1))}), not comparable with the paper's ± over runs")
    if trials:
        parts.append(f"{MCMARK}: one seed, so no error over runs exists; shown is the Monte Carlo error over "
                     f"the sweep's trials (n = {', '.join(map(str, trials))} trials), which only says how well "
                     "the trials pinned the mean down")
    if not parts:
        return "± is the standard error of the mean; no estimates in this table."
    return "± is the standard error of the mean accuracy (percent): " + "; ".join(parts) + "."


def models_str(models: list[str] | None) -> str:
    """A group's members as a cell (``unknown`` when not recorded)."""
    if not models:
        return "unknown"
    return " + ".join(models)
