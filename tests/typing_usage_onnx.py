"""Typed use of ``OnnxClassifier``, checked by ``mypy --strict`` (see test_engine_onnx.py).

Not a test module and never run: it only has to type-check, proving that the classifier's
constructor, results and attributes are typed (not ``Any``) and that it fits wherever a
``probability(text) -> float`` model is expected.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Protocol, Tuple

from lockllm.engine import Classifier, LocalScanner, OnnxClassifier
from lockllm.errors import ConfigurationError


class ProbabilityModel(Protocol):
    def probability(self, text: str) -> float: ...


def load(directory: Path, threads: Optional[int] = None) -> Optional[OnnxClassifier]:
    try:
        return OnnxClassifier(
            directory,
            attack_label="INJECTION",
            max_length=256,
            stride=32,
            windows=True,
            batch_size=8,
            threads=threads,
        )
    except ConfigurationError as error:
        print(error.message)
        return None


def by_index(directory: str) -> OnnxClassifier:
    return OnnxClassifier(directory, attack_label=1, windows=False)


def worst(model: ProbabilityModel, texts: List[str]) -> float:
    return max((model.probability(t) for t in texts), default=0.0)


def describe(classifier: OnnxClassifier, texts: List[str]) -> Tuple[str, Tuple[str, ...], int]:
    scores: List[float] = classifier.probabilities(texts)
    one: float = classifier.probability(texts[0]) if texts else 0.0
    assert worst(classifier, texts) >= min([*scores, one])
    return classifier.attack_label, classifier.labels, classifier.threads


def scanner(classifier: OnnxClassifier) -> LocalScanner:
    model: Classifier = classifier  # OnnxClassifier is the engine's Classifier protocol
    verdict: bool = LocalScanner(model=model).scan("text").safe
    assert isinstance(verdict, bool)
    return LocalScanner("high", threshold=40.0, allow=["Example Corp"], model=classifier)
