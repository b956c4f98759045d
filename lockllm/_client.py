"""``LockLLM`` and ``AsyncLockLLM``: thin httpx loops around ``_protocol.ScanCall``.

Everything both clients share (settings, request preparation, the choice between a
result, an error and the local engine) lives in ``_BaseClient``; each client adds only the
loop that does the I/O: send, feed the body to the protocol's ``BodyReader``, sleep on a
``Retry``. The async client runs on anyio, so it works under asyncio and trio alike.
"""

from __future__ import annotations

import math
import time
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Generic,
    Literal,
    Mapping,
    Optional,
    Tuple,
    TypeVar,
    Union,
)

import httpx

from ._breaker import CircuitBreaker, Ticket, Transition
from ._config import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ClientConfig,
    display_url,
    mask_key,
    resolve_api_key,
    resolve_base_url,
)
from ._logs import setup_logging
from ._otel import traced_client_scan
from ._protocol import (
    SCAN_PATH,
    BodyReader,
    Done,
    Failed,
    Outcome,
    Retry,
    ScanCall,
    TransportFailure,
    check_default_headers,
    logger,
    static_headers,
)
from .errors import InvalidRequestError, LockLLMError, mask
from .types import ScanResponse, Sensitivity

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .engine import LocalScanner
    from .types import ScanOptions

__all__ = ["AsyncLockLLM", "AsyncRawResponseScan", "LockLLM", "RawResponse", "RawResponseScan"]

Fallback = Literal["local"]
Timeout = Union[float, httpx.Timeout]
"""A timeout: seconds (for each of connect, write and read), or an ``httpx.Timeout``."""
_HttpT = TypeVar("_HttpT", httpx.Client, httpx.AsyncClient)
_C = TypeVar("_C", bound="_BaseClient[Any]")
_sleep = time.sleep


class _NotGiven:
    """The default of ``with_options()`` arguments: "keep this client's setting"."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Any = _NotGiven()


def check_timeout(value: Any, name: str = "timeout") -> Optional[Timeout]:
    """A timeout: a finite number of seconds > 0, an ``httpx.Timeout``, or ``None``."""
    if value is None or isinstance(value, httpx.Timeout):
        if value is not None:
            for part in (value.connect, value.read, value.write, value.pool):
                if part is not None:
                    check_timeout(part, name)
        return value
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidRequestError(
            f"{name} must be a positive number of seconds or an httpx.Timeout; got {value!r}"
        )
    return float(value)


def attempt_budget(timeout: Optional[Timeout]) -> Optional[float]:
    """How long one attempt may take before the client gives up on its body.

    A number is that many seconds; an ``httpx.Timeout`` gives its longest phase.
    """
    if timeout is None or not isinstance(timeout, httpx.Timeout):
        return timeout
    parts = [p for p in (timeout.connect, timeout.read, timeout.write, timeout.pool) if p]
    return max(parts) if parts else None


def failure_kind(exc: httpx.RequestError) -> TransportFailure:
    """What the protocol calls an httpx transport exception."""
    if isinstance(exc, (httpx.LocalProtocolError, httpx.UnsupportedProtocol)):
        return "unsendable"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    return "connection"


def _check_max_response_bytes(value: Any) -> int:
    if value is None:
        return DEFAULT_MAX_RESPONSE_BYTES
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequestError(
            f"max_response_bytes must be a whole number of bytes >= 1; got {value!r}"
        )
    return value


def _check_breaker(value: Any) -> Optional[CircuitBreaker]:
    """The breaker for ``circuit_breaker=``: ``True``/``None`` a new one, ``False`` none."""
    if value is None or value is True:
        return CircuitBreaker()
    if value is False:
        return None
    if not isinstance(value, CircuitBreaker):
        raise InvalidRequestError(
            f"circuit_breaker must be True, False or a lockllm.CircuitBreaker; "
            f"got {type(value).__name__}"
        )
    return value


class RawResponse:
    """The HTTP answer to a scan, from ``client.with_raw_response.scan(...)``.

    ``status_code``, ``headers`` and ``request_id`` describe the response; ``http_response``
    is the ``httpx.Response`` itself (its body read; its ``request`` a copy with the
    ``Authorization`` header masked); ``parse()`` gives the ``ScanResponse``. The same for
    the sync and the async client (``parse()`` is never awaited: the body is already read).
    An error status raises the matching ``LockLLMError``, as ``scan()`` does; the local
    fallback does not apply (a local answer has no HTTP response).
    """

    __slots__ = ("_result", "http_response")

    def __init__(self, http_response: httpx.Response, result: ScanResponse) -> None:
        self.http_response = http_response
        self._result = result

    @property
    def status_code(self) -> int:
        """The HTTP status (2xx)."""
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        """The response headers (case-insensitive)."""
        return self.http_response.headers

    @property
    def request_id(self) -> str:
        """The call's request id (the server's when it sent one)."""
        return self._result.request_id

    def parse(self) -> ScanResponse:
        """The scan result this response carries."""
        return self._result

    def __repr__(self) -> str:
        return f"<RawResponse [{self.status_code}] request_id={self.request_id!r}>"


class _BaseClient(Generic[_HttpT]):
    """Configuration, request preparation and outcome handling shared by both clients."""

    _http: _HttpT

    def __init__(
        self,
        api_key: Optional[str],
        base_url: Optional[str],
        timeout: Optional[Timeout],
        max_retries: Optional[int],
        fallback: Optional[Fallback],
        http_client: Optional[_HttpT],
        http_client_type: type[_HttpT],
        default_headers: Optional[Mapping[str, str]],
        max_response_bytes: Optional[int],
        circuit_breaker: Union[bool, CircuitBreaker, None] = None,
    ) -> None:
        setup_logging()
        if max_retries is not None and (
            isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0
        ):
            raise InvalidRequestError(
                f"max_retries must be a whole number >= 0; got {max_retries!r}"
            )
        if fallback not in (None, "local"):
            raise InvalidRequestError(f"fallback must be None or 'local'; got {fallback!r}")
        if http_client is not None and not isinstance(http_client, http_client_type):
            raise InvalidRequestError(
                f"http_client must be an {http_client_type.__module__}.{http_client_type.__name__}"
                f"; got {type(http_client).__name__}"
            )
        timeout = check_timeout(timeout)
        self._default_headers = check_default_headers(default_headers)
        self._config = ClientConfig(
            api_key=resolve_api_key(api_key),
            base_url=resolve_base_url(base_url),
            timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
            max_retries=DEFAULT_MAX_RETRIES if max_retries is None else max_retries,
            max_response_bytes=_check_max_response_bytes(max_response_bytes),
        )
        self._url = self._config.base_url + SCAN_PATH
        self._fallback = fallback
        self._breaker = _check_breaker(circuit_breaker)
        self._local: Optional[LocalScanner] = None
        self._owns_http = http_client is None
        self._closed = False
        self._given_timeout = timeout
        # A client we make carries the static headers and the timeout itself. A client
        # the caller lends us (or a parent client shares, see with_options) gets the
        # headers on every request, and keeps its own timeout unless one was given here.
        headers = static_headers(self._config, self._default_headers)
        self._base_headers = {} if self._owns_http else headers
        self._timeout: Optional[Timeout] = (
            self._config.timeout if self._owns_http or timeout is not None else None
        )
        self._budget = attempt_budget(self._timeout)
        self._http = http_client or http_client_type(headers=headers, timeout=self._config.timeout)

    @property
    def config(self) -> ClientConfig:
        """The settings this client runs with (read-only; the key is masked in its repr)."""
        return self._config

    @property
    def default_headers(self) -> Mapping[str, str]:
        """The extra headers sent on every request (a copy)."""
        return dict(self._default_headers)

    @property
    def circuit_breaker(self) -> Optional[CircuitBreaker]:
        """The breaker of the local fallback; ``None`` without ``fallback="local"`` or with
        ``circuit_breaker=False``."""
        return self._breaker if self._fallback == "local" else None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={display_url(self._config.base_url)!r}, "
            f"api_key='{mask_key(self._config.api_key)}')"
        )

    def with_options(
        self: _C,
        *,
        api_key: Optional[str] = NOT_GIVEN,
        base_url: Optional[str] = NOT_GIVEN,
        timeout: Optional[Timeout] = NOT_GIVEN,
        max_retries: Optional[int] = NOT_GIVEN,
        max_response_bytes: Optional[int] = NOT_GIVEN,
        fallback: Optional[Fallback] = NOT_GIVEN,
        default_headers: Optional[Mapping[str, str]] = NOT_GIVEN,
        circuit_breaker: Union[bool, CircuitBreaker, None] = NOT_GIVEN,
    ) -> _C:
        """A new client with some settings changed, sharing this one's connection pool.

        Arguments left out keep this client's value; ``default_headers`` are merged over
        this client's. Closing the new client leaves the pool open (this client owns it).
        Left out, ``circuit_breaker`` is this client's breaker (what one learns, both
        know), or a fresh one with its settings when ``base_url`` changes.
        """
        settings: Dict[str, Any] = {
            "api_key": self._config.api_key,
            "base_url": self._config.base_url,
            "timeout": self._given_timeout,
            "max_retries": self._config.max_retries,
            "max_response_bytes": self._config.max_response_bytes,
            "fallback": self._fallback,
        }
        given = {
            "api_key": api_key,
            "base_url": base_url,
            "timeout": timeout,
            "max_retries": max_retries,
            "max_response_bytes": max_response_bytes,
            "fallback": fallback,
        }
        settings.update({k: v for k, v in given.items() if v is not NOT_GIVEN})
        headers = dict(self._default_headers)
        if default_headers is not NOT_GIVEN and default_headers is not None:
            headers.update(check_default_headers(default_headers))
        if circuit_breaker is NOT_GIVEN:
            circuit_breaker = self._breaker or False
            if self._breaker and resolve_base_url(settings["base_url"]) != self._config.base_url:
                circuit_breaker = self._breaker.copy()  # another service: its own outages
        clone = type(self)(
            **settings,
            default_headers=headers,
            http_client=self._http,
            circuit_breaker=circuit_breaker,
        )
        clone._local = self._local
        return clone

    def _start(
        self, input: Any, sensitivity: Any, options: Mapping[str, Any]
    ) -> Tuple[ScanCall, Dict[str, Any]]:
        if self._closed or self._http.is_closed:
            raise LockLLMError("This client is closed; create a new one", type="client_closed")
        options = dict(options)
        extra = options.pop("headers", None)
        timeout = check_timeout(options.pop("timeout", None))
        budget = self._budget if timeout is None else attempt_budget(timeout)
        call = ScanCall(self._config, input, sensitivity, options, extra, budget)
        headers: Any = call.headers
        if self._base_headers:  # a lent or shared pool: merge without duplicating a name
            headers = httpx.Headers(self._base_headers)
            headers.update(call.headers)
        if timeout is None and not self._owns_http:
            timeout = self._timeout
        return call, {
            "content": call.body,
            "headers": headers,
            "timeout": httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
        }

    def _http_response(self, response: httpx.Response, content: bytes) -> httpx.Response:
        """A read copy of ``response`` that holds no trace of the key.

        The key is masked in the body and the headers; ``request`` is a copy of the
        request with ``Authorization`` masked.
        """
        secret = self._config.api_key
        request = response.request
        sent = [
            (name, "Bearer ***" if name.lower() == "authorization" else mask(value, secret))
            for name, value in request.headers.items()
        ]
        received = [
            (name, mask(value, secret))
            for name, value in response.headers.items()
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        if secret.encode() in content:
            content = content.replace(secret.encode(), b"***")
        return httpx.Response(
            response.status_code,
            headers=received,
            content=content,
            request=httpx.Request(request.method, request.url, headers=sent),
        )

    def _end(
        self,
        call: ScanCall,
        outcome: Outcome,
        response: Optional[httpx.Response],
        reader: Optional[BodyReader],
        raw: bool,
        ticket: Optional[Ticket] = None,
    ) -> Union[ScanResponse, RawResponse, None]:
        """The answer to return, or ``None`` when the local engine should answer.

        Raises the error of a ``Failed`` outcome (with its ``response``, if it had one).
        Tells the circuit breaker how the call ended, if it admitted it (``ticket``).
        """
        assert not isinstance(outcome, Retry)
        if ticket is not None:
            assert self._breaker is not None
            change = self._breaker.record(ticket, call.verdict(outcome), call.attempts)
            self._log_change(change, outcome.error if isinstance(outcome, Failed) else None)
        if type(outcome) is Done:
            if raw:
                assert response is not None
                assert reader is not None
                return RawResponse(self._http_response(response, reader.content), outcome.result)
            return outcome.result
        assert isinstance(outcome, Failed)
        error = outcome.error
        if response is not None and reader is not None:
            error.response = self._http_response(response, reader.content)
        if not raw and self._fallback == "local" and call.wants_fallback(error):
            logger.warning(
                "LockLLM scan %s: service unreachable (%s); answered by the local engine",
                call.request_id,
                type(error).__name__,
            )
            return None
        raise error

    def _admit(self, call: ScanCall, raw: bool) -> Optional[Ticket]:
        """Ask the circuit breaker about ``call`` (only with ``fallback="local"``, not raw).

        While it is open the call ends unsent (``call.finished``) and the local engine
        answers; the half-open trial is sent once, without retries.
        """
        if raw or self._fallback != "local" or self._breaker is None:
            return None
        ticket, change = self._breaker.admit()
        self._log_change(change, None)
        if not ticket.send:
            call.skip()
        elif ticket.trial:
            call.without_retries()
        return ticket

    def _settle(self, ticket: Optional[Ticket]) -> None:
        """Free the breaker's trial if the call ended without an outcome (cancelled, or
        interrupted); after ``_end`` this does nothing."""
        if ticket is not None:
            assert self._breaker is not None
            self._breaker.record(ticket, "neutral")

    def _log_change(self, change: Optional[Transition], error: Optional[LockLLMError]) -> None:
        """Log a change of the breaker's state, once: the URL, never a key or a prompt."""
        if change is None:
            return
        url = display_url(self._config.base_url)
        cause = ""
        if error is not None:
            status = f" {error.status}" if error.status else ""  # NetworkError: status 0
            cause = f" ({type(error).__name__}{status})"
        if change.state == "open" and change.reopened:
            logger.warning(
                "LockLLM circuit breaker open again: the trial scan to %s failed%s; scans are "
                "answered by the local engine for the next %gs",
                url,
                cause,
                change.cooldown,
            )
        elif change.state == "open":
            logger.warning(
                "LockLLM circuit breaker open: %d request(s) in a row to %s failed%s; scans are "
                "answered by the local engine for the next %gs",
                change.failures,
                url,
                cause,
                change.cooldown,
            )
        elif change.state == "half_open":
            logger.info("LockLLM circuit breaker half-open: one trial scan goes to %s", url)
        else:
            logger.info(
                "LockLLM circuit breaker closed: %s answered the trial scan; scans go to the "
                "service again",
                url,
            )

    def _scan_locally(self, call: ScanCall, input: str) -> ScanResponse:
        if self._local is None:
            from .engine import LocalScanner

            self._local = LocalScanner()
        local = self._local.scan(input, call.sensitivity, pii_action=call.pii_action)
        return call.local_result(local)


class LockLLM(_BaseClient[httpx.Client]):
    """The synchronous LockLLM client.

    ``api_key`` defaults to ``$LOCKLLM_API_KEY`` and ``base_url`` to ``$LOCKLLM_BASE_URL``
    (else ``https://api.lockllm.com``). ``timeout`` (seconds, default 60, or an
    ``httpx.Timeout``) bounds each attempt; ``max_retries`` (default 3) counts retries
    after the first try. With ``fallback="local"``, a scan the service cannot answer
    (network failure, or a 5xx after every retry) is answered by the in-process engine,
    and ``result.source`` is ``"local"``; a circuit breaker then answers locally at once
    while the service is down (``circuit_breaker=``: ``True`` by default, ``False``, or a
    ``CircuitBreaker`` with other settings). ``default_headers`` are sent on every request
    (they cannot replace ``Authorization``). A response body larger than
    ``max_response_bytes`` (default 4 MiB) raises ``ResponseTooLargeError``. Pass
    ``http_client`` to reuse your own ``httpx.Client``: it keeps its own timeout unless
    you pass one, and ``close()`` leaves it open. ``with_options(...)`` makes a copy with
    some settings changed, on the same connection pool; ``with_raw_response.scan(...)``
    gives the HTTP response too. Use the client as a context manager, or call ``close()``.
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        *,
        fallback: Optional[Fallback] = None,
        http_client: Optional[httpx.Client] = None,
        default_headers: Optional[Mapping[str, str]] = None,
        max_response_bytes: Optional[int] = None,
        circuit_breaker: Union[bool, CircuitBreaker, None] = None,
    ) -> None:
        super().__init__(
            api_key,
            base_url,
            timeout,
            max_retries,
            fallback,
            http_client,
            httpx.Client,
            default_headers,
            max_response_bytes,
            circuit_breaker,
        )

    def scan(
        self,
        input: str,
        sensitivity: Sensitivity = "medium",
        **options: Unpack[ScanOptions],
    ) -> ScanResponse:
        """Scan ``input`` for prompt injection and jailbreaks.

        ``sensitivity`` is ``"low"``, ``"medium"`` (default) or ``"high"``. Options:
        ``headers`` and ``timeout`` for this call, and the service's ``scan_mode``,
        ``scan_action``, ``policy_action``, ``abuse_action``, ``pii_action``,
        ``compression``, ``compression_rate`` (0.3–0.7) and ``chunk``. Bad arguments raise
        ``InvalidRequestError`` before anything is sent; failures raise a ``LockLLMError``.
        """
        result = self._run(input, sensitivity, options, False)
        assert isinstance(result, ScanResponse)
        return result

    @property
    def with_raw_response(self) -> RawResponseScan:
        """``client.with_raw_response.scan(...)`` returns a ``RawResponse``."""
        return RawResponseScan(self)

    @traced_client_scan  # a ``lockllm.scan`` span (OpenTelemetry, when installed)
    def _run(
        self, input: Any, sensitivity: Any, options: Mapping[str, Any], raw: bool
    ) -> Union[ScanResponse, RawResponse]:
        call, request = self._start(input, sensitivity, options)
        ticket = self._admit(call, raw)
        try:
            while not call.finished:  # a call the circuit breaker skipped is finished
                call.sent()
                reader: Optional[BodyReader] = None
                response: Optional[httpx.Response] = None
                try:
                    with self._http.stream("POST", self._url, **request) as response:
                        reader = call.receive(response.status_code, response.headers)
                        if reader.wants_more:
                            for chunk in response.iter_bytes():
                                if not reader.feed(chunk):
                                    break
                except httpx.RequestError as exc:
                    outcome = call.on_transport_error(exc, kind=failure_kind(exc))
                    response = reader = None
                else:
                    assert reader is not None
                    outcome = reader.finish()
                if type(outcome) is Retry:
                    _sleep(outcome.delay)
                    continue
                result = self._end(call, outcome, response, reader, raw, ticket)
                if result is not None:
                    return result
        finally:
            self._settle(ticket)
        return self._scan_locally(call, input)

    def close(self) -> None:
        """Close the connection pool (unless the httpx client was lent by the caller)."""
        self._closed = True
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> LockLLM:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class AsyncLockLLM(_BaseClient[httpx.AsyncClient]):
    """The asynchronous LockLLM client: ``LockLLM`` with ``await``, on asyncio or trio.

    Same arguments as ``LockLLM``; ``http_client`` is an ``httpx.AsyncClient``. Use it
    with ``async with``, or call ``await client.aclose()``. The local fallback runs in a
    worker thread (``anyio.to_thread``), so it never blocks the event loop.
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        *,
        fallback: Optional[Fallback] = None,
        http_client: Optional[httpx.AsyncClient] = None,
        default_headers: Optional[Mapping[str, str]] = None,
        max_response_bytes: Optional[int] = None,
        circuit_breaker: Union[bool, CircuitBreaker, None] = None,
    ) -> None:
        super().__init__(
            api_key,
            base_url,
            timeout,
            max_retries,
            fallback,
            http_client,
            httpx.AsyncClient,
            default_headers,
            max_response_bytes,
            circuit_breaker,
        )

    async def scan(
        self,
        input: str,
        sensitivity: Sensitivity = "medium",
        **options: Unpack[ScanOptions],
    ) -> ScanResponse:
        """Scan ``input`` for prompt injection and jailbreaks (see ``LockLLM.scan``)."""
        result = await self._run(input, sensitivity, options, False)
        assert isinstance(result, ScanResponse)
        return result

    @property
    def with_raw_response(self) -> AsyncRawResponseScan:
        """``await client.with_raw_response.scan(...)`` returns a ``RawResponse``."""
        return AsyncRawResponseScan(self)

    @traced_client_scan
    async def _run(
        self, input: Any, sensitivity: Any, options: Mapping[str, Any], raw: bool
    ) -> Union[ScanResponse, RawResponse]:
        call, request = self._start(input, sensitivity, options)
        ticket = self._admit(call, raw)
        try:
            while not call.finished:  # a call the circuit breaker skipped is finished
                call.sent()
                reader: Optional[BodyReader] = None
                response: Optional[httpx.Response] = None
                try:
                    async with self._http.stream("POST", self._url, **request) as response:
                        reader = call.receive(response.status_code, response.headers)
                        if reader.wants_more:
                            await _read_body(response, reader)
                except httpx.RequestError as exc:
                    outcome = call.on_transport_error(exc, kind=failure_kind(exc))
                    response = reader = None
                else:
                    assert reader is not None
                    outcome = reader.finish()
                if type(outcome) is Retry:
                    await _async_sleep(outcome.delay)
                    continue
                result = self._end(call, outcome, response, reader, raw, ticket)
                if result is not None:
                    return result
        finally:
            self._settle(ticket)
        return await _in_thread(self._scan_locally, call, input)

    async def aclose(self) -> None:
        """Close the connection pool (unless the httpx client was lent by the caller)."""
        self._closed = True
        if self._owns_http:
            await self._http.aclose()

    async def close(self) -> None:
        """Alias of ``aclose()``."""
        await self.aclose()

    async def __aenter__(self) -> AsyncLockLLM:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()


class RawResponseScan:
    """``LockLLM.with_raw_response``: ``scan()`` returning the ``RawResponse``."""

    __slots__ = ("_client",)

    def __init__(self, client: LockLLM) -> None:
        self._client = client

    def scan(
        self,
        input: str,
        sensitivity: Sensitivity = "medium",
        **options: Unpack[ScanOptions],
    ) -> RawResponse:
        """``LockLLM.scan``, returning the HTTP response (``.parse()`` gives the result)."""
        result = self._client._run(input, sensitivity, options, True)
        assert isinstance(result, RawResponse)
        return result


class AsyncRawResponseScan:
    """``AsyncLockLLM.with_raw_response``: ``scan()`` returning the ``RawResponse``."""

    __slots__ = ("_client",)

    def __init__(self, client: AsyncLockLLM) -> None:
        self._client = client

    async def scan(
        self,
        input: str,
        sensitivity: Sensitivity = "medium",
        **options: Unpack[ScanOptions],
    ) -> RawResponse:
        """``AsyncLockLLM.scan``, returning the HTTP response (``.parse()`` gives the result)."""
        result = await self._client._run(input, sensitivity, options, True)
        assert isinstance(result, RawResponse)
        return result


# anyio is imported inside these, not at the top: `import lockllm` stays light, and the
# async client works under whichever event loop (asyncio or trio) runs it.


async def _read_body(response: httpx.Response, reader: BodyReader) -> None:
    """Feed ``reader`` the body; past the attempt's deadline an anyio cancel scope stops
    the wait, so a server that stalls after its first chunk cannot hold the call."""
    import anyio

    chunks = response.aiter_bytes()
    async for first in chunks:
        if not reader.feed(first):
            return
        break
    else:
        return  # an empty body
    left = reader.seconds_left()
    if left is None or left <= 0:  # no deadline, or already past: the reader decides
        async for chunk in chunks:
            if not reader.feed(chunk):
                return
        return
    with anyio.move_on_after(left) as scope:
        async for chunk in chunks:
            if not reader.feed(chunk):
                return
    if scope.cancelled_caught:
        reader.expire()


async def _async_sleep(seconds: float) -> None:
    import anyio

    await anyio.sleep(seconds)


async def _in_thread(function: Any, *args: Any) -> ScanResponse:
    import anyio.to_thread

    result: ScanResponse = await anyio.to_thread.run_sync(function, *args)
    return result
