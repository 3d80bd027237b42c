"""Property-based fuzzing of the grader (issue 12): hostile completions of every shape seen in small
models' runaway outputs, and non-string values, never raise and return within the documented per-call
bound, extraction and normalisation included, from the main thread and from several threads at once.

Bounded: a fixed number of examples (derandomised, so CI runs the same cases), each call bounded by
``TIMEOUT``; the whole file takes a minute or two.
"""

import threading
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slmmux.answers import answer_key, extract_answer, is_correct
from slmmux.answers.pool import default_pool

TIMEOUT = 1.0
# the documented bound: timeout + pool overhead (generous on a loaded 2-core machine); the start of a
# fresh worker process, when a call needs one, is measured by the pool and not counted
BOUND = TIMEOUT + 2.0
BENCHMARKS = ("math", "gsm8k", "gpqa")

# pieces that models repeat when they loop, and the delimiters, markers and commands the filters parse
PIECES = [
    "Answer: ", "The final answer is ", "answer is ", "Final Answer: ", "##Answer: ", "####", "答案：", "</think>",
    "\\boxed{", "\\boxed ", "\\fbox{", "\\boxed{}", "{", "}", "\\{", "$", "$$", "\\$", "\\(", "\\)", "\\[", "\\]",
    "\\text{cm}", "\\text{ and }", " and ", " or ", "\\frac", "\\dfrac12", "\\sqrt", "^", "_", "^\\circ", "\\%", "%",
    "\\left(", "\\right)", "\\begin{pmatrix}", "\\end{pmatrix}", "&", "\\\\", "=", "x=", "\\le", "-", ".", ",", "1,",
    "9", "1 ", "0.5", "1/2", "(A)", "B", "choose ", "option ", "<|im_start|>", "<|im_end|>", "assistant\n", "user\n",
    "\n", " ", "\t", '"', "''", "`", "**", "π", "√", "−", "\u202e", "\x00", "\ud800", "🙂", "a",
]
hostile_text = st.lists(
    st.tuples(st.sampled_from(PIECES), st.integers(1, 4000)), min_size=1, max_size=5,
).map(lambda runs: "".join(piece * n for piece, n in runs))
completions = st.one_of(hostile_text, st.text(max_size=300), st.lists(st.sampled_from(PIECES), max_size=60).map("".join))
odd_values = st.one_of(st.none(), st.integers(), st.floats(), st.binary(max_size=20), st.booleans(),
                       st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
predictions = st.one_of(completions, odd_values)
golds = st.one_of(st.sampled_from(["5", "\\frac{1}{2}", "x^2+1", "B", "(1,2)", "1,234", "\\sqrt{2}", "10\\%"]),
                  st.text(max_size=20), st.integers(-10**6, 10**6), odd_values)


def _timed_call(prediction, gold, benchmark) -> float:
    """Seconds of one is_correct call, not counting waits for fresh worker processes; checks its type.
    Also checks the voting key of the same completion (bounded by the default timeout)."""
    pool = default_pool(TIMEOUT)
    t, starts = time.monotonic(), pool.start_wait
    verdict = is_correct(prediction, gold, benchmark, timeout=TIMEOUT)
    elapsed = time.monotonic() - t - (pool.start_wait - starts)
    assert isinstance(verdict, bool)
    key_pool = default_pool()
    t, starts = time.monotonic(), key_pool.start_wait
    key = answer_key(extract_answer(prediction, benchmark) if isinstance(prediction, str) else None, benchmark)
    assert time.monotonic() - t - (key_pool.start_wait - starts) < key_pool.timeout + BOUND - TIMEOUT
    assert key is None or isinstance(key, str)
    return elapsed


def _warm() -> None:
    for pool in (default_pool(TIMEOUT), default_pool()):
        pool.run([("equivalent", ("1", "1"))] * pool.n_workers)


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(prediction=predictions, gold=golds, benchmark=st.sampled_from(BENCHMARKS))
def test_every_call_is_bounded_from_the_main_thread(prediction, gold, benchmark):
    _warm()
    elapsed = _timed_call(prediction, gold, benchmark)
    assert elapsed < BOUND, (elapsed, repr(prediction)[:120])


@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.tuples(predictions, golds, st.sampled_from(BENCHMARKS)), min_size=4, max_size=8))
def test_every_call_is_bounded_from_several_threads(cases):
    _warm()
    elapsed: list[float] = []
    errors: list[BaseException] = []

    def work(chunk):
        try:
            for case in chunk:
                elapsed.append(_timed_call(*case))
        except BaseException as exc:  # noqa: BLE001 - reported below, in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(cases[i::4],)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert not errors, errors
    assert len(elapsed) == len(cases)
    assert max(elapsed) < BOUND, elapsed
