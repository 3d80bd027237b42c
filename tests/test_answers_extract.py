"""Answer extraction: strict and flexible chains against realistic completions and failure modes."""

import pytest

from slmmux.answers import extract_answer, last_boxed, normalize_math


@pytest.mark.parametrize("text, expected", [
    (r"First \boxed{3} is wrong; finally \boxed{\frac{1}{2}}.", r"\frac{1}{2}"),  # last, not first
    (r"So $\boxed{\left( 3, \frac{\pi}{2} \right)}$", r"\left( 3, \frac{\pi}{2} \right)"),
    (r"\fbox{42}", "42"),
    (r"The answer is $\boxed 7$.", "7"),
    (r"\boxed{\{1, 2\}}", r"\{1, 2\}"),
    (r"\boxed{5} then truncated \boxed{\frac{1}{", "5"),  # an unbalanced last box is skipped
    (r"no box here", None),
    (r"\boxed{}", None),
])
def test_last_boxed(text, expected):
    assert last_boxed(text) == expected


@pytest.mark.parametrize("text, strict, flexible", [
    (r"We get $x=4$. Thus \boxed{4}.", "4", "4"),
    (r"... so the pair is \boxed{5\text{ and }7}.", r"5\text{ and }7", r"5\text{ and }7"),
    ("Final Answer: The final answer is $\\frac{3}{4}$. I hope it is correct.", None, r"\frac{3}{4}"),
    ("The answer is: 12", None, "12"),
    (r"\dfrac{9}{7}", None, r"\dfrac{9}{7}"),  # a bare answer is its own answer
    ("Adding them up, we find 3 + 4 = 7 apples in all, and that is our result here after all.", None, "7"),
])
def test_math_extraction(text, strict, flexible):
    assert extract_answer(text, "math", "strict") == strict
    assert extract_answer(text, "math") == flexible


def test_chat_template_tokens():
    from slmmux.answers.extract import strip_chat_template

    assert strip_chat_template("It is 12. <|im_start|>user") == "It is 12. "
    assert strip_chat_template("<|start_header_id|>assistant<|end_header_id|>\n\nX<|eot_id|>").strip() == "X"
    assert strip_chat_template("no tokens <|x|") == "no tokens <|x|"


def test_text_and_is_not_cut():
    # "and"/"or" between items is a list separator (never a cut to "5")
    assert normalize_math(r"5\text{ and }7") == "5,7"
    assert normalize_math("19, 46, and 82") == normalize_math(r"19, 46, \text{ and } 82") == "19,46,82"
    assert normalize_math(r"\text{Orlando}") == "Orlando" and normalize_math(r"x \land y") == r"x\land y"
    assert normalize_math(r"5\text{ cm}") == "5"


@pytest.mark.parametrize("text, strict, flexible", [
    ("She pays 1,000 + 234 dollars.\n#### 1,234", "1234", "1234"),
    ("The answer is $1,234.50.", "1234.50", "1234.50"),
    ("He lost -$10,000 in total.", None, "-10000"),
    ("Each gets 3/4 of a pie.", None, "3/4"),
    ("So the final answer: 18 eggs", None, "18"),
    ("Total = 5 + 7 = 12 apples.", None, "12"),
    ("Pages 3-5 were read.", None, "5"),
    (r"Thus \boxed{72} dollars were left, 0 remain.", None, "72"),
    ("I cannot solve this.", None, None),
])
def test_gsm8k_extraction(text, strict, flexible):
    assert extract_answer(text, "gsm8k", "strict") == strict
    assert extract_answer(text, "gsm8k") == flexible


@pytest.mark.parametrize("text, strict, flexible", [
    ("Let me answer carefully.\n##Answer: B##", "B", "B"),
    ("Please answer carefully and think.", None, None),
    ("Therefore the answer is (C).", None, "C"),
    ("Answer: D", None, "D"),
    ("I think A is the strongest acid, but let me check.", None, None),
    ("Reasoning...\n\n**B**", None, "B"),
    (r"The correct option is \boxed{C}", None, "C"),
    ("Options (A) and (B) fail, so only (D) remains", None, "D"),
    ("## answer: c ##", "C", "C"),
    ("The answer is E.", None, "E"),  # a stated letter past the options: read, and wrong for any A-D gold
    ("Option E", None, None),  # no answer marker: the weak fallbacks read only the options A-D
    # lighteval's published cases: a stated choice at the start or as the last word, "answer is <words> X"
    ("Let's think step by step. It's not A because it doesn't make sense, therefore I think it's B", None, "B"),
    ("The answer is for sure D, it can't be A or B", None, "D"),
    ("D. it can't be A or B", None, "D"),
    ("The answer is not A, but B", None, "B"),  # a negation names no answer
    ("A. 5 mol\nB. 6 mol\nC. 7 mol", None, None),  # the options restated, no choice
    ("<|im_start|>assistant\nAnswer: C<|im_end|>\n<|im_start|>user\nAnswer: A", None, "C"),
])
def test_gpqa_extraction(text, strict, flexible):
    assert extract_answer(text, "gpqa", "strict") == strict
    assert extract_answer(text, "gpqa") == flexible


def test_bad_arguments():
    with pytest.raises(ValueError):
        extract_answer("x", "aime")
    with pytest.raises(ValueError):
        extract_answer("x", "math", "loose")
    assert extract_answer("", "math") is None
    assert extract_answer(None, "gsm8k") is None


def test_huge_text_is_fast():
    import time

    text = ("blah { \\boxed{ " * 20000) + "x" * 1_000_000
    t = time.monotonic()
    for b in ("math", "gsm8k", "gpqa"):
        extract_answer(text, b)
    assert time.monotonic() - t < 10
