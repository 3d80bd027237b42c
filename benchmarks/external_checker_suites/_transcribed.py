"""Writes the hand-transcribed suites (hendrycks_math, nemo_skills, simple_evals, lighteval) as JSONL.

Each pair is copied from the file and commit named in its ``source``; symmetric NeMo-Skills cases
(the test asserts both argument orders) are written in both orders, as the test runs them.
"""

import json
from pathlib import Path

HERE = Path(__file__).parent


def rows_hendrycks():
    src = "hendrycks/math@5f3bf91d13367550bed100240554fd11c25abe48 modeling/math_equivalence_test.py::TestIsEquiv"
    cases = [  # (test, is_equiv(test_in, test_out) expected, test_in, test_out)
        ("test_fractions", False, "\\tfrac{1}{2} + \\frac1{72}", "\\\\frac{1}{2} + 2/3"),
        ("test_order", False, "10, 4, -2", "4, 10, -2"),
        ("test_order2", False, "10, 4, 2", "4, 12, 2"),
        ("test_dfrac", True, "\\tfrac{1}{2} +\\! \\frac1{72}", "\\\\dfrac{1}{2} +\\frac{1}{72}"),
        ("test_units", True, "10\\text{ units}", "10 "),
        ("test_units2", False, "10\\text{ units}", "100 "),
        ("test_dollars", True, "10", "\\$10"),
        ("test_parentheses", True, "\\left(x-2\\right)\\left(x+2\\right)", "(x-2)(x+2)"),
        ("test_decimals", False, "0.1, 4, 2", "4, .1, 2"),
        ("test_decimals2", True, "0.1", ".1"),
        ("test_percentage", True, "10\\%", "10"),
        ("test_sqrt", True, "10\\sqrt{3} + \\sqrt4", "10\\sqrt3 + \\sqrt{4}"),
        ("test_frac", True, "\\frac34i", "\\frac{3}{4}i"),
        ("test_tfrac", True, "\\tfrac83", "\\frac{8}{3}"),
        ("test_expression", False, "5x - 7y + 11z + 4 = 0", "x + y - z + 2 = 0"),
        ("test_half", True, "1/2", "\\frac{1}{2}"),
    ]
    for name, exp, a, b in cases:
        row = {"suite": "hendrycks_math", "source": f"{src}.{name}", "call": "is_equiv(test_in, test_out)",
               "gold": a, "prediction": b, "expected": exp, "benchmark": "math"}
        if name in ("test_fractions", "test_dfrac"):
            # test_out starts with a literal backslash pair ("\\\\frac" in the source is the two characters \\ then frac)
            row["note"] = "test_out begins with a doubled backslash, as in the source"
        yield row


def rows_nemo():
    src = "NVIDIA/NeMo-Skills@583b90a2d5df14caf9f96271b0ef357f782b9938 tests/test_math_equal.py"
    correct = [
        (5, 5), (5, 5.0), ("1/2", 0.5), ("\\frac{1}{2}", 0.5), ("918\\frac{1}{2}", 918.5),
        ("x^2+2x+1", "x^2 + 2*x + 1"), ("x^2+2x+1", "x^2 + 2*x - (-1)"), ("y = x^2+2x+1", "2x+ 1+x^2"),
        ("odd", "\\text{odd}"), ("E", "\\mathrm{E}"), ("A", "\\textbf{A}"), ("f'", "f'"), ("185", "185\\"),
        ("185\\", "185\\"), (".185", "0.185"), ("\\frac {1}{2}", 0.5), ("17\\text{ any text}", "17"),
        ("\\$10", "10"), ("10%", "10"), ("10\\%", "10"), (5 / 2, "\\frac{5}{2}"), ("\\frac{1}{3}", "\\dfrac{1}{3}"),
        ("(r+5)(r+5)", "(r+5)^2"), ("\\frac{\\sqrt{3}}{3}", "\\frac{\\sqrt{3}}{3} \\approx 0.577"), ("C", "C. x = 42"),
        ("\\begin{pmatrix}0&0&0\\\\0&1&0\\\\0&0&1\\end{pmatrix}",
         "\\begin{bmatrix} 0 & 0 & 0 \\\\ 0 & 1 & 0 \\\\ 0 & 0 & 1 \\end{bmatrix}"),
    ]
    incorrect = [(5, 5.001), (0, None), ("x^2+2x+1", "x^3+2x+1"), ("odd", "\\text{oddd}"), ("E", "\\mathrm{E}*2"),
                 ("\\sqrt{67},-\\sqrt{85}", "\\sqrt{67}")]
    oos = {
        ("918\\frac{1}{2}", 918.5): None,
        ("C", "C. x = 42"): "multiple-choice letter followed by the option's content; is_correct compares MATH answers",
        (0, None): "None as an answer: is_correct(None, ...) is False by contract, tested in tests/",
        ("185\\", "185\\"): None,
    }
    for test, pairs, exp in (("test_correct_examples", correct, True), ("test_incorrect_examples", incorrect, False)):
        for a, b in pairs:
            for gold, pred in ((a, b), (b, a)):  # math_equal(x, y) and math_equal(y, x) are both asserted
                row = {"suite": "nemo_skills", "source": f"{src}::{test}", "call": "math_equal(gold, pred)",
                       "gold": None if gold is None else str(gold), "prediction": None if pred is None else str(pred),
                       "expected": exp, "benchmark": "math"}
                reason = oos.get((a, b))
                if reason:
                    row["out_of_scope"] = reason
                if row["gold"] is None or row["prediction"] is None:
                    row["out_of_scope"] = oos[(0, None)]
                    row["gold"] = row["gold"] or ""
                    row["prediction"] = row["prediction"] or ""
                yield row


def rows_simple_evals():
    src = "openai/simple-evals@f517a9160942d954223a2da780c820b9d315c715 common.py EQUALITY_TEMPLATE (few-shot examples)"
    cases = [  # (Expression 1, Expression 2, Yes?) ; the grader call is check_equality(sampler, target, extracted)
        ("$2x+3$", "$3+2x$", True), ("3/2", "1.5", True), ("$x^2+2x+1$", "$y^2+2y+1$", False),
        ("$x^2+2x+1$", "$(x+1)^2$", True), ("3245/5", "649", False), ("2/(-3)", "-2/3", True),
        ("72 degrees", "72", True), ("64", "64 square feet", True),
    ]
    for a, b, exp in cases:
        row = {"suite": "simple_evals", "source": src, "call": "check_equality(sampler, expr1, expr2) (LLM judge)",
               "gold": a, "prediction": b, "expected": exp, "benchmark": "math"}
        if (a, b) == ("3245/5", "649"):
            row["out_of_scope"] = ("the judge is told not to do nontrivial simplification; 3245/5 = 649 exactly, "
                                   "and is_correct decides mathematical equality")
        yield row


def rows_lighteval():
    src = "huggingface/lighteval@9d6b912603bd144a2920db29a50e80b25bb5e613 tests/unit/metrics/test_extractive_match.py"
    abc = [
        ("C", "thinking about it I think the correct answer is C", True),
        ("B", "Let's think step by step. It's not A because it doesn't make sense, therefore I think it's B", True),
        ("D", "The answer is for sure D, it can't be A or B", True),
        ("D", "The answer: D, it doesn't make sense for it to be A or B", True),
        ("D", "D. it can't be A or B", True),
        ("(D) Alina", "D", True), ("(A) Cecile", "C", False), ("C Cecile", "C", True),
        ("Alina and the answer is\n(C) Cecile", "C", True), ("Alina and the answer is\nC Cecile", "C", True),
        ("A Peter\nCelina bum", "A", True),
    ]
    for gold, pred, exp in abc:
        row = {"suite": "lighteval", "source": f"{src}::test_extraction_abc", "call": "NativeLetters extraction",
               "gold": gold, "prediction": pred, "expected": exp, "benchmark": "gpqa"}
        if len(gold) != 1:
            row["out_of_scope"] = "gold is an option's text from which lighteval extracts the letter; is_correct takes the gold letter"
        yield row
    for gold, pred, lang in (("C", "réponse est C non A", "FRENCH"), ("B", "B。 不是 A", "CHINESE"),
                             ("B", "B。不是 A", "CHINESE"), ("B", "B不是 A", "CHINESE")):
        yield {"suite": "lighteval", "source": f"{src}::test_multilingual_extraction_abc", "call": f"Language.{lang}",
               "gold": gold, "prediction": pred, "expected": True, "benchmark": "gpqa",
               "out_of_scope": "non-English answer anchors (lighteval's per-language templates)"}
    short_ml = [  # the shorter cases of test_multilingual_extraction_math (all expected 1)
        ("105", "réponse est (35 + 70 = 105).", "FRENCH"),
        ("79", "donc 353 g - 79 g = 274 g. Donc, il a déjà 79 g de cire.", "FRENCH"),
        ("220", "Réponse: Janeth aura encore 220 $ à payer d'ici 12 mois.", "FRENCH"),
        ("70", "La réduction est de 100 * 0,30 = 30 $. Le coût final est donc de 100 - 30 = 70", "FRENCH"),
        ("4000", " 地块面积 = 72000 / 18 = 4000千克", "CHINESE"),
        ("300", "来计算水池中水的流出时间：12000升/40升/分钟=300分钟。因此，水池中水将在300分钟内被放完。", "CHINESE"),
        ("13/28", "计划的比例为13/28", "CHINESE"),
        ("8/46", "\\frac{4}{23}", "CHINESE"),
        ("$\\frac{9.5}{3.14159}$", "$\\frac{9.5}{3.14159} \\approx 3.01$", "CHINESE"),
        ("0", "So the os then when we 9/3 we get 8 so the answer is 0", "ENGLISH"),
    ]
    for gold, pred, lang in short_ml:
        row = {"suite": "lighteval", "source": f"{src}::test_multilingual_extraction_math",
               "call": f"Language.{lang}, match_types=['latex','expr']", "gold": gold, "prediction": pred,
               "expected": True, "benchmark": "math"}
        if lang != "ENGLISH" and not pred.startswith("\\frac") and not pred.startswith("$"):
            row["out_of_scope"] = "non-English completion (lighteval's per-language answer anchors)"
        yield row
    for gold, pred in (("1", "so $x+y = 1000$ therefore answer is $1$"), ("1", "how many $? just about 1$")):
        yield {"suite": "lighteval", "source": f"{src}::test_multilingual_extraction_math_latex_numbers",
               "call": "match_types=['latex','expr']", "gold": gold, "prediction": pred, "expected": True,
               "benchmark": "math"}


if __name__ == "__main__":
    for name, fn in (("hendrycks_math", rows_hendrycks), ("nemo_skills", rows_nemo), ("simple_evals", rows_simple_evals),
                     ("lighteval", rows_lighteval)):
        rows = list(fn())
        with (HERE / f"{name}.jsonl").open("w") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(name, len(rows))
