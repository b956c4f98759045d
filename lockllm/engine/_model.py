"""The learned scorers: logistic regressions over sparse word n-gram features.

Two linear models share one feature space (``_features.word_grams``):

- the *text* model reads the whole text in overlapping windows (the highest window wins);
- the *segment* model reads each line and sentence on its own (the highest one wins), so
  an instruction planted in a long document is not diluted by the document around it.

Their raw scores, the rule evidence and the other detectors are combined by the stacker
of ``_score.py``; thresholds per sensitivity sit in the same weights file. The weights live
in ``_weights.json`` next to this module (written by ``scripts/train_engine.py``) and are
read on the first scan, never at import time.
"""

from __future__ import annotations

import json
import math
from itertools import repeat
from typing import Any, Dict, FrozenSet, List, Mapping, Tuple

from ._features import chunk_bounds, segment_bounds, word_grams
from ._shipped import Shipped

__all__ = ["LinearModel", "Model", "get_model", "load_model", "WEIGHTS_FILE", "sigmoid"]

WEIGHTS_FILE = "_weights.json"
# Raw scores are clipped to this range before stacking.
LOGIT_CLIP = 8.0


def sigmoid(z: float) -> float:
    """Logistic function, safe for any ``z``."""
    return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


class LinearModel:
    """Bias plus a dict of word-gram weights (dict look-ups only)."""

    __slots__ = ("bias", "word")

    def __init__(self, bias: float, word: Dict[str, float]) -> None:
        self.bias = bias
        self.word = word

    def logit(self, view: str) -> float:
        """Raw score of one piece of normalised text (log-odds of "attack")."""
        words = word_grams(view)
        if not words:
            return self.bias
        return self.bias + sum(map(self.word.get, words, repeat(0.0))) / math.sqrt(len(words))


class Model:
    """The shipped model: text and segment scorers, the stacker and the thresholds."""

    __slots__ = (
        "known_rules", "rule_knots", "segment", "stack", "stack_bias", "text", "thresholds",
        "trusted_rules", "uses_charlm",
    )  # fmt: skip

    def __init__(
        self,
        text: LinearModel,
        segment: LinearModel,
        stack_bias: float,
        stack: Dict[str, float],
        thresholds: Dict[str, float],
        known_rules: FrozenSet[str] = frozenset(),
        trusted_rules: FrozenSet[str] = frozenset(),
        rule_knots: Tuple[Tuple[float, float], ...] = (),
    ) -> None:
        self.text = text
        self.segment = segment
        self.stack_bias = stack_bias
        self.stack = stack
        self.thresholds = thresholds
        self.known_rules = known_rules  # rule ids the stacker was fitted with
        self.trusted_rules = trusted_rules  # rule ids that all but never fire on benign rows
        self.rule_knots = rule_knots  # trusted rule weight -> risk (see _score.rule_risk)
        # Whether the stacker reads the character LM's gibberish score at all.
        self.uses_charlm = "charlm" in stack or "harm_charlm" in stack

    def text_logit(self, view: str) -> Tuple[float, Tuple[int, int], bool]:
        """Highest text-model score over the windows of ``view``, its window, chunked?"""
        bounds = chunk_bounds(len(view))
        best, where = -LOGIT_CLIP, (0, len(view))
        for s, e in bounds:
            z = self.text.logit(view[s:e])
            if z > best:
                best, where = z, (s, e)
        return min(best, LOGIT_CLIP), where, len(bounds) > 1

    def segment_logit(self, view: str) -> Tuple[float, Tuple[int, int], int]:
        """Highest segment-model score over the lines/sentences of ``view``.

        Returns the score, that segment's range and the number of segments; a text of one
        segment gets ``-LOGIT_CLIP`` (the text model already read it whole).
        """
        bounds = segment_bounds(view)
        best, where = -LOGIT_CLIP, (0, len(view))
        if len(bounds) < 2:
            return best, where, len(bounds)
        for s, e in bounds:
            z = self.segment.logit(view[s:e])
            if z > best:
                best, where = z, (s, e)
        return min(best, LOGIT_CLIP), where, len(bounds)

    def segment_ranking(self, view: str, k: int) -> List[Tuple[int, int]]:
        """The ``k`` lines/sentences of ``view`` the segment model scores highest, best
        first (ranges of ``view``)."""
        scored = [(self.segment.logit(view[s:e]), s, e) for s, e in segment_bounds(view)]
        scored.sort(key=lambda t: (-t[0], t[1]))
        return [(s, e) for _, s, e in scored[:k]]

    def probability(self, text: str) -> float:
        """Text-model probability that ``text`` (a normalised view) is an attack."""
        return sigmoid(self.text_logit(text)[0])


def _linear(data: Mapping[str, Any]) -> LinearModel:
    return LinearModel(float(data["bias"]), {str(k): float(v) for k, v in data["word"].items()})


def load_model(raw: str) -> Model:
    """Build a model from the JSON text of a weights file."""
    data = json.loads(raw)
    stack = data["stack"]
    return Model(
        _linear(data["text"]),
        _linear(data["segment"]),
        float(stack["bias"]),
        {str(k): float(v) for k, v in stack["weights"].items()},
        {str(k): float(v) for k, v in data["oof_thresholds"].items()},
        frozenset(str(r) for r in stack.get("known_rules", ())),
        frozenset(str(r) for r in stack.get("trusted_rules", ())),
        tuple((float(w), float(r)) for w, r in stack.get("rule_knots", ())),
    )


_shipped = Shipped(WEIGHTS_FILE, load_model)


def get_model() -> Model:
    """The shipped model, loaded once (thread-safe) on first use."""
    return _shipped.get()
