"""The production layer of the gateway: an ASGI wrapper around the app that adds per-key
rate limits (429 ``rate_limited`` with ``Retry-After``), the ``X-LockLLM-Cache`` header,
``GET /metrics`` and the counting behind it, and the webhook events of answered requests;
plus :meth:`Production.scan`, the scan cache the app's handlers call. It owns the shared
Redis link and closes it, and the webhook queue, at shutdown.

It sits inside the access log (so refused requests are logged like any other) and
outside the routes. Keys are recognised by their SHA-256 digest; a request whose key is
not one of the gateway's is passed on untouched (the app answers 401), so nobody can
spend another key's allowance without knowing that key. ``key_id`` (a digest prefix)
names a key in webhooks; the key itself never leaves this module. What deeper layers
learn about a request (the verdict, the upstream's timing) arrives through ``_context``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from typing import Any, Dict, List, Mapping, Optional, Tuple

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import _errors
from ._cache import Compute, ScanCache
from ._context import REQUEST
from ._metrics import Metrics, route_label
from ._ratelimit import RateLimiter, retry_after_header
from ._redis import RedisLink, optional_link
from ._settings import Settings
from ._tracing import record_gateway_scan, scan_span
from ._webhooks import Webhooks, make_event, verdict_fields

__all__ = ["Production", "ProductionLayer", "key_id"]

logger = logging.getLogger("lockllm.server")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")  # the app's rule for X-Request-Id
_LIMITED = ("/v1/scan", "/scan")
_PROXY = "/v1/proxy/"


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
        self.providers = frozenset(settings.upstreams)
        self.metrics: Optional[Metrics] = None
        if settings.metrics:
            try:
                self.metrics = Metrics(settings.metrics_token)
            except ImportError:
                logger.warning("no metrics: prometheus-client is not installed")
        if self.metrics is not None and self.redis is not None:
            self.redis.on_error.append(self.metrics.redis_error)
        self.webhooks: Optional[Webhooks] = None
        if settings.webhooks and settings.webhook_secret:
            self.webhooks = Webhooks(settings.webhooks, settings.webhook_secret, self.metrics)

    @property
    def active(self) -> bool:
        """False when every production feature is off (the layer then only passes through)."""
        return bool(self.limiter or self.cache.enabled or self.metrics or self.webhooks)

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
        metrics = self.metrics
        if metrics is not None:
            inner = compute

            async def compute() -> Any:
                with metrics.scan_seconds.time():
                    return await inner()

        with scan_span(sensitivity) as span:  # OpenTelemetry (``_tracing``), when installed
            value, cached = await self.cache.scan(payload, sensitivity, compute, options)
            cache = ("hit" if cached else "miss") if self.cache.enabled else None
            record_gateway_scan(span, value, cache)
        state = REQUEST.get()
        if state is not None:
            state["result"] = find_verdict(value)
            if self.cache.enabled:
                state["cache"] = "hit" if cached else "miss"
            state["sensitivity"] = sensitivity
        return value

    async def aclose(self) -> None:
        if self.webhooks is not None:
            await self.webhooks.aclose()
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
        token = REQUEST.set(scope.setdefault("lockllm", {}))
        try:
            await self._http(scope, receive, send)
        finally:
            REQUEST.reset(token)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        production = self.production
        if not production.active:
            await self.app(scope, receive, send)
            return
        state: Dict[str, Any] = scope["lockllm"]
        metrics = production.metrics
        if metrics is not None and scope["path"] == "/metrics":
            await self._metrics(scope, send, metrics)
            return
        limiter = production.limiter
        if limiter is not None and limited_route(scope["path"]):
            client = production.client_id(scope)
            if client is not None:
                wait = await limiter.hit(client)
                if wait > 0:
                    await self._refuse(scope, send, wait)
                    self._finished(scope, 429)
                    return
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", ()):
                    if name == b"x-lockllm-blocked":
                        state["blocked"] = value == b"true"
                    elif name == b"x-lockllm-model" and value:
                        state["model"] = value.decode("latin-1")
                verdict = state.get("cache")
                if verdict is not None:
                    headers = list(message.get("headers", []))
                    headers.append((b"x-lockllm-cache", verdict.encode()))
                    message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            self._finished(scope, status)

    def _finished(self, scope: Scope, status: int) -> None:
        """Count the request, and raise its webhook event, once it is answered."""
        hooks = scope["lockllm"].get("webhooks") or self.production.webhooks  # per policy
        if hooks is not None:
            self._event(scope, status, hooks)
        metrics = self.production.metrics
        if metrics is None:
            return
        state: Dict[str, Any] = scope["lockllm"]
        route, provider = route_label(scope["path"], self.production.providers)
        metrics.requests.labels(route, provider, str(status)).inc()
        if status == 429 and state.get("verdict") == "rate_limited":
            metrics.rate_limited.inc()
        result = state.get("result")
        if result is not None:
            metrics.verdict(result, state.get("sensitivity", "medium"))
        cache = state.get("cache")
        if cache is not None:
            metrics.cache.labels(cache).inc()
        if provider:
            seconds = state.get("upstream_seconds")
            if seconds is not None:
                metrics.upstream_seconds.labels(provider).observe(seconds)
            if state.get("upstream_failed"):
                metrics.upstream_errors.labels(provider).inc()

    def _event(self, scope: Scope, status: int, webhooks: Webhooks) -> None:
        state: Dict[str, Any] = scope["lockllm"]
        result = state.get("result")
        if status == 429 and state.get("verdict") == "rate_limited":
            kind = "rate_limited"
        elif result is not None and not result.safe and state.get("blocked", status == 400):
            kind = "blocked"  # proxy answers say so in a header; /v1/scan blocks with a 400
        elif state.get("policy_violation"):
            kind = "blocked"  # a custom rule of the request's policy (403)
        elif state.get("upstream_failed"):
            kind = "upstream_error"
        else:
            return
        route, provider = route_label(scope["path"], self.production.providers)
        webhooks.emit(
            make_event(
                kind,
                request_id=state.get("request_id"),
                route=route,
                provider=provider or None,
                model=state.get("model"),
                status=status,
                verdict=verdict_fields(result) if result is not None else None,
                key_id=self.production.client_id(scope),
                **({"policy": state["policy"]} if state.get("policy") else {}),
            )
        )

    async def _metrics(self, scope: Scope, send: Send, metrics: Metrics) -> None:
        rid = request_id(scope)
        if scope["method"] not in ("GET", "HEAD"):
            status, body, ctype = (
                405,
                _errors.dumps(
                    _errors.error_body(
                        "Method not allowed on /metrics",
                        "invalid_request_error",
                        "method_not_allowed",
                        rid,
                    )
                ),
                "application/json",
            )
        elif not metrics.allowed(scope.get("headers", [])):
            status, body, ctype = 401, _errors.dumps(_errors.unauthorized(rid)), "application/json"
        else:
            status = 200
            body, ctype = metrics.render()
        headers = [
            (b"content-type", ctype.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"x-request-id", rid.encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        payload = b"" if scope["method"] == "HEAD" else body
        await send({"type": "http.response.body", "body": payload, "more_body": False})

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
            _errors.rate_limited(
                f"Rate limit exceeded ({rate} per key); retry after {seconds.decode()} s", rid
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
