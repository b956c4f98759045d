"""Scans off the event loop: a pool of worker processes, each request with a time budget.

Why processes and not threads: CPython's ``re`` holds the GIL for a whole match, so a
scan stuck in a slow regex would freeze the event loop (``/healthz`` included) even from a
worker thread, and a thread cannot be stopped when its budget is spent. A worker process
can: when a scan outlives its budget the worker is killed and replaced, the request is
answered 503 ``scan_timeout`` (fail closed), and every other request keeps being served by
the loop and the other workers.

The fast path is one pipe round trip with no thread hop: a request of up to
``INLINE_SEND_BYTES`` is written straight from the event loop (an idle worker's empty
pipe takes it at once) and the answer is read with ``loop.add_reader``. That costs about
0.1 ms per call on top of the scan (2 CPUs, Python 3.11; see ``benchmarks/gateway.py``).
Larger requests are written from a thread.

Small bodies skip the pool: a request of up to ``INLINE_SCAN_BYTES`` (body and query) is
read and scanned on the event loop itself, by an engine built in the gateway process. The
engine's cost is linear in its input, so the longest such a scan can hold the loop is
bounded: a few milliseconds for the slowest shapes of ``tests/test_engine_linear.py`` at
512 bytes to 1 KB (2 CPUs), against the pipe round trip, the worker's wake-up and the
scheduling of two processes on the same CPUs that every pooled call pays (at 50 requests
in flight, the pool alone cut the gateway's throughput several-fold). Under load the two
share the work: once in-process scans took ``INLINE_SHARE`` of the loop's time in the
current ``INLINE_WINDOW``, small bodies go to idle workers too (on other CPUs), so the loop
keeps time for relaying. That is the rules-only engine (``transformer = false``). The
default engine also reads texts with the transformer tier (an ONNX model, about 2 ms of
CPU for a short prompt): its small bodies are scanned in a few scan threads of the gateway
process instead, since the model's inference releases the GIL: the loop goes on relaying
while the model runs on another CPU, with no pipe round trip. Larger bodies, any engine
with an ONNX model of the operator's (``model``), and any engine not built by the default
factory (a test's deliberately slow one, say) always go to the pool, where a worst case is
cut at its budget without stalling anyone else.

Workers are plain ``python -m lockllm.server._scanworker`` processes (not
``multiprocessing``, which would re-import the ``__main__`` module of whatever started
the gateway): each one imports and warms the engine in about 0.2 s, so a replacement is
ready soon after a kill, while the other workers go on serving.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import logging
import os
import pickle
import subprocess
import sys
import time
import weakref
from typing import Any, List, Optional

from ._engine import ENGINE_ENV
from ._scanworker import answer, read_frame

__all__ = [
    "INLINE_SCAN_BYTES",
    "ScanFailed",
    "ScanPool",
    "ScanTimeout",
    "default_workers",
    "local_scanner",
    "request_size",
]

logger = logging.getLogger("lockllm.server")

INLINE_SEND_BYTES = 32 * 1024
"""Requests up to this size are written to the worker's pipe from the event loop itself."""
DEFAULT_FACTORY = "lockllm.server._scanpool:local_scanner"
INLINE_SCAN_BYTES = 1024
"""Requests (body plus query) up to this size are scanned in the gateway process itself."""
INLINE_SHARE = 0.5
"""The share of the event loop's time in-process scans may take, over ``INLINE_WINDOW``
seconds; past it a small body goes to an idle worker (with none idle, it is scanned
in-process all the same: queueing for a worker would be slower)."""
INLINE_WINDOW = 0.05
INLINE_THREADS = 4
"""At most this many scan threads (and no more than the pool's workers, one per CPU): an
engine with the transformer tier scans small bodies in them, off the event loop."""


class ScanTimeout(Exception):
    """The request's scan budget was spent: ``busy`` if no worker came free in time (the
    pool is saturated), else while its scan ran."""

    def __init__(self, busy: bool = False) -> None:
        super().__init__("no scan worker free in time" if busy else "the scan took too long")
        self.busy = busy


class ScanFailed(Exception):
    """The scan could not be done: the worker died or the engine raised."""


def local_scanner() -> Any:
    """The default engine of a worker: ``LocalScanner`` with the settings' engine options."""
    from ._engine import worker_scanner

    return worker_scanner()


def _inline_scanner(engine: str) -> Any:
    """The in-process engine for small bodies (the workers' default engine and options), or
    ``None`` when the options name an ONNX model (its cost stays in the pool)."""
    import json

    from ._engine import scanner as build

    chosen = json.loads(engine) if engine else {}
    if chosen.get("model"):
        return None
    scanner = build(engine)
    scanner.scan("warm up the rules, the decoders and the model", "medium")
    return scanner


def _reads_with_transformer(engine: str) -> bool:
    """Whether the engine the options ``engine`` name runs the transformer tier."""
    import json

    chosen = json.loads(engine) if engine else {}
    if chosen.get("model") or chosen.get("transformer") is False:
        return False
    from ..engine._transformer import shared_tier

    return shared_tier() is not None


def request_size(method: str, argument: Any) -> Optional[int]:
    """Bytes a scan call reads (``None``: unknown, so never scanned in-process)."""
    if isinstance(argument, dict):
        body, query = argument.get("body", b""), argument.get("query", b"")
        if isinstance(body, bytes) and isinstance(query, bytes):
            return len(body) + len(query)
        return None
    if method == "scan" and isinstance(argument, str):
        return len(argument) * 4  # UTF-8 at most
    return None


def default_workers() -> int:
    """One worker per CPU this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined,unused-ignore]
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class _Worker:
    """One worker process; blocks until it has said ``ready``."""

    def __init__(self, factory: str, engine: str = "") -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)  # the same modules
        env[ENGINE_ENV] = engine  # the engine options (JSON), "" for the defaults
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lockllm.server._scanworker", factory],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,  # raw pipes: the loop reads the fd itself, nothing may sit in a buffer
            env=env,
            start_new_session=True,  # Ctrl-C in a terminal is for the gateway only
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.stdin = self.process.stdin
        self.stdout = self.process.stdout
        self.buffer = bytearray()
        self.waiter: Optional[asyncio.Future[bytes]] = None
        self.loop: Optional[asyncio.AbstractEventLoop] = None  # set while a reader watches
        if read_frame(self.stdout) != b"ready":
            self.kill()
            raise OSError("the scan worker did not start")

    def watch(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Read replies with a callback on ``loop`` (False if the loop cannot watch pipes)."""
        try:
            loop.add_reader(self.stdout.fileno(), self._readable)
        except NotImplementedError:  # pragma: no cover - e.g. the Windows proactor loop
            return False
        self.loop = loop
        return True

    def unwatch(self) -> None:
        loop, self.loop = self.loop, None
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(ValueError, OSError):
                loop.remove_reader(self.stdout.fileno())

    def _readable(self) -> None:
        try:
            data = os.read(self.stdout.fileno(), 1 << 20)
        except OSError:
            data = b""
        if not data:  # the worker died: fail the call in progress, stop watching
            self.unwatch()
            self._resolve(None)
            return
        self.buffer += data
        if len(self.buffer) >= 4:
            need = 4 + int.from_bytes(self.buffer[:4], "big")
            if len(self.buffer) >= need:
                payload = bytes(self.buffer[4:need])
                del self.buffer[:need]
                self._resolve(payload)

    def _resolve(self, payload: Optional[bytes]) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            if payload is None:
                waiter.set_exception(EOFError("the scan worker closed its pipe"))
            else:
                waiter.set_result(payload)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        for stream in (self.stdin, self.stdout):
            with contextlib.suppress(OSError):  # a broken pipe on close
                stream.close()
        self.process.wait(5)


def _kill_all(workers: List[_Worker]) -> None:
    for worker in list(workers):
        worker.kill()
    workers.clear()


class ScanPool:
    """``workers`` engine processes; :meth:`run` scans with a time budget.

    :meth:`start` blocks (it starts processes): call it from a thread at start-up, or let
    the first :meth:`run` do it. ``factory`` (``"module:function"``) builds each worker's
    scanner; tests use it to plant a deliberately slow engine.
    """

    def __init__(
        self,
        workers: int,
        factory: str = DEFAULT_FACTORY,
        engine: str = "",
        inline_bytes: Optional[int] = None,
    ) -> None:
        self.size = max(1, workers)
        self.factory = factory
        self.engine = engine
        self.inline_bytes = (
            (INLINE_SCAN_BYTES if inline_bytes is None else inline_bytes)
            if factory == DEFAULT_FACTORY
            else 0
        )
        """Calls up to this size are scanned in-process (0: never; default factory only)."""
        self.restarts = 0
        self.inline_calls = 0
        self._inline: Any = None
        self._threads: Optional[concurrent.futures.ThreadPoolExecutor] = None
        """Runs the in-process scans of an engine with the transformer tier (``None``: the
        rules-only engine, scanned on the event loop itself)."""
        self._window = (0.0, 0.0)  # (start, seconds spent scanning in-process since)
        self._workers: List[_Worker] = []
        self._idle: Optional[asyncio.Queue[_Worker]] = None
        self._closed = False
        self._starting: Optional[asyncio.Future[None]] = None
        weakref.finalize(self, _kill_all, self._workers)

    def start(self) -> None:
        """Start the worker processes, and build the in-process engine (blocking)."""
        if self.inline_bytes and self._inline is None:
            self._inline = _inline_scanner(self.engine)
            if self._inline is None:
                self.inline_bytes = 0
            elif self._threads is None and _reads_with_transformer(self.engine):
                self._threads = concurrent.futures.ThreadPoolExecutor(
                    max_workers=max(1, min(self.size, INLINE_THREADS)),
                    thread_name_prefix="lockllm-scan",
                )
        while len(self._workers) < self.size:
            self._workers.append(_Worker(self.factory, self.engine))

    async def _ready(self) -> asyncio.Queue[_Worker]:
        if self._idle is None:
            if self._starting is None:
                self._starting = asyncio.get_running_loop().run_in_executor(None, self.start)
            await asyncio.shield(self._starting)
            if self._idle is None:
                loop = asyncio.get_running_loop()
                self._idle = asyncio.Queue()
                for worker in self._workers:
                    worker.watch(loop)
                    self._idle.put_nowait(worker)
        return self._idle

    async def run(self, method: str, argument: Any, sensitivity: str, budget: float) -> Any:
        """``scanner.<method>(argument, sensitivity)`` in a worker, within ``budget`` seconds.

        Raises :class:`ScanTimeout` when the budget is spent (the worker busy with this
        scan is killed and replaced) and :class:`ScanFailed` when the scan raised or the
        worker died.
        """
        if self._closed:
            raise ScanFailed("the scan pool is closed")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        idle = await self._ready()
        size = request_size(method, argument) if self.inline_bytes else None
        small = size is not None and size <= self.inline_bytes and self._inline is not None
        if small and self._threads is not None:
            self.inline_calls += 1
            return _unwrap(
                await self._in_thread(
                    self._threads, (self._inline, method, argument, sensitivity), deadline
                )
            )
        if small and self._inline_turn(loop.time(), idle):
            self.inline_calls += 1
            started = time.perf_counter()
            try:
                return _unwrap(answer(self._inline, method, argument, sensitivity))
            finally:
                start, spent = self._window
                self._window = (start, spent + time.perf_counter() - started)
        try:
            if idle.empty():  # every worker busy: wait for one, within the budget
                worker = await asyncio.wait_for(idle.get(), max(0.0, deadline - loop.time()))
            else:
                worker = idle.get_nowait()
        except asyncio.TimeoutError:
            raise ScanTimeout(busy=True) from None
        healthy = False
        try:
            reply = await self._call(worker, (method, argument, sensitivity), deadline)
            healthy = True
        except asyncio.TimeoutError:
            raise ScanTimeout() from None
        except (EOFError, OSError) as exc:
            raise ScanFailed(f"the scan worker stopped ({type(exc).__name__})") from None
        finally:
            if healthy:
                idle.put_nowait(worker)
            else:  # timed out, died, or the request was cancelled mid-call: replace it
                await self._replace(worker)
        return _unwrap(reply)

    @staticmethod
    async def _in_thread(
        threads: concurrent.futures.ThreadPoolExecutor, call: Any, deadline: float
    ) -> Any:
        """``answer(scanner, *call)`` in a scan thread, within the budget (the model's
        inference releases the GIL: the loop goes on relaying, on another CPU)."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()  # the request's tracing context
        work = loop.run_in_executor(threads, context.run, answer, *call)
        try:
            return await asyncio.wait_for(work, max(0.0, deadline - loop.time()))
        except asyncio.TimeoutError:  # the thread finishes on its own (a small body)
            raise ScanTimeout() from None

    def _inline_turn(self, now: float, idle: asyncio.Queue[_Worker]) -> bool:
        """Scan this small body in-process? Yes while in-process scans took less than
        ``INLINE_SHARE`` of the current window, or when no worker is idle: at low load
        every small body skips the pipe, under load workers share the work."""
        start, spent = self._window
        if now - start >= INLINE_WINDOW:
            self._window = (now, 0.0)
            return True
        return spent < INLINE_SHARE * INLINE_WINDOW or idle.empty()

    async def _call(self, worker: _Worker, call: Any, deadline: float) -> Any:
        """Send ``call`` and await the reply: one pipe write, one read callback, one timer
        (no task, no reader registration per call: that is most of the fast path's cost)."""
        loop = asyncio.get_running_loop()
        payload = pickle.dumps(call, pickle.HIGHEST_PROTOCOL)
        frame = len(payload).to_bytes(4, "big") + payload
        if worker.loop is not loop and not worker.watch(loop):  # pragma: no cover - Windows
            return await asyncio.wait_for(
                loop.run_in_executor(None, _exchange, worker, frame),
                max(0.0, deadline - loop.time()),
            )
        reply: asyncio.Future[bytes] = loop.create_future()
        worker.waiter = reply
        timer = loop.call_at(deadline, _expire, reply)
        try:
            if len(frame) <= INLINE_SEND_BYTES:
                _send(worker, frame)
            else:
                await loop.run_in_executor(None, _send, worker, frame)
            return pickle.loads(await reply)
        finally:
            timer.cancel()
            worker.waiter = None

    async def _replace(self, worker: _Worker) -> None:
        worker.unwatch()
        if worker in self._workers:
            self._workers.remove(worker)
        loop = asyncio.get_running_loop()
        if self._closed:
            await loop.run_in_executor(None, worker.kill)
            return
        self.restarts += 1
        logger.warning("scan worker replaced (a scan outlived its budget or failed)")
        try:
            fresh = await loop.run_in_executor(None, self._swap, worker)
        except OSError as exc:  # pragma: no cover - out of processes or memory
            logger.error("could not start a scan worker: %s", type(exc).__name__)
            return
        if self.closed:  # pragma: no cover - closed while it started
            await loop.run_in_executor(None, fresh.kill)
            return
        self._workers.append(fresh)
        fresh.watch(loop)
        assert self._idle is not None
        self._idle.put_nowait(fresh)

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` was called."""
        return self._closed

    def _swap(self, worker: _Worker) -> _Worker:
        worker.kill()
        return _Worker(self.factory, self.engine)

    def _stop_threads(self) -> None:
        threads, self._threads = self._threads, None
        if threads is not None:
            threads.shutdown(wait=False)

    def terminate(self) -> None:
        """Stop every worker now (blocking; :meth:`aclose` from a running loop)."""
        self._closed = True
        self._stop_threads()
        for worker in self._workers:
            worker.unwatch()
        _kill_all(self._workers)

    async def aclose(self) -> None:
        """Stop every worker."""
        self._closed = True
        self._stop_threads()
        for worker in self._workers:
            worker.unwatch()
        await asyncio.get_running_loop().run_in_executor(None, _kill_all, self._workers)


def _unwrap(reply: Any) -> Any:
    status, value = reply
    if status != "ok":
        raise ScanFailed(f"the engine raised {value}")
    return value


def _send(worker: _Worker, frame: bytes) -> None:
    """Write all of ``frame`` to the worker's (unbuffered) stdin."""
    view = memoryview(frame)
    fd = worker.stdin.fileno()
    while view:
        view = view[os.write(fd, view) :]


def _expire(reply: asyncio.Future[bytes]) -> None:
    if not reply.done():
        reply.set_exception(asyncio.TimeoutError())


def _exchange(worker: _Worker, frame: bytes) -> Any:  # pragma: no cover - Windows
    """Send and read one reply in a thread (where the loop cannot watch pipes)."""
    _send(worker, frame)
    payload = read_frame(worker.stdout)
    if payload is None:
        raise EOFError("the scan worker closed its pipe")
    return pickle.loads(payload)
