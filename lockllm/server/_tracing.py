"""OpenTelemetry in the gateway (``lockllm._otel``): a span per request, with child spans
for the scan, the upstream call and the response guard, and metrics beside Prometheus.

:class:`TracingLayer` is the outermost ASGI wrapper. It continues a trace the client sent
(W3C ``traceparent``), names the request's span ``METHOD route`` (``POST
/v1/proxy/{provider}``: the route, never the raw path, which could hold a key) with the
HTTP semantic-convention attributes (``http.request.method``, ``http.route``,
``url.scheme``, ``http.response.status_code``, ``network.protocol.version``,
``error.type`` for 5xx) and the gateway's own: ``lockllm.request_id``,
``lockllm.policy``, ``lockllm.verdict``, ``lockllm.blocked``, ``lockllm.cache``,
``lockllm.response_guard`` (the findings' kinds and actions). The response guard's span
covers the relay of a guarded answer, from its first byte to its last.

:func:`scan_span` (used by the scan cache) and :func:`upstream_span` (around the provider
call, with the generative-AI conventions: ``gen_ai.operation.name``,
``gen_ai.provider.name``, ``gen_ai.system``, ``gen_ai.request.model``, plus
``server.address`` / ``server.port`` and the upstream's status) are the children.

Everything is a no-op without OpenTelemetry installed; :func:`add_tracing` sets up the
exporters from the ``OTEL_*`` variables (``lockllm._otel.configure_from_env``).
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple
from urllib.parse import urlsplit

from .. import _otel
from .._version import __version__
from ._metrics import route_label

__all__ = ["TracingLayer", "add_tracing", "guarded", "scan_span", "upstream_span"]

_OPERATIONS = (
    ("chat/completions", "chat"),
    ("/messages", "chat"),
    ("generatecontent", "chat"),
    ("/chat", "chat"),
    ("/responses", "chat"),
    ("/completions", "text_completion"),
    ("embed", "embeddings"),
)


def add_tracing(app: Any, providers: Iterable[str]) -> bool:
    """Wrap ``app`` in :class:`TracingLayer` (outermost), after setting the exporters up
    from the environment; False (and nothing added) without OpenTelemetry."""
    if not _otel.available():
        return False
    _otel.configure_from_env(default_service="lockllm-gateway")
    app.add_middleware(TracingLayer, providers=tuple(providers))
    return True


@contextlib.contextmanager
def scan_span(sensitivity: str) -> Iterator[Any]:
    """The gateway's scan of one request (``lockllm.gateway.scan``)."""
    with _otel.span("lockllm.gateway.scan", "internal", {"lockllm.sensitivity": sensitivity}) as s:
        yield s


def record_gateway_scan(current: Any, value: Any, cache: Optional[str]) -> None:
    """The verdict found in a scan's value, and whether the cache answered it."""
    if current is None:
        return
    from ._production import find_verdict

    current.set_attributes(_otel.verdict_attributes(find_verdict(value)))
    if cache is not None:
        current.set_attribute("lockllm.cache", cache)
    hits = value[-1] if isinstance(value, tuple) and value and value[0] == "ok" else None
    if isinstance(hits, tuple) and hits and all(isinstance(h, tuple) for h in hits):
        current.set_attribute("lockllm.policy_rule_ids", sorted({str(h[0]) for h in hits}))


def _operation(path: str) -> str:
    lowered = path.lower()
    for fragment, name in _OPERATIONS:
        if fragment in lowered:
            return name
    return "chat"


@contextlib.contextmanager
def upstream_span(
    method: str, url: str, provider: str, model: str, path: str
) -> Iterator[Optional[Any]]:
    """The provider call: ``{operation} {model}``, kind CLIENT."""
    if not _otel.active():
        yield None
        return
    operation = _operation(path)
    parts = urlsplit(url)
    attributes: Dict[str, Any] = {
        "gen_ai.operation.name": operation,
        "gen_ai.provider.name": provider,
        "gen_ai.system": provider,
        "http.request.method": method,
        "lockllm.provider": provider,
    }
    if model:
        attributes["gen_ai.request.model"] = model
    if parts.hostname:
        attributes["server.address"] = parts.hostname
        attributes["server.port"] = parts.port or (443 if parts.scheme == "https" else 80)
    name = f"{operation} {model}" if model else operation
    with _otel.span(name, "client", attributes) as current:
        yield current


def guarded(scope: Any, guard: Any) -> None:
    """Note that this request's answer is read by the response guard (its mode)."""
    if guard is not None:
        state = scope.setdefault("lockllm", {})
        state["response_guard_mode"] = str(getattr(getattr(guard, "policy", None), "mode", "on"))


class TracingLayer:
    """Pure ASGI wrapper: one SERVER span per HTTP request, and the request metrics."""

    def __init__(self, app: Any, providers: Tuple[str, ...] = ()) -> None:
        self.app = app
        self.providers = frozenset(providers)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not _otel.active():
            await self.app(scope, receive, send)
            return
        from opentelemetry import propagate, trace
        from opentelemetry.trace import SpanKind, Status, StatusCode

        carrier = {
            k.decode("latin-1").lower(): v.decode("latin-1")
            for k, v in scope.get("headers", ())
            if k.lower() in (b"traceparent", b"tracestate", b"baggage")
        }
        route, provider = route_label(scope["path"], self.providers)
        method = str(scope.get("method", "GET"))
        attributes: Dict[str, Any] = {
            "http.request.method": method,
            "http.route": route,
            "url.scheme": str(scope.get("scheme", "http")),
            "network.protocol.version": str(scope.get("http_version", "1.1")),
        }
        if provider:
            attributes["lockllm.provider"] = provider
        server = scope.get("server")
        if server and server[0]:
            attributes["server.address"] = str(server[0])
            if server[1]:
                attributes["server.port"] = int(server[1])
        tracer = trace.get_tracer("lockllm", __version__)
        started = time.perf_counter()
        status = 500
        guard: List[Any] = []  # the response guard's span while the answer is relayed

        async def watch(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                mode = scope.get("lockllm", {}).get("response_guard_mode")
                if mode is not None and 200 <= status < 300:
                    guard.append(
                        tracer.start_span(
                            "lockllm.response_guard",
                            attributes={"lockllm.response_guard.mode": mode},
                        )
                    )
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                _end_guard(guard, scope)

        with tracer.start_as_current_span(
            f"{method} {route}",
            context=propagate.extract(carrier),
            kind=SpanKind.SERVER,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as current:
            try:
                await self.app(scope, receive, watch)
            finally:
                _end_guard(guard, scope)
                state = scope.get("lockllm", {})
                current.set_attribute("http.response.status_code", status)
                extra = _state_attributes(state)
                current.set_attributes(extra)
                if status >= 500:
                    current.set_attribute("error.type", str(status))
                    current.set_status(Status(StatusCode.ERROR))
                labels = {
                    "http.request.method": method,
                    "http.route": route,
                    "http.response.status_code": status,
                }
                if "lockllm.policy" in extra:
                    labels["lockllm.policy"] = extra["lockllm.policy"]
                found = _otel.instruments()
                found["server_duration"].record(time.perf_counter() - started, labels)
                verdict = extra.get("lockllm.verdict", "unscanned")
                found["requests"].add(1, {**labels, "lockllm.verdict": verdict})


def _end_guard(guard: List[Any], scope: Any) -> None:
    if not guard:
        return
    current = guard.pop()
    kinds = scope.get("lockllm", {}).get("response_guard")
    current.set_attribute("lockllm.response_guard.findings", list(kinds or ()))
    current.end()


def _state_attributes(state: Dict[str, Any]) -> Dict[str, Any]:
    found: Dict[str, Any] = {}
    for key, name in (
        ("request_id", "lockllm.request_id"),
        ("policy", "lockllm.policy"),
        ("cache", "lockllm.cache"),
        ("sensitivity", "lockllm.sensitivity"),
    ):
        value = state.get(key)
        if isinstance(value, str) and value:
            found[name] = value
    verdict = state.get("verdict")
    if isinstance(verdict, str):
        found["lockllm.verdict"] = {"flagged": "unsafe"}.get(verdict, verdict)
    if "blocked" in state:
        found["lockllm.blocked"] = bool(state["blocked"])
    if state.get("policy_violation"):
        found["lockllm.policy_violation"] = True
    if state.get("response_guard"):
        found["lockllm.response_guard"] = [str(k) for k in state["response_guard"]]
    return found
