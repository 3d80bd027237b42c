"""Degenerate and hostile grader inputs (issue 12, findings 2-3): no crash, bounded time, bounded memory,
no worker left behind. Each test failed before its fix; the shapes are small models' runaway loops
(a marker or a command repeated to the token limit) and corrupt values from a file."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slmmux.answers import (
    MAX_ANSWER_CHARS,
    MAX_COMPLETION_CHARS,
    WorkerPool,
    answer_key,
    answers_equivalent,
    extract_answer,
    is_correct,
    normalize_gpqa,
    normalize_gsm8k,
    normalize_math,
)
from slmmux.answers.extract import _math_spans, _quoted
from slmmux.answers.pool import default_pool

# ------------------------------------------------------------------------------------------ finding 2


def test_a_looping_answer_marker_is_no_crash():
    # "Answer: " * 995 is ~2k tokens: recursing once per marker raised RecursionError, for good
    assert is_correct("Answer: " * 995, "5", "math") is False
    assert is_correct("Answer: " * 995 + "5", "5", "math") is True
    assert extract_answer("The final answer is " * 5000 + "$7$.", "math") == "7"
    # the nested phrase still gives the innermost non-empty answer
    assert extract_answer("Final Answer: The final answer is $x^2$. I hope it is correct.", "math") == "x^2"
    assert extract_answer("Answer: 12 answer:", "math", "flexible") == "12 answer:"


# ------------------------------------------------------------------------------------------ finding 3

N = 30_000  # repeats: 60-330 KB, the sizes a model looping to a 32k-token limit writes
HOSTILE_SHAPES = {
    "open paren": "\\(" * N,  # 64 KB took 17.7 s
    "open bracket": "\\[" * N,
    "glued units": "\\boxed{5" + "\\text{cm}" * N + "}",  # 80 KB took 57 s
    "glued unit words": "5" + "\\text{ cm}" * N,
    "empty boxes": "\\boxed{}" * N,
    "comma digits": "1," * N,
    "quote apostrophes": "Answer: \"" + "''" * N + "a",
    "answer markers": "Answer: " * N,
    "dollars": "$a" * N,
    "spaces": " " * (8 * N),
    "newlines": "\n" * (8 * N),
    "code lines": "x = 1\n" * N,
    "one long code line": "for i in " * N + ":",
    "blank lines then code": "\n" * (4 * N) + "if a in b:",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_SHAPES))
def test_extraction_and_normalisation_are_fast_on_runaway_loops(name):
    text = HOSTILE_SHAPES[name]
    t = time.monotonic()
    for bench in ("math", "gsm8k", "gpqa"):
        for mode in ("strict", "flexible"):
            extract_answer(text, bench, mode)
    normalize_math(text), normalize_gsm8k(text), normalize_gpqa(text)
    assert time.monotonic() - t < 2.0, name  # linear: tens of milliseconds each; quadratic took minutes


def test_gpqa_normalisation_of_a_megabyte_of_whitespace():
    t = time.monotonic()
    assert normalize_gpqa(" " * 1_000_000 + "b" + "\n" * 1_000_000) == "B"
    assert time.monotonic() - t < 1.0


def test_input_bounds_are_documented_behaviour():
    head = "\\boxed{1} " + "x" * MAX_COMPLETION_CHARS
    assert extract_answer(head, "math", "strict") is None  # only the tail of a runaway completion is read
    assert extract_answer(head + "\\boxed{2}", "math", "strict") == "2"
    huge_box = "\\boxed{" + "1+" * MAX_ANSWER_CHARS + "1}"
    assert extract_answer(huge_box, "math", "strict") is None  # too long to be an answer
    long_gold = "y" * (MAX_ANSWER_CHARS + 1)
    assert answers_equivalent(long_gold, long_gold, "math") is True  # exact text still counts
    assert answers_equivalent(long_gold + "z", long_gold, "math") is False


@pytest.mark.parametrize("value", [None, b"5", ["5"], {"a": 1}, object(), float("nan"), True])
def test_non_string_predictions_never_raise(value):
    for bench in ("math", "gsm8k", "gpqa"):
        assert is_correct(value, "5", bench) is False
        assert extract_answer(value, bench) is None
        assert answer_key(value, bench) is None
        assert answers_equivalent(value, "5", bench) is False


@pytest.mark.parametrize("value, correct", [(5, True), (Fraction(10, 2), True), (2.5, False)])
def test_numbers_as_predictions_are_their_decimal_text(value, correct):
    for bench in ("math", "gsm8k"):
        assert is_correct(value, "5", bench) is correct
        assert answers_equivalent(value, "5", bench) is correct


@pytest.mark.parametrize("gold, correct", [(5, True), (Fraction(5), True), (5.0, True), (None, False),
                                           (b"5", False), (["5"], False), (True, False)])
def test_golds_of_other_types(gold, correct):
    # an integer gold read from a parquet file is the number; bytes and containers are no gold
    assert is_correct("The answer is 5", gold, "gsm8k") is correct
    assert is_correct("\\boxed{5}", gold, "math") is correct


def test_unknown_benchmark_is_still_a_value_error():
    for bench in ("mmlu", ["math"], None):
        with pytest.raises(ValueError):
            is_correct("5", "5", bench)


# the linear scanners find exactly what the regular expressions they replace found

_OLD_SPAN = re.compile(
    r"\$\$(?P<dd>.+?)\$\$|\\\[(?P<db>.+?)\\\]|(?<!\\)\$(?P<d>(?:\\\$|[^$\n])+?)(?<!\\)\$|\\\((?P<p>[^\n]+?)\\\)", re.S)
_OLD_QUOTES = re.compile(r'^(?:\\?["“”`]|\'\')(?P<q>[^"“”`]*?)(?:\\?["“”`]|\'\')\W*$', re.S)
_PIECES = st.sampled_from(["$", "$$", "\\", "[", "]", "(", ")", "\n", "a", " ", "\\(", "\\)", "\\[", "\\]", "\\$",
                           '"', "'", "“", "”", "`", ".", "5"])


@settings(max_examples=3000, deadline=None, derandomize=True)
@given(st.lists(_PIECES, max_size=16).map("".join))
def test_linear_math_spans_equal_the_regex(text):
    old = [(m.start(), m.end(), next(g for g in m.groups() if g is not None)) for m in _OLD_SPAN.finditer(text)]
    assert [(s.start, s.end, s.content) for s in _math_spans(text)] == old


@settings(max_examples=3000, deadline=None, derandomize=True)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_linear_quotes_equal_the_regex(text):
    m = _OLD_QUOTES.match(text)
    assert _quoted(text) == (m.group("q") if m else None)


# ------------------------------------------------------------------------------------ pool and cache

TIMEOUT = 1.0
SLOW = r"\boxed{9^{9^{9^{9}}}}"  # runs for minutes in sympy


def test_threads_sharing_the_default_pool_do_not_queue_behind_each_other():
    # four threads, each with a check that runs to its timeout: with one shared worker the last waited
    # 4 x timeout (42.9 s at the default 5 s); the bound counts from the call, queueing included
    pool = default_pool(TIMEOUT)
    pool.run([("equivalent", ("1", "1"))] * pool.n_workers)  # start its workers outside the measurement
    starts = pool.start_wait
    durations: dict[int, float] = {}
    verdicts: dict[int, bool] = {}

    def work(k: int) -> None:
        t = time.monotonic()
        verdicts[k] = is_correct(SLOW + " " * k, "1", "math", timeout=TIMEOUT)
        durations[k] = time.monotonic() - t

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert verdicts == {k: False for k in range(4)}
    # each call: its own timeout plus overhead (worker starts, if any, not counted)
    assert max(durations.values()) - (pool.start_wait - starts) < TIMEOUT + 1.5, durations


def test_a_call_waiting_for_a_busy_pool_stops_at_its_deadline():
    with WorkerPool(1, 30.0) as pool:
        pool.run([("equivalent", ("1", "1"))])
        hog = threading.Thread(target=pool.run, args=([("equivalent", ("9^{9^{9^{9}}}", "1"))],))
        hog.start()
        time.sleep(0.3)
        t = time.monotonic()
        assert pool.run([("equivalent", ("2", "2"))], deadline=time.monotonic() + 0.5) == [None]
        assert time.monotonic() - t < 1.5
        assert pool.timeouts == 1
        pool.close()
        hog.join(60)


def test_the_verdict_cache_is_bounded_in_bytes(monkeypatch):
    from slmmux import answers
    from slmmux.answers import cache as caches  # the caches' module: equivalence and keys look them up there

    cache = caches.LRU(10_000, max_bytes=100_000)
    for i in range(300):
        cache.put((f"{i}" + "x" * 5000, "5", "math"), False)
    assert cache.bytes <= 100_000 and len(cache) < 30
    cache.put(("y" * 20_000, "5", "math"), True)  # larger than a tenth of the budget: not kept
    assert cache.get(("y" * 20_000, "5", "math")) is None
    # through the API: 300 distinct 9 kB answers keep at most the budget
    small = caches.LRU(caches.CACHE_SIZE, max_bytes=200_000)
    monkeypatch.setattr(caches, "VERDICTS", small)
    for i in range(300):
        answers.equivalent_many([(f"{i}" + "0" * 9000, "5")], "gsm8k")
    assert 0 < small.bytes <= 200_000


_ORPHAN = """
import sys
from slmmux.answers import WorkerPool
pool = WorkerPool(1, 600.0)
pool.run([("equivalent", ("1", "1"))])
print(pool._workers[0].proc.pid, flush=True)
pool.run([("equivalent", ("9^{9^{9^{9}}}", "1"))])
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_grading_process_leaves_no_worker_computing():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")])))
    grader = subprocess.Popen([sys.executable, "-c", _ORPHAN], stdout=subprocess.PIPE, text=True, env=env)
    worker = int(grader.stdout.readline())
    try:
        time.sleep(1.0)  # the worker is computing the power tower
        assert _running(worker)
        grader.send_signal(signal.SIGKILL)  # no clean-up runs
        grader.wait(10)
        t = time.monotonic()
        while _running(worker) and time.monotonic() - t < 10:
            time.sleep(0.1)
        assert not _running(worker), "the sympy worker outlived the grading process"
    finally:
        if _running(worker):
            os.kill(worker, signal.SIGKILL)
