import pytest

from slmmux import prompts
from slmmux.data import BENCHMARKS, load_bundled


@pytest.mark.parametrize("bench", BENCHMARKS)
def test_every_bundled_question_renders(bench):
    df = load_bundled(bench)
    for row in df.iter_rows(named=True):
        msgs = prompts.build_messages(row, bench)
        assert len(msgs) == 1 and msgs[0]["role"] == "user"
        assert row["question"].strip() in msgs[0]["content"]
        assert "{question}" not in msgs[0]["content"] and "{choices}" not in msgs[0]["content"]


def test_answer_formats_follow_the_paper():
    assert "\\boxed{}" in prompts.template_text("math")
    assert "####" in prompts.template_text("gsm8k")
    assert "##Answer: X##" in prompts.template_text("gpqa")


def test_gpqa_lists_the_four_choices_with_letters():
    row = load_bundled("gpqa").row(0, named=True)
    content = prompts.build_messages(row)[0]["content"]
    for letter, choice in zip("ABCD", row["choices"]):
        text = choice.split(" ", 1)[1]
        assert f"({letter}) {text}" in content
    assert "(A) A " not in content  # the bundled leading letter is not repeated


def test_placeholders_inside_questions_are_left_alone():
    row = {"benchmark": "math", "question_id": "q", "question": "What is {choices} plus \\boxed{x}?"}
    content = prompts.build_messages(row)[0]["content"]
    assert "What is {choices} plus \\boxed{x}?" in content


def test_hash_is_sha256_of_text():
    import hashlib

    for b in BENCHMARKS:
        assert prompts.template_hash(b) == hashlib.sha256(prompts.template_text(b).encode()).hexdigest()
    assert len({prompts.template_hash(b) for b in BENCHMARKS}) == len(BENCHMARKS)  # distinct templates


def test_bad_inputs():
    with pytest.raises(ValueError, match="unknown benchmark"):
        prompts.template_text("mmlu")
    with pytest.raises(ValueError, match="exactly 4 choices"):
        prompts.build_messages({"benchmark": "gpqa", "question_id": "g", "question": "Q?", "choices": ["A x", "B y"]})
    with pytest.raises(ValueError, match="not 'gsm8k'"):
        prompts.build_messages({"benchmark": "math", "question_id": "m", "question": "Q?"}, "gsm8k")
    with pytest.raises(ValueError, match="no question text"):
        prompts.build_messages({"benchmark": "math", "question_id": "m", "question": "  "})
    with pytest.raises(FileNotFoundError):
        prompts.template_text("math", version=99)
