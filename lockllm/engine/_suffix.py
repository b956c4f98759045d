"""Detect optimizer-made adversarial suffixes (GCG-style gibberish after a request).

An optimizer that searches over a model's token vocabulary leaves traces that ordinary
writing, code and data do not: sub-words of different scripts glued into one token
("crossльный", "acu라"), three or more scripts within a few tokens of a text that is
otherwise in one language, words fused with odd casing ("XMLependant", "GétoStringaset"),
long runs of glued lower-case sub-words, stray brackets, quotes and back-slashes inside
prose, and filler runs such as "! ! ! !". Each token earns points for such traces; the
best window of ``_WINDOW`` tokens is scored, and the score grows when that window trails
the text after a request (where a suffix sits), above all a request an assistant declines.

Code, URLs, hashes, base64 and tables are told apart: URLs, e-mail addresses, hashes,
base64 and ASCII85 runs carry no trace; symbol, casing and filler traces do not count on
lines that read as code (two marks of code, or one in a text with several such lines, or
a fenced block); placeholders ("{name}", "${x}"), letter mnemonics ("[f]orce") and LaTeX
commands are removed before symbols are counted; an East Asian fragment glued to Latin
letters ("acu라") counts only in a text that is not itself partly Chinese, Japanese or
Korean, where "gem을" and "Pythonの" are ordinary; a list of languages each named in its
own script has many scripts but no other trace. Tokens are read once (memoised per
text), and only tokens with a trace enter the window pass: linear time, and ordinary
prose costs little more than splitting it.
"""

from __future__ import annotations

import re
from typing import Dict, List, Match, NamedTuple, Optional, Tuple

from ._harm import declined_intent
from ._normalize import _FOREIGN_LOOKALIKES

__all__ = ["find_suffix", "suffix_score"]

_WINDOW = 10
_TRAIL = 10  # a window ending within the last _TRAIL tokens trails the text
_REQUEST_TOKENS = 4  # ... if at least this many tokens come before it
_EMIT = 3.0  # lowest score that is a finding
_TOP = 6.0  # score of the highest weight
_REQUEST = 600  # characters before a suffix read for a declined request
_MAX_TOKEN = 60  # longer tokens are hashes, base64, minified code or CJK sentences
_TOKEN = re.compile(r"\S+")
# Marks of code, markup and data that English prose does not have (no keywords: "this",
# "print" or "class" are ordinary words).
_CODE_MARK = re.compile(
    r"^[ \t]{2,}\S|[;{}]\s*$|^\s*(?:>>>|\$ |#include|@\w|[-*] `)|==|!=|=>|->|:=|\+=|&&|\|\|"
    r"|\b[A-Za-z_]\w{0,40}\((?:[^()\s]|\)\s*$)|\$\{|\{\{|`[^`\n]{1,200}`|</?[a-z][a-z0-9]{0,10}[\s/>]"
    r"|\\(?:frac|sqrt|sum|int|begin|end|left|right|cdot|times|alpha|beta|mathbb|text)\b"
    r"|^\s*\|.{0,2000}\|\s*$|^[^,\n]{0,80}(?:,[^,\n]{0,80}){3}|^\s*[A-Za-z_][\w.]{0,40} ?= ?\S"
    r'|"\w{1,40}": ?["\[{\d]'
)
# Casing that identifiers and brand names (camelCase, PascalCase, "IOException") seldom
# have: a capital pair inside lower case ("SureBEtera") or a lower-case tail after a hump
# that is not itself capitalised ("similarlyNow" is camelCase, half a point).
_CASE_ODD = re.compile(r"[a-z][A-Z]{2,}[a-z]")
_CAMEL = re.compile(r"^[a-z]{3,}[A-Z][a-z]|[a-z]{3}[A-Z]{2,}$")
_LONG_TAIL = re.compile(r"[a-z][A-Z][a-z]{13}")  # "ClassLoaderlinewidth"
_CAPS_WORD = re.compile(r"^[A-Z]{2,6}[a-z]{3}")
# Brackets, braces, back-slashes and back-ticks inside a token of prose, as optimizers leave
# them ("[\\Dispatch", "Sur}\\,", "[`rium"); letter mnemonics ("[f]orcefully") and LaTeX
# commands are removed first.
_GLUED = re.compile(r"[A-Za-z][\\`]|[\\`][A-Za-z]|[A-Za-z]\"[A-Za-z]")
# Punctuation soup: a back-slash beside other punctuation ("describing.\\", "\"\\!--Two"),
# brackets in reverse order (".](Me") and asterisks between letters ("giving**ONE").
_SOUP = re.compile(r"[^\w\s:]\\|\\[^\w\s]|\]\(|\)\(|\}\{|[A-Za-z]\*{2,3}[A-Za-z]")
# An exclamation mark or a doubled quote glued before a lower-case word ("!ensaushed",
# "''policy"): prose puts them after words.
_GLUED_START = re.compile(r"(?:!|'')[a-z]{2}")
# Special tokens of model vocabularies and chat templates that optimizers pick up.
_SPECIAL = re.compile(
    r"<\|[a-z_]{2,30}\|>|</?s>|<(?:bos|eos|unk|pad|mask|sep|cls)>|\[/?INST\]|<</?SYS>>"
)
# A word glued to a letter-like, mathematical, technical or box symbol is no prose
# ("tutorial≈steps"; arrows are: "PNG→WebP"), and a BPE or SentencePiece word mark inside
# a word is tokenizer output ("ĠtutorialĠsteps", "▁Sure▁here").
_TECH = "\u2100-\u218f\u2200-\u23ff\u2500-\u25ff\u27c0-\u27ef\u2980-\u2aff"
_TECH_SYMBOL = re.compile(f"[A-Za-z]{{2}}[{_TECH}]|[{_TECH}][A-Za-z]{{2}}")
_BPE_MARK = re.compile(r"[a-z][\u0120\u010a][a-z]")
_MNEMONIC = re.compile(
    r"\[[A-Za-z0-9]{1,3}\]|\\[A-Za-z]{1,20}|\{\{[^{}]{0,80}\}\}|\$\{[^{}]{0,80}\}"
    r"|\{\w{1,40}\}|\[\w{1,40}\]"
    r"|\\(?:033|x1b|e)\[[0-9;]{0,20}m"
)
_RARE_SYMBOL = re.compile(r"[\\{}\[\]<>@^~`]")
_LONG_LOWER = re.compile(r"[a-z]{15,}")
_COMMON_PUNCT = frozenset(
    ["--", "...", "->", "&&", "||", "**", "==", "!!", "??", "?!", "!?", ":)", ":-)", "..",
     "---", "***", "###", "##", "//", "=>", "<-", "<=", ">=", "|-|", "~~", "[]", "{}", "()"]
)  # fmt: skip
_WRAP = "([{<\"'*_)]}>,.:;!?`$"
_FILLERS = {"!": 1, "[": 1, "]": -1}

# Letter scripts by code point (0: Latin, 1: East Asian (Han, kana, Hangul), 2+: others).
_LATIN, _EAST, _GREEK = 0, 1, 3
_RANGES = (
    (0x250, _LATIN), (0x370, -1), (0x400, 3), (0x530, 4), (0x590, 5), (0x600, 6),
    (0x780, 7), (0x900, 8), (0xE00, 9), (0xE80, 10), (0x1000, 11), (0x10A0, 12),
    (0x1100, 13), (0x1200, _EAST), (0x1D00, 14), (0x1F00, _LATIN), (0x2000, 3),
    (0x3000, -1), (0xA000, _EAST), (0xAC00, 15), (0xD7B0, _EAST), (0xF900, -1),
    (0xFB00, _EAST), (0xFB50, 16), (0xFE00, 7), (0xFE70, -1), (0xFF00, 7), (0xFFF0, 17),
)  # fmt: skip


# Hangul fillers are "letters" that show as blanks: padding between letters is a disguise
# (found by the normaliser and the decoders), not a script of the text.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")


def _script(ch: str) -> int:
    """Script class of a letter (-1 for none)."""
    o = ord(ch)
    if o < 0x80:
        return _LATIN if ch.isalpha() else -1
    if not ch.isalpha() or ch in _BLANK_LETTERS:
        return -1
    for hi, sc in _RANGES:
        if o < hi:
            return sc
    return 18


# What a token contributes to a window: points (script-independent traces: casing,
# symbols, fused scripts), the part of them that does not count on code lines, East Asian
# letters, short East Asian fragments glued to Latin letters, a bit set of the scripts of
# its letters and a filler count (a lone "!" or "[" is 1; "]" takes one back: "- [ ] task").
_Traits = Tuple[float, float, int, int, int, int]
_NO_TRAITS: _Traits = (0.0, 0.0, 0, 0, 0, 0)
_LATIN_BIT = 1 << _LATIN
_PLAIN_WORD: _Traits = (0.0, 0.0, 0, 0, _LATIN_BIT, 0)
_NOT_LETTER = {c: None for c in range(128) if not chr(c).isalpha()}
# An ASCII token without any of these has no casing or symbol trace (most words).
_ASCII_CUE = re.compile(r"[a-z][A-Z]|[A-Z]{2}[a-z]|[\\`\"()\[\]{}*]")
# URLs, e-mail addresses, hashes and base64 runs carry no trace.
_ADDRESS = re.compile(r"[^@\s]{1,200}@[\w-]{1,200}\.\w")
_OPAQUE = re.compile(r"[A-Za-z0-9+/=_-]{24,}")
# Six or more groups of four base64 characters, one space apart (each step reads exactly
# five characters: linear).
_B64_GROUPS = re.compile(r"(?:[A-Za-z0-9+/]{4} ){5,}[A-Za-z0-9+/=]{2,4}")
_OPAQUE_MARK = re.compile(r"[0-9+/=_-]|[a-z][A-Z]")


def _traits(tok: str) -> _Traits:
    """What ``tok`` contributes to a window (see ``_Traits``)."""
    if len(tok) > _MAX_TOKEN or "://" in tok or tok.startswith("www."):
        return _NO_TRAITS
    if tok.isascii():
        return _ascii_traits(tok)
    if _lookalike_word(tok):
        # Latin words written partly with Cyrillic or Greek look-alike letters: a disguise
        # the normaliser undoes and the homoglyph finding reports, not optimiser output.
        return _ascii_traits(tok.translate(_FOLD_LOOKALIKES))
    latin = letters = east = east_adj = 0
    hard = 0.0
    scripts = 0
    prev = -1  # script of the previous character when it is a letter
    run = 0  # length of the current run of one script
    east_after_latin = False  # the current East Asian run follows a Latin letter
    for ch in tok + " ":
        sc = _script(ch)
        if sc != prev and prev == _EAST and run <= 2 and (east_after_latin or sc == _LATIN):
            east_adj += 1  # a short East Asian fragment glued to Latin letters ("acu라")
        if sc < 0:
            prev = -1
            run = 0
            continue
        letters += 1
        if sc == _LATIN:
            latin += 1
        elif sc == _EAST:
            east += 1
        scripts |= 1 << min(sc, 30)
        if sc == prev:
            run += 1
            continue
        if prev >= 0 and _EAST not in (prev, sc):
            if prev + sc == _GREEK and _LATIN in (prev, sc):
                hard += 0.25  # a Greek letter beside Latin ones is a math variable ("λx")
            else:
                hard += 1
        east_after_latin = sc == _EAST and prev == _LATIN
        prev = sc
        run = 1
    points = 2.0 * min(hard, 2)
    code_points = 0.0
    core = tok.strip(_WRAP)
    if latin and letters == latin and _CAMEL.search(core):
        code_points = 1.0  # accented Latin fused with odd casing ("GétoStringaset")
    if "\ufffd" in tok:
        points += 1.0  # half a character: a byte-level token cut in the middle
    if latin >= 2 and (_TECH_SYMBOL.search(tok) or _BPE_MARK.search(tok)):
        points += 1.0  # "tutorial≈steps", "⟨Sure⟩", "ĠtutorialĠsteps", "▁Sure▁here"
    if latin and not east and _ASCII_CUE.search(tok):
        raw = _MNEMONIC.sub("", tok)
        bare = raw.strip(_WRAP)
        if _GLUED.search(bare) or _unbalanced(raw, bare) or _SOUP.search(raw):
            code_points += 1.0
    if not scripts and not points:
        return _NO_TRAITS
    return (points + code_points, code_points, east, east_adj, scripts, 0)


# Cyrillic look-alikes only: a Greek letter glued to Latin ones ("ratesνε") is as often an
# optimiser's fused token as a disguise.
_CYRILLIC = {k: v for k, v in _FOREIGN_LOOKALIKES.items() if "\u0400" <= k <= "\u04ff"}
_LOOKALIKES = {
    **_CYRILLIC,
    **{k.upper(): v.upper() for k, v in _CYRILLIC.items() if len(k.upper()) == 1},
}
_FOLD_LOOKALIKES = str.maketrans(_LOOKALIKES)


def _lookalike_word(tok: str) -> bool:
    """Whether every non-ASCII character of ``tok`` is a Cyrillic look-alike of a Latin
    letter."""
    return all(ch.isascii() or ch in _LOOKALIKES for ch in tok)


def _ascii_traits(tok: str) -> _Traits:
    if "@" in tok and _ADDRESS.search(tok):
        return _NO_TRAITS
    letters = len(tok.translate(_NOT_LETTER))
    filler = _FILLERS.get(tok, 0)
    if letters:
        core = tok.strip(_WRAP)
        code_points = points = 0.0
        if len(core) >= 24 and _OPAQUE.fullmatch(core) and _OPAQUE_MARK.search(core):
            return _NO_TRAITS
        if len(tok) >= 20 and len(tok) - letters >= 8:
            return _NO_TRAITS  # ASCII85, hex dumps, minified code
        if _ASCII_CUE.search(tok):
            code_points = _ascii_word(core, _MNEMONIC.sub("", tok))
        if len(core) >= 15 and _LONG_LOWER.fullmatch(core):
            points = 1.0 if len(core) >= 18 else 0.5
        if tok[0] in "!'" and _GLUED_START.match(tok):
            code_points += 1.0
        if ("<" in tok or "[" in tok) and _SPECIAL.search(tok):
            points += 0.75
        if not points and not code_points:
            return _PLAIN_WORD
        return (points + code_points, code_points, 0, 0, _LATIN_BIT, 0)
    if len(tok) >= 2 and len(set(tok)) >= 2 and _RARE_SYMBOL.search(tok):
        if _SPECIAL.search(tok):
            return (0.75, 0.0, 0, 0, 0, 0)
        core = tok.strip(_WRAP)
        common = tok.rstrip(",;.:") in _COMMON_PUNCT or core in _COMMON_PUNCT
        if not common and not any(c.isdigit() for c in tok):
            return (1.0, 1.0, 0, 0, 0, 0)
    return (0.0, 0.0, 0, 0, 0, filler) if filler else _NO_TRAITS


def _ascii_word(core: str, raw: str) -> float:
    """Points of an ASCII token with letters for odd casing and glued symbols (``core``:
    the token without wrapping punctuation, ``raw``: without mnemonics, LaTeX commands
    and placeholders)."""
    bare = raw.strip(_WRAP)
    points = 0.0
    if _CASE_ODD.search(core) or _LONG_TAIL.search(core):
        points += 1.0
    elif _CAMEL.search(core) or _CAPS_WORD.search(core):
        points += 0.5
    if _GLUED.search(bare) or _unbalanced(raw, bare) or _SOUP.search(raw):
        points += 1.0
    return points


def _unbalanced(raw: str, core: str) -> bool:
    """A bracket without its partner inside the token (``raw``), and not one opening or
    closing a parenthesis of prose ("(see", "page)."): also in ``core`` without them."""
    return _lonely_bracket(raw) and _lonely_bracket(core)


def _lonely_bracket(core: str) -> bool:
    return (
        core.count("(") != core.count(")")
        or core.count("[") != core.count("]")
        or core.count("{") != core.count("}")
        or ("<" in core and core.count("<") != core.count(">"))
    )


class _Entry(NamedTuple):
    """A token with a trace: its index among the text's tokens and its line."""

    at: int
    line: int
    traits: _Traits


def _window_score(
    entries: List[_Entry], points: List[float], n: int, east_text: bool
) -> Tuple[float, int]:
    """Best score of a window of ``_WINDOW`` tokens and the index of its first entry.

    ``points`` are the entries' points as counted (code lines discounted), ``n`` the
    number of tokens of the text and ``east_text`` says whether the text is partly
    Chinese, Japanese or Korean, where an East Asian word beside a Latin one is ordinary.
    Only tokens with a trace are listed (most tokens of any text have none), so the best
    window starts at one of them; two pointers walk the list once.
    """
    best, best_i = 0.0, -1
    k = 0
    total = east = fill = 0.0
    per_script = [0] * 31
    distinct = 0
    for i, first in enumerate(entries):
        stop = first.at + _WINDOW
        while k < len(entries) and entries[k].at < stop:
            e = entries[k]
            total += points[k]
            east += e.traits[3]
            fill += e.traits[5]
            distinct += _add(per_script, e.traits[4])
            k += 1
        score = total
        if not east_text:
            score += min(east, 4.0)
        if distinct >= 3:
            # A list of languages, each named in its own script, has no other trace.
            score += 1.5 * (distinct - 2) if score > 0 else 1.5
        if fill >= 4:
            score += 3.0
        if score > 0 and first.at >= _REQUEST_TOKENS and first.at + _WINDOW > n - _TRAIL:
            score += 1.0  # a suffix trails the request it rides on
        if score > best:
            best, best_i = score, i
        total -= points[i]
        east -= first.traits[3]
        fill -= first.traits[5]
        distinct -= _drop(per_script, first.traits[4])
    return best, best_i


def _add(per_script: List[int], bits: int) -> int:
    new = 0
    k = 0
    while bits:
        if bits & 1:
            per_script[k] += 1
            new += per_script[k] == 1
        bits >>= 1
        k += 1
    return new


def _drop(per_script: List[int], bits: int) -> int:
    gone = 0
    k = 0
    while bits:
        if bits & 1:
            per_script[k] -= 1
            gone += per_script[k] == 0
        bits >>= 1
        k += 1
    return gone


def _code_lines(lines: List[str]) -> List[bool]:
    """Which lines read as code, markup or data rows.

    A line with two marks of code (one per 100 characters on a long line: a suffix may hold
    a "==" or "->" or two) is code; so is a line with one mark in a text with three or more
    such lines, and every line inside a fenced block.
    """
    marks = [len(_CODE_MARK.findall(line)) for line in lines]
    codeish = sum(m > 0 for m in marks) >= 3
    out = []
    fenced = False
    for line, m in zip(lines, marks):
        fence = line.lstrip().startswith("```")
        dense = m >= 2 and m * 100 >= len(line)
        out.append(fenced or fence or dense or (m >= 1 and codeish))
        if fence:
            fenced = not fenced
    return out


_ESCAPED_SEPARATOR = re.compile(r"\\([;,:])")


def _blank(m: Match[str]) -> str:
    return " " * len(m.group(0))


def suffix_score(text: str) -> Tuple[float, int, int]:
    """Raw score of the most suffix-like window and its ``(start, end)`` in ``text``."""
    if " " in text:
        # base64 written in groups ("QUFB QUFC ..."): data, not tokens (offsets are kept).
        text = _B64_GROUPS.sub(_blank, text)
    if "\\" in text:
        # Escaped separators of calendar and contact files ("lunch\\; bring", "a\\, b"):
        # punctuation, not symbol soup (one character for two, so offsets are kept).
        text = _ESCAPED_SEPARATOR.sub(" \\1", text)
    lines = text.split("\n")
    memo: Dict[str, _Traits] = {}
    entries: List[_Entry] = []
    n = 0
    # In a text with other scripts, plain Latin words are listed too: whether a window holds
    # Latin letters decides how many scripts it has.
    keep_plain = not text.isascii()
    for line_no, line in enumerate(lines):
        for tok in line.split():
            traits = memo.get(tok)
            if traits is None:
                traits = memo[tok] = _traits(tok)
            if traits is not _NO_TRAITS and (keep_plain or traits is not _PLAIN_WORD):
                entries.append(_Entry(n, line_no, traits))
            n += 1
    if not entries:
        return 0.0, 0, 0
    if any(e.traits[1] or e.traits[5] for e in entries):
        code = _code_lines(lines)
        # Symbols, casing and fillers ("gst-launch a ! b ! c") are ordinary in code.
        entries = [
            _Entry(e.at, e.line, (e.traits[0] - e.traits[1], 0.0, *e.traits[2:5], 0))
            if code[e.line] else e
            for e in entries
        ]  # fmt: skip
    points = [e.traits[0] for e in entries]
    east_text = sum(e.traits[2] for e in entries) >= 0.1 * max(len(text) - text.count(" "), 1)
    score, first = _window_score(entries, points, n, east_text)
    if first < 0:
        return 0.0, 0, 0
    start_index = entries[first].at
    end_index = min(start_index + _WINDOW, n)
    start, end = _span(lines, start_index, end_index)
    # Gibberish after a request an assistant declines. Asked only where it can change the
    # weight, of the request's last characters (the harm check costs more than this one).
    request = text[max(0, start - _REQUEST) : start] if _EMIT - 1.0 <= score < _TOP else ""
    if request and declined_intent(request.lower()) >= 0.6:
        score += 1.0
    return score, start, end


def _span(lines: List[str], first: int, stop: int) -> Tuple[int, int]:
    """Character range of tokens ``first`` to ``stop - 1`` (a second pass, made once)."""
    index = 0
    pos = 0
    start = end = 0
    for line in lines:
        for m in _TOKEN.finditer(line):
            if index == first:
                start = pos + m.start()
            if index == stop - 1:
                return start, pos + m.end()
            index += 1
        pos += len(line) + 1
    return start, end


def find_suffix(text: str) -> Optional[Tuple[int, int, float]]:
    """Return ``(start, end, weight)`` of the most suffix-like stretch, or ``None``.

    The weight is on the rules' scale: 0.8 and above flags at medium on its own (in the
    training data a score of 4 is reached by about three suffixes in four and by two
    benign rows in 15,000), 0.7 is evidence for the stacker to weigh.
    """
    score, start, end = suffix_score(text)
    if score < _EMIT:
        return None
    weight = 0.7 if score < 4.0 else 0.8 if score < 5.0 else 0.85 if score < _TOP else 0.9
    return start, end, weight
