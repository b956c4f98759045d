"""The LockLLM error hierarchy, and the one function that turns a response into an error.

```
LockLLMError
├── AuthenticationError          401 authentication_error / unauthorized
├── RateLimitError               429 rate_limit_error / rate_limited   (.retry_after, ms)
├── PromptInjectionError         400 prompt_injection_detected          (.scan_result)
├── PolicyViolationError         403 policy_violation                   (.violated_policies)
├── AbuseDetectedError           400 abuse_detected                     (.abuse_details)
├── PIIDetectedError             403 pii_detected                       (.pii_details)
├── InsufficientCreditsError     402 lockllm_balance_error / insufficient_credits …
├── UpstreamError                502 upstream_error / provider_error    (.provider, …)
├── ConfigurationError           400 configuration_error, or a bad local setting
├── APIError                     any other HTTP error status (an HTML 500, a 404 …)
├── InvalidResponseError         a 2xx whose body is not a scan response
├── InvalidRequestError          bad arguments, refused before anything is sent
└── NetworkError                 0   connection refused or reset, DNS failure
    └── APITimeoutError          0   the request timed out
```

Every error carries ``message``, ``type``, ``code``, ``status`` and ``request_id``; errors
built from an HTTP response also carry ``body``, a short excerpt of what the server said
(with the API key masked, should the server echo it back).
"""

from __future__ import annotations

import json
from typing import Any, Literal, Mapping, Optional, Tuple

from ._headers import retry_after_seconds
from .types import (
    AbuseWarning,
    PIIResult,
    PolicyViolation,
    ScanResult,
    ViolatedCategory,
)

__all__ = [
    "APIError",
    "APITimeoutError",
    "AbuseDetectedError",
    "AuthenticationError",
    "ConfigurationError",
    "InsufficientCreditsError",
    "InvalidRequestError",
    "InvalidResponseError",
    "LockLLMError",
    "NetworkError",
    "PIIDetectedError",
    "PolicyViolationError",
    "PromptInjectionError",
    "RateLimitError",
    "UpstreamError",
    "error_from_response",
]

BODY_EXCERPT_CHARS = 200


class LockLLMError(Exception):
    """Base class of every error this SDK raises."""

    default_type = "lockllm_error"

    def __init__(
        self,
        message: str,
        *,
        type: Optional[str] = None,
        code: Optional[str] = None,
        status: Optional[int] = None,
        request_id: Optional[str] = None,
        body: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.type = type or self.default_type
        self.code = code
        self.status = status
        self.request_id = request_id
        self.body = body

    def __str__(self) -> str:
        details = [f"status={self.status}"] if self.status is not None else []
        if self.code:
            details.append(f"code={self.code}")
        if self.request_id:
            details.append(f"request_id={self.request_id}")
        return f"{self.message} ({', '.join(details)})" if details else self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status!r}, code={self.code!r})"
        )

    def __reduce__(self) -> Any:
        # Keyword-only constructors defeat the default pickling of exceptions.
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: type[LockLLMError], message: str, state: dict[str, Any]) -> LockLLMError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class AuthenticationError(LockLLMError):
    """The LockLLM API key is missing, wrong or revoked (HTTP 401)."""

    default_type = "authentication_error"


class RateLimitError(LockLLMError):
    """Too many requests (HTTP 429). ``retry_after`` is the wait the server asked for, in ms."""

    default_type = "rate_limit_error"

    def __init__(self, message: str, *, retry_after: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class PromptInjectionError(LockLLMError):
    """The input was judged malicious and blocked. ``scan_result`` holds the verdict."""

    default_type = "lockllm_security_error"

    def __init__(self, message: str, *, scan_result: ScanResult, **kwargs: Any) -> None:
        kwargs.setdefault("code", "prompt_injection_detected")
        super().__init__(message, **kwargs)
        self.scan_result = scan_result


class PolicyViolationError(LockLLMError):
    """The input broke one of your custom policies (HTTP 403)."""

    default_type = "lockllm_policy_error"

    def __init__(
        self, message: str, *, violated_policies: Tuple[PolicyViolation, ...] = (), **kwargs: Any
    ) -> None:
        kwargs.setdefault("code", "policy_violation")
        super().__init__(message, **kwargs)
        self.violated_policies = violated_policies


class AbuseDetectedError(LockLLMError):
    """The request looks like abuse (bot traffic, floods, resource exhaustion)."""

    default_type = "lockllm_abuse_error"

    def __init__(
        self, message: str, *, abuse_details: Optional[AbuseWarning] = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("code", "abuse_detected")
        super().__init__(message, **kwargs)
        self.abuse_details = abuse_details


class PIIDetectedError(LockLLMError):
    """The input holds personal data and the PII action is ``block`` (HTTP 403)."""

    default_type = "lockllm_pii_error"

    def __init__(self, message: str, *, pii_details: PIIResult, **kwargs: Any) -> None:
        kwargs.setdefault("code", "pii_detected")
        super().__init__(message, **kwargs)
        self.pii_details = pii_details

    @property
    def entity_types(self) -> Tuple[str, ...]:
        """The kinds of personal data found (``email``, ``phone_number`` …)."""
        return self.pii_details.entity_types

    @property
    def entity_count(self) -> int:
        """How many pieces of personal data were found."""
        return self.pii_details.entity_count


class InsufficientCreditsError(LockLLMError):
    """Your LockLLM balance cannot cover the request (HTTP 402)."""

    default_type = "lockllm_balance_error"

    def __init__(
        self,
        message: str,
        *,
        current_balance: Optional[float] = None,
        estimated_cost: Optional[float] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.current_balance = current_balance
        self.estimated_cost = estimated_cost


class UpstreamError(LockLLMError):
    """The AI provider behind the proxy failed (HTTP 502)."""

    default_type = "upstream_error"

    def __init__(
        self,
        message: str,
        *,
        provider: Optional[str] = None,
        upstream_status: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.provider = provider
        self.upstream_status = upstream_status


class ConfigurationError(LockLLMError):
    """A setting is missing or wrong: no API key, an unknown provider, no upstream key …"""

    default_type = "configuration_error"


class APIError(LockLLMError):
    """An HTTP error status that no more specific class describes (a 404, an HTML 500 …)."""

    default_type = "api_error"


class InvalidResponseError(LockLLMError):
    """A success status whose body is not a valid scan response (empty, truncated, HTML)."""

    default_type = "invalid_response"


class InvalidRequestError(LockLLMError, ValueError, TypeError):
    """An argument was refused before anything was sent.

    It is also a ``ValueError`` and a ``TypeError``, so code that guards a call with
    either keeps working.
    """

    default_type = "invalid_request_error"


class NetworkError(LockLLMError):
    """The service could not be reached: refused, reset, DNS failure (status 0).

    The httpx exception that caused it is chained as ``__cause__``.
    """

    default_type = "network_error"

    def __init__(self, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("status", 0)
        super().__init__(message, **kwargs)


class APITimeoutError(NetworkError):
    """The request did not complete within the timeout."""

    default_type = "timeout_error"


_BALANCE_CODES = frozenset(
    {
        "insufficient_credits",
        "no_balance",
        "insufficient_routing_credits",
        "balance_check_failed",
        "credits_unavailable",
    }
)
_CONFIG_CODES = frozenset({"no_upstream_key", "no_byok_key", "invalid_provider_for_credits_mode"})
_STATUS_FALLBACK: Mapping[int, type[LockLLMError]] = {
    401: AuthenticationError,
    402: InsufficientCreditsError,
    429: RateLimitError,
    502: UpstreamError,
}


def body_excerpt(content: bytes, secret: Optional[str] = None) -> str:
    """A short, printable excerpt of a response body, with ``secret`` masked."""
    text = content[: BODY_EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    if secret:
        text = text.replace(secret, "***")
    text = " ".join(text.split())
    if len(text) > BODY_EXCERPT_CHARS:
        text = text[: BODY_EXCERPT_CHARS - 1] + "…"
    return text


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    content: bytes,
    *,
    request_id: Optional[str] = None,
    secret: Optional[str] = None,
) -> LockLLMError:
    """Turn an error response into the matching ``LockLLMError`` subclass.

    ``headers`` must be case-insensitive (httpx and httpx2 headers are). ``request_id``
    is the id the client sent; the server's own id wins when the body or the
    ``X-Request-Id`` header carries one. ``secret`` (the API key) is masked in ``body``.
    """
    request_id = headers.get("x-request-id") or request_id
    excerpt = body_excerpt(content, secret)
    retry_after = _retry_after_ms(headers) if status == 429 else None
    try:
        payload = json.loads(content)
    except ValueError:
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, str) and isinstance(payload, dict):
        # The older flat form: {"error": "code", "message": "..."}
        error = {"code": error, "type": error, "message": payload.get("message")}
    if not isinstance(error, dict):
        cls = _STATUS_FALLBACK.get(status, APIError)
        message = f"HTTP {status} from LockLLM" + (f": {excerpt}" if excerpt else "")
        fallback = cls(message, status=status, request_id=request_id, body=excerpt)
        if isinstance(fallback, RateLimitError):
            fallback.retry_after = retry_after
        return fallback
    return _from_error_object(error, status, excerpt, request_id, retry_after, secret)


def _from_error_object(
    error: Mapping[str, Any],
    status: int,
    excerpt: str,
    request_id: Optional[str],
    retry_after: Optional[int],
    secret: Optional[str],
) -> LockLLMError:
    message = _str(error.get("message")) or f"HTTP {status} from LockLLM"
    if secret:
        message = message.replace(secret, "***")
    err_type = _str(error.get("type"))
    code = _str(error.get("code"))
    common: dict[str, Any] = {
        "type": err_type,
        "code": code,
        "status": status,
        "request_id": _str(error.get("request_id")) or request_id,
        "body": excerpt,
    }
    if code == "prompt_injection_detected" or err_type == "lockllm_security_error":
        return PromptInjectionError(
            message, scan_result=parse_scan_result(error.get("scan_result")), **common
        )
    if code == "policy_violation":
        policies = tuple(
            p for p in map(parse_policy_violation, _list(error.get("violated_policies"))) if p
        )
        return PolicyViolationError(message, violated_policies=policies, **common)
    if code == "abuse_detected":
        details = error.get("abuse_details")
        abuse = parse_abuse_warning(details) if isinstance(details, dict) else None
        return AbuseDetectedError(message, abuse_details=abuse, **common)
    if code == "pii_detected":
        pii = error.get("pii_details")
        return PIIDetectedError(message, pii_details=parse_pii(pii, detected=True), **common)
    if code in _BALANCE_CODES or err_type == "lockllm_balance_error":
        return InsufficientCreditsError(
            message,
            current_balance=_float(error.get("current_balance")),
            estimated_cost=_float(error.get("estimated_cost")),
            **common,
        )
    if err_type == "authentication_error" or code == "unauthorized":
        return AuthenticationError(message, **common)
    if err_type == "rate_limit_error" or code == "rate_limited":
        return RateLimitError(message, retry_after=retry_after, **common)
    if err_type == "upstream_error" or code == "provider_error":
        return UpstreamError(
            message,
            provider=_str(error.get("provider")),
            upstream_status=_int(error.get("upstream_status")),
            **common,
        )
    if err_type in ("configuration_error", "lockllm_config_error") or code in _CONFIG_CODES:
        return ConfigurationError(message, **common)
    cls = _STATUS_FALLBACK.get(status, APIError)
    fallback = cls(message, **common)
    if isinstance(fallback, RateLimitError):
        fallback.retry_after = retry_after
    return fallback


def _retry_after_ms(headers: Mapping[str, str]) -> Optional[int]:
    seconds = retry_after_seconds(headers)
    return None if seconds is None else round(seconds * 1000)


# Lenient field readers: a field of the wrong type reads as missing, never crashes.


def _str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def _float(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _int(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def parse_scan_result(data: Any) -> ScanResult:
    """Read a ``scan_result`` object; missing fields read as an unsafe verdict."""
    data = data if isinstance(data, dict) else {}
    label: Literal[0, 1] = 0 if data.get("label") == 0 else 1
    safe = data.get("safe")
    sensitivity = data.get("sensitivity")
    return ScanResult(
        safe=safe if isinstance(safe, bool) else label == 0,
        label=label,
        confidence=_float(data.get("confidence")),
        injection=_float(data.get("injection")),
        sensitivity=sensitivity if sensitivity in ("low", "medium", "high") else "medium",
    )


def parse_policy_violation(data: Any) -> Optional[PolicyViolation]:
    """Read one entry of ``policy_warnings`` / ``violated_policies``."""
    if not isinstance(data, dict):
        return None
    categories = tuple(
        ViolatedCategory(name=c["name"], description=_str(c.get("description")))
        for c in _list(data.get("violated_categories"))
        if isinstance(c, dict) and isinstance(c.get("name"), str)
    )
    return PolicyViolation(
        policy_name=_str(data.get("policy_name")) or "",
        violated_categories=categories,
        violation_details=_str(data.get("violation_details")),
    )


def parse_abuse_warning(data: Mapping[str, Any]) -> AbuseWarning:
    """Read an ``abuse_warnings`` / ``abuse_details`` object."""
    indicators = data.get("indicators")
    return AbuseWarning(
        detected=data.get("detected") is not False,
        confidence=_float(data.get("confidence")),
        abuse_types=tuple(t for t in _list(data.get("abuse_types")) if isinstance(t, str)),
        indicators={
            k: float(v)
            for k, v in (indicators.items() if isinstance(indicators, dict) else ())
            if _float(v) is not None
        },
        recommendation=_str(data.get("recommendation")),
    )


def parse_pii(data: Any, *, detected: Optional[bool] = None) -> PIIResult:
    """Read a ``pii_result`` / ``pii_details`` object."""
    data = data if isinstance(data, dict) else {}
    flag = data.get("detected")
    return PIIResult(
        detected=detected if detected is not None else flag is True,
        entity_types=tuple(t for t in _list(data.get("entity_types")) if isinstance(t, str)),
        entity_count=_int(data.get("entity_count")) or 0,
        redacted_input=_str(data.get("redacted_input")),
    )
