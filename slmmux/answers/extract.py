"""Answer extraction: small composable steps per benchmark, in a ``strict`` and a ``flexible`` mode.

Each extractor is a chain of *filters* (in the spirit of lm-evaluation-harness filters): a filter
takes the completion text and returns a candidate answer or ``None``; the chain returns the first
candidate. ``strict`` chains contain only the prompt's own answer format; ``flexible`` chains start
with the strict filters, then fall back to robust patterns.

All filters run in time linear in the text (no nested quantifiers over the whole text, no lazy scan
retried from every unmatched opener, no recursion per answer marker); a completion is read from its last
:data:`MAX_COMPLETION_CHARS` characters and an answer longer than :data:`MAX_ANSWER_CHARS` is no answer,
so extraction of any input takes well under a second.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence

from slmmux.answers.boxed import _BOX_COMMANDS, _balanced_group, _box_content, last_boxed
from slmmux.answers.normalize import MAX_ANSWER_CHARS

Filter = Callable[[str], "str | None"]

MODES = ("strict", "flexible")
# Input bounds (see extract_answer): about 50k tokens, beyond any configured max_tokens; far longer than
# any real answer (the longest MATH-500 gold is under 200 characters).
MAX_COMPLETION_CHARS = 200_000

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
    r"(?!,*\d)"  # not the start of a longer number (",*": one pass over a run of commas, not one per digit)
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


_QUOTE_CHARS = '"“”`'
_NON_WORD_RUN = re.compile(r"\W*")


def _quoted(s: str) -> str | None:
    r"""The quoted text of ``s`` when ``s`` is one quotation followed only by punctuation (``"C".``,
    ``''x''``, ``\"5\"``), else None. The matches of
    ``^(?:\\?["“”`]|'')(?P<q>[^"“”`]*?)(?:\\?["“”`]|'')\W*$``, found in linear time (that expression
    retried its lazy scan at every closing candidate: quadratic on ``"`` + ``''`` * n)."""
    if s.startswith("''"):
        o = 2
    elif s[:1] and s[0] in _QUOTE_CHARS:
        o = 1
    elif s[:1] == "\\" and s[1:2] and s[1] in _QUOTE_CHARS:
        o = 2
    else:
        return None
    first = min((i for i in (s.find(c, o) for c in _QUOTE_CHARS) if i >= 0), default=len(s))
    tail = len(s) - _NON_WORD_RUN.match(s[::-1]).end()  # s[tail:] is all non-word characters
    p = s.find("''", max(o, tail - 2), first)  # the lazy group ends at the first closing candidate that fits
    if p >= 0:
        return s[o:p]
    if first < len(s) and first + 1 >= tail:
        return s[o : first - 1] if first - 1 >= o and s[first - 1] == "\\" else s[o:first]
    return None
_LIST_REST = re.compile(r"(?:[\s,;.]|\band\b|\bor\b)*")


def _clean_phrase(s: str) -> str:
    s = _TRAILING_JUNK.sub("", s.strip()).strip()
    s = s.strip("*").strip()
    q = _quoted(s)
    if q is not None:  # 'The final answer is "$12$ and $13$".': the quoted text
        s = q.strip()
    if s.count("$") >= 4 and _LIST_REST.fullmatch(_spans_sub(s, lambda _sp: " ")):
        # "$12$ and $13$": several math spans joined by commas/"and" are one answer
        s = _spans_sub(s, lambda sp: sp.content)
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


# the answer phrase without what follows it: finds the markers nested inside one phrase's answer
_ANSWER_MARKER = re.compile(_ANSWER_PHRASE.pattern.split(r"\s*(?:\*\*)?\s*(?P<ans>")[0])
_AFTER_MARKER = re.compile(r"\s*(?:\*\*)?\s*")


def _last_phrase(text: str) -> str | None:
    """The answer after the last answer phrase; when that answer holds further phrases ("Final Answer:
    The final answer is $x$"), the answer after the innermost one that is not empty.

    Iterative and linear in the text: a phrase's answer runs to the end of its line, so the nested
    phrases are the markers found left to right in it; a degenerate loop (``"Answer: " * 995``) is
    one pass, not one recursion per marker."""
    last = None
    for last in _ANSWER_PHRASE.finditer(text):
        pass
    if last is None:
        return None
    start, end = last.start("ans"), last.end("ans")
    # candidate starts of the answer, outermost first: after each nested marker's own spacing
    starts = [start]
    for m in _ANSWER_MARKER.finditer(text, start, end):
        starts.append(_AFTER_MARKER.match(text, m.end(), end).end())
    for s in reversed(starts):
        ans = _clean_phrase(text[s:end])
        if ans:
            return ans
    return None


def _bare(text: str, max_len: int = 80) -> str | None:
    """The whole text when it is a single short line: a bare answer rather than a completion."""
    s = text.strip()
    if not s or len(s) > max_len or "\n" in s:
        return None
    spans = _math_spans(s)
    if spans and not (len(spans) == 1 and spans[0].span() == (0, len(s))):
        return None  # prose around math ("Answer $ 9 $"): the math span is the answer, see math_last_span
    if len(_PROSE_WORD.findall(_TEXT_ARG.sub(" ", s))) >= 2 and len(_NUMBER.findall(s)) == 1 and not spans:
        return last_number(s)  # a sentence with one number and no math ("It is 4."): the number
    return _clean_phrase(s) or None


# \text{...} arguments and function names (sqrt(3)) are not prose words
_TEXT_ARG = re.compile(r"\\(?:text|mbox|textbf|textit|mathrm)\{[^{}]*\}|[A-Za-z]+(?=\()")


# --------------------------------------------------------------------------------------------------
# MATH


# Math spans: display ($$...$$, \[...\]) may run over lines, inline ($...$, \(...\)) may not (as in
# math-verify). An escaped dollar \$ is not a delimiter. The spans are those of the regular expression
#   \$\$(.+?)\$\$ | \\\[(.+?)\\\] | (?<!\\)\$((?:\\\$|[^$\n])+?)(?<!\\)\$ | \\\(([^\n]+?)\\\)   (re.S)
# found by a linear scan (:func:`_math_spans`): that expression, with finditer, retries the lazy scan from
# every opener without a closer ("\\(" * 30000 took 17 s); the scan remembers where each closer was last
# found, so every character is looked at a bounded number of times.
_SPAN_OPENER = re.compile(r"\$|\\[\[(]")


class _Span:
    __slots__ = ("start", "end", "content")

    def __init__(self, start: int, end: int, content: str):
        self.start, self.end, self.content = start, end, content

    def span(self) -> tuple[int, int]:
        return self.start, self.end


class _NextFinder:
    """``text.find(needle, pos)`` for non-decreasing ``pos``, each character searched once."""

    def __init__(self, text: str, needle: str):
        self.text, self.needle, self.at = text, needle, -1

    def __call__(self, pos: int) -> int:
        if self.at < pos:
            found = self.text.find(self.needle, pos)
            self.at = found if found >= 0 else len(self.text) + 1
        return self.at


def _math_spans(text: str) -> list[_Span]:
    """The math spans of ``text``, left to right, non-overlapping (see the comment above); linear time."""
    spans: list[_Span] = []
    n = len(text)
    dd, db, dp, nl, dollar = (_NextFinder(text, x) for x in ("$$", "\\]", "\\)", "\n", "$"))

    def inline_dollar_close(pos: int) -> int:  # the first $ at or after pos not preceded by a backslash
        while True:
            k = dollar(pos)
            if k > n or text[k - 1] != "\\":
                return k
            pos = k + 1

    pos = 0
    while True:
        m = _SPAN_OPENER.search(text, pos)
        if m is None:
            return spans
        i = m.start()
        span = None
        if text.startswith("$$", i):
            j = dd(i + 3)
            if j <= n:
                span = _Span(i, j + 2, text[i + 2 : j])
        elif text.startswith("\\[", i):
            j = db(i + 3)
            if j <= n:
                span = _Span(i, j + 2, text[i + 2 : j])
        elif text.startswith("\\(", i):
            j = dp(i + 3)
            if j <= n and nl(i + 2) > j:
                span = _Span(i, j + 2, text[i + 2 : j])
        if span is None and text[i] == "$" and (i == 0 or text[i - 1] != "\\") and i + 1 < n \
                and text[i + 1] not in "$\n":
            k = inline_dollar_close(i + 2)
            if k <= n and nl(i + 1) > k:
                span = _Span(i, k + 1, text[i + 1 : k])
        if span is None:
            pos = i + 1
        else:
            spans.append(span)
            pos = span.end


def _spans_sub(text: str, repl) -> str:
    """``text`` with each math span replaced by ``repl(span)`` (a string)."""
    out, last = [], 0
    for sp in _math_spans(text):
        out.append(text[last : sp.start])
        out.append(repl(sp))
        last = sp.end
    out.append(text[last:])
    return "".join(out)


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
    for m in _math_spans(text):
        content = m.content.strip().rstrip(".,;").strip()
        if not content or (skip_variables and _LONE_VARIABLE.fullmatch(content)):
            continue
        last, last_end = content, m.end
    after = prose_last_number(text[last_end:]) if last_end < len(text) else None
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
                spans = [m.span() for m in _math_spans(text)]
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
    if len(_PROSE_WORD.findall(_spans_sub(ans, lambda _sp: " "))) >= 2:
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
    if phrase is None or len(_PROSE_WORD.findall(_spans_sub(phrase, lambda _sp: " "))) >= 2:
        return box  # the phrase is prose without a value ("the answer is the one above")
    return phrase


def gold_answer(gold: str) -> str:
    """The answer in a MATH gold: the (joined) boxes or the "final answer is" phrase of a gold given as
    a worked solution, else the gold itself (a bare answer, possibly ``$``-delimited)."""
    if "\\boxed" in gold or "\\fbox" in gold:
        box = math_boxed(gold)
        if box is not None:
            return box
    if "\n" in gold.strip() or len(gold) > 200 or _ANSWER_PHRASE.search(gold):  # a solution, or prose
        phrase = math_phrase(gold)
        if phrase is not None:
            return phrase
    return gold


def math_bare(text: str) -> str | None:
    return _bare(text)


_CODE_FENCE = re.compile(r"```.*?(?:```|\Z)", re.S)
# a line of code, anchored at a line start and without nested or unbounded-backtracking quantifiers
# ("[ \t]*", not "\s*", which would run over all following blank lines from every line start)
_CODE_LINE = re.compile(r"^[ \t]*(?:def |class |import |from [\w.]+ import |return\b|print\(|for \w+(?:, *\w+)* in |"
                        r"while [^\n:]*:|if [^\n:]*:[ \t]*$|[A-Za-z_][\w.\[\]]* *[-+*/]?= *\S)", re.M)


def prose_last_number(text: str) -> str | None:
    """The last number of the prose: not inside a fenced code block, and none at all when the text is
    unfenced code (two or more code-like lines): the last number of a program is not its answer."""
    if "```" in text:
        text = _CODE_FENCE.sub(" ", text)
    lines = 0
    for _ in _CODE_LINE.finditer(text):
        lines += 1
        if lines >= 2:
            return None
    return last_number(text)


def math_last_number(text: str) -> str | None:
    return prose_last_number(text)


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
    return prose_last_number(text)


# --------------------------------------------------------------------------------------------------
# GPQA

_GPQA_MARKER = re.compile(r"##\s*(?i:answer)\s*:?\s*\(?\s*(?P<l>[A-Da-d])\s*\)?\s*##")
# One chosen letter, in every wrapping models use: (B) （B） [B], \mathrm{E} \textbf{A} \boxed{\text{(C)}},
# "C" 'C' “C”, **B**, a bare capital, or a lower-case letter when delimited or ending the sentence.
# Options run A-J (GPQA has A-D; a letter past the options is simply wrong).
_LETTER = (
    r"(?:[(（\[]\s*(?P<l1>[A-Ja-j])\s*[)）\]]"
    r"|\\(?:boxed|text|textbf|textrm|mathrm|mathbf)\s*\{\s*(?:\\text(?:bf)?\{)?\s*[(（]?(?P<l2>[A-Ja-j])[)）]?\s*\}?\s*\}"
    r"|[\"'“‘`](?P<l3>[A-Ja-j])[\"'”’`]"
    r"|\*\*\s*(?P<l4>[A-J])\s*\*\*"
    r"|(?P<l5>[A-HJ])(?![\w'’])"  # not a bare "I" ("Answer: I think it is C")
    r"|(?P<l6>[a-j])(?=\s*[.,;:)）]?\s*(?:$|\n|[,，。;]))"
    r")"
)
_LETTER_GROUPS = ("l1", "l2", "l3", "l4", "l5", "l6")
_LETTER_RE = re.compile(_LETTER)
# a second letter right after the first ("A, B", "A and C", "B/D"): several letters are one answer, "A, B"
_MORE_LETTERS = re.compile(r"\s*(?:,|，|、|/|&|\band\b|\bor\b)\s*" + _LETTER)
_GPQA_PHRASE = re.compile(
    r"(?:(?i:answer\s*(?:is|:)|answer\s+is\s*:|correct\s+(?:option|choice)\s+is|choose|select)"
    r"|(?:正确)?答案\s*(?:是|为|應為|应为)?\s*[:：]?|(?:選|选)(?:项|項|择|擇)?\s*[:：]?)"
    r"\s*(?:\*\*|\$)?\s*"
    # up to three lower-case words before the letter ("answer is for sure D"), never a negation
    # ("the answer is not A" names no answer)
    r"(?:(?!(?:not|never|no|neither|nor|but)\b)[a-z]{2,}\s+){0,3}(?i:option\s+|choice\s+)?"
    + _LETTER
)


def _letter_of(m: re.Match) -> str:
    return next(m.group(g) for g in _LETTER_GROUPS if m.group(g)).upper()


def _letters_at(text: str, m: re.Match) -> str:
    """The letter of ``m``, or "A, B" when more letters follow it."""
    letters = [_letter_of(m)]
    pos = m.end()
    while len(letters) < 10:
        more = _MORE_LETTERS.match(text, pos)
        if more is None:
            break
        letters.append(_letter_of(more))
        pos = more.end()
    return ", ".join(letters)


_GPQA_PAREN = re.compile(r"(?<![\w(])\((?P<l>[A-D])\)(?![\w)])")
_GPQA_LAST_LINE = re.compile(r"^[\s*#>]*(?:(?i:option|choice)\s+)?\(?(?P<l>[A-D])\)?[\s.:*]*$")


def gpqa_marker(text: str) -> str | None:
    """The letter of the last ``##Answer: X##`` marker (the prompt's format)."""
    last = None
    for last in _GPQA_MARKER.finditer(text):
        pass
    return last.group("l").upper() if last else None


def gpqa_phrase(text: str) -> str | None:
    """"answer is (C)", "Answer: [b]", "The correct option is \\mathrm{B}", "答案：（B）", ... (see
    ``_LETTER``); several letters ("Answer: A, C") come back as "A, C", which no single letter equals."""
    last = None
    for last in _GPQA_PHRASE.finditer(text):
        pass
    if last is None:
        return None
    return _letters_at(text, last)


def gpqa_boxed(text: str) -> str | None:
    box = last_boxed(text)
    if box is None:
        return None
    m = _LETTER_RE.fullmatch(box.strip()) or _LETTER_RE.fullmatch("\\boxed{" + box.strip() + "}")
    return _letter_of(m) if m else None


_GPQA_BARE = re.compile(r"\s*[(（\[]?\s*([A-Da-d])\s*[)）\]]?\.?\s*")


def gpqa_bare(text: str) -> str | None:
    """A completion that is only a letter, in either case: ``b``, ``(B)``, ``c.``."""
    m = _GPQA_BARE.fullmatch(text) if len(text) < 64 else None
    return m.group(1).upper() if m else None


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
        "flexible": (gpqa_marker, gpqa_bare, gpqa_phrase, gpqa_boxed, gpqa_last_line, gpqa_parenthesised,
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


_END_OF_REASONING = "</think>"


def after_reasoning(text: str) -> str:
    """The text after the last ``</think>`` of a reasoning model, when there is any: the reasoning
    before it names candidate answers ("maybe B... no, C"), the part after it states the answer."""
    i = text.rfind(_END_OF_REASONING)
    if i < 0:
        return text
    rest = text[i + len(_END_OF_REASONING):]
    return rest if rest.strip() else text


def run_chain(text: str, filters: Sequence[Filter]) -> str | None:
    """The first non-empty candidate of the chain; one longer than :data:`MAX_ANSWER_CHARS` means no answer."""
    for f in filters:
        ans = f(text)
        if ans is not None:
            ans = ans.strip()
            if ans:
                return ans if len(ans) <= MAX_ANSWER_CHARS else None
    return None


def extract_answer(text: str | None, benchmark: str, mode: str = "flexible") -> str | None:
    """The final answer in a completion, or None when there is none.

    ``benchmark`` is ``"math"``, ``"gsm8k"``, ``"gpqa"`` or ``"arith"`` (answers: an integer, ``"-12"``); ``mode`` is ``"strict"`` (only the prompt's
    answer format: MATH ``\\boxed{}``; GSM8K ``#### N`` or "The answer is N"; GPQA ``##Answer: X##``)
    or ``"flexible"`` (strict first, then fallbacks). GSM8K answers come back as plain numbers
    (``"1234"``, ``"-3.5"``, ``"3/4"``), GPQA answers as one letter A-D, MATH answers as the raw
    LaTeX of the answer (normalise it with :func:`slmmux.answers.normalize_math`).

    Bounds: only the last :data:`MAX_COMPLETION_CHARS` characters are read; an extracted answer longer
    than :data:`MAX_ANSWER_CHARS` counts as no answer (a degenerate loop, not an answer); a non-string
    ``text`` has no answer. Every filter runs in time linear in the text.
    """
    if not isinstance(benchmark, str) or benchmark not in CHAINS:
        raise ValueError(f"unknown benchmark {benchmark!r}; expected one of {', '.join(CHAINS)}")
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"unknown extraction mode {mode!r}; expected one of {', '.join(MODES)}")
    if not isinstance(text, str) or not text:
        return None  # no completion (None, a non-string value from a corrupt file): no answer
    if len(text) > MAX_COMPLETION_CHARS:
        text = text[-MAX_COMPLETION_CHARS:]  # the answer is at the end; the head of a runaway loop is not read
    return run_chain(after_reasoning(strip_chat_template(text)), CHAINS[benchmark][mode])
