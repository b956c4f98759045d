"""The gateway's HTTP/1.1 server protocol when httptools is installed (uvicorn's fast path).

:class:`LockLLMHttpToolsProtocol` is uvicorn's httptools protocol (the llhttp parser, in
C, where h11 parses in Python) with every limit :class:`~._limits.LockLLMH11Protocol`
enforces (the request-head timeout and the connection cap of
:class:`~._limits.ConnectionLimits`), plus the checks h11 makes by itself and llhttp does
not: a request head (request line and headers) larger than ``MAX_HEAD_BYTES`` is answered
400 and the connection closed (bytes are counted from the last parsed head, body or
message end, so the bound holds to within one socket read); so are an HTTP/0.9 request
line, an HTTP/1.1 request without a ``Host`` header and a request with two. Where the two
parsers differ otherwise, llhttp is the stricter (a folded header line, a bare LF as line
end: 400).

It also writes less: whatever the app sends in one turn of the event loop (a response
head and a body that was already there, the last chunk and the end of a chunked body)
leaves in one ``send()`` instead of one per ASGI message; each write is a system call
here and a wake-up of the client. Nothing is held past the end of that turn, so a
streamed answer's bytes are not delayed.

Importing this module imports httptools: ``_cli.uvicorn_options`` falls back to the h11
protocol when it is missing.
"""

from __future__ import annotations

import asyncio
from typing import Any, List, Optional

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ._limits import ConnectionLimits

__all__ = ["MAX_HEAD_BYTES", "LockLLMHttpToolsProtocol"]

MAX_HEAD_BYTES = 16 * 1024
"""The largest request head read (h11's own default bound, which the h11 protocol has)."""


class _CoalescingTransport:
    """A transport whose writes in one event-loop turn go out in one ``write()``."""

    def __init__(self, inner: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._inner = inner
        self._loop = loop
        self._pending: Optional[List[bytes]] = None

    def write(self, data: Any) -> None:
        if not data:
            return
        chunk = data if isinstance(data, bytes) else bytes(data)
        if self._pending is None:
            self._pending = [chunk]
            self._loop.call_soon(self._flush)
        else:
            self._pending.append(chunk)

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def _flush(self) -> None:
        pending, self._pending = self._pending, None
        if pending:
            self._inner.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def get_write_buffer_size(self) -> int:
        held = sum(len(c) for c in self._pending) if self._pending else 0
        return self._inner.get_write_buffer_size() + held

    def write_eof(self) -> None:
        self._flush()
        self._inner.write_eof()

    def close(self) -> None:
        self._flush()  # a response written just before closing still goes out
        self._inner.close()

    def abort(self) -> None:
        self._pending = None
        self._inner.abort()

    def is_closing(self) -> bool:
        return self._inner.is_closing()

    def __getattr__(self, name: str) -> Any:  # get_extra_info, pause_reading, …
        return getattr(self._inner, name)


class LockLLMHttpToolsProtocol(ConnectionLimits, HttpToolsProtocol):
    """uvicorn's httptools protocol with the gateway's connection limits and a bounded
    request head; writes coalesced per event-loop turn."""

    _head_bytes = 0

    def connection_made(self, transport: Any) -> None:
        super().connection_made(_CoalescingTransport(transport, self.loop))

    def data_received(self, data: bytes) -> None:
        self._head_bytes += len(data)
        super().data_received(data)
        if self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            # A head still incomplete past the bound: refused, as h11 refuses it.
            if self.cycle is None or self.cycle.response_complete:
                self.send_400_response("Request head too large.")
            else:
                self.transport.close()

    # Parser callbacks: each one ends the head in progress, so the count restarts.
    def on_headers_complete(self) -> None:
        self._head_bytes = 0
        # What h11 refuses and llhttp lets through (RFC 9112 section 3.2): a request
        # that is not HTTP/1.0 or 1.1 (an HTTP/0.9 request line), an HTTP/1.1 request
        # without a Host header, any request with two. Raised here, it is answered 400.
        version = self.parser.get_http_version()
        hosts = sum(1 for name, _ in self.headers if name == b"host")
        if version not in ("1.0", "1.1") or hosts > 1 or (version == "1.1" and not hosts):
            raise ValueError("not an HTTP/1.x request head the gateway accepts")
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._head_bytes = 0
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._head_bytes = 0
        super().on_message_complete()
