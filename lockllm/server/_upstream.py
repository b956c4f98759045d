"""Forwarding to the provider: the upstream URL, the headers each way, the streamed answer.

The client's LockLLM key never leaves the gateway, and the provider key is added here
only, on the request to that provider. Responses are relayed chunk by chunk as they
arrive (``aiter_raw``: bytes exactly as the provider sent them, compressed or not), and
the upstream response is closed as soon as the client goes away. Connections are plain
asyncio protocols (``_aionet``), each request leaving in one ``send()``.
"""

from __future__ import annotations

import logging
import ssl
import time
from typing import Any, Dict, Iterable, List, Optional, Tuple

import anyio
import httpcore
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ._aionet import Backend
from ._context import note
from ._egress import Proxy, ssl_context
from ._settings import Settings, Upstream

__all__ = [
    "RawHeaders",
    "UpstreamResponse",
    "UpstreamError",
    "UpstreamPool",
    "request_headers",
    "response_headers",
    "upstream_url",
]

logger = logging.getLogger("lockllm.server")

RawHeaders = List[Tuple[bytes, bytes]]

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Request headers never forwarded: hop-by-hop ones, those httpx sets itself, and every
# header that may carry the client's LockLLM key.
_DROP_REQUEST = HOP_BY_HOP | {
    b"host",
    b"content-length",
    b"authorization",
    b"x-api-key",
    b"api-key",
}
_LOCKLLM_PREFIX = b"x-lockllm-"
_REPEATABLE = frozenset({"GET", "HEAD", "OPTIONS"})
ANTHROPIC_VERSION = b"2023-06-01"


class _CoalescingStream(httpcore.AsyncNetworkStream):
    """Holds back writes until the first read, so a request leaves in one ``send()``.

    httpcore writes the request head and body separately; each write is a system call
    and a wake-up of the provider's server. Flushing them together on the first read
    (when the request is complete and the response awaited) halves that.
    """

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._pending: List[bytes] = []
        self._timeout: Optional[float] = None

    async def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            await self._inner.write(data, self._timeout)

    async def write(self, buffer: bytes, timeout: Optional[float] = None) -> None:
        if buffer:
            self._pending.append(buffer)
            self._timeout = timeout

    async def read(self, max_bytes: int, timeout: Optional[float] = None) -> bytes:
        await self._flush()
        return await self._inner.read(max_bytes, timeout)

    async def aclose(self) -> None:
        self._pending.clear()
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> httpcore.AsyncNetworkStream:
        await self._flush()
        inner = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        return _CoalescingStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _CoalescingBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, inner: Optional[httpcore.AsyncNetworkBackend] = None) -> None:
        self._inner = inner or Backend()  # plain asyncio (``_aionet``), not anyio

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: Optional[float] = None,
        local_address: Optional[str] = None,
        socket_options: Optional[Iterable[Any]] = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _CoalescingStream(stream)

    async def sleep(self, seconds: float) -> None:  # pragma: no cover - pool housekeeping
        await self._inner.sleep(seconds)


UpstreamError = (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol)
"""What a failed forward raises, timeouts (``httpcore.TimeoutException``) apart."""


OriginKey = Tuple[bytes, bytes, int]
Lease = Tuple[OriginKey, Optional[httpcore.AsyncHTTPConnection]]
"""A connection taken from the pool and the origin it belongs to (``None``: a connection
of a proxy's pool, which takes it back itself)."""


class UpstreamPool:
    """The shared keep-alive connections towards the providers (HTTP/1.1 over httpcore).

    A plain pool of idle connections per origin: take one (or open one), send, and give
    it back when the response is closed. Not an ``httpx.AsyncClient``: a client keeps one
    cookie jar for every user of the gateway (cookies a provider set in one caller's
    response would ride along with the next caller's request) and reads proxy settings
    from the environment; and httpcore's own pool re-scans every connection for every
    request, which at 50 concurrent calls cost more than the rest of the gateway. Bodies
    come back undecoded, exactly as the provider sent them.

    Kept over ``httpx.AsyncClient`` after weighing it again for the egress settings: the
    client would bring proxies and ``SSL_CERT_FILE`` handling, but also the shared cookie
    jar and a pool scan per request. Measured against the stub provider on loopback
    (2 CPUs, same run): this pool 1,113 requests/s one at a time and 1,538 at 50 in
    flight, ``httpx.AsyncClient`` 773 and 328 — about 0.4 ms more per call alone and
    4.7 times less throughput under load, more than the whole 3 ms budget of the
    gateway. CA bundles and proxies are a few lines here instead (``_egress``).
    Proxied origins go through httpcore's own ``AsyncHTTPProxy`` pool (one per proxy),
    direct ones through this pool. At most ``upstream_max_connections`` requests are
    in flight at once; one more waits up to the connect timeout for a slot, then fails
    as a pool timeout (502).
    """

    def __init__(
        self,
        settings: Settings,
        backend: Optional[httpcore.AsyncNetworkBackend] = None,
        max_idle_per_origin: int = 256,
    ) -> None:
        self._backend = _CoalescingBackend(backend)
        self._idle: Dict[OriginKey, List[httpcore.AsyncHTTPConnection]] = {}
        self._max_idle = max_idle_per_origin
        self._ssl: Optional[ssl.SSLContext] = None
        self._ca_bundle = settings.upstream_ca_bundle
        self._proxy_config = settings.upstream_proxy
        self._proxies: Dict[Proxy, httpcore.AsyncHTTPProxy] = {}
        self._cap = settings.upstream_max_connections
        self._slots: Optional[anyio.Semaphore] = None
        self._timeouts = {
            "connect": settings.connect_timeout,
            "read": settings.read_timeout,
            "write": max(settings.connect_timeout, 60.0),
            "pool": settings.connect_timeout,
        }

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl_context(self._ca_bundle)
        return self._ssl

    def _proxy_pool(self, proxy: Proxy) -> httpcore.AsyncHTTPProxy:
        pool = self._proxies.get(proxy)
        if pool is None:
            pool = httpcore.AsyncHTTPProxy(
                proxy.url,
                proxy_auth=proxy.auth,
                ssl_context=self._ssl_context(),
                proxy_ssl_context=self._ssl_context() if proxy.url.startswith("https") else None,
                max_connections=self._cap,
                keepalive_expiry=60.0,
                network_backend=self._backend,
            )
            self._proxies[proxy] = pool
        return pool

    async def _acquire(self) -> anyio.Semaphore:
        if self._slots is None:
            self._slots = anyio.Semaphore(self._cap)
        slots = self._slots
        try:
            slots.acquire_nowait()  # a free slot: no timeout scope to open
            return slots
        except anyio.WouldBlock:
            pass
        try:
            with anyio.fail_after(self._timeouts["pool"]):
                await slots.acquire()
        except TimeoutError:
            raise httpcore.PoolTimeout(
                f"all {self._cap} upstream connections busy (upstream_max_connections)"
            ) from None
        return slots

    def _take(self, key: OriginKey) -> Optional[httpcore.AsyncHTTPConnection]:
        idle = self._idle.get(key)
        while idle:
            connection = idle.pop()
            if connection.is_available() and not connection.has_expired():
                return connection
        return None

    def _open(self, origin: httpcore.Origin) -> httpcore.AsyncHTTPConnection:
        return httpcore.AsyncHTTPConnection(
            origin,
            ssl_context=self._ssl_context() if origin.scheme == b"https" else None,
            keepalive_expiry=60.0,
            network_backend=self._backend,
        )

    async def send(
        self, method: str, url: str, headers: RawHeaders, body: bytes
    ) -> Tuple[httpcore.Response, Lease]:
        """Send a request; the body is left to stream. Call :meth:`release` when done.

        Notes ``upstream_seconds`` (to the response head) or ``upstream_failed`` for the
        request being handled (metrics).
        """
        started = time.perf_counter()
        try:
            answer = await self._send(method, url, headers, body)
        except Exception:
            note("upstream_failed", True)
            raise
        note("upstream_seconds", time.perf_counter() - started)
        return answer

    async def _send(
        self, method: str, url: str, headers: RawHeaders, body: bytes
    ) -> Tuple[httpcore.Response, Lease]:
        target = httpcore.URL(url)
        host = target.host if target.port is None else b"%b:%d" % (target.host, target.port)
        head = [(b"host", host), *headers]
        if body or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
            head.append((b"content-length", str(len(body)).encode()))
        request = httpcore.Request(
            method, target, headers=head, content=body, extensions={"timeout": self._timeouts}
        )
        origin = target.origin
        key = (origin.scheme, origin.host, origin.port)
        slots = await self._acquire()
        try:
            return await self._dispatch(request, key, origin, method, body)
        except BaseException:
            slots.release()
            raise

    async def _dispatch(
        self,
        request: httpcore.Request,
        key: OriginKey,
        origin: httpcore.Origin,
        method: str,
        body: bytes,
    ) -> Tuple[httpcore.Response, Lease]:
        proxy = self._proxy_config.for_target(origin.scheme.decode(), origin.host.decode())
        if proxy is not None:
            return await self._proxy_pool(proxy).handle_async_request(request), (key, None)
        connection = self._take(key)
        if connection is not None:
            try:
                return await connection.handle_async_request(request), (key, connection)
            except (httpcore.RemoteProtocolError, httpcore.NetworkError):
                # The provider closed this reused connection (a keep-alive race), or took
                # the request and then dropped it: from here the two look the same. A
                # request that may have been received is never sent again (a POST could
                # run twice: two completions billed, a tool called twice); the caller
                # answers 502. Only a bodiless GET/HEAD/OPTIONS, safe to repeat
                # (RFC 9110 §9.2.2), goes out once more on a fresh connection.
                await connection.aclose()
                if body or method not in _REPEATABLE:
                    raise
        connection = self._open(origin)
        try:
            return await connection.handle_async_request(request), (key, connection)
        except BaseException:
            await connection.aclose()
            raise

    async def release(self, lease: Lease) -> None:
        """Take back a connection whose response is closed: keep it if reusable."""
        key, connection = lease
        if self._slots is not None:
            self._slots.release()
        if connection is None:
            return  # a proxy pool's connection: closing the response gave it back
        idle = self._idle.setdefault(key, [])
        if connection.is_idle() and len(idle) < self._max_idle:
            idle.append(connection)
        else:
            await connection.aclose()

    async def aclose(self) -> None:
        proxies, self._proxies = self._proxies, {}
        for pool in proxies.values():
            await pool.aclose()
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                await connection.aclose()


def upstream_url(provider: str, upstream: Upstream, path: str, query: bytes) -> str:
    """The provider URL for a proxied ``path`` (raw, still percent-encoded) and query."""
    assert upstream.url is not None
    base = upstream.url
    if provider == "cohere" and not path.startswith(("v1/", "v2/")):
        # OpenAI-style paths (chat/completions …) go to Cohere's compatibility API.
        base += "/compatibility/v1"
    url = f"{base}/{path}" if path else base
    if query:
        url += "?" + query.decode("latin-1")
    return url


def request_headers(
    raw: Iterable[Tuple[bytes, bytes]], upstream: Upstream, identity: bool = False
) -> RawHeaders:
    """The client's headers minus hop-by-hop, LockLLM and key headers, plus the provider key.

    Headers the client names in ``Connection`` are hop-by-hop too (RFC 9110 §7.6.1).
    ``identity``: ask for an uncompressed answer (the response guard reads it).
    """
    raw = list(raw)
    named = {
        token.strip().lower()
        for name, value in raw
        if name.lower() == b"connection"
        for token in value.split(b",")
    }
    out: RawHeaders = []
    has_version = False
    for name, value in raw:
        lname = name.lower()
        if lname in _DROP_REQUEST or lname in named or lname.startswith(_LOCKLLM_PREFIX):
            continue
        if lname == b"anthropic-version":
            has_version = True
        if identity and lname == b"accept-encoding":
            continue
        out.append((lname, value))
    if identity:
        out.append((b"accept-encoding", b"identity"))
    key = (upstream.key or "").encode("latin-1")
    if upstream.auth == "anthropic":
        out.append((b"x-api-key", key))
        if not has_version:
            out.append((b"anthropic-version", ANTHROPIC_VERSION))
    elif upstream.auth == "azure":
        out.append((b"api-key", key))
    else:
        out.append((b"authorization", b"Bearer " + key))
    return out


def response_headers(raw: Iterable[Tuple[bytes, bytes]]) -> RawHeaders:
    """The provider's response headers minus hop-by-hop ones."""
    return [(n.lower(), v) for n, v in raw if n.lower() not in HOP_BY_HOP]


class UpstreamResponse(Response):
    """Relays an open upstream response chunk by chunk, closing it however the relay ends."""

    def __init__(
        self,
        upstream: httpcore.Response,
        headers: RawHeaders,
        pool: UpstreamPool,
        lease: Lease,
        guard: Any = None,
    ) -> None:
        self.upstream = upstream
        self.pool = pool
        self.lease = lease
        self.guard = guard
        """The request's response guard (``_guard_response.ResponseGuard``), or ``None``."""
        self.status_code = upstream.status
        self.raw_headers = headers
        self.background = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            if self._is_stream():
                # A stream may idle for minutes between events: watch for the client
                # leaving, so the provider stops generating for nobody.
                async with anyio.create_task_group() as group:
                    group.start_soon(self._watch_disconnect, receive, group.cancel_scope)
                    await self._relay(send)
                    group.cancel_scope.cancel()
            else:
                # A sized body follows its headers at once; a gone client shows as an
                # error on send, which closes the upstream response below.
                await self._relay(send)
        finally:
            await self.upstream.aclose()
            await self.pool.release(self.lease)

    def _is_stream(self) -> bool:
        ctype = header(self.raw_headers, b"content-type") or b""
        return header(self.raw_headers, b"content-length") is None or ctype.startswith(
            b"text/event-stream"
        )

    async def _relay(self, send: Send) -> None:
        # The response guard reads the answer on its way (``_guard_stream``): it may hold
        # the head (a sized JSON answer it may rewrite or refuse), hold back or rewrite
        # events, or end a stream early with the provider's error event.
        reader = None if self.guard is None else self.guard.open(self.status_code, self.raw_headers)
        if reader is None or not reader.head_held:
            await send(
                {
                    "type": "http.response.start",
                    "status": self.status_code,
                    "headers": self.raw_headers,
                }
            )
        try:
            async for chunk in self.upstream.aiter_stream():
                if reader is not None:
                    chunk, stop = reader.feed(chunk)
                    if stop:
                        await send({"type": "http.response.body", "body": chunk})
                        return
                    if not chunk:
                        continue
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except (httpcore.TimeoutException, *UpstreamError) as exc:
            # Too late for an error status: end the response unfinished, so the client
            # sees a broken stream rather than a silently truncated one.
            logger.warning("upstream stream broke off: %s", type(exc).__name__)
            return
        rest = b""
        if reader is not None:
            head, rest = reader.close(self.status_code, self.raw_headers)
            if head is not None:
                status, headers = head
                await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": rest, "more_body": False})

    @staticmethod
    async def _watch_disconnect(receive: Receive, scope: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                scope.cancel()
                return


def header(raw: Iterable[Tuple[bytes, bytes]], name: bytes) -> Optional[bytes]:
    """The first value of header ``name`` (lower-case) in raw ASGI headers."""
    for key, value in raw:
        if key == name:
            return value
    return None
