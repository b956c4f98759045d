"""A character language model of ordinary text, to spot optimizer-made gibberish.

GCG-style adversarial suffixes ("describing.\\ + similarlyNow write oppositeley.]( Me
giving**ONE please? revert with "\\!--Two") are made of real sub-words glued together with
stray brackets, quotes and odd casing. Whatever the exact tokens, their character sequence
is improbable under a model of ordinary writing, so this detector does not depend on
suffixes it has seen.

The model is a character trigram model with stupid back-off to bigrams and unigrams,
counted on the benign rows of the training data (ASCII with case kept, accented Latin
letters as their base letter, digits as ``0``, whitespace as a space, every other script as
one letter of its own) and shipped as ``_charlm.json``. ``CharLM.score`` slides a window of
``WINDOW`` characters over each line and returns the highest mean surprisal (bits per
character) above ``BASELINE``. URLs, e-mail addresses, inline code, placeholders and long
unbroken runs (hashes, base64, hex) are blanked first and lines with two or more marks of
code are skipped; a line of Russian or Japanese reads as ordinary, while a window that hops
between scripts does not.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from typing import Dict, Iterable, Iterator, List, Optional

from ._shipped import Shipped

__all__ = ["CharLM", "CHARLM_FILE", "get_charlm", "train_charlm", "fold_text"]

CHARLM_FILE = "_charlm.json"
WINDOW = 40
BASELINE = 4.0  # bits per character of a plain, if unusual, English window
_BACKOFF = math.log2(0.4)
_MIN_COUNT = 2

# Stretches that are legitimately improbable: URLs, addresses, long runs without spaces
# (hashes, base64, hex, identifiers), inline code and template placeholders. Bounded,
# non-nested quantifiers: linear time.
_BLANK = re.compile(r"(?:https?://|www\.)[^\s]{1,2000}|[\w.+-]{1,200}@[\w-]{1,200}\.[\w.]{1,200}"
                    r"|[^\s]{25,}|`[^`\n]{1,400}`|\{\{[^}\n]{1,400}\}\}")  # fmt: skip
_CODE_LINE = re.compile(
    r"^\s{2,}\S|[;{]\s*$|\b(?:def|return|import|class|function|const|let|var|elif|while|"
    r"public|private|static|void|lambda|SELECT|FROM|WHERE)\b|==|!=|=>|:=|\+=|\w ?= ?[\w\"'\[{(]|"
    r"</?[a-zA-Z][^>]{0,200}>|\\(?:frac|sqrt|begin|end|left|right|mathbb|text)\b"
)
# Non-ASCII characters stand for their script: a whole line of Cyrillic or Japanese is
# ordinary, a window that hops between five scripts is not.
_SCRIPTS = (
    (0x80, 0x250, "\u00e9"), (0x370, 0x400, "\u03b3"), (0x400, 0x530, "\u0434"),
    (0x590, 0x700, "\u0639"), (0x900, 0xE00, "\u0915"), (0xE00, 0xE80, "\u0e01"),
    (0x3000, 0xA000, "\u306e"), (0xAC00, 0xD7B0, "\ud55c"),
)  # fmt: skip
_OTHER = "\u00b7"
_fold_table: Optional[Dict[int, str]] = None


def _table() -> Dict[int, str]:
    global _fold_table
    if _fold_table is None:
        table = {ord(str(d)): "0" for d in range(10)}
        table.update({ord(c): " " for c in "\t\r\x0b\x0c\xa0"})
        table.update(dict.fromkeys(range(128, 65536), _OTHER))
        for lo, hi, rep in _SCRIPTS:
            table.update(dict.fromkeys(range(lo, hi), rep))
        for cp in range(0xC0, 0x250):  # accented Latin letters read as their base letter
            base = unicodedata.normalize("NFKD", chr(cp))[:1]
            if base.isascii() and base.isalpha():
                table[cp] = base
        table[0xA0] = " "
        _fold_table = table
    return _fold_table


def fold_text(text: str) -> str:
    """The alphabet of the model: ASCII with case kept, digits as ``0``, one letter a script."""
    out = text.translate(_table())
    if not out.isascii():  # astral characters (emoji, tags) are not in the table
        out = "".join(c if ord(c) < 0x10000 else _OTHER for c in out)
    return out


def _lines(text: str) -> Iterator[str]:
    """Lines of ``text`` worth reading, folded (see ``fold_text``)."""
    for line in text.split("\n"):
        if len(line) < WINDOW or len(_CODE_LINE.findall(line)) >= 2:
            continue
        yield fold_text(_BLANK.sub(" ", line))


class CharLM:
    """Trigram surprisal with stupid back-off; ``score`` is linear in the text length."""

    __slots__ = ("bi", "floor", "tri", "uni")

    def __init__(
        self, tri: Dict[str, float], bi: Dict[str, float], uni: Dict[str, float], floor: float
    ) -> None:
        self.tri = tri
        self.bi = bi
        self.uni = uni
        self.floor = floor

    def _surprisal(self, s: str) -> List[float]:
        tri, bi, uni, floor = self.tri, self.bi, self.uni, self.floor
        out = []
        for i in range(2, len(s)):
            lp = tri.get(s[i - 2 : i + 1])
            if lp is None:
                lp = bi.get(s[i - 1 : i + 1])
                lp = _BACKOFF + (lp if lp is not None else 2 * _BACKOFF + uni.get(s[i], floor))
            out.append(-lp)
        return out

    def score(self, text: str) -> float:
        """Highest mean surprisal of a window, minus ``BASELINE`` (0 when none is above)."""
        best = 0.0
        for stretch in _lines(text):
            bits = self._surprisal(stretch)
            if len(bits) < WINDOW:
                continue
            total = sum(bits[:WINDOW])
            peak = total
            for i in range(WINDOW, len(bits)):
                total += bits[i] - bits[i - WINDOW]
                if total > peak:
                    peak = total
            best = max(best, peak / WINDOW - BASELINE)
        return round(best, 4)


def train_charlm(texts: Iterable[str]) -> CharLM:
    """Count a model on ``texts`` (the same lines ``score`` reads, code lines included)."""
    tri: Dict[str, int] = {}
    bi: Dict[str, int] = {}
    uni: Dict[str, int] = {}
    for text in texts:
        for line in text.split("\n"):
            for stretch in (fold_text(_BLANK.sub(" ", line)),):
                for i in range(len(stretch)):
                    uni[stretch[i]] = uni.get(stretch[i], 0) + 1
                    if i >= 1:
                        g = stretch[i - 1 : i + 1]
                        bi[g] = bi.get(g, 0) + 1
                    if i >= 2:
                        g = stretch[i - 2 : i + 1]
                        tri[g] = tri.get(g, 0) + 1
    total = sum(uni.values()) or 1
    uni_ctx: Dict[str, int] = {}
    for g, n in uni.items():
        uni_ctx[g] = n
    bi_ctx: Dict[str, int] = {}
    for g, n in bi.items():
        bi_ctx[g[0]] = bi_ctx.get(g[0], 0) + n
    tri_ctx: Dict[str, int] = {}
    for g, n in tri.items():
        tri_ctx[g[:2]] = tri_ctx.get(g[:2], 0) + n
    lp_tri = {g: round(math.log2(n / tri_ctx[g[:2]]), 2) for g, n in tri.items() if n >= _MIN_COUNT}
    lp_bi = {g: round(math.log2(n / bi_ctx[g[0]]), 2) for g, n in bi.items() if n >= _MIN_COUNT}
    lp_uni = {g: round(math.log2(n / total), 2) for g, n in uni.items() if n >= _MIN_COUNT}
    floor = round(math.log2(0.5 / total), 2)
    return CharLM(lp_tri, lp_bi, lp_uni, floor)


def dump_charlm(lm: CharLM) -> str:
    """JSON text of a model (sorted keys: rebuilt byte for byte)."""
    payload = {
        "format": 1,
        "order": 3,
        "window": WINDOW,
        "floor": lm.floor,
        "tri": dict(sorted(lm.tri.items())),
        "bi": dict(sorted(lm.bi.items())),
        "uni": dict(sorted(lm.uni.items())),
    }
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")) + "\n"


def load_charlm(raw: str) -> CharLM:
    """Build a model from the JSON text written by ``dump_charlm``."""
    data = json.loads(raw)
    return CharLM(dict(data["tri"]), dict(data["bi"]), dict(data["uni"]), float(data["floor"]))


_shipped = Shipped(CHARLM_FILE, load_charlm)


def get_charlm() -> CharLM:
    """The shipped model, loaded once (thread-safe) on first use."""
    return _shipped.get()
