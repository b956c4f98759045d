"""The scan cache: the same text, sensitivity, options and engine give the same verdict.

Entries are keyed by HMAC-SHA256 over the scanned payload, the sensitivity, the scan
options and the engine's fingerprint (the version and a digest of the engine's files),
under a per-deployment secret: the cache (and Redis) never holds the text, and without
the secret nobody can test whether a given text was scanned. The secret is
``LOCKLLM_SERVER_CACHE_SECRET``; without it each process draws a random one at start,
so entries are private to that process and the Redis tier is not used (replicas could
never read each other's entries).

Two tiers: an in-process LRU (bounded: ``cache_size`` entries, each with the TTL), and,
with Redis and a shared secret, Redis itself (``SET … EX ttl``), where the verdict is
stored as JSON (never pickled: a value read from Redis is data, not code). A Redis error
is counted and the request goes on with the LRU and the engine.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Mapping, Optional, Tuple

from ._redis import RedisLink, redis_errors

__all__ = ["Compute", "ScanCache", "decode_value", "encode_value", "engine_fingerprint"]

_PREFIX = "lockllm:scan:"


def engine_fingerprint() -> str:
    """The package version plus a digest of the engine's code and shipped data (rules,
    weights, models): any change to what decides a verdict changes every key."""
    from importlib import resources

    from .._version import __version__

    digest = hashlib.sha256()
    try:
        files = sorted(
            (entry.name, entry.read_bytes())
            for entry in resources.files("lockllm.engine").iterdir()
            if entry.name.endswith((".py", ".json")) and entry.is_file()
        )
    except (OSError, AttributeError):  # pragma: no cover - an unusual loader
        files = []
    try:  # the transformer tier: its config records the model file's own SHA-256
        model = resources.files("lockllm.engine").joinpath("model", "config.json")
        if model.is_file():
            files.append(("model/config.json", model.read_bytes()))
    except (OSError, AttributeError):  # pragma: no cover - an unusual loader
        pass
    for name, data in files:
        digest.update(b"%d:%b%d:%b" % (len(name), name.encode(), len(data), data))
    return f"{__version__}/engine-{digest.hexdigest()[:16]}"


def result_from_json(data: Mapping[str, Any]) -> Any:
    """A ``ScanResponse`` rebuilt from its ``to_dict()`` form (spans keep their message)."""
    from .._details import Span
    from ..engine._scanner import MessageSpan
    from ..types import Debug, ScanResponse, Usage

    spans = tuple(
        MessageSpan(**span) if "message_index" in span else Span(**span)
        for span in data.get("spans", ())
    )
    debug = data.get("debug")
    return ScanResponse(
        safe=bool(data["safe"]),
        label=1 if data["label"] else 0,
        confidence=data.get("confidence"),
        injection=data.get("injection"),
        sensitivity=data["sensitivity"],
        request_id=str(data["request_id"]),
        usage=Usage(**data["usage"]) if "usage" in data else Usage(),
        debug=Debug(**debug) if debug else None,
        categories=tuple(data.get("categories", ())),
        spans=spans,
        source=data.get("source", "local"),
    )


Compute = Callable[[], Awaitable[Any]]


def _feed(mac: Any, value: Any) -> None:
    """Feed ``value`` to ``mac`` unambiguously: a type tag and a length before each item."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        mac.update(b"b%d:" % len(data))
        mac.update(data)
    elif isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
        mac.update(b"s%d:" % len(data))
        mac.update(data)
    elif value is None or isinstance(value, (bool, int, float)):
        mac.update(b"v%r;" % (value,))
    elif isinstance(value, (list, tuple)):
        mac.update(b"l%d:" % len(value))
        for item in value:
            _feed(mac, item)
    elif isinstance(value, Mapping):
        mac.update(b"d%d:" % len(value))
        for name in sorted(value, key=str):
            _feed(mac, str(name))
            _feed(mac, value[name])
    else:
        raise TypeError(f"cannot key a scan on a {type(value).__name__}")


def encode_value(value: Any) -> Any:
    """A cached value as JSON-ready data: verdicts, tuples, lists, dicts, plain values."""
    if hasattr(value, "to_dict") and hasattr(value, "safe"):
        return {"$scan": value.to_dict()}
    if isinstance(value, tuple):
        return {"$tuple": [encode_value(v) for v in value]}
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        return {"$dict": {str(k): encode_value(v) for k, v in value.items()}}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot cache a {type(value).__name__}")


def decode_value(data: Any) -> Any:
    """The inverse of :func:`encode_value`."""
    if isinstance(data, list):
        return [decode_value(v) for v in data]
    if isinstance(data, dict):
        if "$scan" in data:
            return result_from_json(data["$scan"])
        if "$tuple" in data:
            return tuple(decode_value(v) for v in data["$tuple"])
        if "$dict" in data:
            return {k: decode_value(v) for k, v in data["$dict"].items()}
        raise ValueError("not a cache entry")
    return data


class ScanCache:
    """LRU (+ Redis) of verdicts. ``ttl`` 0 turns the cache off."""

    def __init__(
        self,
        ttl: float,
        size: int,
        secret: Optional[str] = None,
        redis: Optional[RedisLink] = None,
    ) -> None:
        self.ttl = ttl
        self.size = size
        self.shared = secret is not None
        self._secret = (secret or secrets.token_hex(32)).encode("utf-8")
        self._redis = redis if self.shared else None
        self._lru: OrderedDict[bytes, Tuple[float, Any]] = OrderedDict()
        self._engine = engine_fingerprint()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.ttl > 0 and self.size > 0

    def key(self, payload: Any, sensitivity: str, options: Mapping[str, Any]) -> bytes:
        """The keyed digest naming a scan (the payload itself is never stored)."""
        mac = hmac.new(self._secret, digestmod=hashlib.sha256)
        _feed(mac, [self._engine, sensitivity, dict(options), payload])
        return mac.digest()

    async def scan(
        self,
        payload: Any,
        sensitivity: str,
        compute: Compute,
        options: Optional[Mapping[str, Any]] = None,
    ) -> Tuple[Any, bool]:
        """``(value, from_cache)``: the cached value, or ``await compute()`` (then cached).

        ``payload`` is what was scanned (text, messages, a request body and its
        metadata…): anything made of bytes, str, numbers, lists and dicts.
        """
        if not self.enabled:
            return await compute(), False
        key = self.key(payload, sensitivity, options or {})
        found = self._get_local(key)
        if found is None and self._redis is not None:
            found = await self._get_redis(key)
            if found is not None:
                self._put_local(key, found)
        if found is not None:
            self.hits += 1
            return found, True
        self.misses += 1
        result = await compute()
        self._put_local(key, result)
        if self._redis is not None:
            await self._put_redis(key, result)
        return result, False

    def _get_local(self, key: bytes) -> Any:
        entry = self._lru.get(key)
        if entry is None:
            return None
        expires, result = entry
        if expires < time.monotonic():
            del self._lru[key]
            return None
        self._lru.move_to_end(key)
        return result

    def _put_local(self, key: bytes, result: Any) -> None:
        self._lru[key] = (time.monotonic() + self.ttl, result)
        self._lru.move_to_end(key)
        while len(self._lru) > self.size:
            self._lru.popitem(last=False)

    async def _get_redis(self, key: bytes) -> Any:
        link = self._redis
        assert link is not None
        if not link.available():
            return None
        try:
            raw = await link.client().get(_PREFIX + key.hex())
        except redis_errors() as exc:
            link.failed(exc, "the scan cache")
            return None
        link.succeeded()
        if raw is None:
            return None
        try:
            return decode_value(json.loads(raw))
        except (ValueError, TypeError, KeyError):  # a foreign or older entry: a miss
            return None

    async def _put_redis(self, key: bytes, result: Any) -> None:
        link = self._redis
        assert link is not None
        if not link.available():
            return
        try:
            value = json.dumps(encode_value(result), separators=(",", ":"))
        except TypeError:
            return  # not something this cache can share; the LRU keeps it
        try:
            await link.client().set(_PREFIX + key.hex(), value, ex=max(1, round(self.ttl)))
        except redis_errors() as exc:
            link.failed(exc, "the scan cache")
