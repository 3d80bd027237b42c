"""Rebuild ``math_verify.jsonl`` from the test files of a math-verify source distribution.

Usage: ``python _collect_math_verify.py PATH/math_verify-0.9.0/tests``, where the directory comes from
``pip download --no-deps --no-binary :all: math-verify==0.9.0`` (the sdist ships ``tests/``; the same
files as huggingface/Math-Verify at tag 0.9.0). Every ``@pytest.mark.parametrize`` case of a test that
compares a gold and a prediction is written out; cases that exercise an option ``is_correct`` does not
have (a non-default ``float_rounding``, ``strict=False``, ``allow_set_relation_comp=True``) are kept but
marked ``out_of_scope`` with the reason. Tests that compare no gold/prediction pair (configs, timeouts,
raise_on_error, gamma parsing, string extraction of letters from a single text) are listed in the README.
"""

from __future__ import annotations

import ast
import json
import math
import sys
from pathlib import Path

SOURCE = "huggingface/Math-Verify v0.9.0 (PyPI sdist math_verify-0.9.0.tar.gz)"
# how each test calls the checker: (match_types / helper) -> recorded in "call"
CALLS = {
    "test_number_extraction": "compare_strings(match_types=['expr'])",
    "test_latex_notation": "compare_strings(match_types=['latex'])",
    "test_latex_notation_math": "compare_strings(match_types=['latex'])",
    "test_relations_math": "compare_strings(match_types=['latex'])",
    "test_matrix_extraction": "compare_strings(match_types=['latex'])",
    "test_set_rel_assymetry": "compare_strings(match_types=['latex'], allow_set_relation_comp=...)",
    "test_string_extraction@test_yujianll.py": "verify(parse(gold), parse(pred))",
}
DEFAULT_CALL = "compare_strings(match_types=['latex','expr'])"  # LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()
NUMERIC_TESTS = {"test_number_extraction"}  # bare numbers in prose: the GSM8K-style path
# decimal comma (European locale) cases of test_number_extraction: "1000,99" means 1000.99
DECIMAL_COMMA = {("1000.99", "1000,99"), ("1,22", "1.22"), ("2.74", "Soucis : 2,74 $ a.."), ("0,111", "0.111")}


def _eval(node):
    # the parametrize lists are literals, except f-strings using math.sqrt (test_float_precision)
    try:
        return ast.literal_eval(node)
    except ValueError:
        return eval(compile(ast.Expression(node), "<case>", "eval"), {"math": math})  # noqa: S307 - trusted test file


def collect(tests_dir: Path):
    rows = []
    for path in sorted(tests_dir.glob("test_*.py")):
        tree = ast.parse(path.read_text())
        for fn in tree.body:
            if not isinstance(fn, ast.FunctionDef):
                continue
            for dec in fn.decorator_list:
                if not (isinstance(dec, ast.Call) and getattr(dec.func, "attr", "") == "parametrize"):
                    continue
                names = [n.strip() for n in ast.literal_eval(dec.args[0]).split(",")]
                if "gold" not in names or "pred" not in names:
                    continue
                for case in dec.args[1].elts:
                    vals = dict(zip(names, _eval(case)))
                    exp = vals.get("expected", vals.get("result"))
                    key = f"{fn.name}@{path.name}"
                    row = {
                        "suite": "math_verify",
                        "source": f"{SOURCE} tests/{path.name}::{fn.name} line {case.lineno}",
                        "call": CALLS.get(key, CALLS.get(fn.name, DEFAULT_CALL)),
                        "gold": vals["gold"], "prediction": vals["pred"], "expected": bool(exp),
                        "benchmark": "gsm8k" if fn.name in NUMERIC_TESTS else "math",
                    }
                    reason = None
                    if vals.get("precision", 6) != 6:
                        reason = f"float_rounding={vals['precision']} (is_correct uses math-verify's default 6)"
                    if vals.get("strict") is False:
                        reason = "strict=False (variable names ignored); is_correct compares strictly"
                    if vals.get("allow_set_relation_comp") is True:
                        reason = "allow_set_relation_comp=True; is_correct uses the default False"
                    if fn.name in NUMERIC_TESTS and (vals["gold"], vals["pred"]) in DECIMAL_COMMA:
                        reason = "decimal comma (European locale); benchmarks here use a decimal point"
                    if reason:
                        row["out_of_scope"] = reason
                    rows.append(row)
    # test_all.py::test_precision also makes one string comparison outside a parametrize list
    rows.append({"suite": "math_verify", "source": f"{SOURCE} tests/test_all.py::test_precision",
                 "call": "compare_strings(match_types=['latex','expr'], precision=4)",
                 "gold": "$\\frac{1}{3}$", "prediction": "0.3333$", "expected": True, "benchmark": "math",
                 "out_of_scope": "float_rounding=4 (is_correct uses math-verify's default 6)"})
    return rows


if __name__ == "__main__":
    rows = collect(Path(sys.argv[1]))
    out = Path(__file__).with_name("math_verify.jsonl")
    with out.open("w") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(len(rows), "pairs ->", out)
