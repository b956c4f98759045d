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
import re
import time
from dataclasses import replace
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional

import httpx

from ._config import ClientConfig
from ._headers import retry_after_seconds
from ._options import SCAN_OPTIONS, check_sensitivity, check_timeout, option_headers
from ._parse import as_str, load_json, parse_scan_response
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
    mask,
)
from .types import ScanResponse

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
_UTF8_JSON = json.JSONEncoder(ensure_ascii=False)  # json.dumps would build one per call
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")


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
    """The longest a ``scan()`` call can take.

    httpx applies ``timeout`` to each of the connect, write and read phases, and the
    client gives up on an attempt once ``timeout`` has passed since it started (checked
    as each piece of the answer arrives), so an attempt lasts at most about three times
    ``timeout``; each retry may wait up to ``MAX_RETRY_AFTER`` when the server asks.
    """
    return (max_retries + 1) * 3 * timeout + max_retries * MAX_RETRY_AFTER


def collect_body(chunks: Iterable[bytes], deadline: Optional[float]) -> bytes:
    """Join a response body, giving up with ``httpx.ReadTimeout`` once ``deadline`` passes.

    httpx's read timeout is per chunk, so a server trickling bytes could hold a call
    forever; this bounds the whole attempt. ``deadline`` is a ``time.monotonic()`` value.
    """
    parts: List[bytes] = []
    for chunk in chunks:
        if parts:  # a body that arrives in one piece is never thrown away
            check_deadline(deadline)
        parts.append(chunk)
    return b"".join(parts)


def check_deadline(deadline: Optional[float]) -> None:
    """Raise ``httpx.ReadTimeout`` if ``deadline`` (``time.monotonic()``) has passed."""
    if deadline is not None and time.monotonic() > deadline:
        raise httpx.ReadTimeout("the response did not complete within the timeout")


def encode_body(input: str, sensitivity: str) -> bytes:
    """The JSON request body, as UTF-8 (ASCII escapes only for lone surrogates)."""
    body = {"input": input, "sensitivity": sensitivity}
    try:
        return _UTF8_JSON.encode(body).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(body).encode("ascii")


class Outcome(NamedTuple):
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
                _check_header(name, value)
                if name.lower() == "x-request-id":
                    request_id = value
                else:
                    extra[name] = value
        self.request_id = request_id or new_request_id()
        extra["X-Request-Id"] = self.request_id
        self.headers = extra
        self.body = encode_body(input, self.sensitivity)
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
        cause = mask(str(exc) or type(exc).__name__, self._config.api_key)[:200]
        if isinstance(exc, (httpx.LocalProtocolError, httpx.UnsupportedProtocol)):
            # Our own request could not be written: retrying cannot help.
            error: LockLLMError = InvalidRequestError(
                f"The request could not be sent: {cause}", request_id=self.request_id
            )
            error.__cause__ = exc
            return self._fail(error)
        if timed_out is None:
            timed_out = isinstance(exc, httpx.TimeoutException)
        reason = "timed out" if timed_out else f"connection failed ({type(exc).__name__})"
        if self._tries <= self._config.max_retries:
            return self._retry(backoff_delay(self._tries), reason)
        cls = APITimeoutError if timed_out else NetworkError
        error = cls(
            f"LockLLM request {reason} after {self._tries} attempt(s): {cause}",
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

    def local_result(self, result: ScanResponse) -> ScanResponse:
        """A local engine's answer, under this call's request id."""
        return replace(result, request_id=self.request_id)

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
        data = load_json(content)
        if not isinstance(data, dict) or not isinstance(data.get("safe"), bool):
            raise InvalidResponseError(
                f"HTTP {status} from LockLLM did not carry a scan result",
                status=status,
                request_id=headers.get("x-request-id") or self.request_id,
                body=body_excerpt(content, self._config.api_key),
            )
        request_id = as_str(data.get("request_id")) or headers.get("x-request-id")
        return parse_scan_response(data, request_id or self.request_id, self.sensitivity)


def _check_header(name: Any, value: Any) -> None:
    if not isinstance(name, str) or not isinstance(value, str):
        raise InvalidRequestError("headers must map str names to str values")
    if not _HEADER_NAME.fullmatch(name):
        raise InvalidRequestError(f"{name!r} is not a valid HTTP header name")
    if not _HEADER_VALUE.fullmatch(value):
        raise InvalidRequestError(
            f"the value of header {name!r} must be printable ASCII with no line breaks"
        )
