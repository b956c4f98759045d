"""The gateway's provider connections on plain asyncio (``_aionet``, issue 18 speed):
reads, writes, timeouts and closed connections answer with httpcore's own errors, as
the anyio backend did; a whole request through httpcore on it; trio falls back to anyio."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, List, Tuple

import pytest

httpcore = pytest.importorskip("httpcore")
pytest.importorskip("starlette")

from lockllm.server._aionet import Backend  # noqa: E402

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _server(handler: Handler) -> Tuple[asyncio.AbstractServer, int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, port


def test_write_read_and_end_of_stream() -> None:
    async def echo_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readexactly(5))
        await writer.drain()
        writer.close()

    async def go() -> None:
        server, port = await _server(echo_once)
        async with server:
            stream = await Backend().connect_tcp("127.0.0.1", port, timeout=5)
            assert stream.get_extra_info("server_addr")[1] == port
            assert stream.get_extra_info("socket") is not None
            assert stream.get_extra_info("ssl_object") is None
            await stream.write(b"hello", timeout=5)
            got = b""
            while len(got) < 5:
                got += await stream.read(3, timeout=5)  # at most max_bytes a read
            assert got == b"hello"
            assert await stream.read(100, timeout=5) == b""  # the server closed
            assert stream.get_extra_info("is_readable")  # a closed idle connection
            await stream.aclose()

    asyncio.run(go())


def test_a_silent_server_is_a_read_timeout() -> None:
    held: List[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    async def go() -> None:
        server, port = await _server(silent)
        async with server:
            stream = await Backend().connect_tcp("127.0.0.1", port, timeout=5)
            assert not stream.get_extra_info("is_readable")
            with pytest.raises(httpcore.ReadTimeout):
                await stream.read(10, timeout=0.05)
            await stream.aclose()
            for writer in held:
                writer.close()

    asyncio.run(go())


def test_nothing_listening_is_a_connect_error_and_a_closed_stream_a_write_error() -> None:
    async def closing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    async def go() -> None:
        server, port = await _server(closing)
        async with server:
            stream = await Backend().connect_tcp("127.0.0.1", port, timeout=5)
            assert await stream.read(10, timeout=5) == b""
            with pytest.raises(httpcore.WriteError):
                await stream.write(b"too late", timeout=5)
        with pytest.raises(httpcore.ConnectError):
            await Backend().connect_tcp("127.0.0.1", port, timeout=5)

    asyncio.run(go())


def test_a_request_through_httpcore() -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = b'{"ok":true}' * 100
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%b" % (len(body), body))
        await writer.drain()

    async def go() -> Any:
        server, port = await _server(answer)
        async with server, httpcore.AsyncConnectionPool(network_backend=Backend()) as pool:
            response = await pool.request("GET", f"http://127.0.0.1:{port}/")
            return response.status, response.content

    status, content = asyncio.run(go())
    assert status == 200
    assert content == b'{"ok":true}' * 100


def test_under_trio_the_anyio_backend_serves() -> None:
    trio = pytest.importorskip("trio")

    async def go() -> Any:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        stream = await Backend().connect_tcp("127.0.0.1", port, timeout=5)
        assert type(stream).__module__.startswith("httpcore")
        await stream.aclose()
        for listener in listeners:
            await listener.aclose()

    trio.run(go)
