"""Paired significance (slmmux.significance) against cases computed by hand."""

from math import comb

import numpy as np
import polars as pl
import pytest

from slmmux.significance import mcnemar_exact, paired_bootstrap_ci, paired_tests


def _pairs(b, c, both=0, neither=0):
    """Correctness vectors with b pairs (1, 0), c pairs (0, 1) and the concordant rest."""
    first = [1] * b + [0] * c + [1] * both + [0] * neither
    second = [0] * b + [1] * c + [1] * both + [0] * neither
    return np.array(first), np.array(second)


def test_mcnemar_two_against_eight():
    # b = 2, c = 8, n = 10: p = 2 * P(X <= 2), X ~ Bin(10, 1/2) = 2 * (1 + 10 + 45) / 1024
    t = mcnemar_exact(*_pairs(2, 8, both=5, neither=3))
    assert (t.first_only, t.second_only) == (2, 8)
    assert t.p_value == pytest.approx(112 / 1024)


def test_mcnemar_one_sided_all_discordant_one_way():
    # b = 6, c = 0: p = 2 * (1/2)^6 = 1/32
    t = mcnemar_exact(*_pairs(6, 0, both=10))
    assert t.p_value == pytest.approx(1 / 32)


def test_mcnemar_balanced_and_empty_discordance_give_one():
    assert mcnemar_exact(*_pairs(5, 5)).p_value == 1.0
    assert mcnemar_exact(*_pairs(0, 0, both=4, neither=4)).p_value == 1.0


def test_mcnemar_matches_binomial_sum_on_larger_counts():
    b, c = 13, 30
    n = b + c
    expected = min(1.0, 2 * sum(comb(n, i) for i in range(min(b, c) + 1)) / 2**n)
    assert mcnemar_exact(*_pairs(b, c, both=100)).p_value == pytest.approx(expected, rel=1e-9)


def test_mcnemar_rejects_unpaired():
    with pytest.raises(ValueError):
        mcnemar_exact(np.array([1, 0]), np.array([1]))


def test_bootstrap_two_questions_spans_both_values():
    # differences {1, 0}: resample means are 0, 1/2, 1 with probabilities 1/4, 1/2, 1/4,
    # so the 2.5% and 97.5% percentiles are 0 and 1
    lo, hi = paired_bootstrap_ci(np.array([1.0, 0.0]))
    assert (lo, hi) == (0.0, 1.0)


def test_bootstrap_constant_differences_is_a_point():
    assert paired_bootstrap_ci(np.array([0.5, 0.5, 0.5])) == (0.5, 0.5)


def test_bootstrap_interval_is_near_the_normal_approximation():
    # 60 of 100 questions +1, 40 zero: mean 0.6, sd of the mean sqrt(0.24/100) = 0.049
    d = np.array([1.0] * 60 + [0.0] * 40)
    lo, hi = paired_bootstrap_ci(d)
    assert lo == pytest.approx(0.6 - 1.96 * 0.049, abs=0.015)
    assert hi == pytest.approx(0.6 + 1.96 * 0.049, abs=0.015)
    assert paired_bootstrap_ci(d) == (lo, hi)  # fixed seed: reproducible


def _decisions(rows):
    return pl.DataFrame(rows, schema={"benchmark": pl.String, "group": pl.String, "seed": pl.Int64,
                                      "question_id": pl.String, "method": pl.String, "correct": pl.Boolean,
                                      "answer": pl.String}, orient="row")


def test_paired_tests_per_seed_and_pooled():
    rows = []
    # seed 0: SLM-MUX right on q0..q3, single_best right on q0 only -> b = 3, c = 0
    # seed 1: SLM-MUX right on q0, single_best right on q0..q2     -> b = 0, c = 2
    mux = {0: [1, 1, 1, 1], 1: [1, 0, 0, 0]}
    sb = {0: [1, 0, 0, 0], 1: [1, 1, 1, 0]}
    for s in (0, 1):
        for q in range(4):
            rows.append(("math", "g", s, f"q{q}", "slm_mux", bool(mux[s][q]), "x"))
            rows.append(("math", "g", s, f"q{q}", "single_best", bool(sb[s][q]), "y"))
            rows.append(("math", "g", s, f"q{q}", "oracle", True, None))
    out = paired_tests(_decisions(rows))
    assert out["method"].unique().to_list() == ["single_best"]  # oracle is not compared
    s0 = out.filter(pl.col("seed") == 0).row(0, named=True)
    assert (s0["slm_mux_only"], s0["baseline_only"], s0["n_pairs"]) == (3, 0, 4)
    assert s0["difference"] == pytest.approx(0.75)
    assert s0["p_value"] == pytest.approx(2 / 8)  # 2 * (1/2)^3
    s1 = out.filter(pl.col("seed") == 1).row(0, named=True)
    assert s1["difference"] == pytest.approx(-0.5)
    assert s1["p_value"] == pytest.approx(0.5)  # b = 0, c = 2: 2 * P(X <= 0 | n = 2) = 2 * 1/4
    pooled = out.filter(pl.col("seed").is_null()).row(0, named=True)
    assert (pooled["slm_mux_only"], pooled["baseline_only"], pooled["n_pairs"], pooled["n_questions"]) == (3, 2, 8, 4)
    assert pooled["p_value"] == pytest.approx(1.0)  # b = 3, c = 2: 2 * P(X <= 2 | n = 5) = 2 * 16/32 -> 1
    # per question (mean over seeds): q0 0, q1 0, q2 0, q3 +0.5 -> difference 0.125
    assert pooled["difference"] == pytest.approx(0.125)
    assert pooled["ci_low"] <= pooled["difference"] <= pooled["ci_high"]
    assert pooled["ci_low"] == 0.0 and pooled["ci_high"] == pytest.approx(0.375)


def test_paired_tests_only_on_common_questions():
    rows = [("gsm8k", "g", 0, f"q{q}", "slm_mux", True, "1") for q in range(5)]
    rows += [("gsm8k", "g", 0, "q0", "moa", False, "2"), ("gsm8k", "g", 0, "q1", "moa", False, "2")]
    r = paired_tests(_decisions(rows)).filter(pl.col("seed").is_null()).row(0, named=True)
    assert (r["n_pairs"], r["slm_mux_only"], r["difference"]) == (2, 2, 1.0)
    assert r["p_value"] == pytest.approx(0.5)
    assert (r["ci_low"], r["ci_high"]) == (1.0, 1.0)


def test_paired_tests_reject_duplicate_rows():
    rows = [("math", "g", 0, "q0", "slm_mux", True, "1")] * 2 + [("math", "g", 0, "q0", "agent_forest", True, "1")]
    with pytest.raises(ValueError, match="2 rows"):
        paired_tests(_decisions(rows))
