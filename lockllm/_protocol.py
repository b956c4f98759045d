"""The scan protocol without I/O: build the request, read the response, decide on retries.

``ScanCall`` holds one logical ``scan()`` call across its attempts. The sync and async
clients feed it what the network gave them (a response or a transport error) and get back
an ``Outcome``: a result, an error to raise, or a delay after which to send again. All
decisions live here, so both clients are a few lines of I/O and most tests need no server.
"""

from __future__ import annotations

import json
import logging
import os
import random
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

import httpx

from ._config import ClientConfig
from ._headers import retry_after_seconds
from ._options import SCAN_OPTIONS, check_sensitivity, check_timeout, option_headers
from ._version import __version__
from .errors import (
    APIError,
    APITimeoutError,
    InvalidRequestError,
    InvalidResponseError,
    LockLLMError,
    NetworkError,
    UpstreamError,
    body_excerpt,
    error_from_response,
    parse_abuse_warning,
    parse_pii,
    parse_policy_violation,
)
from .types import (
    CompressionResult,
    Debug,
    RoutingInfo,
    ScanResponse,
    ScanWarning,
    Usage,
)

logger = logging.getLogger("lockllm")
logger.addHandler(logging.NullHandler())  # a library leaves output to the application

SCAN_PATH = "/v1/scan"
USER_AGENT = f"lockllm-python/{__version__}"
RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
FALLBACK_STATUSES = frozenset({500, 502, 503, 504})
INITIAL_BACKOFF = 1.0
MAX_BACKOFF = 30.0
MAX_RETRY_AFTER = 60.0
"""A ``Retry-After`` longer than this is cut to it, so one call never sleeps for hours."""


def new_request_id() -> str:
    """A fresh random request id (128 bits, hex); cheaper than importing ``uuid``."""
    return os.urandom(16).hex()


def static_headers(config: ClientConfig) -> Dict[str, str]:
    """Headers that are the same on every scan request of a client."""
    return {
        "Authorization": f"Bearer {config.api_key}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
    }


def backoff_delay(retry_number: int, rng: Any = random) -> float:
    """Exponential backoff with jitter: about 1 s, 2 s, 4 s … capped at 30 s.

    The jitter takes off up to a quarter, so many clients failing together spread out.
    """
    delay = min(INITIAL_BACKOFF * 2.0 ** (retry_number - 1), MAX_BACKOFF)
    return float(delay * (1.0 - 0.25 * rng.random()))


def retry_delay(retry_number: int, headers: Optional[Mapping[str, str]]) -> float:
    """The wait before retry ``retry_number`` (1-based): ``Retry-After`` if sent, else backoff."""
    if headers is not None:
        asked = retry_after_seconds(headers)
        if asked is not None:
            return min(asked, MAX_RETRY_AFTER)
    return backoff_delay(retry_number)


def worst_case_seconds(timeout: float, max_retries: int) -> float:
    """The longest a ``scan()`` call can take: every attempt times out in every phase.

    httpx applies ``timeout`` to each of the connect, write and read phases, and each
    retry may wait up to ``MAX_RETRY_AFTER`` when the server asks for it.
    """
    return (max_retries + 1) * 3 * timeout + max_retries * MAX_RETRY_AFTER


@dataclass(frozen=True)
class Outcome:
    """What to do after one attempt: return ``result``, raise ``error``, or wait ``delay``."""

    result: Optional[ScanResponse] = None
    error: Optional[LockLLMError] = None
    delay: Optional[float] = None


class ScanCall:
    """One logical scan: the prepared request and the state of its attempts."""

    __slots__ = ("_config", "_tries", "body", "headers", "request_id", "sensitivity", "timeout")

    def __init__(
        self,
        config: ClientConfig,
        input: Any,
        sensitivity: Any,
        options: Mapping[str, Any],
        headers: Optional[Mapping[str, str]],
        timeout: Optional[float],
    ) -> None:
        if not isinstance(input, str):
            raise InvalidRequestError(f"input must be a str; got {type(input).__name__}")
        if not input.strip():
            raise InvalidRequestError("input is empty: there is nothing to scan")
        self.sensitivity = check_sensitivity(sensitivity)
        self.timeout = check_timeout(timeout)
        extra = option_headers(options, SCAN_OPTIONS)
        request_id = None
        if headers is not None:
            if not isinstance(headers, Mapping):
                raise InvalidRequestError("headers must map str names to str values")
            for name, value in headers.items():
                if not isinstance(name, str) or not isinstance(value, str):
                    raise InvalidRequestError("headers must map str names to str values")
                if name.lower() == "x-request-id":
                    request_id = value
                else:
                    extra[name] = value
        self.request_id = request_id or new_request_id()
        extra["X-Request-Id"] = self.request_id
        self.headers = extra
        self.body = json.dumps({"input": input, "sensitivity": self.sensitivity}).encode()
        self._config = config
        self._tries = 0

    @property
    def attempts(self) -> int:
        """How many requests this call has sent so far."""
        return self._tries

    def sent(self) -> None:
        """Record that one more request is on its way."""
        self._tries += 1

    def on_response(self, status: int, headers: Mapping[str, str], content: bytes) -> Outcome:
        """Decide on a response: parse it, map it to an error, or retry it."""
        if 200 <= status < 300:
            try:
                return Outcome(result=self._parse(headers, content, status))
            except InvalidResponseError as error:
                return self._fail(error)
        if status in RETRYABLE_STATUSES and self._tries <= self._config.max_retries:
            return self._retry(retry_delay(self._tries, headers), f"HTTP {status}")
        return self._fail(
            error_from_response(
                status, headers, content, request_id=self.request_id, secret=self._config.api_key
            )
        )

    def on_transport_error(self, exc: Exception, *, timed_out: Optional[bool] = None) -> Outcome:
        """Decide on a failure to get a response at all (refused, reset, timed out).

        ``timed_out`` defaults to whether ``exc`` is an httpx timeout.
        """
        if timed_out is None:
            timed_out = isinstance(exc, httpx.TimeoutException)
        reason = "timed out" if timed_out else f"connection failed ({type(exc).__name__})"
        if self._tries <= self._config.max_retries:
            return self._retry(backoff_delay(self._tries), reason)
        cls = APITimeoutError if timed_out else NetworkError
        error = cls(
            f"LockLLM request {reason} after {self._tries} attempt(s): {_safe_cause(exc)}",
            code="timeout" if timed_out else "connection_error",
            request_id=self.request_id,
        )
        error.__cause__ = exc
        return self._fail(error)

    def wants_fallback(self, error: LockLLMError) -> bool:
        """Whether the service counts as unreachable, so a local fallback may answer."""
        return isinstance(error, NetworkError) or (
            isinstance(error, (APIError, UpstreamError)) and error.status in FALLBACK_STATUSES
        )

    def _retry(self, delay: float, reason: str) -> Outcome:
        logger.info(
            "LockLLM scan %s: %s; retry %d of %d in %.2fs",
            self.request_id,
            reason,
            self._tries,
            self._config.max_retries,
            delay,
        )
        return Outcome(delay=delay)

    def _fail(self, error: LockLLMError) -> Outcome:
        logger.warning(
            "LockLLM scan %s failed after %d attempt(s): %s",
            self.request_id,
            self._tries,
            type(error).__name__,
        )
        return Outcome(error=error)

    def _parse(self, headers: Mapping[str, str], content: bytes, status: int) -> ScanResponse:
        try:
            data = json.loads(content)
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("safe"), bool):
            raise InvalidResponseError(
                f"HTTP {status} from LockLLM did not carry a scan result",
                status=status,
                request_id=headers.get("x-request-id") or self.request_id,
                body=body_excerpt(content, self._config.api_key),
            )
        request_id = _str(data.get("request_id")) or headers.get("x-request-id")
        return parse_scan_response(data, request_id or self.request_id, self.sensitivity)


def parse_scan_response(
    data: Mapping[str, Any], request_id: str, sensitivity: str = "medium"
) -> ScanResponse:
    """Build a ``ScanResponse`` from a decoded 200 body; unknown fields are ignored."""
    safe = bool(data.get("safe"))
    label = data.get("label")
    sens = data.get("sensitivity")
    usage = data.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    policy = data.get("policy_warnings")
    return ScanResponse(
        safe=safe,
        label=label if label in (0, 1) else (0 if safe else 1),
        confidence=_float(data.get("confidence")),
        injection=_float(data.get("injection")),
        sensitivity=sens if sens in ("low", "medium", "high") else sensitivity,  # type: ignore[arg-type]
        request_id=request_id,
        usage=Usage(
            requests=_int(usage.get("requests"), 1),
            input_chars=_int(usage.get("input_chars"), 0),
        ),
        debug=_debug(data.get("debug")),
        policy_confidence=_float(data.get("policy_confidence")),
        policy_warnings=tuple(
            p
            for p in map(parse_policy_violation, policy if isinstance(policy, list) else ())
            if p is not None
        ),
        scan_warning=_scan_warning(data.get("scan_warning")),
        abuse_warnings=_dict_or_none(data.get("abuse_warnings"), parse_abuse_warning),
        routing=_routing(data.get("routing")),
        pii_result=_dict_or_none(data.get("pii_result"), parse_pii),
        compression_result=_compression(data.get("compression_result")),
    )


def _safe_cause(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text[:200]


def _str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def _float(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _dict_or_none(value: Any, parse: Any) -> Any:
    return parse(value) if isinstance(value, dict) else None


def _debug(value: Any) -> Optional[Debug]:
    if not isinstance(value, dict):
        return None
    return Debug(
        duration_ms=_float(value.get("duration_ms")) or 0.0,
        inference_ms=_float(value.get("inference_ms")) or 0.0,
        mode=_str(value.get("mode")) or "single",
    )


def _scan_warning(value: Any) -> Optional[ScanWarning]:
    if not isinstance(value, dict):
        return None
    label = value.get("label")
    return ScanWarning(
        message=_str(value.get("message")) or "",
        injection_score=_float(value.get("injection_score")),
        confidence=_float(value.get("confidence")),
        label=label if isinstance(label, int) and not isinstance(label, bool) else None,
    )


def _routing(value: Any) -> Optional[RoutingInfo]:
    if not isinstance(value, dict):
        return None
    return RoutingInfo(
        enabled=value.get("enabled") is True,
        task_type=_str(value.get("task_type")),
        complexity=_float(value.get("complexity")),
        selected_model=_str(value.get("selected_model")),
        reasoning=_str(value.get("reasoning")),
        estimated_cost=_float(value.get("estimated_cost")),
    )


def _compression(value: Any) -> Optional[CompressionResult]:
    if not isinstance(value, dict) or not isinstance(value.get("compressed_input"), str):
        return None
    return CompressionResult(
        method=_str(value.get("method")) or "",
        compressed_input=value["compressed_input"],
        original_length=_int(value.get("original_length"), 0),
        compressed_length=_int(value.get("compressed_length"), 0),
        compression_ratio=_float(value.get("compression_ratio")) or 0.0,
    )
