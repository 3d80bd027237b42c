"""Prompt templates of the discussion baselines, kept as versioned text files in ``prompts/``.

Our own wording, written after the structure of the original prompts (see ``docs/discussion.md``):

- ``moa_aggregate``: Mixture-of-Agents "aggregate-and-synthesize" system prompt (Wang et al. 2024,
  togethercomputer/MoA ``utils.py``: a system message that lists the previous layer's responses,
  numbered, and asks for one critical synthesis), placeholder ``{responses}``.
- ``debate_followup``: LLM-Debate follow-up turn (Du et al. 2023, composable-models/llm_multiagent_debate
  ``construct_message``: the other agents' latest solutions, then the original problem again),
  placeholders ``{responses}`` and ``{task}``.
- ``mav_<aspect>``: Multi-Agent Verification aspect verifiers (Lifshitz et al. 2025, arXiv 2502.20379:
  off-the-shelf LLMs prompted to check one aspect of a candidate and give a binary approval),
  placeholders ``{task}`` and ``{candidate}``.

Placeholders are replaced literally in one pass (no ``str.format``), so LaTeX braces in questions
and answers need no escaping and placeholder-like text inside them is left alone.
"""

from __future__ import annotations

import hashlib
import re
from importlib import resources

TEMPLATE_VERSION = 1

MAV_ASPECTS = ("correctness", "logic", "answer")


def template_text(name: str, version: int = TEMPLATE_VERSION) -> str:
    res = resources.files("slmmux.discussion") / "prompts" / f"{name}.v{version}.txt"
    if not res.is_file():
        raise FileNotFoundError(f"no discussion prompt template {name}.v{version}.txt in slmmux/discussion/prompts")
    return res.read_text(encoding="utf-8").rstrip("\n")


def template_hash(name: str, version: int = TEMPLATE_VERSION) -> str:
    return hashlib.sha256(template_text(name, version).encode("utf-8")).hexdigest()


def fill(name: str, values: dict[str, str], version: int = TEMPLATE_VERSION) -> str:
    """The template ``name`` with its ``{placeholder}``s replaced by ``values`` (all must be given)."""
    text = template_text(name, version)
    wanted = set(re.findall(r"\{(\w+)\}", text))
    missing = wanted - set(values)
    if missing:
        raise ValueError(f"template {name}: no value for {sorted(missing)}")
    pattern = re.compile(r"\{(" + "|".join(re.escape(k) for k in sorted(wanted)) + r")\}")
    return pattern.sub(lambda m: values[m.group(1)], text) if wanted else text


def numbered(responses: list[str]) -> str:
    """MoA's reference list: ``1. ...``, ``2. ...``, one response per entry."""
    return "\n".join(f"{i + 1}. {r.strip()}" for i, r in enumerate(responses))


def fenced(responses: list[str]) -> str:
    """LLM-Debate's list of the other agents' solutions, each one delimited."""
    return "\n\n".join(f"One agent's solution:\n```\n{r.strip()}\n```" for r in responses)
