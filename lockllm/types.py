"""Typed results and option literals shared by the client, the wrappers and the engine.

Every result is a frozen dataclass: cheap to build, hashable where its fields are, and
safe to hand to other threads. Optional response fields are ``None`` (or an empty tuple)
when the service did not send them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Mapping, Optional, Tuple, TypedDict, Union

from ._vocabulary import Sensitivity  # the levels are spelled once, there

if TYPE_CHECKING:
    import httpx

    from ._details import (
        AbuseWarning,
        CompressionResult,
        PIIResult,
        PolicyViolation,
        RoutingInfo,
        ScanWarning,
        Span,
        ViolatedCategory,
    )

__all__ = [
    "AbuseWarning",
    "Action",
    "CompressionMethod",
    "CompressionResult",
    "Debug",
    "PIIAction",
    "PIIResult",
    "PolicyViolation",
    "ProviderName",
    "ProxyOptions",
    "RouteAction",
    "RoutingInfo",
    "ScanMode",
    "ScanOptions",
    "ScanResponse",
    "ScanResult",
    "ScanSource",
    "ScanWarning",
    "Sensitivity",
    "Span",
    "Usage",
    "ViolatedCategory",
]


ScanMode = Literal["normal", "policy_only", "combined"]
Action = Literal["block", "allow_with_warning"]
PIIAction = Literal["strip", "block", "allow_with_warning"]
CompressionMethod = Literal["toon", "compact", "combined"]
RouteAction = Literal["disabled", "auto", "custom"]
ScanSource = Literal["api", "local"]
"""Who answered a scan: the LockLLM service (``api``) or the in-process engine (``local``)."""

ProviderName = Literal[
    "openai",
    "anthropic",
    "gemini",
    "cohere",
    "openrouter",
    "perplexity",
    "mistral",
    "groq",
    "deepseek",
    "together",
    "xai",
    "fireworks",
    "anyscale",
    "huggingface",
    "azure",
    "bedrock",
    "vertex-ai",
]


@dataclass(frozen=True)
class Usage:
    """What a scan counted against your account."""

    requests: int = 1
    input_chars: int = 0


@dataclass(frozen=True)
class Debug:
    """Timing details of a scan (sent by the service on some plans, always by the engine)."""

    duration_ms: float
    inference_ms: float
    mode: str  # "single" or "chunked"


@dataclass(frozen=True)
class ScanResult:
    """The verdict of a scan: what ``PromptInjectionError.scan_result`` carries."""

    safe: bool
    label: Literal[0, 1]
    confidence: Optional[float]
    injection: Optional[float]
    sensitivity: Sensitivity


@dataclass(frozen=True)
class ScanResponse:
    """The full answer to ``scan()``.

    The first eight fields are those of the hosted service's response; the optional
    ones appear when the matching feature is enabled. ``categories`` and ``spans`` are
    filled by the local engine only, and ``source`` says who answered.
    """

    safe: bool
    label: Literal[0, 1]
    confidence: Optional[float]
    injection: Optional[float]
    sensitivity: Sensitivity
    request_id: str
    usage: Usage = field(default_factory=Usage)
    debug: Optional[Debug] = None
    policy_confidence: Optional[float] = None
    policy_warnings: Tuple[PolicyViolation, ...] = ()
    scan_warning: Optional[ScanWarning] = None
    abuse_warnings: Optional[AbuseWarning] = None
    routing: Optional[RoutingInfo] = None
    pii_result: Optional[PIIResult] = None
    compression_result: Optional[CompressionResult] = None
    categories: Tuple[str, ...] = ()
    spans: Tuple[Span, ...] = ()
    source: ScanSource = "api"

    @property
    def scan_result(self) -> ScanResult:
        """The verdict alone, as carried by ``PromptInjectionError``."""
        return ScanResult(
            safe=self.safe,
            label=self.label,
            confidence=self.confidence,
            injection=self.injection,
            sensitivity=self.sensitivity,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the service's fields plus ``categories``, ``spans`` and
        ``source``, with ``None`` and empty fields left out."""
        from dataclasses import asdict

        return {k: v for k, v in asdict(self).items() if v is not None and v != ()}


class ScanOptions(TypedDict, total=False):
    """Keyword options of ``scan()`` beyond ``input`` and ``sensitivity``.

    ``headers`` and ``timeout`` apply to this call only; the rest are sent as the
    service's ``X-LockLLM-*`` request headers. ``None`` means "the service's default".
    """

    headers: Optional[Mapping[str, str]]
    timeout: Union[float, httpx.Timeout, None]
    scan_mode: Optional[ScanMode]
    scan_action: Optional[Action]
    policy_action: Optional[Action]
    abuse_action: Optional[Action]
    pii_action: Optional[PIIAction]
    compression: Optional[CompressionMethod]
    compression_rate: Optional[float]
    chunk: Optional[bool]


class ProxyOptions(TypedDict, total=False):
    """The ``proxy_options=`` of every ``create_*`` wrapper, sent as ``X-LockLLM-*`` headers.

    Any ``Mapping`` with these keys works; this type is for editors and type checkers.
    """

    scan_mode: ScanMode
    scan_action: Action
    policy_action: Action
    abuse_action: Action
    route_action: RouteAction
    sensitivity: Sensitivity
    cache_response: bool
    cache_ttl: int
    chunk: bool
    pii_action: PIIAction
    compression: CompressionMethod
    compression_rate: float


_DETAILS = frozenset(
    {
        "AbuseWarning",
        "CompressionResult",
        "PIIResult",
        "PolicyViolation",
        "RoutingInfo",
        "ScanWarning",
        "Span",
        "ViolatedCategory",
    }
)


def __getattr__(name: str) -> Any:
    # The detail types live in ._details and are built on first use (see there).
    if name not in _DETAILS:
        raise AttributeError(f"module 'lockllm.types' has no attribute {name!r}")
    from . import _details

    value = getattr(_details, name)
    globals()[name] = value
    return value
