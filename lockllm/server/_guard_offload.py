"""The response guard off the event loop: a large piece of an answer is read in a worker
thread, so that no answer stalls the other requests the gateway serves.

The relay (``_upstream.UpstreamResponse``) calls the guard's reader synchronously, once
per chunk of the provider's answer (``feed``) and once at its end (``close``). Reading a
piece costs time linear in its size, but a large one (a multi-megabyte tool-call delta
full of ``\\u`` escapes, a long SSE event, a large JSON answer read whole) takes long
enough to hold up every other request on the loop.

:class:`ReadAhead` wraps the provider's response: before the relay sees a chunk, it asks
the reader how many bytes the next step will read (``cost`` / ``close_cost``: the chunk,
the unfinished event before it and the events held back; the whole answer for a sized
JSON body). Above :data:`INLINE_BYTES` the step runs now, in a thread of a small pool
shared by the gateway, while the loop serves other requests; :class:`OffloadedReader` then
hands its result to the relay's own call. Below it the relay's call reads inline, as
before: no thread hop on the common path. Either way each step runs exactly once and in
order, so the bytes out, the hold-back window, redactions and blocks are the same.

Findings reported during a step in a thread are announced (log line, metric, webhook)
on the loop when the step ends: the webhook queue is not thread-safe.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import threading
from typing import Any, AsyncIterator, Callable, List, Optional, Tuple

__all__ = ["GUARD_THREADS", "INLINE_BYTES", "OffloadedReader", "ReadAhead", "run_off_loop"]

INLINE_BYTES = 16 * 1024
"""Bytes a step may read on the event loop. Measured worst case (a tool-call delta of
``\\u`` escapes in ``redact`` mode, on a loaded 2-CPU machine): about 1.2 µs a byte, so
16 KiB holds the loop for a few milliseconds at most; a 64 KiB step took 20 to 130 ms."""
GUARD_THREADS = 2
"""Worker threads reading large pieces (more only share the same interpreter lock and take
turns from the loop)."""

_POOL: Optional[concurrent.futures.ThreadPoolExecutor] = None
_POOL_LOCK = threading.Lock()


def _pool() -> concurrent.futures.ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = concurrent.futures.ThreadPoolExecutor(
                GUARD_THREADS, thread_name_prefix="lockllm-guard"
            )
        return _POOL


async def run_off_loop(function: Callable[..., Any], *args: Any, after: Callable[[], None]) -> Any:
    """``function(*args)`` in a guard thread; ``after()`` on the loop once it has returned
    (also when the caller was cancelled meanwhile: then when the thread is done)."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    future = _pool().submit(function, *args)
    try:
        return await asyncio.wrap_future(future)
    finally:
        if future.done():
            after()
        else:  # cancelled while the thread still reads: announce once it is done

            def done(_: Any) -> None:
                with contextlib.suppress(RuntimeError):  # a closed loop: the gateway stopped
                    loop.call_soon_threadsafe(after, context=context)

            future.add_done_callback(done)


class OffloadedReader:
    """A guard reader (``BodyGuard``, ``StreamGuard``, ``ArrayStreamGuard``) whose large
    steps :class:`ReadAhead` ran in a thread before the relay asks for them."""

    def __init__(self, reader: Any, deferring: Callable[[], Any]) -> None:
        self.reader = reader
        self.head_held: bool = reader.head_held
        self._deferring = deferring
        self._fed: Optional[Tuple[bytes, Tuple[bytes, bool]]] = None
        self._closed: Optional[Tuple[Any, bytes]] = None
        self.offloaded = 0
        """Steps read in a thread (the rest were read inline)."""

    async def before_feed(self, chunk: bytes) -> None:
        """Read ``chunk`` now, in a thread, when the step is large."""
        if self.reader.cost(chunk) > INLINE_BYTES:
            self._fed = (chunk, await self._off(self.reader.feed, chunk))

    async def before_close(self, status: int, headers: Any) -> None:
        """Read the end of the answer now, in a thread, when the step is large."""
        if self.reader.close_cost() > INLINE_BYTES:
            self._closed = await self._off(self.reader.close, status, headers)

    async def _off(self, function: Callable[..., Any], *args: Any) -> Any:
        self.offloaded += 1
        announce = self._deferring()
        return await run_off_loop(function, *args, after=announce)

    def feed(self, chunk: bytes) -> Tuple[bytes, bool]:
        """The relay's step: read ahead, or read now."""
        fed, self._fed = self._fed, None
        if fed is None:
            result: Tuple[bytes, bool] = self.reader.feed(chunk)
            return result
        if fed[0] is not chunk:
            raise RuntimeError("the response guard was fed another chunk than it read ahead")
        return fed[1]

    def close(self, status: int, headers: Any) -> Tuple[Any, bytes]:
        """The relay's last step: read ahead, or read now."""
        closed, self._closed = self._closed, None
        if closed is None:
            result: Tuple[Any, bytes] = self.reader.close(status, headers)
            return result
        return closed


class ReadAhead:
    """The provider's response (``httpcore.Response``) as the relay reads it, with the
    guard's large steps run in a thread before each chunk (and the end) reach the relay."""

    def __init__(self, upstream: Any, guard: Any) -> None:
        self.upstream = upstream
        self.guard = guard
        self.status: int = upstream.status
        self.headers: List[Tuple[bytes, bytes]] = upstream.headers

    def __getattr__(self, name: str) -> Any:
        return getattr(self.upstream, name)

    async def aiter_stream(self) -> AsyncIterator[bytes]:
        """The answer's chunks, each read ahead when large."""
        async for chunk in self.upstream.aiter_stream():
            reader = self.guard.reader
            if isinstance(reader, OffloadedReader):
                await reader.before_feed(chunk)
            yield chunk
        reader = self.guard.reader
        if isinstance(reader, OffloadedReader):
            await reader.before_close(*self.guard.opened)

    async def aclose(self) -> None:
        """Close the provider's response."""
        await self.upstream.aclose()
