"""Rate limits per client key: ``600/minute`` as a GCRA (a token bucket kept as one time).

The generic cell rate algorithm keeps, per key, one "theoretical arrival time" (TAT): a
request at ``now`` is allowed when ``TAT - now <= period - interval`` (``interval`` =
``period / count``), and moves TAT to ``max(TAT, now) + interval``. A key can spend its
whole allowance at once and then earns one request back every ``interval``; a refused
request learns exactly when the next one will pass (``Retry-After``).

In-process by default (one table per process, bounded in size). With Redis the same
arithmetic runs as one Lua script (``EVALSHA``: one round trip, atomic, Redis's own clock),
so every worker and replica shares one limit. When Redis cannot be reached the process
falls back to its own table (fail open to the local limit, so a limit of N per minute
becomes at most N per process per minute for that while: never unlimited, never a 500).
"""

from __future__ import annotations

import math
import re
import time
from collections import OrderedDict
from typing import Any, NamedTuple, Optional

from ..errors import ConfigurationError
from ._redis import RedisLink, redis_errors

__all__ = ["LocalLimiter", "Rate", "RateLimiter", "parse_rate"]

_PERIODS = {"second": 1.0, "minute": 60.0, "hour": 3600.0}
_RATE = re.compile(r"\s*(\d{1,9})\s*/\s*(second|minute|hour)s?\s*", re.IGNORECASE)
MAX_KEYS = 100_000
"""Keys remembered by an in-process limiter (least recently seen forgotten first)."""


class Rate(NamedTuple):
    """``limit`` requests per ``period`` seconds."""

    limit: int
    period: float

    @property
    def interval(self) -> float:
        return self.period / self.limit

    def __str__(self) -> str:
        unit = {1.0: "second", 60.0: "minute", 3600.0: "hour"}[self.period]
        return f"{self.limit}/{unit}"


def parse_rate(text: Any, where: str = "rate_limit") -> Rate:
    """``"600/minute"`` → ``Rate(600, 60.0)``; units second, minute, hour (plural too)."""
    match = _RATE.fullmatch(text) if isinstance(text, str) else None
    if match is None or int(match.group(1)) < 1:
        raise ConfigurationError(
            f"{where} must look like '600/minute' (a positive count per second, minute or "
            f"hour); got {text!r}"
        )
    return Rate(int(match.group(1)), _PERIODS[match.group(2).lower()])


class LocalLimiter:
    """GCRA in this process: a bounded table of key → TAT (monotonic seconds)."""

    def __init__(self, rate: Rate, max_keys: int = MAX_KEYS) -> None:
        self.rate = rate
        self._tat: OrderedDict[str, float] = OrderedDict()
        self._max_keys = max_keys

    def hit(self, key: str, now: Optional[float] = None) -> float:
        """0.0 when allowed (and counted); else the seconds until the next allowed request."""
        now = time.monotonic() if now is None else now
        interval = self.rate.interval
        tat = max(self._tat.get(key, now), now)
        wait = tat - now - (self.rate.period - interval)
        if wait > 1e-9:
            return wait
        self._tat[key] = tat + interval
        self._tat.move_to_end(key)
        if len(self._tat) > self._max_keys:
            self._tat.popitem(last=False)
        return 0.0


# KEYS[1]: the key's TAT (microseconds); ARGV: interval, tolerance (microseconds).
# Returns 0 when allowed, else the microseconds to wait. TIME keeps every replica on
# Redis's clock; the key expires when its TAT passes, so idle keys cost nothing.
_GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - now - tolerance
if wait > 0 then return math.ceil(wait) end
local new = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', new), 'PX', math.ceil((new - now) / 1000) + 1)
return 0
"""


class RateLimiter:
    """The gateway's limiter: Redis-shared when a link is given, else in-process."""

    def __init__(self, rate: Rate, redis: Optional[RedisLink] = None) -> None:
        self.rate = rate
        self.local = LocalLimiter(rate)
        self.redis = redis
        self._script: Any = None

    async def hit(self, key: str) -> float:
        """0.0 when ``key`` may go ahead; else how many seconds it should wait."""
        link = self.redis
        if link is None or not link.available():
            return self.local.hit(key)
        try:
            if self._script is None:
                self._script = link.client().register_script(_GCRA_LUA)
            interval = round(self.rate.interval * 1e6)
            tolerance = round(self.rate.period * 1e6) - interval
            waited = await self._script(keys=[f"lockllm:rl:{key}"], args=[interval, tolerance])
        except redis_errors() as exc:
            link.failed(exc, "rate limits")
            return self.local.hit(key)
        link.succeeded()
        return max(0.0, int(waited) / 1e6)


def retry_after_header(wait: float) -> bytes:
    """``Retry-After`` in whole seconds, rounded up (at least 1)."""
    return str(max(1, math.ceil(wait))).encode()
