"""``LockLLM`` and ``AsyncLockLLM``: thin httpx loops around ``_protocol.ScanCall``."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, List, Literal, Mapping, Optional, Union

import httpx

from ._config import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ClientConfig,
    display_url,
    mask_key,
    resolve_api_key,
    resolve_base_url,
)
from ._options import check_timeout
from ._protocol import (
    SCAN_PATH,
    Outcome,
    ScanCall,
    check_deadline,
    collect_body,
    logger,
    static_headers,
)
from .errors import InvalidRequestError, LockLLMError
from .types import ScanResponse, Sensitivity

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .engine import LocalScanner
    from .types import ScanOptions

Fallback = Literal["local"]
_sleep = time.sleep


class _BaseClient:
    """Configuration, request preparation and outcome handling shared by both clients."""

    _http: Union[httpx.Client, httpx.AsyncClient]

    def __init__(
        self,
        api_key: Optional[str],
        base_url: Optional[str],
        timeout: Optional[float],
        max_retries: Optional[int],
        fallback: Optional[Fallback],
        http_client: Any,
        http_client_type: Any,
    ) -> None:
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
        self._config = ClientConfig(
            api_key=resolve_api_key(api_key),
            base_url=resolve_base_url(base_url),
            timeout=timeout or DEFAULT_TIMEOUT,
            max_retries=DEFAULT_MAX_RETRIES if max_retries is None else max_retries,
        )
        self._url = self._config.base_url + SCAN_PATH
        self._fallback = fallback
        self._local: Optional[LocalScanner] = None
        self._owns_http = http_client is None
        self._closed = False
        # A client we make carries the static headers and the timeout itself. A client
        # the caller lends us gets the headers on every request, and keeps its own
        # timeout unless one was given here.
        self._base_headers = {} if self._owns_http else static_headers(self._config)
        self._timeout: Optional[float] = (
            self._config.timeout if self._owns_http or timeout else None
        )
        self._http = http_client or http_client_type(
            headers=static_headers(self._config), timeout=self._config.timeout
        )

    @property
    def config(self) -> ClientConfig:
        """The settings this client runs with (read-only; the key is masked in its repr)."""
        return self._config

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={display_url(self._config.base_url)!r}, "
            f"api_key='{mask_key(self._config.api_key)}')"
        )

    def _start(
        self, input: Any, sensitivity: Any, options: Mapping[str, Any]
    ) -> tuple[ScanCall, dict[str, Any]]:
        if self._closed or self._http.is_closed:
            raise LockLLMError("This client is closed; create a new one", type="client_closed")
        options = dict(options)
        headers = options.pop("headers", None)
        timeout = options.pop("timeout", None)
        call = ScanCall(self._config, input, sensitivity, options, headers, timeout)
        if self._base_headers:
            headers = {**self._base_headers, **call.headers}
        else:
            headers = call.headers
        if call.timeout is not None:
            timeout = call.timeout
        elif not self._owns_http and self._timeout is not None:
            timeout = self._timeout
        else:
            timeout = httpx.USE_CLIENT_DEFAULT
        return call, {"content": call.body, "headers": headers, "timeout": timeout}

    def _deadline(self, call: ScanCall) -> Optional[float]:
        timeout = call.timeout if call.timeout is not None else self._timeout
        return None if timeout is None else time.monotonic() + timeout

    def _finish(self, call: ScanCall, outcome: Outcome) -> Optional[ScanResponse]:
        """The result; raises the error; ``None`` when the local engine should answer."""
        if outcome.result is not None:
            return outcome.result
        error = outcome.error
        assert error is not None
        if self._fallback == "local" and call.wants_fallback(error):
            logger.warning(
                "LockLLM scan %s: service unreachable (%s); answered by the local engine",
                call.request_id,
                type(error).__name__,
            )
            return None
        raise error

    def _scan_locally(self, call: ScanCall, input: str) -> ScanResponse:
        if self._local is None:
            from .engine import LocalScanner

            self._local = LocalScanner()
        return call.local_result(self._local.scan(input, call.sensitivity))


class LockLLM(_BaseClient):
    """The synchronous LockLLM client.

    ``api_key`` defaults to ``$LOCKLLM_API_KEY`` and ``base_url`` to ``$LOCKLLM_BASE_URL``
    (else ``https://api.lockllm.com``). ``timeout`` (seconds, default 60) bounds each
    attempt; ``max_retries`` (default 3) counts retries after the first try. With
    ``fallback="local"``, a scan the service cannot answer (network failure, or a 5xx
    after every retry) is answered by the in-process engine, and ``result.source`` is
    ``"local"``. Pass ``http_client`` to reuse your own ``httpx.Client``: it keeps its
    own timeout unless you pass one, and ``close()`` leaves it open. Use the client as a
    context manager, or call ``close()``.
    """

    _http: httpx.Client

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        *,
        fallback: Optional[Fallback] = None,
        http_client: Optional[httpx.Client] = None,
    ) -> None:
        super().__init__(
            api_key, base_url, timeout, max_retries, fallback, http_client, httpx.Client
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
        call, request = self._start(input, sensitivity, options)
        while True:
            call.sent()
            deadline = self._deadline(call)
            try:
                with self._http.stream("POST", self._url, **request) as response:
                    content = collect_body(response.iter_bytes(), deadline)
            except httpx.RequestError as exc:
                outcome = call.on_transport_error(exc)
            else:
                outcome = call.on_response(response.status_code, response.headers, content)
            if outcome.delay is None:
                result = self._finish(call, outcome)
                return result if result is not None else self._scan_locally(call, input)
            _sleep(outcome.delay)

    def close(self) -> None:
        """Close the connection pool (unless the httpx client was lent by the caller)."""
        self._closed = True
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> LockLLM:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class AsyncLockLLM(_BaseClient):
    """The asynchronous LockLLM client: ``LockLLM`` with ``await``.

    Same arguments as ``LockLLM``; ``http_client`` is an ``httpx.AsyncClient``. Use it
    with ``async with``, or call ``await client.aclose()``. The local fallback runs in a
    worker thread, so it never blocks the event loop.
    """

    _http: httpx.AsyncClient

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        *,
        fallback: Optional[Fallback] = None,
        http_client: Optional[httpx.AsyncClient] = None,
    ) -> None:
        super().__init__(
            api_key, base_url, timeout, max_retries, fallback, http_client, httpx.AsyncClient
        )

    async def scan(
        self,
        input: str,
        sensitivity: Sensitivity = "medium",
        **options: Unpack[ScanOptions],
    ) -> ScanResponse:
        """Scan ``input`` for prompt injection and jailbreaks (see ``LockLLM.scan``)."""
        call, request = self._start(input, sensitivity, options)
        while True:
            call.sent()
            deadline = self._deadline(call)
            try:
                async with self._http.stream("POST", self._url, **request) as response:
                    parts: List[bytes] = []
                    async for chunk in response.aiter_bytes():
                        if parts:
                            check_deadline(deadline)
                        parts.append(chunk)
                    content = b"".join(parts)
            except httpx.RequestError as exc:
                outcome = call.on_transport_error(exc)
            else:
                outcome = call.on_response(response.status_code, response.headers, content)
            if outcome.delay is None:
                result = self._finish(call, outcome)
                if result is None:
                    result = await _in_thread(self._scan_locally, call, input)
                return result
            await _async_sleep(outcome.delay)

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


# asyncio is imported inside these, not at the top: it would double `import lockllm`'s time.


async def _async_sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def _in_thread(function: Any, *args: Any) -> ScanResponse:
    import asyncio

    result: ScanResponse = await asyncio.to_thread(function, *args)
    return result


__all__ = ["AsyncLockLLM", "LockLLM"]
