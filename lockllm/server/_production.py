"""The production layer of the gateway: an ASGI wrapper around the app that adds per-key
rate limits (429 ``rate_limited`` with ``Retry-After``) and the ``X-LockLLM-Cache`` header,
plus :meth:`Production.scan`, the scan cache the app's handlers call; it owns the shared
Redis link.

It sits inside the access log (so refused requests are logged like any other) and
outside the routes. Keys are recognised by their SHA-256 digest; a request whose key is
not one of the gateway's is passed on untouched (the app answers 401), so nobody can
spend another key's allowance without knowing that key. ``key_id`` (a digest prefix)
names a key in metrics and webhooks; the key itself never leaves this module.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import re
import uuid
from typing import Any, Dict, List, Mapping, Optional, Tuple

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import _errors
from ._cache import Compute, ScanCache
from ._ratelimit import RateLimiter, retry_after_header
from ._redis import RedisLink, optional_link
from ._settings import Settings

__all__ = ["Production", "ProductionLayer", "key_id"]

logger = logging.getLogger("lockllm.server")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")  # the app's rule for X-Request-Id
_LIMITED = ("/v1/scan", "/scan")
_PROXY = "/v1/proxy/"


_STATE: contextvars.ContextVar[Optional[Dict[str, Any]]] = contextvars.ContextVar(
    "lockllm_request_state", default=None
)
"""``scope["lockllm"]`` of the request being handled (set by :class:`ProductionLayer`)."""


def find_verdict(value: Any) -> Any:
    """The scan verdict in a scan's value: the value itself, or the first in a tuple."""
    if hasattr(value, "safe") and hasattr(value, "injection"):
        return value
    if isinstance(value, tuple):
        for item in value:
            if hasattr(item, "safe") and hasattr(item, "injection"):
                return item
    return None


def key_id(key: str) -> str:
    """A stable, non-reversible name for a client key (for metrics, logs and webhooks)."""
    return "key_" + hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def presented_keys(headers: List[Tuple[bytes, bytes]]) -> List[str]:
    """The credentials a request carries, in the three places the app accepts them."""
    found: List[str] = []
    for name, value in headers:
        name = name.lower()
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            found.append(value[7:].strip().decode("latin-1"))
        elif name in (b"x-api-key", b"api-key") and value.strip():
            found.append(value.strip().decode("latin-1"))
    return found


class Production:
    """What the production features share: settings, the Redis link, the limiter."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.redis: Optional[RedisLink] = optional_link(settings.redis_url, settings.redis_timeout)
        self.limiter = RateLimiter(settings.rate_limit, self.redis) if settings.rate_limit else None
        self.cache = ScanCache(
            settings.cache_ttl, settings.cache_size, settings.cache_secret, self.redis
        )
        self._ids: Dict[bytes, str] = {
            hashlib.sha256(k.encode("utf-8", "surrogateescape")).digest(): key_id(k)
            for k in settings.api_keys
        }

    def client_id(self, scope: Scope) -> Optional[str]:
        """The key id of the request's valid key (``anonymous`` without auth), else None."""
        if self.settings.no_auth:
            return "anonymous"
        for key in presented_keys(scope.get("headers", [])):
            found = self._ids.get(hashlib.sha256(key.encode("latin-1")).digest())
            if found is not None:
                return found
        return None

    async def scan(
        self,
        payload: Any,
        sensitivity: str,
        compute: Compute,
        options: Optional[Mapping[str, Any]] = None,
    ) -> Any:
        """``await compute()`` through the scan cache (``payload``: what is scanned).

        The verdict found in the value is noted in the current request's state (for the
        cache header, metrics and webhooks).
        """
        value, cached = await self.cache.scan(payload, sensitivity, compute, options)
        state = _STATE.get()
        if state is not None:
            state["result"] = find_verdict(value)
            state["cache"] = "hit" if cached else "miss"
            state["sensitivity"] = sensitivity
        return value

    async def aclose(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()


def request_id(scope: Scope) -> str:
    """The request id the app will use too (kept in ``scope["lockllm"]``)."""
    state = scope.setdefault("lockllm", {})
    rid = state.get("request_id")
    if rid is None:
        sent = next((v for k, v in scope.get("headers", []) if k.lower() == b"x-request-id"), b"")
        text = sent.decode("latin-1")
        rid = text if text and _REQUEST_ID.match(text) else f"req_{uuid.uuid4().hex}"
        state["request_id"] = rid
    return str(rid)


def limited_route(path: str) -> bool:
    return path in _LIMITED or path.startswith(_PROXY)


class ProductionLayer:
    """Pure ASGI wrapper applying :class:`Production` to every request."""

    def __init__(self, app: ASGIApp, production: Production) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._on_shutdown(receive), send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _STATE.set(scope.setdefault("lockllm", {}))
        try:
            await self._http(scope, receive, send)
        finally:
            _STATE.reset(token)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        production = self.production
        limiter = production.limiter
        if limiter is not None and limited_route(scope["path"]):
            client = production.client_id(scope)
            if client is not None:
                wait = await limiter.hit(client)
                if wait > 0:
                    await self._refuse(scope, send, wait)
                    return
        if not production.cache.enabled:
            await self.app(scope, receive, send)
            return

        async def send_with_cache_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                verdict = scope.get("lockllm", {}).get("cache")
                if verdict is not None:
                    headers = list(message.get("headers", []))
                    headers.append((b"x-lockllm-cache", verdict.encode()))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cache_header)

    def _on_shutdown(self, receive: Receive) -> Receive:
        async def wrapped() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await self.production.aclose()
            return message

        return wrapped

    async def _refuse(self, scope: Scope, send: Send, wait: float) -> None:
        rid = request_id(scope)
        scope["lockllm"]["verdict"] = "rate_limited"
        rate = self.production.settings.rate_limit
        seconds = retry_after_header(wait)
        body = _errors.dumps(
            _errors.error_body(
                f"Rate limit exceeded ({rate} per key); retry after {seconds.decode()} s",
                "rate_limit_error",
                "rate_limited",
                rid,
            )
        )
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", seconds),
            (b"retry-after-ms", str(max(1, round(wait * 1000))).encode()),
            (b"x-request-id", rid.encode()),
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})


def add_production(app: Any, production: Production) -> Production:
    """Wrap ``app`` (a Starlette app, before its access log is added) in the layer."""
    app.add_middleware(ProductionLayer, production=production)
    app.state.production = production
    return production
