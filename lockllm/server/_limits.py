"""Connection limits for ``lockllm serve`` under uvicorn, and a log-storm filter.

* :class:`ConnectionLimits` adds two rules to a uvicorn HTTP protocol: a connection whose
  request head (request line and headers) is not complete within ``header_timeout``
  seconds of connecting, or of the previous response, is closed; and a connection beyond
  ``max_connections`` open ones is closed as soon as it is accepted. Idle keep-alive
  connections are closed by uvicorn's ``timeout_keep_alive``. Together they stop a client
  from holding thousands of silent or trickling sockets until the process runs out of
  file descriptors. The limits come from the app's lifespan state (``STATE_KEY``, which
  the gateway's lifespan sets from its settings), so two gateways in one process keep
  their own; the classes travel to ``--workers`` processes by name.
  :class:`LockLLMH11Protocol` is uvicorn's h11 protocol with them; ``_fastproto`` has the
  httptools one the gateway prefers (the same limits, plus h11's bound on a request
  head's size, which httptools' parser does not have).
* :class:`RepeatFilter` lets the same log message through at most ``burst`` times per
  ``interval`` seconds, then says how many it dropped (an ``EMFILE`` accept storm writes
  one traceback per attempt otherwise). Access-log lines all differ (request ids), so
  they are never dropped.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any, Dict, Optional, Tuple

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = [
    "STATE_KEY",
    "ConnectionLimits",
    "LockLLMH11Protocol",
    "RepeatFilter",
    "connection_cap",
    "install_repeat_filter",
]

STATE_KEY = "lockllm.connection_limits"
"""Lifespan-state key of ``(header_timeout, max_connections)``."""


class ConnectionLimits:
    """A request-head timeout and a connection cap, for a uvicorn HTTP protocol class
    (mixed in before it: it relies on uvicorn's ``cycle``, ``connections``,
    ``app_state``, ``loop``, ``transport`` and ``on_response_complete``)."""

    header_timeout: float = 5.0
    max_connections: int = 1000
    _head_timer: Optional[asyncio.TimerHandle] = None
    _head_cycle: Any = None
    # What uvicorn's protocol classes provide.
    app_state: Dict[str, Any]
    connections: Any
    cycle: Any
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport

    def _limits(self) -> Tuple[float, int]:
        limits = self.app_state.get(STATE_KEY)
        return limits if limits else (self.header_timeout, self.max_connections)

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        if len(self.connections) > self._limits()[1]:
            transport.abort()  # over the cap: no request is read from it
            return
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]
        if self.cycle is not None and self.cycle is not self._head_cycle:
            self._disarm()  # a request head was parsed: the app owns the connection now

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        # A pipelined request already read may be running now: its connection is the
        # app's until that response completes too (then the timer is armed).
        running = self.cycle is not None and not self.cycle.response_complete
        if not running and not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    @property
    def waiting_for_head(self) -> bool:
        """True while the timer runs: no request head parsed since it was armed."""
        return self._head_timer is not None

    def _arm(self) -> None:
        self._disarm()
        self._head_cycle = self.cycle
        self._head_timer = self.loop.call_later(self._limits()[0], self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.cycle is self._head_cycle and not self.transport.is_closing():
            self.transport.close()  # no new request head in time


class LockLLMH11Protocol(ConnectionLimits, H11Protocol):
    """uvicorn's h11 protocol, plus a request-head timeout and a connection cap."""


def connection_cap(configured: int) -> int:
    """``configured``, but at most half the file descriptors this process may open (less a
    reserve for the scan workers, provider connections and logs): the cap then closes
    excess connections before ``accept()`` can ever fail with ``EMFILE``."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):  # pragma: no cover - not POSIX
        return configured
    if soft == resource.RLIM_INFINITY:  # pragma: no cover - unlimited
        return configured
    return max(8, min(configured, (soft - 64) // 2))


class RepeatFilter(logging.Filter):
    """At most ``burst`` records with the same message per ``interval`` seconds."""

    def __init__(self, burst: int = 5, interval: float = 60.0) -> None:
        super().__init__()
        self.burst = burst
        self.interval = interval
        self._seen: Dict[Tuple[str, str], Tuple[float, int]] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: let logging report it
            return True
        key = (record.name, text)
        now = time.monotonic()
        with self._lock:
            start, count = self._seen.get(key, (now, 0))
            if now - start >= self.interval:
                dropped = count - self.burst
                start, count = now, 0
                if dropped > 0:
                    record.msg = f"{text} (and {dropped} more like it were not logged)"
                    record.args = None
            count += 1
            if len(self._seen) > 1000 and key not in self._seen:
                self._seen.clear()  # bounded memory whatever the messages are
            self._seen[key] = (start, count)
        return count <= self.burst


_FILTERED = ("asyncio", "uvicorn.error", "lockllm.server")


def install_repeat_filter() -> RepeatFilter:
    """Add one :class:`RepeatFilter` to the loggers that report accept and socket errors."""
    repeat = RepeatFilter()
    for name in _FILTERED:
        log = logging.getLogger(name)
        if not any(isinstance(f, RepeatFilter) for f in log.filters):
            log.addFilter(repeat)
    return repeat
