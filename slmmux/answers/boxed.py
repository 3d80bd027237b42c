"""The last ``\\boxed{...}`` of a text: MATH's answer format, for grading and for the gold answers.

Its own module (a leaf: the standard library only) so that question preparation, which takes MATH
gold answers from the hub solutions with it, depends on this code and not on the rest of grading
(slmmux.code_digest: an edit to grading then reruns grading, not question preparation and generation).
"""

from __future__ import annotations

import re

_BOX_COMMANDS = ("\\boxed", "\\fbox")


_BRACE = re.compile(r"\\[{}]|[{}]")


def _match_braces(text: str, start: int = 0) -> dict[int, int]:
    """Position of each ``{`` at or after ``start`` -> position of its matching ``}`` (one linear pass)."""
    stack: list[int] = []
    match: dict[int, int] = {}
    for m in _BRACE.finditer(text, start):
        c = m.group()
        if c == "{":
            stack.append(m.start())
        elif c == "}" and stack:
            match[stack.pop()] = m.start()
    return match


def _balanced_group(text: str, start: int, matches: dict[int, int] | None = None) -> tuple[str, int] | None:
    """The content of the brace group opening at ``text[start] == '{'`` and the index after it."""
    if matches is None:
        depth = 0
        for m in _BRACE.finditer(text, start):
            c = m.group()
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return text[start + 1 : m.start()], m.start() + 1
        return None
    end = matches.get(start)
    return (text[start + 1 : end], end + 1) if end is not None else None


def _box_content(text: str, pos: int, command: str, matches: dict[int, int] | None = None) -> str | None:
    """The argument of the box command found at ``pos``, or None if it is malformed or truncated."""
    i = pos + len(command)
    if i < len(text) and (text[i].isalpha()):
        return None  # \boxedfoo is another command
    j = i
    while j < len(text) and text[j] in " \t":
        j += 1
    if j < len(text) and text[j] == "{":
        group = _balanced_group(text, j, matches)
        return group[0] if group else None
    if command == "\\boxed" and j > i:
        # "\boxed 5" (argument without braces): up to whitespace or the closing $ / punctuation
        m = re.match(r"[^\s$]+", text[j:])
        if m:
            return m.group(0).rstrip(".,;")
    return None


def last_boxed(text: str) -> str | None:
    """The content of the last well-formed ``\\boxed{...}`` / ``\\fbox{...}`` / ``\\boxed x`` in ``text``.

    Nested braces are matched; a truncated last box (unbalanced braces) is skipped in favour of the
    previous complete one. Returns None when there is none or the content is empty.
    """
    if not text:
        return None
    end = len(text)
    matches = None  # built on the first malformed box, so each later box costs O(1)
    # where each command was last found: a command absent from the text is searched for once, not once
    # per box ("\\boxed{}" * n was quadratic)
    found = {cmd: len(text) + 1 for cmd in _BOX_COMMANDS}
    while True:
        best = -1
        best_cmd = ""
        for cmd in _BOX_COMMANDS:
            if found[cmd] > end - len(cmd):
                found[cmd] = text.rfind(cmd, 0, end)
            p = found[cmd]
            if p > best:
                best, best_cmd = p, cmd
        if best < 0:
            return None
        content = _box_content(text, best, best_cmd, matches)
        if content is not None and content.strip():
            return content.strip()
        if matches is None:
            matches = _match_braces(text)
        end = best
