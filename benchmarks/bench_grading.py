"""Grading throughput: a realistic mix of MATH answers drawn from the MATH-500 golds with perturbations.

Prints graded answers per second with the equivalence cache (repeats are free) and without it
(every pair pays its cheap path or its worker round trip). Usage: python benchmarks/bench_grading.py [N]
"""

from __future__ import annotations

import json
import random
import sys
import time
from importlib import resources

from slmmux.answers import WorkerPool, clear_cache, equivalent_many


def perturb(gold: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.35:
        return gold
    if r < 0.45:
        return f" {gold} "
    if r < 0.55:
        return gold.replace(r"\frac", r"\dfrac")
    if r < 0.65:
        return f"x = {gold}"
    if r < 0.75:
        return str(rng.randint(-20, 200))
    if r < 0.85:
        return f"{gold}+1"
    if r < 0.95:
        return f"2({gold})"
    return rf"\text{{{gold}}}"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with open(str(resources.files("slmmux") / "bundled" / "math_500.json"), encoding="utf-8") as fh:
        golds = [r["answer"] for r in json.load(fh)]
    rng = random.Random(0)
    # many repeats: each question's answers come from a few distinct perturbations
    pool_of_answers = {g: [perturb(g, rng) for _ in range(4)] for g in golds}
    pairs = []
    for _ in range(n):
        g = rng.choice(golds)
        pairs.append((rng.choice(pool_of_answers[g]), g))
    distinct = len(set(pairs))
    with WorkerPool(2, 5.0) as pool:
        pool.run([("equivalent", ("1", "1"))] * 2)  # start the workers outside the timing
        clear_cache()
        t = time.perf_counter()
        for p in pairs:
            equivalent_many([p], "math", pool=pool, cache=False)
        no_cache = time.perf_counter() - t
        clear_cache()
        t = time.perf_counter()
        for p in pairs:
            equivalent_many([p], "math", pool=pool, cache=True)
        cached = time.perf_counter() - t
        clear_cache()
        t = time.perf_counter()
        equivalent_many(pairs, "math", pool=pool, cache=True)
        batched = time.perf_counter() - t
        timeouts = pool.timeouts
    print(f"MATH answers: {n} ({distinct} distinct pairs), 2 workers, timeout 5 s, {timeouts} timeouts")
    print(f"without cache, one by one: {n / no_cache:10.1f} answers/s ({no_cache:.2f} s)")
    print(f"with cache, one by one:    {n / cached:10.1f} answers/s ({cached:.2f} s)")
    print(f"with cache, one batch:     {n / batched:10.1f} answers/s ({batched:.2f} s)")


if __name__ == "__main__":
    main()
