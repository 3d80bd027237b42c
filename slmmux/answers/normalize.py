"""String normalisation of answers and exact numeric parsing (the cheap, in-process paths).

:func:`normalize_math` rewrites a MATH answer to a canonical LaTeX-ish string, in the spirit of the
MATH repository's ``is_equiv`` but without its known bugs (``5\\text{ and }7`` becomes the list ``5,7``,
it is never cut to ``5``):

- removes ``$``, ``\\left``/``\\right``, ``\\displaystyle``, spacing commands (``\\,`` ``\\!`` ...) and
  all whitespace; ``\\dfrac``/``\\tfrac`` become ``\\frac``; ``\\frac12`` becomes ``\\frac{1}{2}``,
  ``\\sqrt2`` becomes ``\\sqrt{2}``; ``bmatrix`` and ``array`` (column spec dropped) become ``pmatrix``,
  brackets around a matrix environment (``\\left[\\begin{array}..\\end{array}\\right]``) go;
- "and"/"or" between items (also ``\\text{ and }``) become a comma: ``p=-1 \\text{ and } p=2`` is
  ``p=-1,p=2``; a comma followed by a space before three digits (``32, 349``) stays a list separator;
- drops degrees (``^\\circ``, ``°``) and percent signs (``10\\%`` and ``10`` are the same answer, as in
  MATH's grader: the question fixes the unit); drops trailing unit words (``5\\text{ cm}``), unwraps
  other ``\\text{}``/``\\mbox{}``/``\\textbf{}``; ``{,}`` and thousands separators of a lone number go;
- ``x = 3`` becomes ``3`` when the left side is a single variable (``x``, ``y_1``, ``\\theta``);
- a lone multiple-choice letter ``(C)`` becomes ``C``; ``.5`` becomes ``0.5``; a trailing ``.`` goes.

:func:`parse_number` reads plain numbers exactly (integers, decimals, ``a/b``, ``\\frac{a}{b}``,
``-\\frac{a}{b}``) as :class:`fractions.Fraction`; :func:`number_key` prints one canonically.
"""

from __future__ import annotations

import re
from fractions import Fraction

# An answer longer than this is a runaway loop, not an answer: extraction returns no answer and the
# normalisers return it stripped but otherwise unchanged (compared as exact text), so that their cost
# stays bounded whatever the input. The longest MATH-500 gold is under 200 characters.
MAX_ANSWER_CHARS = 10_000

_SPACING = re.compile(r"(?<!\\)\\[,;:! ]|\\quad|\\qquad|~")
_UNIT_WORDS = (
    "cm|centimeters?|mm|millimeters?|m|meters?|km|kilometers?|in|inch|inches|ft|foot|feet|yd|yards?|mi|miles?|"
    "units?|square\\s*units?|sq\\s*units?|degrees?|radians?|dollars?|cents?|hours?|hrs?|minutes?|mins?|seconds?|secs?|"
    "days?|weeks?|months?|years?|mph|kg|g|grams?|kilograms?|pounds?|lbs?|ounces?|oz|liters?|l|ml|gallons?|"
    "points?|people|students?|ways?|percent|percentage|pct|times|inches\\^2|feet\\^2|cm\\^2|m\\^2|sq\\s*ft|sq\\s*in"
)
_UNIT_WINDOW = 200  # characters: longer than any unit text ("\\text{ square centimeters }^2") or label
_UNIT_PREFIX = r"(?:square\s*|sq\.?\s*|cubic\s*)?"
_TRAILING_UNIT_TEXT = re.compile(
    r"\\(?:text|mbox|textrm|mathrm)\{\s*" + _UNIT_PREFIX + r"(?:" + _UNIT_WORDS + r")\s*\}(?:\^\{?[23]\}?)?$"
    r"|(?<=\d)\s*\\(?:text|mbox|textrm)\{\s*[A-Za-z][A-Za-z ]*\}$",  # 17\text{ any words}: a label after a number
    re.I,
)
_TEXT_CMD = re.compile(r"\\(?:text|mbox|textrm|textbf|textit|mathrm|mathbf|mathit|operatorname)\{([^{}]*)\}")
_FRAC_SHORT = re.compile(r"\\frac ?(\d)(\d)")
_FRAC_HALF_SHORT = re.compile(r"\\frac ?(\d)\{")
_FRAC_HALF_SHORT2 = re.compile(r"\\frac\{([^{}]*)\}(\d)")
_SQRT_SHORT = re.compile(r"\\sqrt ?(\d+|[a-zA-Z])")
# a variable (x, y_1, \theta, f(x)) as the left side of "x = 3"; a function of one (\sin(x)) is not a
# variable: "\sin(x) = 1/2" and "\cos(x) = 1/2" are different answers
_FUNCTIONS = "sin|cos|tan|cot|sec|csc|arcsin|arccos|arctan|sinh|cosh|tanh|log|ln|lg|exp|det|max|min|gcd|lcm"
_LHS_VARIABLE = re.compile(r"^(?:[a-zA-Z]|\\(?!(?:" + _FUNCTIONS + r")(?![a-zA-Z]))[a-zA-Z]+)(?:_\{?[\w]+\}?)?(?:\([a-z]\))?$")
# the left side of a relation that names what is given: a variable or a function applied to one
_SIMPLE_LHS = re.compile(r"^(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?[\w]+\}?)?(?:\^\{?\d\}?)?(?:\(?[a-z]\)?)?$")
_THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
# a unit word after a number and a space ("10 cm"); letters glued to a number ("10cm") are a product in
# LaTeX and stay (see docs/grading-policy.md)
GLUED_UNIT = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)(?:" + _UNIT_WORDS + r")$", re.I)
_TRAILING_UNIT_PLAIN = re.compile(r"(?<=\d)\s+" + _UNIT_PREFIX + r"(?:" + _UNIT_WORDS + r")\.?$", re.I)


_UNICODE = {"π": "\\pi ", "∞": "\\infty ", "×": "\\times ", "·": "\\cdot ", "−": "-", "≤": "\\le ", "≥": "\\ge ",
            "≠": "\\ne ", "√": "\\sqrt"}
_UNICODE_SQRT = re.compile(r"√\s*(\d+(?:\.\d+)?|[a-zA-Z]|\([^()]*\))")
BASE_NUMBER = re.compile(r"^-?[0-9A-Za-z]+_\{?\d+\}?$")


def _unicode_to_latex(s: str) -> str:
    """``25√2`` -> ``25\\sqrt{2}``, ``π`` -> ``\\pi`` (models print unicode math)."""
    s = _UNICODE_SQRT.sub(lambda m: "\\sqrt{" + m.group(1).strip("()") + "}", s)
    for k, v in _UNICODE.items():
        s = s.replace(k, v)
    return s


_RELATIONS = (
    (re.compile(r">=|\\geqslant(?![a-zA-Z])|\\ge(?![a-zA-Z])"), "\\geq "),
    (re.compile(r"<=|\\leqslant(?![a-zA-Z])|\\le(?![a-zA-Z])"), "\\leq "),
    (re.compile(r"!=|\\ne(?![a-zA-Z])"), "\\neq "),
    (re.compile(r"\\lt(?![a-zA-Z])"), "<"),
    (re.compile(r"\\gt(?![a-zA-Z])"), ">"),
)


def _relations(s: str) -> str:
    """One spelling per relation: ``>=``/``\\ge``/``\\geqslant`` -> ``\\geq``, ``\\lt`` -> ``<``, ``!=`` -> ``\\neq``."""
    for pattern, repl in _RELATIONS:
        s = pattern.sub(lambda _m, r=repl: r, s)
    return s


def _unwrap_text(s: str) -> str:
    prev = None
    while prev != s:
        prev = s
        s = _TEXT_CMD.sub(r"\1", s)
    return s


_ARRAY_BEGIN = re.compile(r"\\begin\{(?:array|bmatrix|pmatrix)\}(?:\{[lcr|\s]*\})?")
_ARRAY_END = re.compile(r"\\end\{(?:array|bmatrix|pmatrix)\}")
# brackets written around a matrix environment (\left[\begin{array}..\end{array}\right]): the environment
# already is the matrix
_BRACKETED_MATRIX = re.compile(r"[\[(]\s*(\\begin\{pmatrix\}(?:(?!\\begin\{pmatrix\}).)*?\\end\{pmatrix\})\s*[\])]")
# "a and b", "a, and b", "a or b" (also from \text{ and }): a list "a,b"; "land", "for", "\land" are not words
_CONJUNCTION = re.compile(r"\s*,?\s*(?<![\\A-Za-z])(?:and|or)(?![A-Za-z])\s*")
# "32, 349": a comma and a space before a group of three digits is a list separator, not a thousands
# separator (math-verify reads "32,349" as one number): its space is kept
_LIST_COMMA_BEFORE_TRIPLE = re.compile(r"(?<=\d),\s+(?=\d{3}(?!\d))")


def _matrices(s: str) -> str:
    """One spelling of a matrix: ``\\begin{pmatrix}`` for array (column spec dropped) and bmatrix, no
    brackets around the environment."""
    if "\\begin{" not in s:
        return s
    s = _ARRAY_BEGIN.sub(lambda _m: "\\begin{pmatrix}", s)
    s = _ARRAY_END.sub(lambda _m: "\\end{pmatrix}", s)
    return _BRACKETED_MATRIX.sub(lambda m: m.group(1), s)


# Other written forms of the same value, rewritten before spacing is removed (each only when it is the
# whole answer, so that a list or an expression is never misread):
_MIXED_NUMBER = re.compile(r"(-?)(\d+)\s+(?:(\d+)\s*/\s*(\d+)|\\[dt]?frac\{(\d+)\}\{(\d+)\})")  # 1 1/2
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?:([AaPp])\.?\s*[Mm]\.?)?")  # 20:34:00, 08:34 P.M.
_NESTED_LIST = re.compile(r"\[\s*(\[[^\[\]]*\](?:\s*,\s*\[[^\[\]]*\])*)\s*\]")  # [[1, 2], [3, 4]]
_CASES = re.compile(r"\\begin\{cases\}(.*?)\\end\{cases\}", re.S)
# a product written with a space after an exponent or a closing brace: "2^3 3^2", "\frac{1}{2} \sqrt{3}"
_SPACED_PRODUCT = re.compile(
    r"(?P<env>\\(?:begin|end)\{[a-zA-Z*]*\})|(?P<end>\^\{[^{}]*\}|\^\d|\})\s+(?=\d|\\(?:sqrt|frac|pi)(?![a-zA-Z]))")


def _written_forms(s: str) -> str:
    r"""``1 1/2`` -> ``3/2``; ``08:34 P.M.`` and ``20:34:00`` -> ``20:34``; ``2**(1/4)`` -> ``2^(1/4)``;
    ``[[1, 2], [3, 4]]`` -> a pmatrix; ``\begin{cases} x=1 \\ y=2 \end{cases}`` -> ``x=1, y=2``."""
    s = s.replace("**", "^")
    m = _MIXED_NUMBER.fullmatch(s)
    if m:
        num, den = int(m.group(3) or m.group(5)), int(m.group(4) or m.group(6))
        if 0 < num < den:
            return f"{m.group(1)}{int(m.group(2)) * den + num}/{den}"
    m = _CLOCK.fullmatch(s)
    if m:
        h, mi, sec, half = int(m.group(1)), m.group(2), m.group(3), (m.group(4) or "").lower()
        if half and 1 <= h <= 12:
            h = h % 12 + (12 if half == "p" else 0)
        return f"{h}:{mi}" + (f":{sec}" if sec and sec != "00" else "")
    m = _NESTED_LIST.fullmatch(s)
    if m:
        rows = [[c.strip() for c in r.strip().strip("[]").split(",")] for r in re.split(r"\]\s*,\s*\[", m.group(1))]
        if len(rows) > 1 and len({len(r) for r in rows}) == 1:
            return "\\begin{pmatrix}" + "\\\\".join("&".join(r) for r in rows) + "\\end{pmatrix}"
    m = _CASES.fullmatch(s)
    if m:
        return ", ".join(p.replace("&", "").strip() for p in m.group(1).split("\\\\") if p.strip())
    return s


def normalize_math(answer: str | None, *, strip_assignment: bool = True) -> str | None:
    """The canonical string of a MATH answer (see the module docstring); None stays None.

    ``strip_assignment=False`` keeps ``y = ...`` whole (to compare equations such as ``y = 2x+3`` and
    ``2x - y + 3 = 0``)."""
    if not isinstance(answer, str):
        return None
    s = answer.strip()
    if len(s) > MAX_ANSWER_CHARS:
        return s
    if len(s) > 2 and s[0] == "$" and s[-1] == "$":
        s = s.strip("$")
    s = s.replace("\n", " ")
    s = _unicode_to_latex(s)
    s = s.replace("\\$", "").replace("$", "")
    s = s.replace("\\displaystyle", "").replace("\\left", "").replace("\\right", "")
    s = _written_forms(s.strip())
    s = _LIST_COMMA_BEFORE_TRIPLE.sub(",\x01", s)  # before spacing commands turn "16,\\!386" into "16, 386"
    s = s.replace("\\bigl", "").replace("\\bigr", "").replace("\\Bigl", "").replace("\\Bigr", "")
    s = _SPACING.sub(" ", s)
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("\\cfrac", "\\frac")
    s = _relations(s)
    s = _matrices(s)
    # degrees and percent
    s = re.sub(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|°|\\circ", "", s)
    s = s.replace("\\%", "").replace("%", "")
    s = s.strip()
    # units: trailing \text{ cm}, then unwrap the remaining text commands
    end = len(s)
    while True:
        # a unit is short: look for it in the tail only, and move an end index rather than copy the
        # string, so that n glued units cost O(n), not O(n^2)
        m = _TRAILING_UNIT_TEXT.search(s, max(0, end - _UNIT_WINDOW), end)
        if m is None:
            break
        cut = m.start()
        while cut and s[cut - 1].isspace():
            cut -= 1
        if not cut:  # never remove the whole answer
            break
        end = cut
    s = s[:end]
    s = _unwrap_text(s)
    t = _TRAILING_UNIT_PLAIN.sub("", s).strip()
    if t:
        s = t
    s = s.replace("{,}", "")
    if "and" in s or "or" in s:
        s = _CONJUNCTION.sub(",", s).strip(",")
        s = re.sub(r",{2,}", ",", s)
    s = _SPACED_PRODUCT.sub(lambda m: m.group("env") or m.group("end") + "\\cdot ", s)
    # remove whitespace, but keep one space where it separates a command from a letter (\pi r)
    s = re.sub(r"(\\[a-zA-Z]+)\s+(?=[a-zA-Z0-9])", "\\1\x00", s)
    s = re.sub(r"\s+", "", s).replace("\x00", " ").replace("\x01", " ")
    s = s.rstrip(".")
    # short forms
    s = _FRAC_SHORT.sub(r"\\frac{\1}{\2}", s)
    s = _FRAC_HALF_SHORT.sub(r"\\frac{\1}{", s)
    s = _FRAC_HALF_SHORT2.sub(r"\\frac{\1}{\2}", s)
    s = _SQRT_SHORT.sub(r"\\sqrt{\1}", s)
    # x = 3 -> 3
    if strip_assignment and s.count("=") == 1:
        lhs, rhs = s.split("=")
        if rhs and _LHS_VARIABLE.match(lhs):
            s = rhs
        elif lhs and _LHS_VARIABLE.match(rhs) and not _LHS_VARIABLE.match(lhs):
            s = lhs  # a gold written the other way round: "2 = x"
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    m = re.fullmatch(r"\(?([A-E])\)?", s)
    if m:
        s = m.group(1)
    s = re.sub(r"(?<![\d}])\.(\d)", r"0.\1", s)
    if s.startswith("+"):
        s = s[1:]
    return s


_PERCENT = re.compile(r"%|(?<![A-Za-z])(?:percent(?:age)?|pct)(?![A-Za-z])", re.I)


def has_percent(answer: str | None) -> bool:
    """Whether an answer is written as a percentage (``33.5%``, ``\\frac{1}{2}\\%``, ``12 percent``)."""
    return isinstance(answer, str) and len(answer) <= MAX_ANSWER_CHARS and _PERCENT.search(answer) is not None


def relation_side(answer: str | None) -> str | None:
    """The normalised left side of an answer written ``lhs = rhs`` when that side names what is given
    (``x``, ``y_1``, ``\\sin(x)``, ``f(x)``), else None."""
    if not isinstance(answer, str) or "=" not in answer:
        return None  # the common case, without normalising
    s = normalize_math(answer, strip_assignment=False)
    if not s or s.count("=") != 1:
        return None
    lhs, rhs = s.split("=")
    return lhs if rhs and _SIMPLE_LHS.match(lhs) else None


_PLAIN_NUMBER = re.compile(r"^(-)?(\d+(?:\.\d*)?|\.\d+)(?:e([+-]?\d{1,3}))?$")
_PLAIN_FRAC = re.compile(r"^(-)?(\d+)/(\d+)$")
_LATEX_FRAC = re.compile(r"^(-)?\\frac\{(-?\d+)\}\{(-?\d+)\}$")


def parse_number(s: str | None) -> Fraction | None:
    """An exact rational for a plain number string (already normalised), else None."""
    if not s or len(s) > 64:
        return None
    m = _PLAIN_NUMBER.match(s)
    if m:
        val = Fraction(m.group(2))
        if m.group(3):
            val *= Fraction(10) ** int(m.group(3))
        return -val if m.group(1) else val
    m = _PLAIN_FRAC.match(s) or _LATEX_FRAC.match(s)
    if m:
        den = int(m.group(3))
        if den == 0:
            return None
        val = Fraction(int(m.group(2)), den)
        return -val if m.group(1) else val
    return None


def number_key(x: Fraction) -> str:
    """``3``, ``-0.25``, ``1/3``: a terminating decimal when there is one, else ``p/q``."""
    if x.denominator == 1:
        return str(x.numerator)
    d = x.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    if d != 1:
        return f"{x.numerator}/{x.denominator}"
    sign = "-" if x < 0 else ""
    x = abs(x)
    whole = x.numerator // x.denominator
    rest = x - whole
    digits = ""
    while rest:
        rest *= 10
        digit = rest.numerator // rest.denominator
        digits += str(digit)
        rest -= digit
    return f"{sign}{whole}.{digits}"


def normalize_gsm8k(answer: str | None) -> str | None:
    """A GSM8K answer (or gold) as a canonical number string, or the stripped text if it is not one."""
    if not isinstance(answer, str):
        return None
    s = answer.strip().replace(",", "").replace("$", "").replace(" ", "")
    s = s.rstrip(".")
    x = parse_number(s)
    return number_key(x) if x is not None else s


_GPQA_LETTER = re.compile(r"\(?\s*([A-Ja-j])\s*\)?\.?")


def normalize_gpqa(answer: str | None) -> str | None:
    if not isinstance(answer, str):
        return None
    s = answer.strip()  # first: "\\s*" on both sides of the pattern is quadratic on a long run of spaces
    m = _GPQA_LETTER.fullmatch(s)
    return m.group(1).upper() if m else s


def normalize_arith(answer: str | None) -> str | None:
    """An arith answer (or gold) as ``str(int)`` when it is an integer, else the stripped text."""
    if not isinstance(answer, str):
        return None
    s = answer.strip()
    return str(int(s)) if re.fullmatch(r"[+-]?\d{1,40}", s) else s
