"""Detect optimizer-made adversarial suffixes (GCG-style gibberish after a request).

Such suffixes mix real sub-words with stray brackets, quotes and back-slashes, fuse words
with odd casing ("similarlyNow", "SureBEtera") and leave brackets unbalanced, all on one
line. Ordinary code has the same symbols but also keywords, assignments, indentation and
balanced brackets; URLs and base64 runs are removed before the count; text in other
scripts is never "weird" because only ASCII tokens are examined.
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

__all__ = ["find_suffix"]

_WINDOW = 10
# URLs and base64 runs; e-mail addresses are found token by token (``_mask_urls``): the
# pattern ``\S+@\S+\.\S+`` would be retried from every position of a long token.
_URLISH = re.compile(r"(?:https?://|www\.)\S+|[A-Za-z0-9+/=_-]{24,}")
_TOKEN = re.compile(r"\S+")
_INNER_SYMBOL = re.compile(r"[\[\]{}()\\<>^~`\"*]")
_CASE_ODD = re.compile(r"^[a-z]{2,}[A-Z]|[A-Z]{2}[a-z]{3}|[a-z][A-Z]{2,}[a-z]")
_ODD_CHARS = re.compile(r"[\[\]{}\\<>^~`*]")
_MORSE = re.compile(r"^[.\-/]+$")
_PUNCT_RUN = re.compile(r"^[^\w\s]{2,}$")
_COMMON_PUNCT = {"--", "...", "->", "—", "&&", "||", "**", "==", "!!", "??", "?!", "!?", ":)",
                 ":-)", "..", "---", "***", "###", "##", "//", "=>", "<-", "<=", ">="}  # fmt: skip
_CODE_MARK = re.compile(
    r"^\s{2,}\S|;\s*$|\b(?:def|return|import|class|function|const|let|var|elif|else|while|"
    r"print|public|private|static|void|self|this|null|None|True|False|lambda|async|await|"
    r"SELECT|FROM|WHERE)\b|==|!=|=>|:=|\+=|\w\s?=\s?[\w\"'\[{(]|\\(?:frac|sqrt|sum|int|begin|"
    r"end|left|right|cdot|times|alpha|beta|mathbb|text)\b|</?[A-Za-z][^<>\n]{0,200}>"
)


def _weird(tok: str) -> bool:
    if not tok.isascii():
        return False
    core = tok.lstrip("([{<\"'*_").rstrip(")]}>\"',.:;!?*_")
    if not core:
        return len(tok) >= 2 and tok not in _COMMON_PUNCT and not _MORSE.match(tok)
    if not any(c.isalpha() for c in core):
        return (
            not any(c.isdigit() for c in core)
            and len(core) >= 2
            and core not in _COMMON_PUNCT
            and not _MORSE.match(core)
        )
    if _CASE_ODD.search(core):
        return True
    return bool(_INNER_SYMBOL.search(core))


def _mask_urls(line: str) -> str:
    """``line`` with URLs, e-mail addresses and base64 runs overwritten by ``u``."""
    line = _URLISH.sub(lambda m: "u" * len(m.group(0)), line)
    if "@" not in line:
        return line
    return _TOKEN.sub(lambda m: _mask_address(m.group(0)), line)


def _mask_address(tok: str) -> str:
    at = tok.find("@", 1)
    if at != -1 and "." in tok[at + 2 : -1]:
        return "u" * len(tok)
    return tok


def _balance_error(text: str) -> int:
    return (
        abs(text.count("(") - text.count(")"))
        + abs(text.count("[") - text.count("]"))
        + abs(text.count("{") - text.count("}"))
    )


def find_suffix(text: str) -> Optional[Tuple[int, int, float]]:
    """Return ``(start, end, weight)`` of the most suffix-like stretch, or ``None``."""
    if len(_ODD_CHARS.findall(text)) < 3:
        return None
    best: Optional[Tuple[int, int, float]] = None
    pos = 0
    for line in text.split("\n"):
        line_start = pos
        pos += len(line) + 1
        if len(line) < 40 or (
            not line.isascii() and sum(ord(c) > 127 for c in line) > 0.3 * len(line)
        ):
            continue
        if len(_ODD_CHARS.findall(line)) < 2:
            continue
        line_marks = len(_CODE_MARK.findall(line))
        if line_marks >= 2:
            continue
        cleaned = _mask_urls(line)
        toks: List[Tuple[int, int, bool]] = [
            (m.start(), m.end(), _weird(m.group(0))) for m in _TOKEN.finditer(cleaned)
        ]
        if len(toks) < _WINDOW:
            continue
        flags = [w for _, _, w in toks]
        for i in range(len(toks) - _WINDOW + 1):
            count = sum(flags[i : i + _WINDOW])
            if count < 4:
                continue
            s, e = toks[i][0], toks[i + _WINDOW - 1][1]
            segment = line[s:e]
            # A segment holds the line's marks plus at most one (";" at its end), so a
            # line without marks needs no search per window.
            if line_marks and len(_CODE_MARK.findall(segment)) >= 2:
                count -= 2
            if _balance_error(segment) >= 2:
                count += 1
            if count < 5:
                continue
            weight = 0.75 if count == 5 else 0.85 if count <= 7 else 0.9
            if best is None or weight > best[2]:
                best = (line_start + s, line_start + e, weight)
    return best
