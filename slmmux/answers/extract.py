"""Answer extraction: small composable steps per benchmark, in a ``strict`` and a ``flexible`` mode.

Each extractor is a chain of *filters* (in the spirit of lm-evaluation-harness filters): a filter
takes the completion text and returns a candidate answer or ``None``; the chain returns the first
candidate. ``strict`` chains contain only the prompt's own answer format; ``flexible`` chains start
with the strict filters, then fall back to robust patterns.

All filters run in time linear in the text (no nested quantifiers over the whole text), so a 1 MB
completion is handled in milliseconds.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence

Filter = Callable[[str], "str | None"]

MODES = ("strict", "flexible")

# --------------------------------------------------------------------------------------------------
# \boxed{...}

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
    while True:
        best = -1
        best_cmd = ""
        for cmd in _BOX_COMMANDS:
            p = text.rfind(cmd, 0, end)
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


# --------------------------------------------------------------------------------------------------
# Numbers (GSM8K, and the last-resort fallback for MATH)

# A number: optional sign, optional $, digits with optional thousands separators, optional decimals,
# or a plain fraction a/b. The sign must not follow a word character or a closing bracket (so the
# "5" of "3-5" is not -5).
# Thousands separators: "," and the unambiguous LaTeX/typographic ones ("\,", "{,}", thin spaces).
_SEP = r"(?:,|\\,|\{,\}|[\u2009\u202f])"
_NUMBER = re.compile(
    r"(?<![\w.)\]])(?P<sign>-\s?)?\$?\s?"
    r"(?P<num>\d{1,3}(?:" + _SEP + r"\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?:\s?/\s?(?P<den>\d+(?:\.\d+)?))?"
    r"(?![\d,]*\d)"
)
# A number grouped by plain spaces ("1 000", "-12 345.5"), read as one number only where the number is
# the whole answer (a bare answer, or right after an answer marker), never in running prose ("5 100-m races").
_SPACED_NUMBER = re.compile(r"\s*(?P<sign>-\s?)?\$?\s?(?P<num>\d{1,3}(?: \d{3})+(?:\.\d+)?)(?![\d\w,/-]|\.\d)")
_NON_DIGIT = re.compile(r"[^\d.]")


def _number_text(m: re.Match) -> str:
    s = ("-" if m.group("sign") else "") + _NON_DIGIT.sub("", m.group("num"))
    if m.groupdict().get("den"):
        s += "/" + m.group("den")
    return s


def first_number(text: str) -> str | None:
    """The first number in ``text``; a leading space-grouped number ("1 000 apples") counts whole."""
    m = _SPACED_NUMBER.match(text)
    if m:
        return _number_text(m)
    m = _NUMBER.search(text)
    return _number_text(m) if m else None


def last_number(text: str) -> str | None:
    """The last number in ``text`` (thousands separators and ``$`` removed, sign kept)."""
    last = None
    for last in _NUMBER.finditer(text):
        pass
    return _number_text(last) if last else None


# --------------------------------------------------------------------------------------------------
# Generic phrase filters

_ANSWER_PHRASE = re.compile(
    r"(?i:(?:the\s+)?final\s+answer\s*(?:is\s*:?|:)|(?:the\s+)?answer\s+is\s*:?|answer\s*:)"
    r"\s*(?:\*\*)?\s*(?P<ans>[^\n]*)"
)
_TRAILING_JUNK = re.compile(r"(?i)(?:\.\s*i hope it is correct\.?|\*\*)\s*$")


_QUOTES = re.compile(r'^(?:\\?["“”`]|\'\')(?P<q>[^"“”`]*?)(?:\\?["“”`]|\'\')\W*$', re.S)
_LIST_REST = re.compile(r"(?:[\s,;.]|\band\b|\bor\b)*")


def _clean_phrase(s: str) -> str:
    s = _TRAILING_JUNK.sub("", s.strip()).strip()
    s = s.strip("*").strip()
    m = _QUOTES.match(s)
    if m:  # 'The final answer is "$12$ and $13$".': the quoted text
        s = m.group("q").strip()
    if s.count("$") >= 4 and _LIST_REST.fullmatch(_MATH_SPAN.sub(" ", s)):
        # "$12$ and $13$": several math spans joined by commas/"and" are one answer
        s = _MATH_SPAN.sub(lambda m: next(g for g in m.groups() if g is not None), s)
    if s.startswith("$$") and s.count("$$") >= 2:
        s = s[2 : s.index("$$", 2)]
    elif len(s) >= 2 and s[0] == "$" and s.count("$") >= 2:
        s = s[1 : s.index("$", 1)]
    elif s.startswith("\\(") and "\\)" in s:
        s = s[2 : s.index("\\)")]
    elif s.startswith("\\[") and "\\]" in s:
        s = s[2 : s.index("\\]")]
    s = s.strip().rstrip(".").strip()
    return s


def _last_phrase(text: str) -> str | None:
    last = None
    for last in _ANSWER_PHRASE.finditer(text):
        pass
    if last is None:
        return None
    inner = _last_phrase(last.group("ans"))  # "Final Answer: The final answer is $x$"
    if inner is not None:
        return inner
    ans = _clean_phrase(last.group("ans"))
    return ans or None


def _bare(text: str, max_len: int = 80) -> str | None:
    """The whole text when it is a single short line: a bare answer rather than a completion."""
    s = text.strip()
    if not s or len(s) > max_len or "\n" in s:
        return None
    spans = _MATH_SPAN.findall(s)
    if spans and not (len(spans) == 1 and _MATH_SPAN.fullmatch(s)):
        return None  # prose around math ("Answer $ 9 $"): the math span is the answer, see math_last_span
    if len(_PROSE_WORD.findall(_TEXT_ARG.sub(" ", s))) >= 2 and len(_NUMBER.findall(s)) == 1 and not spans:
        return last_number(s)  # a sentence with one number and no math ("It is 4."): the number
    return _clean_phrase(s) or None


# \text{...} arguments and function names (sqrt(3)) are not prose words
_TEXT_ARG = re.compile(r"\\(?:text|mbox|textbf|textit|mathrm)\{[^{}]*\}|[A-Za-z]+(?=\()")


# --------------------------------------------------------------------------------------------------
# MATH


# Math spans: display ($$...$$, \[...\]) may run over lines, inline ($...$, \(...\)) may not (as in
# math-verify). An escaped dollar \$ is not a delimiter.
_MATH_SPAN = re.compile(
    r"\$\$(?P<dd>.+?)\$\$|\\\[(?P<db>.+?)\\\]|(?<!\\)\$(?P<d>(?:\\\$|[^$\n])+?)(?<!\\)\$|\\\((?P<p>[^\n]+?)\\\)",
    re.S,
)
# What may stand between two boxes that together give one answer: "\boxed{1}, \boxed{2} and \boxed{3}",
# "$\boxed{a}$ \quad \text{and} \quad $\boxed{b}$" (whitespace, commas, "and"/"or", spacing, delimiters).
# Also: a \text{} that ends in a conjunction ("\text{ for part (a) and }"), one label word right after a
# box before the conjunction ("\boxed{1} papers and \boxed{2}"), and an assignment label right before the
# next box ("\boxed{a} \) and \( y_2 = \boxed{b}").
_BOX_SEPARATOR = re.compile(
    r"(?:\s*[A-Za-z]{2,}(?=\s*(?:,|\band\b|\bor\b)))?"
    r"(?:\s|[,;$]|\\[,;:! ]|\\q?quad|\\[()\[\]]|\\text\{(?:[^{}]*?(?:\band|\bor|,))?\s*\}|\band\b|\bor\b)*"
    r"(?:(?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?\w+\}?)?\s*=\s*)?"
)


def _rightmost_value(text: str, skip_variables: bool) -> str | None:
    """The last value of ``text``: its last math span, unless a plain number in the prose comes after it
    ("we get $d = 90/n$ ... so there are 12 sequences" is 12; math-verify also takes the rightmost of
    the two). A span that is really prose (``$? just about 1$``: the dollars were not math) gives its
    last number. ``skip_variables``: a span that is a lone variable name (``$n$``) is not a value."""
    last = None
    last_end = 0
    for m in _MATH_SPAN.finditer(text):
        content = next(g for g in m.groups() if g is not None).strip().rstrip(".,;").strip()
        if not content or (skip_variables and _LONE_VARIABLE.fullmatch(content)):
            continue
        last, last_end = content, m.end()
    after = last_number(text[last_end:]) if last_end < len(text) else None
    if after is not None:
        return after
    if last is not None and len(_PROSE_WORD.findall(last)) >= 2 and "\\" not in last:
        return last_number(last) or last
    return last


def math_last_span(text: str) -> str | None:
    """The last value: the content of the last math span (``$..$``, ``$$..$$``, ``\\(..\\)``,
    ``\\[..\\]``), or a plain number in the prose after it (see :func:`_rightmost_value`).

    For predictions without a box or answer phrase ("Answer $ 9 $", "We find that $x \\lt 3$."); a
    span holding only a trailing period or nothing is skipped.
    """
    return _rightmost_value(text, skip_variables=False)


_PROSE_WORD = re.compile(r"(?<![\\\w])[A-Za-z]{2,}\b")


_LONE_VARIABLE = re.compile(r"[A-Za-z]|\\[A-Za-z]+")


def _span_of(spans: list[tuple[int, int]], pos: int) -> int | None:
    """Index of the math span (sorted, disjoint ``(start, end)``) that contains ``pos``, or None."""
    i = bisect.bisect_right(spans, (pos, float("inf"))) - 1
    return i if i >= 0 and spans[i][0] <= pos < spans[i][1] else None


def math_boxed(text: str) -> str | None:
    """The last box; several boxes are one answer ``a, b, c`` when they are separated only by commas,
    "and"/"or", spacing or labels (see ``_BOX_SEPARATOR``), or when they lie in the same math span
    (``$$\\boxed{a} \\text{ for part (a) and } \\boxed{b}$$``), as math-verify reads them."""
    if not text:
        return None
    parts: list[str] = []
    end = len(text)
    spans: list[tuple[int, int]] | None = None  # math spans, found when first needed
    while True:
        pos = max(text.rfind(cmd, 0, end) for cmd in _BOX_COMMANDS)
        if pos < 0:
            break
        cmd = next(c for c in _BOX_COMMANDS if text.startswith(c, pos))
        content = _box_content(text, pos, cmd)
        if content is None or not content.strip():
            if not parts:
                return last_boxed(text)  # a malformed last box: the previous well-formed one, alone
            break
        group = _balanced_group(text, text.index("{", pos)) if "{" in text[pos:pos + len(cmd) + 2] else None
        box_end = group[1] if group else pos + len(cmd) + 1 + len(content)
        if parts and not _BOX_SEPARATOR.fullmatch(text[box_end:end]):
            if spans is None:
                spans = [m.span() for m in _MATH_SPAN.finditer(text)]
            same = _span_of(spans, end)
            if same is None or _span_of(spans, pos) != same:
                break
        parts.append(content.strip())
        end = pos
        if len(parts) >= 32:
            break
    if not parts:
        return None
    return ", ".join(reversed(parts))


def math_phrase(text: str) -> str | None:
    """"The final answer is $X$" / "answer: X" (Minerva style), with ``\\boxed`` inside unwrapped."""
    ans = _last_phrase(text)
    if ans is None:
        return None
    inner = last_boxed(ans)
    if inner is not None:
        return inner
    if len(_PROSE_WORD.findall(_MATH_SPAN.sub(" ", ans))) >= 2:
        # a sentence ("The largest $n$ is 34.", "The volume of $ABCD$ is 120."): its rightmost value
        return _rightmost_value(ans, skip_variables=True) or ans
    return ans


def math_boxed_or_later_phrase(text: str) -> str | None:
    """The box (:func:`math_boxed`), unless an answer phrase comes after the last box and states a value:
    "... $\\boxed{200}$ ... $\\boxed{255}$ ... The final answer is $10,455$." is 10,455 (boxed intermediate
    results, then the stated answer; math-verify also takes the rightmost of the two)."""
    box = math_boxed(text)
    if box is None:
        return None
    last = None
    for last in _ANSWER_PHRASE.finditer(text):
        pass
    if last is None or last.start() < max(text.rfind(cmd) for cmd in _BOX_COMMANDS):
        return box
    phrase = math_phrase(text[last.start():])
    if phrase is None or len(_PROSE_WORD.findall(_MATH_SPAN.sub(" ", phrase))) >= 2:
        return box  # the phrase is prose without a value ("the answer is the one above")
    return phrase


def gold_answer(gold: str) -> str:
    """The answer in a MATH gold: the (joined) boxes or the "final answer is" phrase of a gold given as
    a worked solution, else the gold itself (a bare answer, possibly ``$``-delimited)."""
    if "\\boxed" in gold or "\\fbox" in gold:
        box = math_boxed(gold)
        if box is not None:
            return box
    if "\n" in gold.strip() or len(gold) > 200:
        phrase = math_phrase(gold)
        if phrase is not None:
            return phrase
    return gold


def math_bare(text: str) -> str | None:
    return _bare(text)


def math_last_number(text: str) -> str | None:
    return last_number(text)


# --------------------------------------------------------------------------------------------------
# GSM8K

_HASHES = re.compile(r"####\s*(?P<ans>[^\n]*)")
_GSM_PHRASE = re.compile(r"(?i:the\s+(?:final\s+)?answer\s+is)\s*:?\s*(?P<ans>[^\n]*)")


def _last_match_number(pattern: re.Pattern, text: str) -> str | None:
    last = None
    for last in pattern.finditer(text):
        pass
    if last is None:
        return None
    return first_number(last.group("ans"))


def gsm8k_hashes(text: str) -> str | None:
    """The number after the last ``#### `` marker."""
    return _last_match_number(_HASHES, text)


def gsm8k_answer_is(text: str) -> str | None:
    """The number after the last "The answer is"."""
    return _last_match_number(_GSM_PHRASE, text)


def gsm8k_answer_phrase(text: str) -> str | None:
    """The first number after the last "answer:" / "final answer is" phrase."""
    last = None
    for last in _ANSWER_PHRASE.finditer(text):
        pass
    return first_number(last.group("ans")) if last else None


def gsm8k_boxed(text: str) -> str | None:
    box = last_boxed(text)
    return last_number(box) if box is not None else None


def gsm8k_bare(text: str) -> str | None:
    """The whole text when it is one number with space-grouped thousands ("1 000", "$12 345.50.")."""
    m = _SPACED_NUMBER.match(text)
    if m and not text[m.end():].strip().rstrip("."):
        return _number_text(m)
    return None


def gsm8k_last_number(text: str) -> str | None:
    return last_number(text)


# --------------------------------------------------------------------------------------------------
# GPQA

_GPQA_MARKER = re.compile(r"##\s*(?i:answer)\s*:?\s*\(?\s*(?P<l>[A-Da-d])\s*\)?\s*##")
_GPQA_PHRASE = re.compile(
    r"(?i:answer\s*(?:is|:)|answer\s+is\s*:|correct\s+(?:option|choice)\s+is|choose|select)"
    r"\s*(?:\*\*|\$)?\s*"
    # up to three lower-case words before the letter ("answer is for sure D"), never a negation
    # ("the answer is not A" names no answer)
    r"(?:(?!(?:not|never|no|neither|nor|but)\b)[a-z]+\s+){0,3}(?i:option\s+|choice\s+)?"
    r"(?:\((?P<p>[A-D])\)|\\(?:boxed|text|textbf)\{\(?(?P<b>[A-D])\)?\}|(?P<l>[A-D])(?![\w'’]))"
)
_GPQA_PAREN = re.compile(r"(?<![\w(])\((?P<l>[A-D])\)(?![\w)])")
_GPQA_LAST_LINE = re.compile(r"^[\s*#>]*(?:(?i:option|choice)\s+)?\(?(?P<l>[A-D])\)?[\s.:*]*$")


def gpqa_marker(text: str) -> str | None:
    """The letter of the last ``##Answer: X##`` marker (the prompt's format)."""
    last = None
    for last in _GPQA_MARKER.finditer(text):
        pass
    return last.group("l").upper() if last else None


def gpqa_phrase(text: str) -> str | None:
    """"answer is (C)", "Answer: C", "The correct option is B", ... (upper-case letter, not a word)."""
    last = None
    for last in _GPQA_PHRASE.finditer(text):
        pass
    if last is None:
        return None
    return last.group("p") or last.group("b") or last.group("l")


def gpqa_boxed(text: str) -> str | None:
    box = last_boxed(text)
    if box is None:
        return None
    m = re.fullmatch(r"\s*(?:\\text(?:bf)?\{)?\(?([A-D])\)?\}?\s*", box)
    return m.group(1) if m else None


def gpqa_last_line(text: str) -> str | None:
    """The last non-empty line when it is only a letter, e.g. ``C``, ``(C)``, ``**C.**``."""
    for line in reversed(text.strip().splitlines()[-3:] if text.strip() else []):
        if line.strip():
            m = _GPQA_LAST_LINE.match(line)
            return m.group("l") if m else None
    return None


_GPQA_LEADING = re.compile(r"\s*(?:\*\*)?\(?(?P<l>[A-D])\)?(?:\*\*)?[.:)](?:\s|$)")
_GPQA_LINE_OPTION = re.compile(r"^\s*(?:\*\*)?\(?(?P<l>[A-D])\)?(?:\*\*)?[.:)]\s", re.M)
_GPQA_TRAILING = re.compile(r"(?:^|[\s(*])\(?(?P<l>[A-D])\)?[\s.!)*]*$")


def gpqa_leading_letter(text: str) -> str | None:
    """A completion that opens with its choice: "D. it can't be A or B", "(B) because ...". Not when
    the text lists the options one per line ("A. 5 mol" / "B. 6 mol": a restatement, not a choice)."""
    m = _GPQA_LEADING.match(text)
    if m is None:
        return None
    if any(o.group("l") != m.group("l") for o in _GPQA_LINE_OPTION.finditer(text, m.end())):
        return None
    return m.group("l")


def gpqa_trailing_letter(text: str) -> str | None:
    """A completion whose last word is a standalone letter: "... therefore I think it's B"."""
    m = _GPQA_TRAILING.search(text[-200:])
    return m.group("l") if m else None


def gpqa_parenthesised(text: str) -> str | None:
    """The last parenthesised capital letter ``(A)``..``(D)`` standing alone."""
    last = None
    for last in _GPQA_PAREN.finditer(text):
        pass
    return last.group("l") if last else None


# --------------------------------------------------------------------------------------------------
# arith (the generated benchmark of slmmux.arith): a reduction ``3+4*-3=3+-12=-9`` ending with the
# integer, or (prompt v1) the integer alone

_ARITH_INTEGER = re.compile(r"[+-]?\d{1,40}")
_ARITH_LAST = re.compile(r"(?<![\d.])-?\d{1,40}(?![\d.])")


def arith_integer(text: str) -> str | None:
    """The prompt's format: the whole completion is one integer; as ``str(int)``."""
    s = text.strip().rstrip(".").strip()
    return str(int(s)) if _ARITH_INTEGER.fullmatch(s) else None


def arith_final_step(text: str) -> str | None:
    """The prompt's format: the step after the last ``=`` of a reduction is one integer."""
    head, sep, last = text.rpartition("=")
    return arith_integer(last) if sep and head.strip() else None


def arith_last_integer(text: str) -> str | None:
    """The last integer standing alone (not part of a decimal) in the completion."""
    last = None
    for last in _ARITH_LAST.finditer(text[-2000:]):
        pass
    return str(int(last.group())) if last else None


# --------------------------------------------------------------------------------------------------
# Chains

CHAINS: dict[str, dict[str, Sequence[Filter]]] = {
    "math": {
        "strict": (math_boxed,),
        "flexible": (math_boxed_or_later_phrase, math_phrase, math_bare, math_last_span, math_last_number),
    },
    "gsm8k": {
        "strict": (gsm8k_hashes, gsm8k_answer_is),
        "flexible": (gsm8k_hashes, gsm8k_answer_is, gsm8k_answer_phrase, gsm8k_boxed, gsm8k_bare,
                     gsm8k_last_number),
    },
    "gpqa": {
        "strict": (gpqa_marker,),
        "flexible": (gpqa_marker, gpqa_phrase, gpqa_boxed, gpqa_last_line, gpqa_parenthesised,
                     gpqa_leading_letter, gpqa_trailing_letter),
    },
    "arith": {
        "strict": (arith_integer, arith_final_step),
        "flexible": (arith_integer, arith_final_step, gsm8k_answer_is, arith_last_integer),
    },
}


# Chat-template special tokens (<|im_start|>, <|im_end|>, <|eot_id|>, <|start_header_id|>, <|endoftext|>,
# ...) and the role name that may follow one.
_CHAT_TOKEN = re.compile(r"<\|[A-Za-z][A-Za-z0-9_]+\|>")
_ROLE = re.compile(r"\s*(?i:(?P<other>system|user|human|tool)|assistant|gpt|model|bot)\s*(?:\n|:|$)")


def strip_chat_template(text: str) -> str:
    """The model's own turn in a completion that runs into chat-template tokens: the first part
    between special tokens that holds more than a role name, skipping user/system turns (an echoed
    prompt). "... is 12. <|im_start|>user" is the text
    before the token; "<|im_start|>assistant\\nThe answer is 4<|im_end|>" is "The answer is 4"."""
    if "<|" not in text:
        return text
    for part in _CHAT_TOKEN.split(text):
        m = _ROLE.match(part)
        if m:
            if m.group("other"):
                continue  # a user/system turn (an echoed prompt), not the model's
            part = part[m.end():]
        if part.strip():
            return part
    return text


def run_chain(text: str, filters: Sequence[Filter]) -> str | None:
    for f in filters:
        ans = f(text)
        if ans is not None:
            ans = ans.strip()
            if ans:
                return ans
    return None


def extract_answer(text: str | None, benchmark: str, mode: str = "flexible") -> str | None:
    """The final answer in a completion, or None when there is none.

    ``benchmark`` is ``"math"``, ``"gsm8k"``, ``"gpqa"`` or ``"arith"`` (answers: an integer, ``"-12"``); ``mode`` is ``"strict"`` (only the prompt's
    answer format: MATH ``\\boxed{}``; GSM8K ``#### N`` or "The answer is N"; GPQA ``##Answer: X##``)
    or ``"flexible"`` (strict first, then fallbacks). GSM8K answers come back as plain numbers
    (``"1234"``, ``"-3.5"``, ``"3/4"``), GPQA answers as one letter A-D, MATH answers as the raw
    LaTeX of the answer (normalise it with :func:`slmmux.answers.normalize_math`).
    """
    if benchmark not in CHAINS:
        raise ValueError(f"unknown benchmark {benchmark!r}; expected one of {', '.join(CHAINS)}")
    if mode not in MODES:
        raise ValueError(f"unknown extraction mode {mode!r}; expected one of {', '.join(MODES)}")
    if not text:
        return None
    return run_chain(strip_chat_template(text), CHAINS[benchmark][mode])
