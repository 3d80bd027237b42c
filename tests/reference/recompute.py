"""An independent recomputation of every number in the tables, from graded samples.

Written from the definitions in the paper (SLM-MUX, ICLR 2026) and docs/dataflow.md (and the tie rules documented in
README/docs), in plain Python loops over rows, sharing **no code** with ``slmmux`` (this module imports
nothing from it; ``tests/test_reference.py`` checks that). It reads rows as plain dicts; the caller
loads the Parquet files.

What it recomputes, per table (percent, as the tables' CSV):

- ``method_comparison``: accuracy of every method of every group, its ± and what the ± is over;
- ``searched_groups``: best single model, its accuracy, SLM-MUX's, and the gain;
- ``model_accuracy``: greedy (± over questions) and sampled (± over runs) accuracy of every model;
- ``token_usage``: completion tokens per question of the samples each method used;
- ``reference_model`` (reference rows): the reference model's greedy accuracy;
- ``agent_forest`` and ``reference_model`` (SLM-MUX rows): which sweep row each cell reports (k = 2,
  best k) and which error (over seeds, or Monte Carlo with one seed). The sweep means themselves are
  Monte Carlo estimates; they are checked against exact per-question recomputation elsewhere;
- ``paired_significance`` (and the ``vs_slm_mux_*`` columns of ``method_comparison``): per seed and
  pooled, the pairs, the discordant counts, the accuracy difference and the exact McNemar p-value
  (binomial tail by hand). The bootstrap interval is random by construction; hand-computed cases check
  it in ``tests/test_tables.py`` and ``tests/test_significance.py``.

Groups: fixed groups from the config; searched groups ``s<K>r<R>`` from this module's own search
(UnionAcc - lam * Contradiction on the validation split, exact rationals, ties by union count then
model names).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from fractions import Fraction

RUN_METHODS = {"slm_mux", "agent_forest", "oracle"}
SEARCHED = re.compile(r"^s([1-9][0-9]*)r([1-9][0-9]*)$")


# ----------------------------------------------------------------------------- estimates


def binomial(values: list[bool], questions: set) -> tuple[float, float, str, int]:
    """Accuracy over all rows, paper's binomial error over the distinct questions."""
    p = sum(values) / len(values)
    n = len(questions)
    return p, math.sqrt(p * (1 - p) / n), "questions", n


def over_runs(by_seed: dict[int, list[bool]], questions: set) -> tuple[float, float, str, int]:
    """Mean of per-seed accuracies ± standard error over seeds; one seed: binomial over questions."""
    if len(by_seed) < 2:
        return binomial([v for vals in by_seed.values() for v in vals], questions)
    accs = [sum(v) / len(v) for _, v in sorted(by_seed.items())]
    mean = sum(accs) / len(accs)
    sd = math.sqrt(sum((a - mean) ** 2 for a in accs) / (len(accs) - 1))
    return mean, sd / math.sqrt(len(accs)), "seeds", len(accs)


# ----------------------------------------------------------------------------- selection


def majority(keys: list) -> tuple[object, int]:
    """(most frequent non-null key, its count); ties: the key that occurs first. (None, 0) if none."""
    counts: dict = {}
    for key in keys:
        if key is not None:
            counts[key] = counts.get(key, 0) + 1
    if not counts:
        return None, 0
    top = max(counts.values())
    for key in keys:
        if key is not None and counts[key] == top:
            return key, top
    raise AssertionError("unreachable")


def priority(models: list[str], accuracy: dict[str, float]) -> list[str]:
    """Highest validation accuracy first, models without one last, then by name."""
    def rank(m):
        a = accuracy.get(m)
        return (1, 0.0, m) if a is None or math.isnan(a) else (0, -a, m)
    return sorted(models, key=rank)


def validation_accuracy(rows: list[dict]) -> dict[str, float]:
    right, total = defaultdict(int), defaultdict(int)
    for r in rows:
        if r["split"] == "validation" and r["decoding"] == "sampled":
            total[r["model"]] += 1
            right[r["model"]] += bool(r["correct"])
    return {m: right[m] / total[m] for m in total}


def decide(rows: list[dict], models: list[str], accuracy: dict[str, float], k: int | None) -> list[dict]:
    """Every method's decision on every (seed, test question): correct and tokens used."""
    test = [r for r in rows if r["split"] == "test" and r["model"] in models]
    sampled: dict = defaultdict(list)  # (seed, q, model) -> rows in sample order
    greedy: dict = defaultdict(list)  # (q, model) -> greedy rows
    for r in sorted(test, key=lambda r: (r["seed"], r["sample"])):
        if r["decoding"] == "sampled" and (k is None or r["sample"] < k):
            sampled[(r["seed"], r["question_id"], r["model"])].append(r)
        elif r["decoding"] == "greedy":
            greedy[(r["question_id"], r["model"])].append(r)
    order = priority(models, accuracy)
    best = order[0]
    out = []
    for seed, q in sorted({(s, q) for (s, q, _) in sampled}):
        per = {m: sampled[(seed, q, m)] for m in models}
        used_tokens = sum(r["completion_tokens"] for m in models for r in per[m])

        def first_correct(samples, key):
            return next((bool(r["correct"]) for r in samples if key is not None and r["answer_key"] == key), False)

        # SLM-MUX: each model's majority and confidence count / k_i; highest wins, ties by priority
        chosen, chosen_conf = None, None
        for m in order:
            key, count = majority([r["answer_key"] for r in per[m]])
            conf = Fraction(count, len(per[m]))
            if chosen is None or conf > chosen_conf:
                chosen, chosen_conf, chosen_key = m, conf, key
        out.append(dict(seed=seed, question_id=q, method="slm_mux", tokens=used_tokens, k=max(len(v) for v in per.values()),
                        correct=first_correct(per[chosen], chosen_key), selected=chosen))
        # Single-Best: greedy of this seed, else of the lowest seed, else the first sampled answer
        g = sorted(greedy.get((q, best), []), key=lambda r: (r["seed"] != seed, r["seed"], r["sample"]))
        pick = g[0] if g else per[best][0]
        out.append(dict(seed=seed, question_id=q, method="single_best", tokens=pick["completion_tokens"], k=1,
                        correct=bool(pick["correct"]), selected=best))
        key, _ = majority([r["answer_key"] for r in per[best]])
        out.append(dict(seed=seed, question_id=q, method="single_best_sc", correct=first_correct(per[best], key),
                        tokens=sum(r["completion_tokens"] for r in per[best]), k=len(per[best]), selected=best))
        pooled = [r for m in order for r in per[m]]  # better-supported answer wins a tie
        key, _ = majority([r["answer_key"] for r in pooled])
        out.append(dict(seed=seed, question_id=q, method="agent_forest", correct=first_correct(pooled, key),
                        tokens=used_tokens, k=max(len(v) for v in per.values()), selected=None))
        out.append(dict(seed=seed, question_id=q, method="oracle", correct=any(bool(r["correct"]) for r in pooled),
                        tokens=used_tokens, k=max(len(v) for v in per.values()), selected=None))
    return out


# ----------------------------------------------------------------------------- paired significance


def mcnemar_p(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: b of the b + c discordant pairs favour the first method; under
    the null each falls either way with probability 1/2, and the two tails are equal."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1))
    return min(1.0, 2 * tail / 2 ** n)


def paired(ref: dict, base: dict) -> dict | None:
    """SLM-MUX (``ref``) against a baseline: both map (seed, question) -> correct."""
    both = sorted(set(ref) & set(base))
    if not both:
        return None
    b = sum(1 for x in both if ref[x] and not base[x])
    c = sum(1 for x in both if base[x] and not ref[x])
    per_q = defaultdict(list)
    for seed, q in both:
        per_q[q].append(int(ref[(seed, q)]) - int(base[(seed, q)]))
    diff = sum(sum(v) / len(v) for v in per_q.values()) / len(per_q)
    return {"n_pairs": len(both), "n_questions": len(per_q), "slm_mux_only": b, "baseline_only": c,
            "difference": 100 * diff, "p_value": mcnemar_p(b, c)}


def paired_rows(benchmark: str, group: str, decisions: list[dict]) -> tuple[list[dict], dict]:
    """Rows of ``paired_significance`` (pooled seed written as "") and, per method, the pooled
    comparison for ``method_comparison``. ``decisions``: dicts with method, seed, question_id, correct."""
    by_method = defaultdict(dict)
    for d in decisions:
        by_method[d["method"]][(d["seed"], d["question_id"])] = bool(d["correct"])
    ref = by_method.get("slm_mux")
    rows, pooled = [], {}
    if not ref:
        return rows, pooled
    for method in sorted(set(by_method) - {"slm_mux", "oracle"}):
        base = by_method[method]
        for seed in sorted({s for s, _ in set(ref) & set(base)}):
            r = paired({x: v for x, v in ref.items() if x[0] == seed}, {x: v for x, v in base.items() if x[0] == seed})
            rows.append({"benchmark": benchmark, "group": group, "method": method, "seed": str(seed), **r})
        r = paired(ref, base)
        if r:
            rows.append({"benchmark": benchmark, "group": group, "method": method, "seed": "", **r})
            pooled[method] = r
    return rows, pooled


# ----------------------------------------------------------------------------- search


def search_ranking(rows: list[dict], size: int, lam: float, robust_level: int, base: str,
                   empty_samples: str = "break", single_sample_consistent: bool = True) -> list[list[str]]:
    """Subsets of ``size`` models, best first: exact objective, then union count, then names."""
    per: dict = defaultdict(list)
    for r in rows:
        if r["split"] == "validation" and r["decoding"] == "sampled":
            per[(r["model"], r["seed"], r["question_id"])].append(r)
    items = sorted({(s, q) for (_, s, q) in per})
    models = sorted({m for (m, _, _) in per})
    lam_q = Fraction(repr(float(lam)))

    def correct(m, x):
        return sum(bool(r["correct"]) for r in per.get((m, *x), [])) >= robust_level

    def wrong(m, x):
        got = per.get((m, *x), [])
        answered = [r for r in got if r["answer_key"] is not None]
        if empty_samples == "break" and len(answered) < len(got):
            return False  # a sample without an answer: not one answer given every time
        if not single_sample_consistent and len(answered) < 2:
            return False
        keys = {r["answer_key"] for r in answered}
        return len(keys) == 1 and not any(r["correct"] for r in got)

    scored = []
    for subset in itertools.combinations(models, size):
        u = sum(any(correct(m, x) for m in subset) for x in items)
        c = sum(any(correct(m, x) for m in subset) and any(wrong(m, x) for m in subset) for x in items)
        contra = Fraction(c, len(items)) if base == "all" else (Fraction(c, u) if u else Fraction(0))
        scored.append((-(Fraction(u, len(items)) - lam_q * contra), -u, list(subset)))
    return [s for _, _, s in sorted(scored)]


def group_members(rows, config, group) -> list[str] | None:
    if group in (config.get("groups") or {}):
        return sorted(config["groups"][group])
    m = SEARCHED.match(group)
    if not m:
        return None
    s = config.get("search") or {}
    # the search pool: search.pool, else every model of the sheet but the reference model
    pool = s.get("pool") or [key for key in (config.get("models") or {})
                             if key != (config.get("report") or {}).get("reference_model")]
    vrows = [r for r in rows if r["model"] in pool]
    ranking = search_ranking(vrows, int(m.group(1)), s.get("lam", 1.0), s.get("robust_level", 1),
                             s.get("contradiction_base", "all"), s.get("empty_samples", "break"),
                             s.get("single_sample_consistent", True))
    rank = int(m.group(2))
    return ranking[rank - 1] if len(ranking) >= rank else None


# ----------------------------------------------------------------------------- tables


def _pct(est):
    p, se, over, n = est
    return {"accuracy": 100 * p, "stderr": 100 * se, "error_over": over, "n": n}


def recompute(rows: list[dict], config: dict, groups: dict[str, list[str]], discussion: list[dict] = (),
              sweeps: list[dict] = (), reference: str | None = None) -> dict[str, list[dict]]:
    """Every table's rows. ``groups``: benchmark -> group names to decide (as the workflow ran them)."""
    k = (config.get("selection") or {}).get("k")
    out = defaultdict(list)
    group_decisions = defaultdict(list)  # (benchmark, group) -> every method's decisions
    by_bench = defaultdict(list)
    for r in rows:
        by_bench[r["benchmark"]].append(r)
    for b, brows in sorted(by_bench.items()):
        acc = validation_accuracy(brows)
        for g in groups.get(b, []):
            members = group_members(brows, config, g)
            dec = decide(brows, members, acc, k)
            group_decisions[(b, g)] += dec
            per_method = defaultdict(list)
            for d in dec:
                per_method[d["method"]].append(d)
            ests = {}
            for method, ds in per_method.items():
                qs = {d["question_id"] for d in ds}
                if method in RUN_METHODS:
                    by_seed = defaultdict(list)
                    for d in ds:
                        by_seed[d["seed"]].append(d["correct"])
                    est = over_runs(by_seed, qs)
                else:
                    est = binomial([d["correct"] for d in ds], qs)
                ests[method] = est
                out["method_comparison"].append({"benchmark": b, "group": g, "method": method,
                                                 "models": " + ".join(members), "k": ds[0]["k"] if len({d["k"] for d in ds}) == 1 else None,
                                                 **{f"ours_{f}": v for f, v in _pct(est).items()}})
                out["token_usage"].append({"benchmark": b, "group": g, "method": method,
                                           "completion_tokens_per_question": sum(d["tokens"] for d in ds) / len(ds)})
            if SEARCHED.match(g):
                s, m = ests["single_best"], ests["slm_mux"]
                out["searched_groups"].append({
                    "benchmark": b, "group": g, "models": " + ".join(members),
                    "best_single_model": per_method["single_best"][0]["selected"],
                    **{f"best_single_{f}": v for f, v in _pct(s).items()},
                    **{f"slm_mux_{f}": v for f, v in _pct(m).items()}, "gain": 100 * (m[0] - s[0])})
        # per-model accuracy
        test = [r for r in brows if r["split"] == "test"]
        for model in sorted({r["model"] for r in test}):
            mine = [r for r in test if r["model"] == model]
            row = {"benchmark": b, "model": model}
            gr = [r for r in mine if r["decoding"] == "greedy"]
            sa = [r for r in mine if r["decoding"] == "sampled"]
            row.update({f"greedy_{f}": v for f, v in (_pct(binomial([bool(r["correct"]) for r in gr],
                                                                    {r["question_id"] for r in gr})) if gr else {}).items()})
            if sa:
                by_seed = defaultdict(list)
                for r in sa:
                    by_seed[r["seed"]].append(bool(r["correct"]))
                row.update({f"sampled_{f}": v for f, v in _pct(over_runs(by_seed, {r["question_id"] for r in sa})).items()})
            out["model_accuracy"].append(row)
        if reference:
            mine = [r for r in test if r["model"] == reference]
            runs = [r for r in mine if r["decoding"] == "greedy"] or [
                r for r in mine if r["decoding"] == "sampled" and r["sample"] == 0]
            if runs:
                out["reference_model"].append({"benchmark": b, "configuration": f"reference:{reference}", **{
                    f"ours_{f}": v for f, v in _pct(binomial([bool(r["correct"]) for r in runs],
                                                             {r["question_id"] for r in runs})).items()}})
    # discussion baselines: their own decisions, error over questions
    disc = defaultdict(list)
    for d in discussion:
        disc[(d["benchmark"], d["group"], d["method"])].append(d)
    for (b, g, method), ds in sorted(disc.items()):
        group_decisions[(b, g)] += ds
        est = binomial([bool(d["correct"]) for d in ds], {d["question_id"] for d in ds})
        out["method_comparison"].append({"benchmark": b, "group": g, "method": method,
                                         **{f"ours_{f}": v for f, v in _pct(est).items()}})
        out["token_usage"].append({"benchmark": b, "group": g, "method": method,
                                   "completion_tokens_per_question": sum(d["completion_tokens"] for d in ds) / len(ds)})
    # sweeps: which row each cell reports, and which error
    sw = defaultdict(list)
    for r in sweeps:
        sw[(r["benchmark"], r["group"])].append(r)
    for (b, g), rs in sorted(sw.items()):
        def cell(r):
            if r is None:
                return {}
            over_seeds = r["seeds"] >= 2
            se = r["stderr"] if over_seeds else r["mc_stderr"]
            return {"k": r["k"], "accuracy": 100 * r["mean"], "stderr": None if se is None or math.isnan(se) else 100 * se,
                    "error_over": "seeds" if over_seeds else "trials", "n": r["seeds"] if over_seeds else r["trials"]}

        def best(method):
            mine = [r for r in rs if r["method"] == method]
            return min(mine, key=lambda r: (-r["mean"], r["k"])) if mine else None

        def at(method, kk):
            return next((r for r in rs if r["method"] == method and r["k"] == kk), None)

        for label, pick in (("2", lambda m: at(m, 2)), ("best", best)):
            cm, ca = cell(pick("slm_mux")), cell(pick("agent_forest"))
            if cm or ca:
                out["agent_forest"].append({"benchmark": b, "group": g, "samples": label,
                                            **{f"slm_mux_{f}": v for f, v in cm.items()},
                                            **{f"agent_forest_{f}": v for f, v in ca.items()}})
        c = cell(best("slm_mux"))
        if c:
            out["reference_model"].append({"benchmark": b, "configuration": f"slm_mux:{g}",
                                           **{("k" if f == "k" else f"ours_{f}"): v for f, v in c.items()}})
    # paired significance of SLM-MUX against each baseline, and its pooled columns in method_comparison
    for (b, g), ds in sorted(group_decisions.items()):
        rows_, pooled = paired_rows(b, g, ds)
        out["paired_significance"] += rows_
        for row in out["method_comparison"]:
            if (row["benchmark"], row["group"]) == (b, g):
                r = pooled.get(row["method"])
                row.update({"vs_slm_mux_difference": r and r["difference"], "vs_slm_mux_p_value": r and r["p_value"],
                            "vs_slm_mux_n_pairs": r and r["n_pairs"]})
    return dict(out)
