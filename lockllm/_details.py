"""Result types for the optional parts of a scan: policy warnings, PII, routing, spans …

They are created on first use, not when ``lockllm`` is imported (each frozen dataclass
costs about a millisecond to build), and are imported from ``lockllm`` or
``lockllm.types`` like the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Tuple

__all__ = [
    "AbuseWarning",
    "CompressionResult",
    "PIIResult",
    "PolicyViolation",
    "RoutingInfo",
    "ScanWarning",
    "Span",
    "ViolatedCategory",
]


@dataclass(frozen=True)
class ViolatedCategory:
    """One category of a custom policy that the input violated."""

    name: str
    description: Optional[str] = None


@dataclass(frozen=True)
class PolicyViolation:
    """A custom policy the input violated (reported when the policy action only warns)."""

    policy_name: str
    violated_categories: Tuple[ViolatedCategory, ...] = ()
    violation_details: Optional[str] = None


@dataclass(frozen=True)
class ScanWarning:
    """An injection finding reported as a warning (``scan_action="allow_with_warning"``)."""

    message: str
    injection_score: Optional[float] = None
    confidence: Optional[float] = None
    label: Optional[int] = None


@dataclass(frozen=True)
class AbuseWarning:
    """Abuse patterns found in the input (bots, floods, resource exhaustion …)."""

    detected: bool
    confidence: Optional[float] = None
    abuse_types: Tuple[str, ...] = ()
    indicators: Mapping[str, float] = field(default_factory=dict)
    recommendation: Optional[str] = None


@dataclass(frozen=True)
class RoutingInfo:
    """Smart-routing decision made by the service."""

    enabled: bool
    task_type: Optional[str] = None
    complexity: Optional[float] = None
    selected_model: Optional[str] = None
    reasoning: Optional[str] = None
    estimated_cost: Optional[float] = None


@dataclass(frozen=True)
class PIIResult:
    """Personal data found in the input."""

    detected: bool
    entity_types: Tuple[str, ...] = ()
    entity_count: int = 0
    redacted_input: Optional[str] = field(default=None, repr=False)  # prompt text


@dataclass(frozen=True)
class CompressionResult:
    """The input after prompt compression."""

    method: str
    compressed_input: str
    original_length: int
    compressed_length: int
    compression_ratio: float


@dataclass(frozen=True)
class Span:
    """A stretch of the input that raised the score (local engine only).

    ``start`` and ``end`` index the original input string, so ``text[start:end]``
    is the flagged part; ``score`` (0-100) is how strongly that part alone points to
    ``category``; ``rule`` names the rule or detector that produced it (``None`` when
    the service does not say).
    """

    start: int
    end: int
    category: str
    score: float
    rule: Optional[str] = None
