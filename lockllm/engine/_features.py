"""Features of the learned model: word 1-2-grams of the normalised view, whole and by segment.

Shared by the runtime scorer and by ``scripts/train_engine.py`` so both see the very same
features. A feature's value is its count divided by the square root of the number of
grams in the text, so the score does not grow with the length of the text.

The text model reads the view in windows (``chunk_bounds``); the segment model reads it
line by line and sentence by sentence (``segment_bounds``), so that one instruction planted
in a 2 KB table or e-mail is scored on its own instead of being diluted by the rest.
"""

from __future__ import annotations

import re
from typing import List, Tuple

__all__ = [
    "CHUNK_CHARS",
    "CHUNK_STEP",
    "SEGMENT_MAX",
    "SEGMENT_MIN",
    "chunk_bounds",
    "looks_like_document",
    "segment_bounds",
    "word_grams",
]

# The model reads the text in windows of this many (normalised) characters.
CHUNK_CHARS = 2000
CHUNK_STEP = 1600  # windows overlap by 400 characters
# Segments: lines and sentences, merged until at least SEGMENT_MIN characters long and
# cut into pieces of at most SEGMENT_MAX.
SEGMENT_MIN = 24
SEGMENT_MAX = 400

_WORD = re.compile(r"\w+")
# A line break, or the space after a sentence end. Single characters and one bounded run:
# linear time on any input.
_BREAK = re.compile(r"\n|(?<=[.!?:;])[ \t]")


def chunk_bounds(length: int) -> List[Tuple[int, int]]:
    """``[start, end)`` windows covering ``length`` characters.

    A tail no longer than the overlap joins the window before it instead of making a
    window of its own, which would be read almost entirely twice (a 2,048-character text
    is one window of 2,048, not windows of 2,000 and 448).
    """
    bounds = []
    start = 0
    while length - start > CHUNK_CHARS + (CHUNK_CHARS - CHUNK_STEP):
        bounds.append((start, start + CHUNK_CHARS))
        start += CHUNK_STEP
    bounds.append((start, length))
    return bounds


def segment_bounds(view: str) -> List[Tuple[int, int]]:
    """``[start, end)`` ranges of the lines and sentences of ``view`` (see module doc).

    Pieces shorter than ``SEGMENT_MIN`` characters (table cells, headings) join the next
    piece; pieces longer than ``SEGMENT_MAX`` are cut. Blank pieces are skipped.
    """
    out: List[Tuple[int, int]] = []
    start = 0
    n = len(view)
    cuts = [m.end() for m in _BREAK.finditer(view)]
    cuts.append(n)
    for cut in cuts:
        if cut - start < SEGMENT_MIN and cut < n:
            continue
        while cut - start > SEGMENT_MAX:
            out.append((start, start + SEGMENT_MAX))
            start += SEGMENT_MAX
        if view[start:cut].strip():
            out.append((start, cut))
        start = cut
    return out


def word_grams(view: str) -> List[str]:
    """Word unigrams and bigrams of the view."""
    words = _WORD.findall(view)
    return words + list(map(" ".join, zip(words, words[1:])))


_DOC_MARKERS = ("subject:", "from:", "<html", "<body", "<div", "<p>", "<table", "<!--", "```",
                "|---", "| --", "def ", "class ", "import ", "dear ", "regards",
                "sincerely")  # fmt: skip


def looks_like_document(view: str) -> bool:
    """True when the normalised ``view`` has the shape of retrieved content, not a request.

    Three or more lines, or an e-mail header, markup, a code fence or a table rule. Used
    when the caller gives no ``source`` hint.
    """
    if view.count("\n", 0, 20000) >= 2:
        return True
    head = view[:4000]
    return any(m in head for m in _DOC_MARKERS)
