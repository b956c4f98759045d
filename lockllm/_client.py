"""``LockLLM`` and ``AsyncLockLLM``: thin httpx loops around ``_protocol.ScanCall``."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Literal, Mapping, Optional

import httpx

from ._config import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ClientConfig,
    mask_key,
    resolve_api_key,
    resolve_base_url,
)
from ._options import check_timeout
from ._protocol import SCAN_PATH, Outcome, ScanCall, logger, static_headers
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

    def __init__(
        self,
        api_key: Optional[str],
        base_url: Optional[str],
        timeout: Optional[float],
        max_retries: Optional[int],
        fallback: Optional[Fallback],
        owns_http: bool,
    ) -> None:
        if max_retries is not None and (
            isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0
        ):
            raise InvalidRequestError(
                f"max_retries must be a whole number >= 0; got {max_retries!r}"
            )
        if fallback not in (None, "local"):
            raise InvalidRequestError(f"fallback must be None or 'local'; got {fallback!r}")
        self._config = ClientConfig(
            api_key=resolve_api_key(api_key),
            base_url=resolve_base_url(base_url),
            timeout=check_timeout(timeout) or DEFAULT_TIMEOUT,
            max_retries=DEFAULT_MAX_RETRIES if max_retries is None else max_retries,
        )
        self._url = self._config.base_url + SCAN_PATH
        self._fallback = fallback
        self._local: Optional[LocalScanner] = None
        self._owns_http = owns_http
        # An httpx client we made carries the static headers and timeout itself; a client
        # the caller lent us gets them on every request instead.
        self._base_headers = {} if owns_http else static_headers(self._config)

    @property
    def config(self) -> ClientConfig:
        """The settings this client runs with (read-only; the key is masked in its repr)."""
        return self._config

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self._config.base_url!r}, "
            f"api_key='{mask_key(self._config.api_key)}')"
        )

    def _new_http_kwargs(self) -> dict[str, Any]:
        return {"headers": static_headers(self._config), "timeout": self._config.timeout}

    def _prepare(self, input: Any, sensitivity: Any, options: Mapping[str, Any]) -> ScanCall:
        options = dict(options)
        headers = options.pop("headers", None)
        timeout = options.pop("timeout", None)
        return ScanCall(self._config, input, sensitivity, options, headers, timeout)

    def _request_kwargs(self, call: ScanCall) -> dict[str, Any]:
        headers = {**self._base_headers, **call.headers} if self._base_headers else call.headers
        if call.timeout is not None:
            timeout: Any = call.timeout
        elif self._owns_http:
            timeout = httpx.USE_CLIENT_DEFAULT
        else:
            timeout = self._config.timeout
        return {"content": call.body, "headers": headers, "timeout": timeout}

    def _finish(self, call: ScanCall, outcome: Outcome, input: str) -> ScanResponse:
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
            if self._local is None:
                from .engine import LocalScanner

                self._local = LocalScanner()
            return self._local.scan(input, call.sensitivity)
        raise error


def _check_closed(closed: bool) -> None:
    if closed:
        raise LockLLMError("This client is closed; create a new one", type="client_closed")


class LockLLM(_BaseClient):
    """The synchronous LockLLM client.

    ``api_key`` defaults to ``$LOCKLLM_API_KEY`` and ``base_url`` to ``$LOCKLLM_BASE_URL``
    (else ``https://api.lockllm.com``). ``timeout`` (seconds, default 60) applies to each
    phase of each attempt; ``max_retries`` (default 3) counts retries after the first try.
    With ``fallback="local"``, a scan the service cannot answer (network failure or a 5xx
    after every retry) is answered by the in-process engine, and ``result.source`` is
    ``"local"``. Pass ``http_client`` to reuse your own ``httpx.Client`` (it is not closed
    by ``close()``). Use it as a context manager, or call ``close()``.
    """

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
        super().__init__(api_key, base_url, timeout, max_retries, fallback, http_client is None)
        self._http = http_client or httpx.Client(**self._new_http_kwargs())
        self._closed = False

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
        _check_closed(self._closed)
        call = self._prepare(input, sensitivity, options)
        kwargs = self._request_kwargs(call)
        while True:
            call.sent()
            try:
                response = self._http.post(self._url, **kwargs)
            except httpx.RequestError as exc:
                outcome = call.on_transport_error(exc)
            else:
                outcome = call.on_response(response.status_code, response.headers, response.content)
            if outcome.delay is None:
                return self._finish(call, outcome, input)
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
    with ``async with``, or call ``await client.aclose()``.
    """

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
        super().__init__(api_key, base_url, timeout, max_retries, fallback, http_client is None)
        self._http = http_client or httpx.AsyncClient(**self._new_http_kwargs())
        self._closed = False

    async def scan(
        self,
        input: str,
        sensitivity: Sensitivity = "medium",
        **options: Unpack[ScanOptions],
    ) -> ScanResponse:
        """Scan ``input`` for prompt injection and jailbreaks (see ``LockLLM.scan``)."""
        _check_closed(self._closed)
        call = self._prepare(input, sensitivity, options)
        kwargs = self._request_kwargs(call)
        while True:
            call.sent()
            try:
                response = await self._http.post(self._url, **kwargs)
            except httpx.RequestError as exc:
                outcome = call.on_transport_error(exc)
            else:
                outcome = call.on_response(response.status_code, response.headers, response.content)
            if outcome.delay is None:
                return self._finish(call, outcome, input)
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


async def _async_sleep(seconds: float) -> None:
    # asyncio is imported here, not at the top: it would double `import lockllm`'s time.
    import asyncio

    await asyncio.sleep(seconds)


__all__ = ["AsyncLockLLM", "LockLLM"]
