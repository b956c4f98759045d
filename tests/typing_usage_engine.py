"""Typed use of the engine's pipeline, checked by ``mypy --strict`` (test_engine_pipeline.py).

Not a test module and never run: it only has to type-check, proving that a custom
``Detector``, a ``Rule`` and a custom model fit ``LocalScanner``'s options, and that
results, findings and spans are typed (not ``Any``).
"""

from __future__ import annotations

import re
from typing import Iterable, List, Optional, Tuple

from lockllm.engine import (
    CATEGORIES,
    Classifier,
    Detector,
    Finding,
    LearnedModel,
    LocalScanner,
    ModelDetector,
    Rule,
    RuleError,
    Source,
    TextView,
    default_detectors,
)
from lockllm.types import ScanResponse, Span


class TicketNumbers:
    """A custom detector: support-ticket numbers pasted into tool output."""

    name = "tickets"

    def detect(self, view: TextView) -> Iterable[Finding]:
        for m in re.finditer(r"\bTCK-\d{6}\b", view.original):
            yield Finding(m.start(), m.end(), "data_exfiltration", 0.4, "tickets.number")
        if view.source == "tool" and "ignore" in view.text:
            s, e = view.to_original(0, len(view.text))
            yield Finding(s, e, "indirect_injection", 0.6, "tickets.ignore")


class KeywordModel:
    """A custom model: any object with ``probability(text) -> float``."""

    def __init__(self, words: Tuple[str, ...]) -> None:
        self.words = words

    def probability(self, text: str) -> float:
        hits = sum(word in text.lower() for word in self.words)
        return min(1.0, hits / 3)


def build() -> Optional[LocalScanner]:
    try:
        rule = Rule(
            "acme.unlock",
            r"\bunlock the (?:vault|admin) panel\b",
            "tool_abuse",
            0.9,
            words=("unlock",),
        )
    except RuleError as error:
        print(error)
        return None
    detectors: List[Detector] = [*default_detectors(), TicketNumbers()]
    model: Classifier = KeywordModel(("ignore", "reveal", "jailbreak"))
    return LocalScanner(
        "high",
        threshold=75.0,
        allow=["ACME Assistant", re.compile(r"ticket TCK-\d{6}")],
        rules=[rule],
        categories=[c for c in CATEGORIES if c != "obfuscation"],
        detectors=detectors,
        model=model,
    )


def use(scanner: LocalScanner, texts: List[str], source: Source) -> List[Tuple[bool, str]]:
    one: ScanResponse = scanner.scan(texts[0], "low", source=source)
    many: List[ScanResponse] = scanner.scan_many(texts, "medium")
    spans: Tuple[Span, ...] = one.spans
    rules: List[Optional[str]] = [span.rule for span in spans]
    shipped: float = LearnedModel().probability(texts[0])
    second = ModelDetector(KeywordModel(("secret",)), name="keywords", category="prompt_extraction")
    extra = LocalScanner(detectors=[second, TicketNumbers()])
    found: List[Finding] = list(TicketNumbers().detect(TextView(texts[0], source="tool")))
    print(shipped, extra.sensitivity, rules, found)
    return [(r.safe, ",".join(r.categories)) for r in many]
