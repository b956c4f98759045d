"""httpcore's network layer on plain asyncio, for the gateway's provider connections.

httpcore's own backend for asyncio goes through anyio: every read and every write opens a
cancel scope for its timeout and passes through anyio's stream wrappers, which at tens of
requests in flight cost the gateway more than its own request handling. :class:`Backend`
does the same job with one ``asyncio.Protocol`` per connection: a read waits on a future
with one timer for its timeout, a write goes straight to the transport (waiting, within
its timeout, only while the transport's buffer is full), TLS is ``loop.start_tls``.
Errors are httpcore's own (``ConnectError``, ``ReadTimeout`` …), as callers expect.

Under any other event loop library (trio, in tests), it hands over to httpcore's anyio
backend.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any, Iterable, Optional

import httpcore

__all__ = ["Backend"]

_HIGH_WATER = 256 * 1024
"""Bytes held unread before the socket stops being read (resumed below a quarter)."""


class _Expired(Exception):
    pass


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(_Expired())


class _Protocol(asyncio.Protocol):
    """Buffers what arrives and wakes the reader; tracks write flow control."""

    def __init__(self) -> None:
        self.transport: Optional[asyncio.Transport] = None
        self.buffer = bytearray()
        self.eof = False
        self.error: Optional[BaseException] = None
        self.reading_paused = False
        self.writing_paused = False
        self.waiter: Optional[asyncio.Future[None]] = None
        self.drained: Optional[asyncio.Future[None]] = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > _HIGH_WATER and not self.reading_paused and self.transport:
            self.reading_paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> Optional[bool]:
        self.eof = True
        self._wake()
        return False  # close our side too

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self.eof = True
        self.error = exc
        self._wake()
        self.resume_writing()

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        drained, self.drained = self.drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def _wake(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


async def _wait(waiter: asyncio.Future[None], timeout: Optional[float]) -> bool:
    """Await ``waiter``; False if ``timeout`` seconds passed first."""
    timer = None
    if timeout is not None:
        timer = asyncio.get_running_loop().call_later(timeout, _expire, waiter)
    try:
        await waiter
    except _Expired:
        return False
    finally:
        if timer is not None:
            timer.cancel()
    return True


class _Stream(httpcore.AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol

    async def read(self, max_bytes: int, timeout: Optional[float] = None) -> bytes:
        protocol = self._protocol
        if not protocol.buffer and not protocol.eof:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            protocol.waiter = waiter
            try:
                if not await _wait(waiter, timeout):
                    raise httpcore.ReadTimeout("no data from the provider in time")
            finally:
                protocol.waiter = None
        buffer = protocol.buffer
        if buffer:
            data = bytes(buffer[:max_bytes])
            del buffer[:max_bytes]
            if protocol.reading_paused and len(buffer) < _HIGH_WATER // 4:
                protocol.reading_paused = False
                self._transport.resume_reading()
            return data
        if protocol.error is not None:
            raise httpcore.ReadError(type(protocol.error).__name__)
        return b""

    async def write(self, buffer: bytes, timeout: Optional[float] = None) -> None:
        if not buffer:
            return
        protocol = self._protocol
        if protocol.error is not None or self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(buffer)
        if protocol.writing_paused:
            drained: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            protocol.drained = drained
            if not await _wait(drained, timeout):
                raise httpcore.WriteTimeout("the provider did not read in time")
            if protocol.error is not None:
                raise httpcore.WriteError(type(protocol.error).__name__)

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            transport = await asyncio.wait_for(
                loop.start_tls(
                    self._transport, self._protocol, ssl_context, server_hostname=server_hostname
                ),
                timeout,
            )
        except asyncio.TimeoutError:
            self._transport.abort()
            raise httpcore.ConnectTimeout("TLS handshake timed out") from None
        except (OSError, ssl.SSLError, EOFError) as exc:
            self._transport.abort()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from None
        if transport is None:  # pragma: no cover - the connection closed during the handshake
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        self._protocol.transport = transport
        return _Stream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        transport = self._transport
        if info == "ssl_object":
            return transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return transport.get_extra_info("sockname")
        if info == "server_addr":
            return transport.get_extra_info("peername")
        if info == "socket":
            return transport.get_extra_info("socket")
        if info == "is_readable":  # an idle connection the provider closed (or wrote to)
            protocol = self._protocol
            return protocol.eof or bool(protocol.buffer) or transport.is_closing()
        return None


def _asyncio_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    try:
        import sniffio
    except ImportError:  # pragma: no cover - anyio depends on it
        return True
    return sniffio.current_async_library() == "asyncio"


class Backend(httpcore.AsyncNetworkBackend):
    """TCP connections as asyncio protocols (anyio's backend under other loops)."""

    def __init__(self) -> None:
        self._anyio = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: Optional[float] = None,
        local_address: Optional[str] = None,
        socket_options: Optional[Iterable[Any]] = None,
    ) -> httpcore.AsyncNetworkStream:
        if not _asyncio_running():
            return await self._anyio.connect_tcp(host, port, timeout, local_address, socket_options)
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        try:
            transport, protocol = await asyncio.wait_for(
                loop.create_connection(_Protocol, host, port, local_addr=local), timeout
            )
        except asyncio.TimeoutError:
            raise httpcore.ConnectTimeout(f"connecting to {host}:{port} timed out") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from None
        sock = transport.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return _Stream(transport, protocol)

    async def sleep(self, seconds: float) -> None:  # pragma: no cover - pool housekeeping
        await self._anyio.sleep(seconds)
