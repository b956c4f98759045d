"""Text normalisation with an offset map back to the original string.

The normalised view is lower-cased, NFKC-folded (fullwidth and other compatibility forms
become plain letters), stripped of invisible format characters (zero-width, bidi controls,
soft hyphens, variation selectors), with Unicode "tag" characters decoded to the ASCII they
smuggle, Cyrillic/Greek look-alikes folded to Latin inside mixed-script words, and leetspeak
digits folded inside words that also hold letters. Every character of the view remembers
which original character it came from, so findings can be reported against the input.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import List, Optional, Tuple

__all__ = ["Normalized", "letters_index", "letters_only", "normalize"]

# Cyrillic and Greek letters that render like Latin ones (lower case; the text is
# lower-cased before this map is applied).
_HOMOGLYPHS = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i",
    "ј": "j", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g", "ı": "i",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w", "μ": "u",
}  # fmt: skip
_HOMOGLYPH_TABLE = str.maketrans(_HOMOGLYPHS)
_LEET_TABLE = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                             "@": "a", "$": "s", "!": "i"})  # fmt: skip

_CONFUSABLE_CLASS = "".join(sorted(_HOMOGLYPHS))
_CONFUSABLE = frozenset(_HOMOGLYPHS)
# Maximal runs of Latin letters and look-alikes: one character class, no backtracking.
# A run holding both a Latin letter and a look-alike is a mixed-script word.
_LETTER_RUN = re.compile(rf"[a-z{_CONFUSABLE_CLASS}]+")
# Maximal runs of letters, digits and leet symbols; the word test is done in Python
# (the former look-ahead regex re-scanned the run from every "!": quadratic).
_LEET_RUN = re.compile(r"[a-z@$!0-9]+")
_LEET_CHARS = frozenset("013457@$")
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
# str.translate tables (much faster than a regex scan over long texts): the "shape" of
# a text (letters -> "a", leet symbols -> "1", the rest -> " ") and its letters alone.
_SHAPE = str.maketrans(
    {chr(i): "a" if chr(i).islower() else "1" if chr(i) in "013457@$!" else " " for i in range(128)}
)
_DROP_NON_LETTERS = str.maketrans({chr(i): None for i in range(128) if not chr(i).islower()})
_HAS_CONFUSABLE = re.compile(f"[{_CONFUSABLE_CLASS}]")


def _is_invisible(ch: str) -> bool:
    cp = ord(ch)
    if 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF:  # variation selectors
        return True
    return unicodedata.category(ch) == "Cf" and not 0xE0020 <= cp <= 0xE007E


@dataclass(frozen=True)
class Normalized:
    """A normalised view of ``original`` and the map from view to original positions."""

    original: str
    text: str
    offsets: Optional[Tuple[int, ...]]  # None: the view is position-for-position
    invisible: int  # zero-width / bidi / format characters removed
    smuggled: int  # Unicode tag characters decoded
    homoglyph_words: int  # mixed-script words folded to Latin
    leet_words: int  # words with leetspeak digits folded
    compat_changes: int  # characters changed by NFKC (fullwidth, ligatures …)

    def to_original(self, start: int, end: int) -> Tuple[int, int]:
        """Map a ``[start, end)`` range of the view to a range of the original text."""
        if self.offsets is None:
            return start, end
        n = len(self.offsets)
        if n == 0:
            return 0, 0
        start = min(max(start, 0), n - 1)
        end = min(max(end, start + 1), n)
        return self.offsets[start], self.offsets[end - 1] + 1


def _slow_fold(text: str) -> Tuple[str, List[int], int, int, int]:
    out: List[str] = []
    offsets: List[int] = []
    invisible = smuggled = compat = 0
    for i, ch in enumerate(text):
        cp = ord(ch)
        if cp < 128:
            out.append(ch.lower())
            offsets.append(i)
            continue
        if 0xE0020 <= cp <= 0xE007E:  # tag characters carry hidden ASCII
            out.append(chr(cp - 0xE0000).lower())
            offsets.append(i)
            smuggled += 1
            continue
        if _is_invisible(ch):
            invisible += 1
            continue
        folded = unicodedata.normalize("NFKC", ch)
        if folded != ch:
            compat += 1
        folded = folded.lower()
        for piece in folded:
            if _is_invisible(piece):
                continue
            out.append(piece)
            offsets.append(i)
    return "".join(out), offsets, invisible, smuggled, compat


def normalize(text: str) -> Normalized:
    """Build the normalised view of ``text`` (see the module docstring)."""
    offsets: Optional[List[int]] = None
    invisible = smuggled = compat = 0
    if text.isascii():
        folded = text.lower()
    else:
        lowered = text.lower()
        simple = (
            len(lowered) == len(text)
            and unicodedata.is_normalized("NFKC", text)
            and not any(
                _is_invisible(ch) or 0xE0000 <= ord(ch) <= 0xE007F
                for ch in text
                if ord(ch) > 127 and not ch.isalnum()
            )
        )
        if simple:
            folded = lowered
        else:
            folded, offsets, invisible, smuggled, compat = _slow_fold(text)

    homoglyph_words = 0
    if not folded.isascii() and _HAS_CONFUSABLE.search(folded):

        def _fold_word(m: re.Match[str]) -> str:
            nonlocal homoglyph_words
            word = m.group(0)
            if word.isascii() or _CONFUSABLE.issuperset(word):
                return word  # one script only
            # Dotless i is a letter of Turkish and Azerbaijani: folded, but no sign of a
            # disguise on its own (Turkish text was flagged as obfuscation).
            if not _CONFUSABLE.isdisjoint(set(word) - {"\u0131"}):
                homoglyph_words += 1
            return word.translate(_HOMOGLYPH_TABLE)

        folded = _LETTER_RUN.sub(_fold_word, folded)

    leet_words = 0
    shape = folded.translate(_SHAPE)
    if "a1" not in shape and "1a" not in shape:
        return Normalized(
            original=text,
            text=folded,
            offsets=tuple(offsets) if offsets is not None else None,
            invisible=invisible,
            smuggled=smuggled,
            homoglyph_words=homoglyph_words,
            leet_words=0,
            compat_changes=compat,
        )

    def _fold_leet(m: re.Match[str]) -> str:
        nonlocal leet_words
        word = m.group(0)
        s, e = m.span()
        if (
            len(word) < 3
            or (s and _glued(folded[s - 1]))
            or (e < len(folded) and _glued(folded[e]))
            or _LEET_CHARS.isdisjoint(word)
            or _LOWER.isdisjoint(word)
            or ("@" in word and folded.startswith(".", e))  # an e-mail address
        ):
            return word
        letters = sum(c.isalpha() for c in word)
        if letters < 2 or (letters == len(word) - 1 and word[-1] in "!$"):
            return word
        leet_words += 1
        return word.translate(_LEET_TABLE)

    folded = _LEET_RUN.sub(_fold_leet, folded)
    return Normalized(
        original=text,
        text=folded,
        offsets=tuple(offsets) if offsets is not None else None,
        invisible=invisible,
        smuggled=smuggled,
        homoglyph_words=homoglyph_words,
        leet_words=leet_words,
        compat_changes=compat,
    )


def _glued(char: str) -> bool:
    """A neighbour that makes a run part of a longer word (``_``, accented letters …)."""
    return char.isalnum() or char in "_@$"


def letters_index(view: str) -> List[int]:
    """For each character of ``letters_only(view)``, its index in ``view``.

    Built once per text, so mapping every match back is linear, not quadratic, in the
    length of the text (a long text full of trigger words has many matches).
    """
    return [i for i, char in enumerate(view) if ord(char) > 127 or char.islower()]


def letters_only(view: str) -> str:
    """``view`` without ASCII non-letters (no offset map; cheap). Other scripts stay."""
    return view.translate(_DROP_NON_LETTERS)
