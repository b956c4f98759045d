"""Protocol-shaped error bodies (PROTOCOL.md §2), as bytes ready to send.

Every error the gateway itself produces has the same envelope::

    {"error": {"message": "…", "type": "…", "code": "…", "request_id": "…", …}}

so the official SDKs, this SDK and ``curl`` users all read it the same way.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional

from .._vocabulary import ERRORS_BY_CLASS
from ..types import ScanResponse

# The types and codes of the errors the client classifies come from the protocol vocabulary.
_AUTH = ERRORS_BY_CLASS["AuthenticationError"]
_CONFIG = ERRORS_BY_CLASS["ConfigurationError"]
_NO_URL = next(code for code in _CONFIG.codes if code == "no_upstream_url")  # in the table
_UPSTREAM = ERRORS_BY_CLASS["UpstreamError"]
_INJECTION = ERRORS_BY_CLASS["PromptInjectionError"]
_RATE_LIMIT = ERRORS_BY_CLASS["RateLimitError"]


def error_body(message: str, type: str, code: str, request_id: str, **extra: Any) -> Dict[str, Any]:
    """The ``{"error": {...}}`` envelope; ``extra`` fields are added to the inner object."""
    error: Dict[str, Any] = {
        "message": message,
        "type": type,
        "code": code,
        "request_id": request_id,
    }
    error.update(extra)
    return {"error": error}


def dumps(payload: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def unauthorized(request_id: str) -> Dict[str, Any]:
    return error_body(
        "Invalid or missing LockLLM API key: send it as 'Authorization: Bearer <key>' "
        "or 'x-api-key: <key>'",
        _AUTH.type,
        _AUTH.codes[0],
        request_id,
    )


def rate_limited(message: str, request_id: str) -> Dict[str, Any]:
    """429: the client key went over its rate limit."""
    return error_body(message, _RATE_LIMIT.type, _RATE_LIMIT.codes[0], request_id)


def forbidden(message: str, code: str, request_id: str) -> Dict[str, Any]:
    return error_body(message, "permission_error", code, request_id)


def invalid_request(message: str, request_id: str, code: str = "invalid_request") -> Dict[str, Any]:
    return error_body(message, "invalid_request_error", code, request_id)


def too_large(limit: int, request_id: str) -> Dict[str, Any]:
    return error_body(
        f"Request body is larger than the gateway's limit of {limit} bytes",
        "invalid_request_error",
        "request_too_large",
        request_id,
    )


def not_found(message: str, request_id: str) -> Dict[str, Any]:
    return error_body(message, "invalid_request_error", "not_found", request_id)


def no_upstream(
    message: str, provider: str, request_id: str, *, missing_url: bool = False
) -> Dict[str, Any]:
    """400 ``configuration_error``: the provider has no key (``no_upstream_key``) or, when
    ``missing_url``, no base URL (``no_upstream_url``: azure, bedrock, vertex-ai)."""
    code = _NO_URL if missing_url else _CONFIG.codes[0]
    return error_body(message, _CONFIG.type, code, request_id, provider=provider)


def upstream_error(
    message: str, provider: str, request_id: str, upstream_status: Optional[int] = None
) -> Dict[str, Any]:
    return error_body(
        message,
        _UPSTREAM.type,
        _UPSTREAM.codes[0],
        request_id,
        provider=provider,
        upstream_status=upstream_status,
    )


def scan_unavailable(message: str, code: str, request_id: str) -> Dict[str, Any]:
    """503: the scan could not be done in time (``scan_timeout``; ``scan_busy`` when no
    worker came free) or at all (``scan_failed``); the request was not forwarded (the
    gateway fails closed)."""
    return error_body(message, "scan_error", code, request_id)


def scan_result(result: ScanResponse) -> Dict[str, Any]:
    """The verdict alone, as ``scan_result`` of a ``prompt_injection_detected`` error."""
    return {
        "safe": result.safe,
        "label": result.label,
        "confidence": result.confidence,
        "injection": result.injection,
        "sensitivity": result.sensitivity,
    }


def injection_detected(result: ScanResponse, request_id: str) -> Dict[str, Any]:
    return error_body(
        "Malicious prompt detected by LockLLM: the request was blocked",
        _INJECTION.type,
        _INJECTION.codes[0],
        request_id,
        scan_result=scan_result(result),
    )
