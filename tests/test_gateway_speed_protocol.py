"""The gateway's HTTP/1.1 server protocols (issue 18, speed): httptools' parser where it is
installed, h11's otherwise, with the same limits. Real sockets on 127.0.0.1: a request head
past 16 KiB is refused by both, a large body is not a large head, pipelined requests are
answered in order and the head timeout waits for the last of them; and the write
coalescing of the httptools protocol sends one turn's writes in one ``write()``."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any, Iterator, List

import pytest

pytest.importorskip("starlette")

from _gateway import gateway_settings, serve_app
from _timing import scaled

from lockllm.server import create_app
from lockllm.server._cli import http_protocol, uvicorn_options
from lockllm.server._limits import LockLLMH11Protocol


def _protocols() -> List[Any]:
    found: List[Any] = [LockLLMH11Protocol]
    try:
        from lockllm.server._fastproto import LockLLMHttpToolsProtocol
    except ImportError:
        return found
    return [*found, LockLLMHttpToolsProtocol]


def test_the_fast_protocol_is_chosen_where_httptools_is_installed() -> None:
    try:
        import httptools  # noqa: F401
    except ImportError:
        assert http_protocol() is LockLLMH11Protocol
        return
    from lockllm.server._fastproto import LockLLMHttpToolsProtocol

    assert http_protocol() is LockLLMHttpToolsProtocol


@pytest.fixture(scope="module", params=_protocols(), ids=lambda p: p.__name__)
def gateway_url(request: pytest.FixtureRequest) -> Iterator[str]:
    settings = gateway_settings(header_timeout=1.0, scan_workers=1)
    options = uvicorn_options(settings, "warning")
    for name in ("host", "port"):
        options.pop(name)
    options["http"] = request.param
    with serve_app(create_app(settings), **options) as url:
        yield url


def _connect(url: str) -> socket.socket:
    port = int(url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=scaled(10))
    return sock


def _read_all(sock: socket.socket, seconds: float) -> bytes:
    """Everything the server sends until it closes (or ``seconds`` pass)."""
    sock.settimeout(seconds)
    data = b""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return data


def test_a_request_head_past_the_bound_is_refused(gateway_url: str) -> None:
    sock = _connect(gateway_url)
    try:
        head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 20000
        try:
            sock.sendall(head)
        except (BrokenPipeError, ConnectionResetError):
            return  # closed before all of it was read: refused all the same
        answer = _read_all(sock, scaled(5))
        assert answer == b"" or answer.startswith(b"HTTP/1.1 400")
        assert b"200 OK" not in answer
    finally:
        sock.close()


def test_a_head_under_the_bound_and_a_large_body_are_served(gateway_url: str) -> None:
    sock = _connect(gateway_url)
    try:
        sock.sendall(
            b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Ok: " + b"a" * 12000 + b"\r\n\r\n"
        )
        sock.settimeout(scaled(10))
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    finally:
        sock.close()
    sock = _connect(gateway_url)
    try:
        body = b'{"input": "' + b"hello world " * 4000 + b'"}'
        head = (
            b"POST /v1/scan HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer lockllm-test-gateway-key-0123456789\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        sock.sendall(head + body)
        sock.settimeout(scaled(30))
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")  # a 48 KB body is no head
    finally:
        sock.close()


def test_pipelined_requests_are_answered_then_the_head_timeout_applies(gateway_url: str) -> None:
    sock = _connect(gateway_url)
    try:
        request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        sock.sendall(request * 3)
        sock.settimeout(scaled(10))
        data = b""
        while data.count(b'"status":"ok"') < 3:  # three whole answers, in order
            chunk = sock.recv(65536)
            assert chunk, data
            data += chunk
        # Nothing more is sent: the header timeout (1 s) closes the idle connection.
        start = time.monotonic()
        assert _read_all(sock, scaled(6)) == b""
        assert time.monotonic() - start < scaled(6)
    finally:
        sock.close()


# -- the coalescing transport ------------------------------------------------------------------


class _Recording:
    def __init__(self) -> None:
        self.writes: List[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 1)}.get(name, default)


def test_writes_of_one_turn_leave_in_one_write_and_close_flushes_them() -> None:
    fastproto = pytest.importorskip("lockllm.server._fastproto")

    async def go() -> None:
        inner = _Recording()
        transport = fastproto._CoalescingTransport(inner, asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(bytearray(b"body"))
        transport.write(b"")
        assert inner.writes == []
        assert transport.get_write_buffer_size() == 23
        await asyncio.sleep(0)
        assert inner.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
        assert transport.get_extra_info("peername") == ("127.0.0.1", 1)
        transport.write(b"last")
        transport.close()  # written before the close: still sent
        assert inner.writes[-1] == b"last"
        assert inner.closed
        transport.write(b"dropped")
        transport.abort()
        await asyncio.sleep(0)
        assert inner.writes[-1] == b"last"
        assert inner.aborted

    asyncio.run(go())


_KEY = b"Authorization: Bearer lockllm-test-gateway-key-0123456789\r\n"
_REFUSED = {
    "content-length and chunked": b"POST /v1/scan HTTP/1.1\r\nHost: a\r\n"
    + _KEY
    + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "two content-lengths": b"POST /v1/scan HTTP/1.1\r\nHost: a\r\n"
    + _KEY
    + b"Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
    "bad chunk size": b"POST /v1/scan HTTP/1.1\r\nHost: a\r\n"
    + _KEY
    + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    "unknown transfer coding": b"POST /v1/scan HTTP/1.1\r\nHost: a\r\n"
    + _KEY
    + b"Transfer-Encoding: xchunked\r\n\r\n",
    "NUL in a header": b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-A: b\x00c\r\n\r\n",
    "HTTP/0.9 request line": b"GET /healthz\r\n\r\n",
    "HTTP/1.1 without Host": b"GET /healthz HTTP/1.1\r\n\r\n",
    "two Host headers": b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "space before the colon": b"GET /healthz HTTP/1.1\r\nHost : a\r\n\r\n",
}


@pytest.mark.parametrize("name", sorted(_REFUSED))
def test_malformed_or_ambiguous_heads_are_refused(gateway_url: str, name: str) -> None:
    sock = _connect(gateway_url)
    try:
        sock.sendall(_REFUSED[name])
        answer = _read_all(sock, scaled(5))
        assert answer.startswith(b"HTTP/1.1 400"), (name, answer[:40])
    finally:
        sock.close()
