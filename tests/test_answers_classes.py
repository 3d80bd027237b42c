"""Issue 14: each kind of grader disagreement, fixed as a class. The examples are our own, written to
cover each class (the other projects' verdicts stay held out as the measure)."""

import pytest

from slmmux.answers import answers_equivalent, extract_answer, is_correct

# ------------------------------------------------------------------ 1. multiple-choice answers


@pytest.mark.parametrize("text, letter", [
    ("经过分析，第三个化合物最稳定。\n答案：（C）", "C"),  # a Chinese marker with full-width parentheses
    ("答案：D，因为只有它满足守恒", "D"),
    ("正确答案是 A", "A"),
    ("<think>Could it be A? The shift rules A out... so B.</think>\nThe answer is (D).", "D"),  # after </think>
    ("<think>Option A looks right.</think>\n\nAnswer: C", "C"),
    ("ANSWER: [B]", "B"),
    ("Final answer: [c]", "C"),
    ("Answer: d", "D"),  # lower case after a marker
    ("The answer is (a).", "A"),
    (r"The answer is $\mathrm{B}$.", "B"),  # wrapped in LaTeX
    (r"Therefore, the final answer is \textbf{C}", "C"),
    (r"\boxed{\text{(A)}}", "A"),
    (r"\boxed{b}", "B"),
    ('Answer: "D"', "D"),  # quoted
    ("The correct option is “A”.", "A"),
    ("Answer: **B**", "B"),
])
def test_multiple_choice_markers_in_every_wrapping(text, letter):
    assert extract_answer(text, "gpqa") == letter
    assert is_correct(text, letter, "gpqa") is True
    wrong = "A" if letter != "A" else "B"
    assert is_correct(text, wrong, "gpqa") is False


@pytest.mark.parametrize("text", [
    "Answer: A, B", "The answer is A and C.", "答案：B、D", "Answer: (A)/(C)",
])
def test_several_letters_are_not_a_single_letter(text):
    letters = extract_answer(text, "gpqa")
    assert letters is not None and "," in letters
    for single in "ABCD":
        assert is_correct(text, single, "gpqa") is False


def test_a_pronoun_or_an_article_is_not_a_letter():
    assert extract_answer("Answer: I think it is C", "gpqa") == "C"
    assert extract_answer("the answer is a tricky one", "gpqa") is None
