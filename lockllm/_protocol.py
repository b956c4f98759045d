"""The scan protocol without I/O: build the request, read the response, decide on retries.

In the manner of h11: no sockets, no httpx, no event loop. ``ScanCall`` holds one logical
``scan()`` call across its attempts and is a small state machine::

    ready ──sent()──► sent ──receive()──► receiving ──BodyReader.finish()──► done
      ▲                │                     │
      │                └─on_transport_error()┴─► waiting (a Retry) ──sent()──► sent …

The sync and async clients feed it what the network gave them (a status and headers, the
body chunk by chunk through one ``BodyReader``, or a transport failure) and get back an
``Outcome``: ``Done`` (a result), ``Failed`` (an error to raise) or ``Retry`` (send again
after ``delay`` seconds). Calling a method out of order raises ``ProtocolStateError``, so a
loop that forgets ``sent()`` cannot retry past ``max_retries``. All decisions live here;
both clients are a few lines of I/O and the retry, error and parsing tests need no server.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from dataclasses import replace
from typing import Any, Callable, Dict, List, Literal, Mapping, Optional, Union

from ._breaker import Verdict
from ._config import ClientConfig
from ._headers import retry_after_seconds
from ._options import SCAN_OPTIONS, check_header, check_sensitivity, option_headers
from ._parse import as_str, load_json, parse_scan_response
from ._version import __version__
from ._vocabulary import FALLBACK_STATUSES, RETRYABLE_STATUSES, SCAN_PATH
from .errors import (
    APIError,
    APITimeoutError,
    InvalidRequestError,
    InvalidResponseError,
    LockLLMError,
    NetworkError,
    ResponseTooLargeError,
    UpstreamError,
    body_excerpt,
    error_from_response,
    mask,
    mask_tree,
)
from .types import PIIAction, ScanResponse

logger = logging.getLogger("lockllm")
logger.addHandler(logging.NullHandler())  # a library leaves output to the application

__all__ = [
    "FALLBACK_STATUSES",
    "RETRYABLE_STATUSES",
    "SCAN_PATH",
    "BodyReader",
    "Done",
    "Failed",
    "Outcome",
    "ProtocolStateError",
    "Retry",
    "ScanCall",
]

USER_AGENT = f"lockllm-python/{__version__}"
INITIAL_BACKOFF = 1.0
MAX_BACKOFF = 30.0
MAX_RETRY_AFTER = 60.0
"""A ``Retry-After`` longer than this is cut to it, so one call never sleeps for hours."""
_UTF8_JSON = json.JSONEncoder(ensure_ascii=False)  # json.dumps would build one per call

TransportFailure = Literal["timeout", "connection", "unsendable"]
"""How an attempt failed without a response: it timed out, the connection failed (refused,
reset, DNS), or our own request could not be written (never retried)."""


class ProtocolStateError(RuntimeError):
    """A ``ScanCall`` method was called out of order: a bug in the loop driving it."""


class Done:
    """The call succeeded: return ``result``."""

    __slots__ = ("result",)
    kind: Literal["done"] = "done"
    """The tag: ``"done"``."""

    def __init__(self, result: ScanResponse) -> None:
        if not isinstance(result, ScanResponse):
            raise TypeError(f"Done needs a ScanResponse; got {type(result).__name__}")
        self.result = result

    def __repr__(self) -> str:
        return f"Done(result={self.result!r})"


class Failed:
    """The call is over: raise ``error`` (unless a local fallback answers instead)."""

    __slots__ = ("error",)
    kind: Literal["failed"] = "failed"
    """The tag: ``"failed"``."""

    def __init__(self, error: LockLLMError) -> None:
        if not isinstance(error, LockLLMError):
            raise TypeError(f"Failed needs a LockLLMError; got {type(error).__name__}")
        self.error = error

    def __repr__(self) -> str:
        return f"Failed(error={self.error!r})"


class Retry:
    """Send the request again after ``delay`` seconds."""

    __slots__ = ("delay",)
    kind: Literal["retry"] = "retry"
    """The tag: ``"retry"``."""

    def __init__(self, delay: float) -> None:
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not delay >= 0:
            raise TypeError(f"Retry needs a delay >= 0 seconds; got {delay!r}")
        self.delay = float(delay)

    def __repr__(self) -> str:
        return f"Retry(delay={self.delay!r})"


Outcome = Union[Done, Failed, Retry]
"""What to do after one attempt: exactly one of ``Done``, ``Failed`` or ``Retry``."""

_READY, _SENT, _RECEIVING, _WAITING, _OVER = "ready", "sent", "receiving", "waiting", "over"


def new_request_id() -> str:
    """A fresh random request id (128 bits, hex); cheaper than importing ``uuid``."""
    return os.urandom(16).hex()


def static_headers(
    config: ClientConfig, default_headers: Optional[Mapping[str, str]] = None
) -> Dict[str, str]:
    """Headers that are the same on every scan request of a client.

    ``default_headers`` (validated by ``check_default_headers``) are added; of ours, only
    ``User-Agent`` and ``Accept`` may be replaced by them, never ``Authorization`` or
    ``Content-Type``.
    """
    headers = {
        "Authorization": f"Bearer {config.api_key}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
    }
    for name, value in (default_headers or {}).items():
        for ours in _REPLACEABLE:
            if name.lower() == ours.lower():
                del headers[ours]
        headers[name] = value
    return headers


_REPLACEABLE = ("Accept", "User-Agent")
_RESERVED = {
    "authorization": "pass api_key=... instead",
    "content-type": "the body is always JSON",
    "x-request-id": "it is made per call (pass headers={'X-Request-Id': ...} to scan())",
}


def check_default_headers(headers: Any) -> Dict[str, str]:
    """Validate a client's ``default_headers``: str names and values, none of ours reserved."""
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise InvalidRequestError("default_headers must map str names to str values")
    checked: Dict[str, str] = {}
    for name, value in headers.items():
        check_header(name, value)
        reason = _RESERVED.get(name.lower())
        if reason is not None:
            raise InvalidRequestError(f"default_headers cannot set {name}: {reason}")
        for known in list(checked):
            if known.lower() == name.lower():
                del checked[known]
        checked[name] = value
    return checked


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


def encode_body(input: str, sensitivity: str) -> bytes:
    """The JSON request body, as UTF-8 (ASCII escapes only for lone surrogates)."""
    body = {"input": input, "sensitivity": sensitivity}
    try:
        return _UTF8_JSON.encode(body).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(body).encode("ascii")


class BodyReader:
    """Collects one response body, chunk by chunk, for the sync and the async loop alike.

    ``feed()`` each chunk as it arrives; it returns ``False`` once the loop should stop
    reading: the body passed the size cap (``max_response_bytes``), or the attempt's
    deadline passed (checked as each chunk after the first arrives, so a body that arrives
    in one piece is never thrown away, while a server trickling bytes cannot hold a call
    forever; httpx's own read timeout is per chunk). Then ``finish()`` gives the outcome.
    """

    __slots__ = ("_call", "_clock", "_deadline", "_limit", "_parts", "_size", "_stop")

    def __init__(
        self,
        call: ScanCall,
        limit: int,
        deadline: Optional[float],
        declared: Optional[str],
        clock: Callable[[], float],
    ) -> None:
        self._call = call
        self._limit = limit
        self._deadline = deadline
        self._clock = clock
        self._parts: List[bytes] = []
        self._size = 0
        self._stop: Optional[str] = None
        if declared is not None and declared.isdigit() and int(declared) > limit:
            self._stop = "too_large"  # refuse before reading a byte of it

    @property
    def content(self) -> bytes:
        """The bytes collected so far."""
        return b"".join(self._parts)

    @property
    def wants_more(self) -> bool:
        """Whether the loop should read on (neither too large nor past the deadline)."""
        return self._stop is None

    def seconds_left(self) -> Optional[float]:
        """Seconds until the attempt's deadline (negative once past), ``None`` without one."""
        return None if self._deadline is None else self._deadline - self._clock()

    def expire(self) -> None:
        """The loop stopped waiting because the deadline passed (an async cancel scope)."""
        if self._stop is None:
            self._stop = "timeout"

    def feed(self, chunk: bytes) -> bool:
        """Take one chunk; ``False`` means stop reading and call ``finish()``."""
        if self._stop is not None:
            return False
        size = self._size + len(chunk)
        if size > self._limit:
            self._stop = "too_large"
            return False
        if self._parts and self._deadline is not None and self._clock() > self._deadline:
            self._stop = "timeout"
            return False
        self._parts.append(chunk)
        self._size = size
        return True

    def finish(self) -> Outcome:
        """The outcome of this attempt, once the body is complete or reading stopped."""
        return self._call._finish_body(self, self._stop)


class ScanCall:
    """One logical scan: the prepared request and the state of its attempts."""

    __slots__ = (
        "_budget",
        "_clock",
        "_config",
        "_deadline",
        "_headers_in",
        "_state",
        "_status",
        "_tries",
        "body",
        "headers",
        "pii_action",
        "request_id",
        "sensitivity",
    )

    def __init__(
        self,
        config: ClientConfig,
        input: Any,
        sensitivity: Any,
        options: Mapping[str, Any],
        headers: Optional[Mapping[str, str]] = None,
        budget: Optional[float] = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not isinstance(input, str):
            raise InvalidRequestError(f"input must be a str; got {type(input).__name__}")
        if not input.strip():
            raise InvalidRequestError("input is empty: there is nothing to scan")
        self.sensitivity = check_sensitivity(sensitivity)
        extra = option_headers(options, SCAN_OPTIONS)
        self.pii_action: Optional[PIIAction] = options.get("pii_action")  # checked just above
        request_id = None
        if headers is not None:
            if not isinstance(headers, Mapping):
                raise InvalidRequestError("headers must map str names to str values")
            for name, value in headers.items():
                check_header(name, value)
                if name.lower() == "x-request-id":
                    request_id = value
                else:
                    extra[name] = value
        self.request_id = request_id or new_request_id()
        extra["X-Request-Id"] = self.request_id
        self.headers = extra
        self.body = encode_body(input, self.sensitivity)
        self._config = config
        self._budget = budget
        self._clock = clock
        self._deadline: Optional[float] = None
        self._headers_in: Mapping[str, str] = {}
        self._status = 0
        self._tries = 0
        self._state = _READY

    @property
    def attempts(self) -> int:
        """How many requests this call has sent so far."""
        return self._tries

    @property
    def finished(self) -> bool:
        """Whether the call is over (a ``Done`` or ``Failed`` was given)."""
        return self._state == _OVER

    def sent(self) -> None:
        """Record that one more request is on its way (first, or after a ``Retry``)."""
        if self._state not in (_READY, _WAITING):
            raise ProtocolStateError(f"sent() called while the call is {self._state}")
        self._tries += 1
        self._state = _SENT
        self._deadline = None if self._budget is None else self._clock() + self._budget
        logger.debug("LockLLM scan %s: attempt %d sent", self.request_id, self._tries)

    def receive(self, status: int, headers: Mapping[str, str]) -> BodyReader:
        """The status line and headers arrived: read the body through the returned reader.

        ``headers`` must be case-insensitive (httpx headers are).
        """
        self._expect(_SENT, "receive()")
        self._state = _RECEIVING
        self._status = status
        self._headers_in = headers
        return BodyReader(
            self,
            self._config.max_response_bytes,
            self._deadline,
            headers.get("content-length"),
            self._clock,
        )

    def on_response(self, status: int, headers: Mapping[str, str], content: bytes) -> Outcome:
        """Decide on a whole response at once (``receive`` + one ``feed`` + ``finish``)."""
        reader = self.receive(status, headers)
        reader.feed(content)
        return reader.finish()

    def on_transport_error(self, exc: BaseException, *, kind: TransportFailure) -> Outcome:
        """Decide on a failure to get a (whole) response: refused, reset, timed out …

        ``kind`` is how it failed; the client maps its HTTP library's exceptions to it.
        """
        if self._state not in (_SENT, _RECEIVING):
            raise ProtocolStateError(f"on_transport_error() called while the call is {self._state}")
        cause = mask(str(exc) or type(exc).__name__, self._config.api_key)[:200]
        if kind == "unsendable":
            # Our own request could not be written: retrying cannot help.
            error: LockLLMError = InvalidRequestError(
                f"The request could not be sent: {cause}", request_id=self.request_id
            )
            error.__cause__ = exc
            return self._fail(error)
        return self._failed_attempt(kind == "timeout", cause, exc)

    def wants_fallback(self, error: LockLLMError) -> bool:
        """Whether the service counts as unreachable, so a local fallback may answer."""
        return isinstance(error, NetworkError) or (
            isinstance(error, (APIError, UpstreamError)) and error.status in FALLBACK_STATUSES
        )

    def verdict(self, outcome: Union[Done, Failed]) -> Verdict:
        """What a final outcome says about the service, for the circuit breaker.

        ``"failure"`` exactly when the fallback would answer (``wants_fallback``);
        ``"success"`` for a result or any other error with an HTTP status (the service
        answered: 401, 429, 400 …); ``"neutral"`` otherwise (the request was never sent).
        """
        if isinstance(outcome, Done):
            return "success"
        if self.wants_fallback(outcome.error):
            return "failure"
        return "success" if outcome.error.status else "neutral"  # status 0: nothing came

    def without_retries(self) -> None:
        """Send this call once, whatever ``max_retries`` says (a circuit breaker's trial)."""
        self._expect(_READY, "without_retries()")
        self._config = replace(self._config, max_retries=0)

    def skip(self) -> None:
        """End the call without sending it (an open circuit breaker): a local answer follows."""
        self._expect(_READY, "skip()")
        self._state = _OVER
        logger.debug("LockLLM scan %s: circuit breaker open; not sent", self.request_id)

    def local_result(self, result: ScanResponse) -> ScanResponse:
        """A local engine's answer, under this call's request id (once the call failed or was
        skipped)."""
        self._expect(_OVER, "local_result()")
        return replace(result, request_id=self.request_id)

    # -- decisions ---------------------------------------------------------------------

    def _expect(self, state: str, method: str) -> None:
        if self._state != state:
            raise ProtocolStateError(f"{method} called while the call is {self._state}")

    def _finish_body(self, reader: BodyReader, stop: Optional[str]) -> Outcome:
        self._expect(_RECEIVING, "finish()")
        if stop == "timeout":
            message = "the response did not complete within the timeout"
            return self._failed_attempt(True, message, None)
        status, headers = self._status, self._headers_in
        secret = self._config.api_key
        if stop == "too_large":
            limit = self._config.max_response_bytes
            return self._fail(
                ResponseTooLargeError(
                    f"HTTP {status} from LockLLM: the response is larger than the "
                    f"client's limit of {limit} bytes (max_response_bytes)",
                    status=status,
                    request_id=self._server_request_id(headers),
                )
            )
        content = reader.content
        if secret and secret.encode() in content:
            content = content.replace(secret.encode(), b"***")
        if 200 <= status < 300:
            try:
                return self._done(self._parse(headers, content, status))
            except InvalidResponseError as error:
                return self._fail(error)
        logger.debug("LockLLM scan %s: HTTP %d", self.request_id, status)
        if status in RETRYABLE_STATUSES and self._tries <= self._config.max_retries:
            return self._retry(retry_delay(self._tries, headers), f"HTTP {status}")
        return self._fail(
            error_from_response(status, headers, content, request_id=self.request_id, secret=secret)
        )

    def _failed_attempt(self, timed_out: bool, cause: str, exc: Optional[BaseException]) -> Outcome:
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

    def _done(self, result: ScanResponse) -> Outcome:
        self._state = _OVER
        return Done(result)

    def _retry(self, delay: float, reason: str) -> Outcome:
        self._state = _WAITING
        logger.info(
            "LockLLM scan %s: %s; retry %d of %d in %.2fs",
            self.request_id,
            reason,
            self._tries,
            self._config.max_retries,
            delay,
        )
        return Retry(delay)

    def _fail(self, error: LockLLMError) -> Outcome:
        self._state = _OVER
        logger.warning(
            "LockLLM scan %s failed after %d attempt(s): %s",
            self.request_id,
            self._tries,
            type(error).__name__,
        )
        return Failed(error)

    def _server_request_id(self, headers: Mapping[str, str]) -> str:
        """The server's ``X-Request-Id`` (key masked), else the one we sent."""
        found = headers.get("x-request-id")
        return mask(found, self._config.api_key) if found else self.request_id

    def _parse(self, headers: Mapping[str, str], content: bytes, status: int) -> ScanResponse:
        data = load_json(content)
        if b"\\" in content:  # the key may hide behind JSON escapes: mask what was decoded
            data = mask_tree(data, self._config.api_key)
        if not isinstance(data, dict) or not isinstance(data.get("safe"), bool):
            raise InvalidResponseError(
                f"HTTP {status} from LockLLM did not carry a scan result",
                status=status,
                request_id=self._server_request_id(headers),
                body=body_excerpt(content, self._config.api_key),
            )
        found = as_str(data.get("request_id"))
        if found is not None:
            request_id = mask(found, self._config.api_key)
        else:
            request_id = self._server_request_id(headers)
        return parse_scan_response(data, request_id, self.sensitivity)
