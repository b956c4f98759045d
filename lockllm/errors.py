"""The LockLLM error hierarchy, and the one function that turns a response into an error.

```
LockLLMError
├── AuthenticationError          401 authentication_error / unauthorized
├── RateLimitError               429 rate_limit_error / rate_limited   (.retry_after, ms)
├── PromptInjectionError         400 prompt_injection_detected          (.scan_result)
├── PolicyViolationError         403 policy_violation                   (.violated_policies)
├── AbuseDetectedError           400 abuse_detected                     (.abuse_details)
├── PIIDetectedError             403 pii_detected                       (.pii_details)
├── ResponseBlockedError         403 response_blocked (gateway guard)   (.findings)
├── InsufficientCreditsError     402 lockllm_balance_error / insufficient_credits …
├── UpstreamError                502 upstream_error / provider_error    (.provider, …)
├── ConfigurationError           400 configuration_error, or a bad local setting
├── APIError                     any other HTTP error status (an HTML 500, a 404 …)
├── InvalidResponseError         a 2xx whose body is not a scan response
│   └── ResponseTooLargeError    a body past the client's max_response_bytes
├── InvalidRequestError          bad arguments, refused before anything is sent
└── NetworkError                 0   connection refused or reset, DNS failure
    └── APITimeoutError          0   the request timed out
```

Every error carries ``message``, ``type``, ``code``, ``status`` (also as ``status_code``)
and ``request_id``; errors built from an HTTP response also carry ``body``, a short excerpt
of what the server said, and ``response``, the ``httpx.Response`` (its body read). The API
key is masked (``***``) in all of them, should the server echo it back: in ``message``,
``code``, ``type``, ``request_id`` (from the body or ``X-Request-Id``), ``body`` and
``response``, whose ``request`` is a copy with the ``Authorization`` header masked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Tuple, TypeVar

from ._headers import retry_after_seconds
from ._parse import (
    as_float,
    as_status,
    as_str,
    load_json,
    parse_abuse_warning,
    parse_pii,
    parse_policy_violations,
    parse_scan_result,
)
from ._vocabulary import ERRORS
from .types import ScanResult

if TYPE_CHECKING:
    from ._details import AbuseWarning, PIIResult, PolicyViolation

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
    "ResponseBlockedError",
    "ResponseTooLargeError",
    "UpstreamError",
    "error_from_response",
]

_T = TypeVar("_T")
BODY_EXCERPT_CHARS = 200
MAX_RETRY_AFTER_REPORTED = 86400.0  # a day: beyond it a Retry-After is nonsense


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
        response: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.type = type or self.default_type
        self.code = code
        self.status = status
        self.status_code = status
        """``status`` under the name httpx and openai-python use."""
        self.request_id = request_id
        self.body = body
        self.response = response
        """The ``httpx.Response`` this error was built from (``None`` without one)."""

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


class ResponseBlockedError(LockLLMError):
    """The gateway's response guard refused the model's answer (HTTP 403, or the last
    event of a stream): it leaked the system prompt, carried conversation text to an
    outside URL, or held secrets or personal data the request's PII action blocks.
    ``findings`` names the kinds found (``prompt_leak``, ``exfiltration`` …), never text."""

    default_type = "lockllm_response_error"

    def __init__(self, message: str, *, findings: Tuple[str, ...] = (), **kwargs: Any) -> None:
        kwargs.setdefault("code", "response_blocked")
        super().__init__(message, **kwargs)
        self.findings = findings


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


class ResponseTooLargeError(InvalidResponseError):
    """The response body passed the client's ``max_response_bytes`` cap (4 MiB by default).

    Reading stopped there, so a broken or hostile server cannot fill the memory.
    """

    default_type = "response_too_large"


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


def body_excerpt(content: bytes, secret: Optional[str] = None) -> str:
    """A short, printable excerpt of a response body, with ``secret`` masked.

    The key is masked before the excerpt is cut, so no part of it survives at the edge.
    """
    limit = BODY_EXCERPT_CHARS * 4 + (4 * len(secret) if secret else 0)
    text = content[:limit].decode("utf-8", errors="replace")
    text = " ".join(mask(text, secret).split())
    if len(text) > BODY_EXCERPT_CHARS:
        text = text[: BODY_EXCERPT_CHARS - 1] + "…"
    return text


def mask(text: str, secret: Optional[str]) -> str:
    """``text`` with every occurrence of ``secret`` replaced by ``***``."""
    return text.replace(secret, "***") if secret else text


def mask_tree(value: _T, secret: Optional[str]) -> _T:
    """``value`` with ``secret`` replaced by ``***`` in every string inside it.

    Recurses through dicts (keys and values), lists and tuples; anything else is kept as
    is. ``value`` itself is returned when there is no secret.
    """
    if not secret:
        return value
    masked: Any
    if isinstance(value, str):
        masked = value.replace(secret, "***")
    elif isinstance(value, dict):
        masked = {mask_tree(k, secret): mask_tree(v, secret) for k, v in value.items()}
    elif isinstance(value, list):
        masked = [mask_tree(item, secret) for item in value]
    elif isinstance(value, tuple):
        masked = tuple(mask_tree(item, secret) for item in value)
    else:
        masked = value
    result: _T = masked
    return result


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
    ``X-Request-Id`` header carries one. ``secret`` (the API key) is masked in the
    message and in ``body``.
    """
    request_id = mask(headers.get("x-request-id") or request_id or "", secret) or None
    common: dict[str, Any] = {
        "status": status,
        "request_id": request_id,
        "body": body_excerpt(content, secret),
    }
    payload = load_json(content)
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, str) and isinstance(payload, dict):
        # The older flat form: {"error": "code", "message": "..."}
        error = {"code": error, "type": error, "message": payload.get("message")}
    if not isinstance(error, dict):
        cls = _STATUS_FALLBACK.get(status, APIError)
        excerpt = common["body"]
        message = f"HTTP {status} from LockLLM" + (f": {excerpt}" if excerpt else "")
        return _with_retry_after(cls(message, **common), headers)
    message = mask(as_str(error.get("message")) or f"HTTP {status} from LockLLM", secret)
    common["type"] = _masked(error.get("type"), secret)
    common["code"] = _masked(error.get("code"), secret)
    common["request_id"] = _masked(error.get("request_id"), secret) or request_id
    return _with_retry_after(_from_error_object(error, message, status, common), headers)


def _masked(value: Any, secret: Optional[str]) -> Optional[str]:
    text = as_str(value)
    return None if text is None else mask(text, secret)


def _from_error_object(
    error: Mapping[str, Any], message: str, status: int, common: dict[str, Any]
) -> LockLLMError:
    # The code is the most specific field, so it decides first (a security-typed error
    # with the code pii_detected is a PII error); the type decides when there is no code.
    code, err_type = common["code"], common["type"]
    kind = _KIND_BY_CODE.get(code) or _KIND_BY_TYPE.get(err_type)
    if kind is PromptInjectionError:
        return PromptInjectionError(
            message, scan_result=parse_scan_result(error.get("scan_result")), **common
        )
    if kind is PolicyViolationError:
        violations = parse_policy_violations(error.get("violated_policies"))
        return PolicyViolationError(message, violated_policies=violations, **common)
    if kind is AbuseDetectedError:
        details = error.get("abuse_details")
        abuse = parse_abuse_warning(details) if isinstance(details, dict) else None
        return AbuseDetectedError(message, abuse_details=abuse, **common)
    if kind is PIIDetectedError:
        pii = parse_pii(error.get("pii_details"), detected=True)
        return PIIDetectedError(message, pii_details=pii, **common)
    if kind is ResponseBlockedError:
        found = error.get("findings")
        kinds = tuple(str(k) for k in found) if isinstance(found, list) else ()
        return ResponseBlockedError(message, findings=kinds, **common)
    if kind is InsufficientCreditsError:
        return InsufficientCreditsError(
            message,
            current_balance=as_float(error.get("current_balance")),
            estimated_cost=as_float(error.get("estimated_cost")),
            **common,
        )
    if kind is UpstreamError:
        return UpstreamError(
            message,
            provider=as_str(error.get("provider")),
            upstream_status=as_status(error.get("upstream_status")),
            **common,
        )
    return (kind or _STATUS_FALLBACK.get(status, APIError))(message, **common)


def _classes() -> Tuple[
    Mapping[Optional[str], type[LockLLMError]],
    Mapping[Optional[str], type[LockLLMError]],
    Mapping[int, type[LockLLMError]],
]:
    """The class for each code, each type and each bare status, from the error table."""
    by_code: Dict[Optional[str], type[LockLLMError]] = {}
    by_type: Dict[Optional[str], type[LockLLMError]] = {}
    by_status: Dict[int, type[LockLLMError]] = {}
    for kind in ERRORS:
        cls = globals()[kind.class_name]
        by_code.update(dict.fromkeys(kind.codes, cls))
        by_type.update(dict.fromkeys((kind.type, *kind.aliases), cls))
        if kind.by_status and kind.status is not None:
            by_status[kind.status] = cls
    return by_code, by_type, by_status


_KIND_BY_CODE, _KIND_BY_TYPE, _STATUS_FALLBACK = _classes()


def _with_retry_after(error: LockLLMError, headers: Mapping[str, str]) -> LockLLMError:
    if isinstance(error, RateLimitError):
        seconds = retry_after_seconds(headers)
        if seconds is not None:
            error.retry_after = round(min(seconds, MAX_RETRY_AFTER_REPORTED) * 1000)
    return error
