"""Features of the learned model: character 4-grams and word 1-2-grams of the view.

Shared by the runtime scorer and by ``scripts/train_engine.py`` so both see the very same
features. A feature's value is its count divided by the square root of the number of
grams of its family in the text, so the score does not grow with the length of the text.
"""

from __future__ import annotations

import re
from typing import List, Tuple

__all__ = ["CHAR_N", "CHUNK_CHARS", "CHUNK_STEP", "chunk_bounds", "char_grams", "word_grams"]

CHAR_N = 4
# The model reads the text in windows of this many (normalised) characters.
CHUNK_CHARS = 2000
CHUNK_STEP = 1600  # windows overlap by 400 characters

_WS = re.compile(r"\s+")
_WORD = re.compile(r"\w+")


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


def char_grams(view: str) -> List[str]:
    """Overlapping character n-grams of the whitespace-collapsed view."""
    t = " " + _WS.sub(" ", view).strip() + " "
    n = CHAR_N
    return [t[i : i + n] for i in range(len(t) - n + 1)]


def word_grams(view: str) -> List[str]:
    """Word unigrams and bigrams of the view."""
    words = _WORD.findall(view)
    return words + list(map(" ".join, zip(words, words[1:])))
