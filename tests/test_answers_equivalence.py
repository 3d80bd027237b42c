"""Equivalence and voting keys: a table of gold/prediction pairs in the spirit of the published tests
of math-verify, lighteval, NeMo-Skills, hendrycks/math ``is_equiv`` and simple-evals, plus the
ZeroEval fixtures (real model outputs)."""

from pathlib import Path

import polars as pl
import pytest

from slmmux.answers import answer_keys, equivalent_many, extract_answer, is_correct

FIXTURES = Path(__file__).parent / "fixtures" / "real_outputs"

# (gold, extracted prediction, equivalent?)
MATH_PAIRS = [
    # fractions and decimals
    (r"\frac{1}{2}", "0.5", True), (r"\frac{1}{2}", r"\dfrac12", True), (r"\frac{1}{2}", "1/2", True),
    (r"\frac{9}{7}", r"\dfrac{9}{7}", True), (r"\frac{9}{7}", r"\tfrac{9}{7}", True), (r"\frac{1}{3}", "0.3", False),
    (r"-\frac{3}{4}", r"\frac{-3}{4}", True), ("0.75", r"\frac34", True), (".5", "0.5", True), ("2", "2.0", True),
    (r"\frac{2}{3}", r"\frac{3}{2}", False), ("10", "100", False), ("3", "-3", False),
    # formatting noise
    ("1000", "1,000", True), ("1000", "1{,}000", True), ("30", r"30^\circ", True), ("30", r"30^{\circ}", True),
    ("10", r"10\%", True), ("5", r"5\text{ cm}", True), ("12", r"12\text{ inches}", True), ("4", r"\text{4}", True),
    ("3", "x = 3", True), ("3", "x=3", True), (r"\frac{1}{2}", r"\left(\frac{1}{2}\right)", True),
    ("18", r"\$18", True), ("5", "5.", True), (r"\text{(C)}", "C", True), (r"\text{(C)}", "(C)", True),
    (r"\text{Evelyn}", "Evelyn", True), (r"\text{Evelyn}", "Bob", False),
    (r"5\text{ and }7", "5", False), (r"5\text{ and }7", r"5 \text{ and } 7", True),
    # radicals, pi, expressions
    (r"\frac{\sqrt{2}}{2}", r"\frac{1}{\sqrt{2}}", True), (r"2\sqrt{3}", r"\sqrt{12}", True),
    (r"\sqrt{2}", r"\sqrt2", True), (r"2\pi", r"2 \pi", True), (r"\pi r^2", r"\pi r^{2}", True),
    (r"6\sqrt{2}", "6", False), (r"3\pi", "3", False), ("(x+1)^2", "x^2+2x+1", True), ("x^2-1", "(x-1)(x+1)", True),
    ("2x+3", "3+2x", True), ("2x+3", "2x-3", False), (r"\frac{x}{2}", "0.5x", True),
    ("y = 2x + 3", "y=2x+3", True), ("y = 2x + 3", "2x+3", True),
    # tuples, intervals, sets, matrices
    ("(1,2)", "(1, 2)", True), ("(1,2)", "(2,1)", False), (r"\left( 3, \frac{\pi}{2} \right)", r"(3,\frac{\pi}{2})", True),
    ("[-1,3)", "[-1, 3)", True), ("[-1,3)", "[-1,3]", False), (r"(-\infty, 5]", r"(-\infty,5]", True),
    (r"\{1,2\}", r"\{2,1\}", True), (r"\{1,2\}", r"\{1,3\}", False), ("1, 2", "2, 1", True),
    (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", r"\begin{pmatrix}1\\2\end{pmatrix}", True),
    (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", r"\begin{bmatrix} 1 \\ 2 \end{bmatrix}", True),
    (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", r"\begin{pmatrix} 2 \\ 1 \end{pmatrix}", False),
    # other bases, unicode
    ("1112112_3", "1112112_{3}", True), ("-221_3", "-221", False), (r"25\sqrt{2}", "25√2", True), (r"2\pi", "2π", True),
    # junk
    ("7", "", False), ("7", "seven apples", False), ("12", r"\frac{1}{0}", False),
]


def test_math_pairs_table():
    verdicts = equivalent_many([(p, g) for g, p, _ in MATH_PAIRS], "math")
    wrong = [(g, p, want) for (g, p, want), got in zip(MATH_PAIRS, verdicts) if got != want]
    assert not wrong, wrong


@pytest.mark.parametrize("gold, prediction, want", [
    ("1234", "#### 1,234", True), ("1234", "#### 1", False), ("75", "The answer is 75.00", True),
    ("140", "$140", True), ("0.5", "1/2", True), ("-3", "It drops by -3 degrees", True), ("18", "18 eggs", True),
    ("7", "I think 8", False),
])
def test_gsm8k_numeric_equality(gold, prediction, want):
    assert is_correct(prediction, gold, "gsm8k") is want


@pytest.mark.parametrize("gold, prediction, want", [
    ("C", "##Answer: C##", True), ("C", "The answer is (C).", True), ("C", "Answer carefully. ##Answer: B##", False),
    ("A", "I think A is plausible", False), ("B", "B", True), ("B", "b", True),  # a bare letter in either case
])
def test_gpqa_letter_equality(gold, prediction, want):
    assert is_correct(prediction, gold, "gpqa") is want


def test_voting_keys_merge_equivalent_answers():
    keys = answer_keys(["0.5", "1/2", r"\frac{1}{2}", r"\dfrac12", "x=3", "3", r"10\%", "10"], "math")
    assert len(set(keys[:4])) == 1
    assert keys[4] == keys[5]
    assert keys[6] == keys[7]
    assert keys[0] != keys[5]
    sym = answer_keys([r"\frac{\sqrt{2}}{2}", r"\sqrt{2}/2", r"\sqrt{3}"], "math")
    assert sym[0] == sym[1] != sym[2]
    assert answer_keys(["1,234", "1234.0", None], "gsm8k") == ["1234", "1234", None]
    assert answer_keys(["(c)", "C"], "gpqa") == ["C", "C"]


def test_zeroeval_gsm8k_agreement():
    df = pl.read_csv(FIXTURES / "zeroeval_gsm8k_test_greedy_preds.csv", infer_schema_length=0)
    rows = df.rows(named=True)
    agree = sum(is_correct(r["pred"] or "", r["gold"], "gsm8k") == (r["correct"] == "1") for r in rows)
    # measured: 14509/14509; ZeroEval also takes the last number of the predicted answer
    assert agree / len(rows) >= 0.999


def test_zeroeval_math_agreement():
    df = pl.read_csv(FIXTURES / "zeroeval_mathl5_greedy_preds.csv", infer_schema_length=0).head(3000)
    rows = df.rows(named=True)
    pairs = [(extract_answer(r["pred"] or "", "math"), r["gold"]) for r in rows]
    verdicts = equivalent_many(pairs, "math")
    agree = sum(v == (r["correct_approx"] == "1") for v, r in zip(verdicts, rows))
    # measured 99.5% on all rows; the disagreements are mostly arithmetic the model wrote out
    # ("4*4*4*4=256" for 256), which ZeroEval's approximate check marks wrong and we accept
    assert agree / len(rows) >= 0.99


# Regressions from the third-party checker suites (benchmarks/external_checker_suites, run by
# benchmarks/bench_external_agreement.py): (gold, whole prediction, is_correct?)
@pytest.mark.parametrize("gold, prediction, want", [
    ("$9$", "Answer $ 9 $", True),  # prose around a math span: the span is the answer
    ("$9$", "Answer $$ 9 $$", True), ("$f(y) = y$", "$$f(y) = y$$", True),  # display math
    ("$${1,2,3}$$", r"\boxed{1} and \boxed{2} and \boxed{3}", True),  # adjacent boxes are one answer
    ("$(2, 2), (6, 2)$", r"$$\boxed{(2, 2)} \quad \text{and} \quad \boxed{(6, 2)}$$", True),
    (r"\frac{1}{2}", r"First \boxed{3} is wrong; finally \boxed{\frac{1}{2}}.", True),  # prose between: last box only
    (r"Thus $x-p=\boxed{2-2p}$.", "2-2p", True),  # a gold given as a worked solution
    ("$x >= 5$", r"Therefore $x \geq 5$ is the solution.", True), ("$x < 3$", r"We find that $x \lt 3$.", True),
    ("$x != 3$", r"We find that $x \neq 3$.", True), ("$x < 3$", r"$x \leq 3$", False),
    (r"$\frac{1}{12}$", "$0.0833333333333333$", True), (r"\frac{1}{3}", "0.3", False), ("0.5", "0.500001", False),
    (r"$28\%$", "28 pct", True), ("17", r"17\text{ any text}", True), ("64", "64 square feet", True),
    ("$34$", "Final Answer: The largest $n$ is 34.", True),
    # chat-template tokens: the model's own turn, then its rightmost value (a number after the last span)
    ("12", "So $d = \\frac{90}{n}$ for a divisor $n$ of 90: there are 12 sequences. <|im_start|>user", True),
    ("4", "<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\nIt is 4.<|im_end|>", True),
    ("$120$", "Final Answer: The volume of $ABCDEFGH$ is 120. I hope it is correct.", True),
    ("$100%$", "We get $$\\frac{a}{b} \\geq 2.$$ So the error increases by 100%.", True),
    ("1", "how many $? just about 1$", True),  # a "math span" that is prose: its number
    # an answer phrase after intermediate boxes states the answer
    ("$10455$", "$x = \\boxed{200}$, then $\\boxed{255}$. The final answer is $10,455$. I hope it is correct.", True),
    ("12\\text{ and }13", 'is $\\boxed{12 $ and $13 }$. Final Answer: The final answer is \\"$12 $ and $13 $\\".', True),
    # matrices: array with a column spec in brackets is the pmatrix
    (r"$\begin{pmatrix}1 & 2 \\3 & 4\end{pmatrix}$",
     r"Special matrix: $ \left[\begin{array}{cc}1 & 2 \\3 & 4\end{array}\right] $", True),
    (r"$\begin{pmatrix}1 & 2 \\3 & 4\end{pmatrix}$", r"$\left[\begin{array}{cc}1 & 2 \\3 & 5\end{array}\right]$", False),
    # equations of one line in another form; an assignment still equals its value
    ("$2x+4y-3=0$", r"$y=-\frac{1}{2}x+\frac{3}{4}$", True), ("$2x+4y-3=0$", r"$y=-\frac{1}{2}x+1$", False),
    # thousands: "{,}", "\!" group digits; a comma and a space before three digits separate a list
    ("$16386.20$", r"Worth $\boxed{\$16,\!386.20}$.", True), (r"\boxed{32349}", r"is $\boxed{32,\! 349}$", True),
    (r"\boxed{32349}", r"is $\boxed{32, 349}$", False),
    # several boxes: in one math span, joined by a \text{.. and}, a label word + "and", or labelled spans
    ("$$(3, 3), (1, 1)$$", r"$$\boxed{(3, 3)} \text{ for part (a) and } \boxed{(1, 1)}$$", True),
    (r"\boxed{1} papers and \boxed{2} bins", r"$\boxed{1,2}$", True),
    (r"$\boxed{35 cm} ++++++ \boxed{4}$", r"${35 cm,4}$", True),
    ("$y_{1}=-2 x^{2}+4 x+3, y_{2}=3 x^{2}+12 x+10$",
     r"\( y_1 = \boxed{-2(x - 1)^2 + 5} \) and \( y_2 = \boxed{3(x + 2)^2 - 2} \)", True),
    (r"\frac{1}{2}", r"\boxed{3} is wrong and \boxed{\frac{1}{2}}", True),  # prose between: last box only
    # "and" inside a box is a list separator
    (r"\boxed{p = -1 \text{ and } p = \dfrac{15}{8}}", r"$p=-1,p=\frac{15}{8}$", True),
    ("$19, 46, and 82$", r"$19, 46, \text{ and } 82$", True), ("$21,16$ or $11$", "$21,16,11$", True),
])
def test_external_suite_regressions(gold, prediction, want):
    assert is_correct(prediction, gold, "math") is want


@pytest.mark.parametrize("gold, prediction, want", [
    ("1000", "1 000", True), ("1000", "#### 1 000", True), ("12345.5", "$12 345.50.", True),
    ("1000", r"It costs 1\,000 dollars.", True), ("1000", "It costs 1{,}000 dollars.", True),
    ("100", "Run 5 100-metre races.", True),  # a space in running prose is not a thousands separator
])
def test_gsm8k_thousands_separators(gold, prediction, want):
    assert is_correct(prediction, gold, "gsm8k") is want
