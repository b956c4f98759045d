"""Lenient readers of LockLLM response bodies.

A field of the wrong type, out of range or missing reads as ``None`` (or the field's
default); nothing here raises on what a server sends. Newer servers add fields, older ones
leave some out, and a broken proxy may send anything.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any, List, Literal, Mapping, Optional

from ._vocabulary import SENSITIVITIES
from .types import Debug, ScanResponse, ScanResult, Sensitivity, Usage

if TYPE_CHECKING:
    from . import _details as details

SENSITIVITY_VALUES = SENSITIVITIES


def load_json(content: bytes) -> Any:
    """The decoded body, or ``None`` when it is not JSON (or nested too deep to decode)."""
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        return None


def as_str(value: Any) -> Optional[str]:
    """A non-empty string, else ``None``."""
    return value if isinstance(value, str) and value else None


def as_float(value: Any, *, text: bool = False) -> Optional[float]:
    """A finite number (bools excluded), else ``None``: the one lenient number reader.

    With ``text=True`` a string is read too (``" 2.5 "``), as header values are.
    """
    if isinstance(value, str):
        if not text:
            return None
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except (OverflowError, ValueError):  # an integer too large for a float; not a number
        return None
    return number if math.isfinite(number) else None


def as_int(value: Any) -> Optional[int]:
    """An integer (bools excluded), else ``None``."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_status(value: Any) -> Optional[int]:
    """An HTTP status, as an integer or a string of digits, else ``None``."""
    if isinstance(value, str) and value.isdigit() and len(value) == 3:
        return int(value)
    return as_int(value)


def as_list(value: Any) -> List[Any]:
    """``value`` if it is a list, else an empty list."""
    return value if isinstance(value, list) else []


def as_label(value: Any) -> Optional[Literal[0, 1]]:
    """0 or 1 (and not ``False``/``True``), else ``None``."""
    if type(value) is int and value in (0, 1):
        return 1 if value else 0
    return None


def as_sensitivity(value: Any, default: Sensitivity) -> Sensitivity:
    """A known sensitivity level, else ``default``."""
    return value if value in SENSITIVITY_VALUES else default


def parse_scan_result(data: Any) -> ScanResult:
    """Read a ``scan_result`` object; missing fields read as an unsafe verdict."""
    data = data if isinstance(data, dict) else {}
    label = as_label(data.get("label"))
    label = 1 if label is None else label
    safe = data.get("safe")
    return ScanResult(
        safe=safe if isinstance(safe, bool) else label == 0,
        label=label,
        confidence=as_float(data.get("confidence")),
        injection=as_float(data.get("injection")),
        sensitivity=as_sensitivity(data.get("sensitivity"), "medium"),
    )


def parse_policy_violation(data: Any) -> Optional[details.PolicyViolation]:
    """Read one entry of ``policy_warnings`` / ``violated_policies``."""
    from . import _details as details  # built on first use: see _details

    if not isinstance(data, dict):
        return None
    categories = tuple(
        details.ViolatedCategory(name=c["name"], description=as_str(c.get("description")))
        for c in as_list(data.get("violated_categories"))
        if isinstance(c, dict) and isinstance(c.get("name"), str)
    )
    return details.PolicyViolation(
        policy_name=as_str(data.get("policy_name")) or "",
        violated_categories=categories,
        violation_details=as_str(data.get("violation_details")),
    )


def parse_policy_violations(data: Any) -> tuple[details.PolicyViolation, ...]:
    """Read a list of policy violations, skipping malformed entries."""
    if not data or not isinstance(data, list):
        return ()
    return tuple(p for p in map(parse_policy_violation, data) if p is not None)


def parse_abuse_warning(data: Mapping[str, Any]) -> details.AbuseWarning:
    """Read an ``abuse_warnings`` / ``abuse_details`` object."""
    from . import _details as details  # built on first use: see _details

    indicators = data.get("indicators")
    scores = {}
    for name, raw in indicators.items() if isinstance(indicators, dict) else ():
        score = as_float(raw)
        if isinstance(name, str) and score is not None:
            scores[name] = score
    return details.AbuseWarning(
        detected=data.get("detected") is not False,
        confidence=as_float(data.get("confidence")),
        abuse_types=tuple(t for t in as_list(data.get("abuse_types")) if isinstance(t, str)),
        indicators=scores,
        recommendation=as_str(data.get("recommendation")),
    )


def parse_pii(data: Any, *, detected: Optional[bool] = None) -> details.PIIResult:
    """Read a ``pii_result`` / ``pii_details`` object."""
    from . import _details as details  # built on first use: see _details

    data = data if isinstance(data, dict) else {}
    return details.PIIResult(
        detected=detected if detected is not None else data.get("detected") is True,
        entity_types=tuple(t for t in as_list(data.get("entity_types")) if isinstance(t, str)),
        entity_count=as_int(data.get("entity_count")) or 0,
        redacted_input=as_str(data.get("redacted_input")),
    )


def parse_scan_response(
    data: Mapping[str, Any], request_id: str, sensitivity: Sensitivity = "medium"
) -> ScanResponse:
    """Build a ``ScanResponse`` from a decoded 200 body whose ``safe`` is a bool."""
    safe = data.get("safe") is True
    label = as_label(data.get("label"))
    usage = data.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    abuse = data.get("abuse_warnings")
    pii = data.get("pii_result")
    return ScanResponse(
        safe=safe,
        label=(0 if safe else 1) if label is None else label,
        confidence=as_float(data.get("confidence")),
        injection=as_float(data.get("injection")),
        sensitivity=as_sensitivity(data.get("sensitivity"), sensitivity),
        request_id=request_id,
        usage=Usage(
            requests=_or(as_int(usage.get("requests")), 1),
            input_chars=_or(as_int(usage.get("input_chars")), 0),
        ),
        debug=_debug(data.get("debug")),
        policy_confidence=as_float(data.get("policy_confidence")),
        policy_warnings=parse_policy_violations(data.get("policy_warnings")),
        scan_warning=_scan_warning(data.get("scan_warning")),
        abuse_warnings=parse_abuse_warning(abuse) if isinstance(abuse, dict) else None,
        routing=_routing(data.get("routing")),
        pii_result=parse_pii(pii) if isinstance(pii, dict) else None,
        compression_result=_compression(data.get("compression_result")),
        categories=tuple(c for c in as_list(data.get("categories")) if isinstance(c, str)),
        spans=_spans(data.get("spans")),
    )


def _spans(value: Any) -> tuple[details.Span, ...]:
    # Sent by `lockllm serve`, not by the hosted service.
    if not value or not isinstance(value, list):
        return ()
    from . import _details as details  # built on first use: see _details

    spans = []
    for item in value:
        if not isinstance(item, dict):
            continue
        start, end = as_int(item.get("start")), as_int(item.get("end"))
        category, score = as_str(item.get("category")), as_float(item.get("score"))
        if start is not None and end is not None and category and score is not None:
            spans.append(details.Span(start=start, end=end, category=category, score=score))
    return tuple(spans)


def _or(value: Optional[int], default: int) -> int:
    return default if value is None else value


def _debug(value: Any) -> Optional[Debug]:
    if not isinstance(value, dict):
        return None
    return Debug(
        duration_ms=as_float(value.get("duration_ms")) or 0.0,
        inference_ms=as_float(value.get("inference_ms")) or 0.0,
        mode=as_str(value.get("mode")) or "single",
    )


def _scan_warning(value: Any) -> Optional[details.ScanWarning]:
    if not isinstance(value, dict):
        return None
    from . import _details as details  # built on first use: see _details

    return details.ScanWarning(
        message=as_str(value.get("message")) or "",
        injection_score=as_float(value.get("injection_score")),
        confidence=as_float(value.get("confidence")),
        label=as_label(value.get("label")),
    )


def _routing(value: Any) -> Optional[details.RoutingInfo]:
    if not isinstance(value, dict):
        return None
    from . import _details as details  # built on first use: see _details

    return details.RoutingInfo(
        enabled=value.get("enabled") is True,
        task_type=as_str(value.get("task_type")),
        complexity=as_float(value.get("complexity")),
        selected_model=as_str(value.get("selected_model")),
        reasoning=as_str(value.get("reasoning")),
        estimated_cost=as_float(value.get("estimated_cost")),
    )


def _compression(value: Any) -> Optional[details.CompressionResult]:
    if not isinstance(value, dict) or not isinstance(value.get("compressed_input"), str):
        return None
    from . import _details as details  # built on first use: see _details

    return details.CompressionResult(
        method=as_str(value.get("method")) or "",
        compressed_input=value["compressed_input"],
        original_length=as_int(value.get("original_length")) or 0,
        compressed_length=as_int(value.get("compressed_length")) or 0,
        compression_ratio=as_float(value.get("compression_ratio")) or 0.0,
    )
