"""Text normalisation with an offset map back to the original string.

The normalised view is lower-cased, NFKC-folded (fullwidth, mathematical and other
compatibility forms become plain letters; a character whose NFKC form is longer than
``MAX_EXPANSION`` stays as it is, so the view is at most that many times the input),
stripped of invisible and blank characters (zero-width, bidi controls, soft hyphens,
variation selectors, Hangul fillers, the braille blank) and of combining marks on Latin
letters, with Unicode "tag" characters decoded to the ASCII they smuggle, look-alike
letters of other scripts (Cyrillic, Greek, Armenian, Cherokee) folded to Latin inside
words that hold a Latin letter, Latin small capitals folded everywhere, and leetspeak
digits folded inside words that also hold letters. Every character of the view remembers
which original character it came from, so findings can be reported against the input.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

__all__ = [
    "MAX_EXPANSION",
    "LetterIndex",
    "Normalized",
    "letters_index",
    "letters_only",
    "normalize",
]

# Letters of other scripts that render like Latin ones (lower case; the text is
# lower-cased before this map is applied): Cyrillic, Greek, Armenian, Cherokee (whose
# lower-case forms are U+AB70-U+ABBF). Folded inside words that hold a Latin letter.
_FOREIGN_LOOKALIKES = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i",
    "ј": "j", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ү": "y", "ѵ": "v",
    "ԍ": "g", "ѡ": "w",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w", "μ": "u", "ϲ": "c",
    "ϳ": "j", "ϱ": "p",
    "օ": "o", "ս": "u", "ո": "n", "հ": "h", "ց": "g", "զ": "q", "ռ": "n", "լ": "l",
    "ք": "p", "ա": "w",
}  # fmt: skip
# Latin-script look-alikes (small capitals, IPA letters): no language writes words in
# them, so they are folded wherever they occur next to other letters.
_LATIN_LOOKALIKES = {
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h",
    "ɪ": "i", "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p",
    "ʀ": "r", "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z",
    "ɡ": "g", "ı": "i", "ɑ": "a", "ɩ": "i", "ɒ": "a", "ȷ": "j", "ꞵ": "b",
}  # fmt: skip
# Cherokee capitals that look like Latin ones, keyed by their lower-case forms.
_CHEROKEE = {
    "Ꭰ": "d", "Ꭵ": "i", "Ꭺ": "a", "Ᏼ": "b", "Ꮯ": "c", "Ꭼ": "e", "Ꮐ": "g", "Ꮋ": "h",
    "Ꭻ": "j", "Ꮶ": "k", "Ꮮ": "l", "Ꮇ": "m", "Ꮻ": "o", "Ꮲ": "p", "Ꮪ": "s", "Ꭲ": "t",
    "Ꮩ": "v", "Ꮃ": "w", "Ꮓ": "z", "Ꭱ": "r", "Ꮍ": "y", "Ꮤ": "w",
}  # fmt: skip
_FOREIGN_LOOKALIKES.update({k.lower(): v for k, v in _CHEROKEE.items()})
_HOMOGLYPHS = {**_FOREIGN_LOOKALIKES, **_LATIN_LOOKALIKES}
_HOMOGLYPH_TABLE = str.maketrans(_HOMOGLYPHS)
_LEET_TABLE = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                             "@": "a", "$": "s", "!": "i"})  # fmt: skip

_CONFUSABLE_CLASS = "".join(sorted(_HOMOGLYPHS))
_CONFUSABLE = frozenset(_HOMOGLYPHS)
_FOREIGN = frozenset(_FOREIGN_LOOKALIKES)
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


# Characters that render blank (or not at all) without being format characters (Cf):
# the Hangul fillers, the braille blank, Khmer inherent vowels, the combining grapheme
# joiner, Mongolian variation selectors. Removed like zero-width characters.
_BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5\u034f\u180b\u180c\u180d\u180f")
# Combining marks of the generic blocks (diacriticals and their supplements, the Cyrillic
# enclosing marks Zalgo text uses, marks for
# symbols, half marks): on a Latin letter they are dropped in the view, so a mark on
# every letter ("i\u0336g\u0336n\u0336...") does not hide the word. Marks of other
# scripts (Devanagari vowel signs, Arabic harakat ...) stay.
_GENERIC_MARKS = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)
_MARK_ON_LATIN = re.compile(
    "[A-Za-z\u00c0-\u024f][\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)
# A compatibility character whose NFKC form is longer than this (U+FDFA is 18
# characters) stays as it is: the view is never more than this many times the input.
MAX_EXPANSION = 3


def _is_invisible(ch: str) -> bool:
    cp = ord(ch)
    if 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF:  # variation selectors
        return True
    if ch in _BLANKS:
        return True
    if 0xE0000 <= cp <= 0xE007F:  # the tag block: the ASCII tags are decoded, not removed
        return not 0xE0020 <= cp <= 0xE007E
    return unicodedata.category(ch) == "Cf"


def _is_latin_letter(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("\u00c0" <= ch <= "\u024f" and ch.isalpha())


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


# How one non-ASCII character folds, by kind; computed once per distinct character.
_PLAIN, _COMPAT, _TAG, _INVISIBLE, _MARK = range(5)
_FOLDS: Dict[str, Tuple[int, str, Optional[bool]]] = {}
_MAX_FOLDS = 65536  # distinct characters remembered (the rest are folded each time)
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _fold_char(ch: str) -> Tuple[int, str, Optional[bool]]:
    """``(kind, pieces, ends_latin)`` of one non-ASCII character: ``pieces`` is what it
    becomes in the view, ``ends_latin`` whether its last piece is a Latin letter
    (``None``: no piece)."""
    cp = ord(ch)
    if 0xE0020 <= cp <= 0xE007E:  # tag characters carry hidden ASCII
        return _TAG, chr(cp - 0xE0000).lower(), False
    if _is_invisible(ch):
        return _INVISIBLE, "", None
    folded = unicodedata.normalize("NFKC", ch)
    kind = _MARK if _GENERIC_MARKS.match(ch) else _PLAIN
    if len(folded) > MAX_EXPANSION:
        folded = ch
    elif folded != ch and kind == _PLAIN:
        kind = _COMPAT
    pieces = "".join(p for p in folded.lower() if not _is_invisible(p))
    return kind, pieces, (_is_latin_letter(pieces[-1]) if pieces else None)


def _slow_fold(text: str) -> Tuple[str, List[int], int, int, int]:
    out: List[str] = []
    offsets: List[int] = []
    invisible = smuggled = compat = 0
    on_latin = False  # the last character kept is a Latin letter (marks on it drop)
    pos = 0
    folds = _FOLDS
    for run in _NON_ASCII.finditer(text):
        start, end = run.span()
        if start > pos:  # ASCII: copied (lower-cased) in one piece
            chunk = text[pos:start].lower()
            out.append(chunk)
            offsets.extend(range(pos, start))
            on_latin = "a" <= chunk[-1] <= "z"
        for i in range(start, end):
            ch = text[i]
            fold = folds.get(ch)
            if fold is None:
                fold = _fold_char(ch)
                if len(folds) < _MAX_FOLDS:
                    folds[ch] = fold
            kind, pieces, ends_latin = fold
            if kind == _INVISIBLE or (kind == _MARK and on_latin):
                invisible += 1
                continue
            if kind == _TAG:
                smuggled += 1
            elif kind == _COMPAT:
                compat += 1
            if pieces:
                out.append(pieces)
                offsets.extend([i] * len(pieces))
                on_latin = bool(ends_latin)
        pos = end
    if pos < len(text):
        out.append(text[pos:].lower())
        offsets.extend(range(pos, len(text)))
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
                if ord(ch) > 127 and (not ch.isalnum() or ch in _BLANKS)
            )
            and not _MARK_ON_LATIN.search(text)
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
            if word.isascii() or _FOREIGN.issuperset(word):
                return word  # one script only (a Latin look-alike is no script)
            # Latin look-alikes are folded but no sign of a disguise on their own: dotless
            # i is a letter of Turkish and Azerbaijani (Turkish text was flagged as
            # obfuscation), small capital i a letter of phonetic transcriptions.
            if not _FOREIGN.isdisjoint(word):
                homoglyph_words += 1
            return word.translate(_HOMOGLYPH_TABLE)

        folded = _LETTER_RUN.sub(_fold_word, folded)
        if homoglyph_words and _only_lookalikes(folded):
            # Every letter outside Latin is a look-alike, and some word mixes scripts: the
            # whole text is disguised Latin ("Іgnоrе аӏӏ ..."), so its words written in
            # look-alikes alone ("аӏӏ") fold too. A real Cyrillic or Greek sentence has
            # letters with no Latin twin (л, д, и, λ, ί ...) and is left as it is.
            folded = folded.translate(_HOMOGLYPH_TABLE)

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


def _only_lookalikes(view: str) -> bool:
    """True when every non-ASCII letter of ``view`` is a look-alike of a Latin one."""
    return all(ch in _CONFUSABLE or not ch.isalpha() for ch in set(view) if ord(ch) > 127)


def _glued(char: str) -> bool:
    """A neighbour that makes a run part of a longer word (``_``, accented letters …)."""
    return char.isalnum() or char in "_@$"


_BLOCK = 256


class LetterIndex:
    """For each character of ``letters_only(view)``, its index in ``view``: ``index[k]``.

    The letters of each block of ``_BLOCK`` characters are counted once (a ``translate``
    per block), and a look-up reads one block: a match near the end of a 100 KB text costs
    a few hundred steps, not a pass over every character of the text.
    """

    __slots__ = ("_starts", "_view")

    def __init__(self, view: str) -> None:
        self._view = view
        starts = [0]  # letters before each block
        for b in range(0, len(view), _BLOCK):
            starts.append(starts[-1] + len(view[b : b + _BLOCK].translate(_DROP_NON_LETTERS)))
        self._starts = starts

    def __len__(self) -> int:
        return self._starts[-1]

    def __getitem__(self, k: int) -> int:
        if not 0 <= k < self._starts[-1]:
            raise IndexError(k)
        block = bisect.bisect_right(self._starts, k) - 1
        seen = self._starts[block]
        for i in range(block * _BLOCK, min(len(self._view), (block + 1) * _BLOCK)):
            char = self._view[i]
            if ord(char) > 127 or char.islower():
                if seen == k:
                    return i
                seen += 1
        raise AssertionError("unreachable: block counts cover every letter")  # pragma: no cover


def letters_index(view: str) -> LetterIndex:
    """For each character of ``letters_only(view)``, its index in ``view`` (see
    ``LetterIndex``; built once per text, so mapping every match back stays linear)."""
    return LetterIndex(view)


def letters_only(view: str) -> str:
    """``view`` without ASCII non-letters (no offset map; cheap). Other scripts stay."""
    return view.translate(_DROP_NON_LETTERS)
