"""The gateway's one Redis connection (shared rate limits and scan cache), kept harmless.

redis-py's ``redis.asyncio`` is imported on first use only. Every call has bounded connect
and read timeouts and no client-side retries; after a failure Redis is left alone for a
back-off (1 s, doubling to 30 s) during which callers fall back to their in-process state,
so an unreachable Redis costs one timeout now and then, never a 500 and never a stall per
request. Failures are counted (``errors``, and the metrics hook) and logged at most once
a minute, without the URL (it may hold a password).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, Callable, List, Optional, Tuple, Type

__all__ = ["RedisLink", "optional_link", "redis_errors"]

logger = logging.getLogger("lockllm.server")

BACKOFF_START = 1.0
BACKOFF_MAX = 30.0
LOG_EVERY = 60.0


class RedisLink:
    """A lazily opened ``redis.asyncio`` client with a circuit breaker."""

    def __init__(self, url: str, timeout: float, max_connections: int = 64) -> None:
        self._url = url
        self._timeout = timeout
        self._max_connections = max_connections
        self._client: Any = None
        self._until = 0.0
        self._backoff = BACKOFF_START
        self._logged = -LOG_EVERY
        self.errors = 0
        self.on_error: List[Callable[[str], None]] = []

    def __repr__(self) -> str:  # never the URL: it may carry a password
        return f"RedisLink(timeout={self._timeout!r}, errors={self.errors})"

    def available(self) -> bool:
        """False while backing off after a failure: callers use their local fallback."""
        return time.monotonic() >= self._until

    def client(self) -> Any:
        """The ``redis.asyncio.Redis`` client (created on first use, in the running loop)."""
        if self._client is None:
            import redis.asyncio as aioredis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            pool = aioredis.BlockingConnectionPool.from_url(
                self._url,
                max_connections=self._max_connections,
                timeout=self._timeout,
                socket_connect_timeout=self._timeout,
                socket_timeout=self._timeout,
                retry=Retry(NoBackoff(), 0),
            )
            self._client = aioredis.Redis(connection_pool=pool)
        return self._client

    def succeeded(self) -> None:
        self._backoff = BACKOFF_START

    def failed(self, exc: BaseException, what: str) -> None:
        """Count a failure, back off, and log it (at most once a minute)."""
        self.errors += 1
        now = time.monotonic()
        self._until = now + self._backoff
        self._backoff = min(BACKOFF_MAX, self._backoff * 2)
        for hook in self.on_error:
            hook(what)
        if now - self._logged >= LOG_EVERY:
            self._logged = now
            logger.warning(
                "redis unavailable for %s (%s); using in-process state for %.0f s "
                "(%d error(s) so far)",
                what,
                type(exc).__name__,
                self._until - now,
                self.errors,
            )

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):  # a broken connection must not fail shutdown
                await client.aclose()


def redis_errors() -> Tuple[Type[BaseException], ...]:
    """What a Redis call may raise when Redis is down, slow or misbehaving."""
    import redis.exceptions

    return (redis.exceptions.RedisError, OSError, asyncio.TimeoutError, TimeoutError)


def optional_link(url: Optional[str], timeout: float) -> Optional[RedisLink]:
    """A :class:`RedisLink` for ``url``, or ``None`` without one."""
    return RedisLink(url, timeout) if url else None
