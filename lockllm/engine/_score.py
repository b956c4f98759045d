"""Turn rule hits and model probabilities into a risk, a label and categories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Iterable, List, Mapping, Tuple

if TYPE_CHECKING:
    from ._evidence import Hit

__all__ = ["THRESHOLDS", "CATEGORIES", "rule_probability", "combine", "confidence", "rank"]

# Risk (0..1) at or above which a text is labelled unsafe. Chosen by
# ``scripts/train_engine.py`` on out-of-fold scores of the training split (4 folds, the
# model of each fold never saw the rows it scored; the held-out test split is not used):
# the lowest threshold whose false-positive rate on benign rows is at most 0.5% (low),
# 2% (medium) and 6% (high), after adding the synthetic long-benign texts.
THRESHOLDS: Mapping[str, float] = {"low": 0.82, "medium": 0.62, "high": 0.49}

CATEGORIES = (
    "instruction_override",
    "jailbreak",
    "adversarial_suffix",
    "prompt_extraction",
    "tool_abuse",
    "indirect_injection",
    "data_exfiltration",
    "obfuscation",
)

# Categories shown when evidence for them reaches this weight.
_CATEGORY_FLOOR = 0.3


def rule_probability(hits: Iterable[Hit], scale: float = 1.0, floor: float = 0.0) -> float:
    """Noisy-OR of the strongest weight of each distinct rule (weights below ``floor`` drop)."""
    best: Dict[str, float] = {}
    for h in hits:
        if h.weight >= floor and h.weight > best.get(h.rule, 0.0):
            best[h.rule] = h.weight
    keep = 1.0
    for w in best.values():
        keep *= 1.0 - w * scale
    return 1.0 - keep


def combine(p_rules: float, p_model: float) -> float:
    """Risk from the two sources: an attack only needs to convince one of them."""
    return 1.0 - (1.0 - p_rules) * (1.0 - p_model)


def confidence(risk: float, threshold: float) -> float:
    """0..100: how far the risk sits from the threshold, on the side of the label."""
    if risk >= threshold:
        margin = (risk - threshold) / max(1.0 - threshold, 1e-9)
    else:
        margin = (threshold - risk) / max(threshold, 1e-9)
    return round(50.0 + 50.0 * min(max(margin, 0.0), 1.0), 2)


def rank(hits: Iterable[Hit]) -> List[Tuple[str, float]]:
    """Categories ordered by their strongest evidence (at or above the floor)."""
    best: Dict[str, float] = {}
    for h in hits:
        if h.weight >= _CATEGORY_FLOOR and h.weight > best.get(h.category, 0.0):
            best[h.category] = h.weight
    return sorted(best.items(), key=lambda kv: (-kv[1], CATEGORIES.index(kv[0])))
