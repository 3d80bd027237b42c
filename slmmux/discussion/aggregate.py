"""Final-answer aggregation of the discussion baselines, with their tie rules.

- :func:`majority_vote` (LLM-Debate, Du et al. 2023: the final answer is the majority of the agents'
  last-round answers). Answers vote by their voting key (equivalent answers share a key); an agent
  with no extractable answer counts in the denominator but never forms an answer. **Tie rule**: among
  the keys with the most votes, the one given by the earliest agent in the group's model order wins
  (deterministic, documented; the original code leaves ties to its string counter's order).
- :func:`parse_verdict` and :func:`mav_select` (BoN-MAV, Lifshitz et al. 2025: every aspect verifier
  gives each candidate a binary approval; the candidate with the most approvals is returned). A
  verdict that cannot be read counts as no approval. **Tie rule**: among the candidates with the most
  approvals, prefer (1) a candidate with an extractable answer, then (2) the one whose answer key has
  the most approvals summed over all candidates sharing it, then (3) the earliest candidate (group
  model order, then sample index).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Vote:
    winner: int | None  # index of the agent whose answer is returned (None: nobody answered)
    key: str | None
    votes: int
    share: float | None  # votes / number of agents (None when nobody answered)


def majority_vote(keys: Sequence[str | None]) -> Vote:
    """Majority over answer keys in agent order (``None`` = no answer); see the module tie rule."""
    counts: dict[str, int] = {}
    first: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k is None:
            continue
        counts[k] = counts.get(k, 0) + 1
        first.setdefault(k, i)
    if not counts:
        return Vote(None, None, 0, None)
    best = max(counts.values())
    key = min((k for k, v in counts.items() if v == best), key=lambda k: first[k])
    return Vote(first[key], key, best, best / len(keys))


_VERDICT = re.compile(r"verdict\W{0,6}(approve[sd]?|reject(?:ed|s)?|true|false|yes|no)\b", re.IGNORECASE)
_BARE = re.compile(r"\b(approve[sd]?|reject(?:ed|s)?)\b", re.IGNORECASE)


def parse_verdict(text: str | None) -> bool | None:
    """A verifier's binary approval: the last ``Verdict: APPROVE|REJECT`` (also true/false, yes/no) of
    the text, else the last bare approve/reject word; ``None`` if there is none."""
    if not text:
        return None
    found = _VERDICT.findall(text)
    if not found:
        found = _BARE.findall(text)
    if not found:
        return None
    word = found[-1].lower()
    return word.startswith("approve") or word in ("true", "yes")


@dataclass(frozen=True)
class Selection:
    winner: int | None  # candidate index (None: no candidate)
    approvals: int
    share: float | None  # approvals / number of verifiers


def mav_select(approvals: Sequence[int], keys: Sequence[str | None], n_verifiers: int) -> Selection:
    """The BoN-MAV choice among candidates (in candidate order); see the module tie rule."""
    if len(approvals) != len(keys):
        raise ValueError("one answer key per candidate is needed")
    if not approvals:
        return Selection(None, 0, None)
    by_key: dict[str, int] = {}
    for a, k in zip(approvals, keys):
        if k is not None:
            by_key[k] = by_key.get(k, 0) + a
    best = max(approvals)
    tied = [i for i, a in enumerate(approvals) if a == best]
    winner = min(tied, key=lambda i: (keys[i] is None, -by_key.get(keys[i], 0) if keys[i] is not None else 0, i))
    return Selection(winner, best, best / n_verifiers if n_verifiers else None)
