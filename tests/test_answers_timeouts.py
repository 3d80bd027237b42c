"""Adversarial grading inputs return within the documented bound: timeout + pool overhead (+ the start
of a fresh worker process when a call needs one, measured by ``pool.start_wait`` and not counted)."""

import threading
import time

import pytest

from slmmux.answers import WorkerPool, answers_equivalent, equivalent_many, is_correct

TIMEOUT = 1.0
BOUND = TIMEOUT + 1.5  # generous pool overhead on a loaded machine

ADVERSARIAL = [
    (r"\boxed{9^{9^{9^{9}}}}", "1"),
    (r"\boxed{(10^{10^{10}})!}", "2"),
    ("\\boxed{" + "{" * 5000, "3"),
    ("x" * 1_000_000 + r"\boxed{" + "1+" * 400_000 + "1}", "4"),
    ("\u202e\u0000\ud7ff\U0001f600 \\boxed{\u00bd\u2044\u00be}", "5"),
    (r"\boxed{\frac{\frac{\frac{1}{2}}{3}}{\sqrt{\sqrt{\sqrt{x^{y^{z^{w}}}}}}}}", "6"),
    ("}}}}{{{{\\boxed}}}}", "7"),
]


@pytest.fixture(scope="module")
def pool():
    with WorkerPool(1, TIMEOUT) as p:
        p.run([("equivalent", ("1", "1"))])  # warm: the first call starts the worker
        yield p


def test_adversarial_inputs_are_bounded(pool):
    from slmmux.answers import extract_answer

    for text, gold in ADVERSARIAL:
        t, starts = time.monotonic(), pool.start_wait
        answer = extract_answer(text, "math")
        verdict = equivalent_many([(answer, gold)], "math", pool=pool, cache=False)[0]
        assert time.monotonic() - t - (pool.start_wait - starts) < BOUND, text[:40]
        assert verdict is False


def test_power_tower_times_out_and_pool_recovers(pool):
    before = pool.timeouts
    t, starts = time.monotonic(), pool.start_wait
    assert equivalent_many([("9^{9^{9^{9}}}", "1")], "math", pool=pool, cache=False) == [False]
    assert time.monotonic() - t - (pool.start_wait - starts) < BOUND
    assert pool.timeouts == before + 1
    # the replaced worker still gives correct verdicts
    assert equivalent_many([("(x+1)^2", "x^2+2x+1")], "math", pool=pool, cache=False) == [True]


def test_bounded_from_a_non_main_thread():
    results = {}

    def work():
        t = time.monotonic()
        results["slow"] = is_correct(r"\boxed{9^{9^{9^{9}}}}", "1", "math", timeout=TIMEOUT)
        results["slow_s"] = time.monotonic() - t
        results["ok"] = answers_equivalent("(x+1)^2", "x^2+2x+1", "math", timeout=TIMEOUT, cache=False)

    th = threading.Thread(target=work)
    th.start()
    th.join(60)
    assert not th.is_alive()
    assert results["slow"] is False
    assert results["slow_s"] < BOUND + 3.0  # includes the first start of this pool's worker
    assert results["ok"] is True
