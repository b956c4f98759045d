"""Reading the ``X-LockLLM-*`` headers the proxy adds to every answer it forwards.

The proxy returns the provider's response unchanged and reports its own work (the scan
verdict, warnings, PII handling, compression, routing, cache and credits) in response
headers. :func:`parse_proxy_metadata` turns those headers into a frozen
:class:`ProxyMetadata`. Any header may be missing or malformed: it then reads as ``None``,
never as an exception.

The wrappers return the provider SDK's own client, so the headers are reached through the
SDK's ``with_raw_response``::

    raw = client.chat.completions.with_raw_response.create(model="gpt-4", messages=[...])
    meta = parse_proxy_metadata(raw.headers)
    completion = raw.parse()          # the usual ChatCompletion
    if meta.scan_warning is not None:
        print("allowed with a warning:", meta.scan_warning.injection_score)
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

from ._parse import as_float

__all__ = [
    "ProxyAbuse",
    "ProxyCache",
    "ProxyCompression",
    "ProxyMetadata",
    "ProxyPII",
    "ProxyPolicyWarnings",
    "ProxyRouting",
    "ProxyScanWarning",
    "decode_detail",
    "parse_proxy_metadata",
]

_PREFIX = "x-lockllm-"


@dataclass(frozen=True)
class ProxyScanWarning:
    """An injection finding the proxy let through (``scan_action="allow_with_warning"``).

    ``detail`` is the decoded ``X-LockLLM-Scan-Detail`` JSON, or ``None``.
    """

    injection_score: Optional[float] = None
    confidence: Optional[float] = None
    detail: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class ProxyPolicyWarnings:
    """Custom-policy violations the proxy let through (``policy_action="allow_with_warning"``).

    ``detail`` is the decoded ``X-LockLLM-Warning-Detail`` JSON, or ``None``.
    """

    count: Optional[int] = None
    confidence: Optional[float] = None
    detail: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class ProxyAbuse:
    """Abuse patterns found in the request (``abuse_action="allow_with_warning"``).

    ``detail`` is the decoded ``X-LockLLM-Abuse-Detail`` JSON, or ``None``.
    """

    detected: bool
    confidence: Optional[float] = None
    types: Tuple[str, ...] = ()
    detail: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class ProxyPII:
    """Personal data found in the request, and what the proxy did about it."""

    detected: bool
    types: Tuple[str, ...] = ()
    count: Optional[int] = None
    action: Optional[str] = None


@dataclass(frozen=True)
class ProxyCompression:
    """Prompt compression: the method asked for, whether it applied, and the ratio."""

    method: Optional[str] = None
    applied: Optional[bool] = None
    ratio: Optional[float] = None


@dataclass(frozen=True)
class ProxyRouting:
    """The smart-routing decision (``route_action="auto"`` or ``"custom"``)."""

    enabled: bool
    task_type: Optional[str] = None
    complexity: Optional[float] = None
    selected_model: Optional[str] = None
    reason: Optional[str] = None
    original_provider: Optional[str] = None
    original_model: Optional[str] = None
    estimated_savings: Optional[float] = None
    estimated_original_cost: Optional[float] = None
    estimated_routed_cost: Optional[float] = None
    estimated_input_tokens: Optional[int] = None
    estimated_output_tokens: Optional[int] = None
    fee_reason: Optional[str] = None


@dataclass(frozen=True)
class ProxyCache:
    """Response-cache status (``cache_response=True``): ``HIT`` or ``MISS`` and savings."""

    status: Optional[str] = None
    age: Optional[int] = None
    tokens_saved: Optional[int] = None
    cost_saved: Optional[float] = None


@dataclass(frozen=True)
class ProxyMetadata:
    """What the LockLLM proxy reported about one call, read from its response headers.

    Every field is ``None`` (or an empty mapping) when its header was absent or unreadable,
    so ``meta.safe is None`` means "not a proxied response", not "unsafe". The groups
    (``scan_warning``, ``policy_warnings``, ``abuse``, ``pii``, ``compression``,
    ``routing``, ``cache``) are ``None`` unless the proxy reported that feature.
    ``headers`` keeps every ``x-lockllm-*`` header as received (names lower-cased), for
    headers newer than this SDK.
    """

    safe: Optional[bool] = None
    scanned: Optional[bool] = None
    blocked: Optional[bool] = None
    request_id: Optional[str] = None
    label: Optional[int] = None
    injection_score: Optional[float] = None
    confidence: Optional[float] = None
    sensitivity: Optional[str] = None
    scan_mode: Optional[str] = None
    provider: Optional[str] = None
    model: Optional[str] = None
    credits_mode: Optional[str] = None
    scan_warning: Optional[ProxyScanWarning] = None
    policy_warnings: Optional[ProxyPolicyWarnings] = None
    abuse: Optional[ProxyAbuse] = None
    pii: Optional[ProxyPII] = None
    compression: Optional[ProxyCompression] = None
    routing: Optional[ProxyRouting] = None
    cache: Optional[ProxyCache] = None
    credits_reserved: Optional[float] = None
    credits_deducted: Optional[float] = None
    balance_after: Optional[float] = None
    routing_fee_reserved: Optional[float] = None
    headers: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)


def decode_detail(value: Optional[str]) -> Any:
    """Decode a ``…-Detail`` header (base64 of JSON); ``None`` when it is not that.

    Standard and URL-safe alphabets are accepted, with or without padding.
    """
    if not value:
        return None
    text = value.strip()
    padded = text + "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        return json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError):
        # ValueError covers bad UTF-8 and bad JSON too.
        return None


def parse_proxy_metadata(headers: Mapping[str, str]) -> ProxyMetadata:
    """Read the ``X-LockLLM-*`` response headers of a proxied call.

    ``headers`` may be any mapping (a ``dict``, ``httpx.Headers``, ``httpx2.Headers`` …);
    names are matched case-insensitively. Reach the headers of a wrapper call through the
    provider SDK's ``with_raw_response``::

        raw = client.chat.completions.with_raw_response.create(...)
        meta = parse_proxy_metadata(raw.headers)
        completion = raw.parse()

    or, for an SDK error, through ``error.response.headers``.
    """
    h: Dict[str, str] = {str(k).lower(): str(v) for k, v in headers.items()}

    def get(name: str) -> Optional[str]:
        value = h.get(_PREFIX + name)
        return value.strip() if value is not None else None

    scan_warning = None
    if _bool(get("scan-warning")) or get("scan-detail"):
        scan_warning = ProxyScanWarning(
            injection_score=_float(get("injection-score")),
            confidence=_float(get("confidence")),
            detail=decode_detail(get("scan-detail")),
        )
    policy_warnings = None
    if _bool(get("policy-warnings")) or get("warning-count") or get("warning-detail"):
        policy_warnings = ProxyPolicyWarnings(
            count=_int(get("warning-count")),
            confidence=_float(get("policy-confidence")),
            detail=decode_detail(get("warning-detail")),
        )
    abuse = None
    abuse_flag = _bool(get("abuse-detected"))
    if abuse_flag is not None:
        abuse = ProxyAbuse(
            detected=abuse_flag,
            confidence=_float(get("abuse-confidence")),
            types=_list(get("abuse-types")),
            detail=decode_detail(get("abuse-detail")),
        )
    pii = None
    pii_flag = _bool(get("pii-detected"))
    if pii_flag is not None:
        pii = ProxyPII(
            detected=pii_flag,
            types=_list(get("pii-types")),
            count=_int(get("pii-count")),
            action=get("pii-action") or None,
        )
    compression = None
    if get("compression-method") or get("compression-applied") is not None:
        compression = ProxyCompression(
            method=get("compression-method") or None,
            applied=_bool(get("compression-applied")),
            ratio=_float(get("compression-ratio")),
        )
    routing = None
    route_flag = _bool(get("route-enabled"))
    if route_flag is not None:
        routing = ProxyRouting(
            enabled=route_flag,
            task_type=get("task-type") or None,
            complexity=_float(get("complexity")),
            selected_model=get("selected-model") or None,
            reason=get("routing-reason") or None,
            original_provider=get("original-provider") or None,
            original_model=get("original-model") or None,
            estimated_savings=_float(get("estimated-savings")),
            estimated_original_cost=_float(get("estimated-original-cost")),
            estimated_routed_cost=_float(get("estimated-routed-cost")),
            estimated_input_tokens=_int(get("estimated-input-tokens")),
            estimated_output_tokens=_int(get("estimated-output-tokens")),
            fee_reason=get("routing-fee-reason") or None,
        )
    cache = None
    if get("cache-status"):
        cache = ProxyCache(
            status=get("cache-status"),
            age=_int(get("cache-age")),
            tokens_saved=_int(get("tokens-saved")),
            cost_saved=_float(get("cost-saved")),
        )
    label = _int(get("label"))
    return ProxyMetadata(
        safe=_bool(get("safe")),
        scanned=_bool(get("scanned")),
        blocked=_bool(get("blocked")),
        request_id=get("request-id") or h.get("x-request-id") or None,
        label=label if label in (0, 1) else None,
        injection_score=_float(get("injection-score")),
        confidence=_float(get("confidence")),
        sensitivity=get("sensitivity") or None,
        scan_mode=get("scan-mode") or h.get("x-scan-mode") or None,
        provider=get("provider") or None,
        model=get("model") or None,
        credits_mode=get("credits-mode") or None,
        scan_warning=scan_warning,
        policy_warnings=policy_warnings,
        abuse=abuse,
        pii=pii,
        compression=compression,
        routing=routing,
        cache=cache,
        credits_reserved=_float(get("credits-reserved")),
        credits_deducted=_float(get("credits-deducted")),
        balance_after=_float(get("balance-after")),
        routing_fee_reserved=_float(get("routing-fee-reserved")),
        headers={k: v for k, v in h.items() if k.startswith(_PREFIX)},
    )


# Lenient readers: a malformed value reads as missing.

_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


def _bool(value: Optional[str]) -> Optional[bool]:
    if value is None:
        return None
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


def _float(value: Optional[str]) -> Optional[float]:
    return as_float(value, text=True)


def _int(value: Optional[str]) -> Optional[int]:
    number = _float(value)
    if number is None or not number.is_integer():
        return None
    return int(number)


def _list(value: Optional[str]) -> Tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(",") if part.strip())
