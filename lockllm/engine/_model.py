"""The learned scorer: a logistic regression over sparse n-gram features.

The weights live in ``_weights.json`` next to this module (written by
``scripts/train_engine.py``) and are read on the first scan, never at import time.
"""

from __future__ import annotations

import json
import math
import threading
from importlib import resources
from itertools import repeat
from typing import Dict, Optional

from ._features import char_grams, word_grams

__all__ = ["Model", "get_model", "WEIGHTS_FILE"]

WEIGHTS_FILE = "_weights.json"


class Model:
    """Linear model over hashed-free sparse vocabularies (dict look-ups only)."""

    __slots__ = ("bias", "char", "word")

    def __init__(self, bias: float, char: Dict[str, float], word: Dict[str, float]) -> None:
        self.bias = bias
        self.char = char
        self.word = word

    def logit(self, view: str) -> float:
        """Raw score of one normalised chunk (log-odds of "attack")."""
        score = self.bias
        grams = char_grams(view) if self.char else None
        if grams:
            score += sum(map(self.char.get, grams, repeat(0.0))) / math.sqrt(len(grams))
        words = word_grams(view)
        if words:
            score += sum(map(self.word.get, words, repeat(0.0))) / math.sqrt(len(words))
        return score

    def probability(self, view: str) -> float:
        """``logit`` squashed to 0..1."""
        z = self.logit(view)
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


_lock = threading.Lock()
_model: Optional[Model] = None


def load_model(raw: str) -> Model:
    """Build a model from the JSON text of a weights file."""
    data = json.loads(raw)
    return Model(float(data["bias"]), dict(data["char"]), dict(data["word"]))


def get_model() -> Model:
    """The shipped model, loaded once (thread-safe) on first use."""
    global _model
    model = _model
    if model is None:
        with _lock:
            if _model is None:
                raw = resources.files(__package__).joinpath(WEIGHTS_FILE).read_text("utf-8")
                _model = load_model(raw)
            model = _model
    return model
