"""OpenTelemetry for lockllm: spans and metrics through the OpenTelemetry API, when it is
installed (the ``otel`` extra); a no-op when it is not.

Nothing here imports OpenTelemetry until the first span or metric is asked for, so
``import lockllm`` stays light. Spans and instruments go to the global providers: an
application that set up OpenTelemetry gets lockllm's spans in its traces. ``lockllm
serve`` is an application itself, and sets the providers up from the standard ``OTEL_*``
environment variables (:func:`configure_from_env`: OTLP over HTTP to a collector).

What is recorded (never prompt text, never a key):

- a span per scan: ``lockllm.scan`` (``LockLLM`` / ``AsyncLockLLM``, kind CLIENT, with
  ``server.address``, ``server.port``, ``http.request.method``, ``url.full`` and, on an
  error, ``http.response.status_code`` and ``error.type``) and ``lockllm.local_scan``
  (``LocalScanner``); both carry the verdict: ``lockllm.verdict`` (``safe`` /
  ``unsafe``), ``lockllm.injection_score``, ``lockllm.confidence``, ``lockllm.label``,
  ``lockllm.sensitivity``, ``lockllm.source``, ``lockllm.categories``,
  ``lockllm.rule_ids`` and the character offsets of the evidence
  (``lockllm.span_starts`` / ``lockllm.span_ends``), the input's length
  (``lockllm.input_chars``);
- metrics: ``lockllm.scans`` (a counter by verdict and source) and
  ``lockllm.scan.duration`` (seconds); the gateway adds its own (``server/_tracing``).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import time
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Tuple, TypeVar, cast
from urllib.parse import urlsplit

from ._version import __version__

__all__ = [
    "active",
    "available",
    "configure_from_env",
    "instruments",
    "record_scan",
    "span",
    "traced_client_scan",
    "traced_local_scan",
    "verdict_attributes",
]

_F = TypeVar("_F", bound=Callable[..., Any])
_available: Optional[bool] = None
_instruments: Optional[Dict[str, Any]] = None
_modules: Optional[Tuple[Any, Any]] = None
MAX_SPANS = 32
"""Evidence offsets recorded per verdict (the engine keeps at most this many)."""


def available() -> bool:
    """True when the OpenTelemetry API can be imported (checked once)."""
    global _available
    if _available is None:
        try:
            import opentelemetry.metrics
            import opentelemetry.trace  # noqa: F401
        except ImportError:
            _available = False
        else:
            _available = True
    return _available


def active() -> bool:
    """True when OpenTelemetry is installed and an application (or
    :func:`configure_from_env`) set a tracer or meter provider: without one, spans and
    metrics would go nowhere, so lockllm skips them (a scan then pays about a microsecond:
    two module attributes are read, not the environment)."""
    global _modules
    if _modules is None:
        if not available():
            return False
        from opentelemetry import metrics, trace
        from opentelemetry.metrics import _internal as metrics_state

        trace.get_tracer_provider()  # a provider named by OTEL_PYTHON_*_PROVIDER loads now
        metrics.get_meter_provider()
        _modules = (trace, metrics_state)
    elif not _available:
        return False
    trace_module, metrics_module = _modules
    return (
        getattr(trace_module, "_TRACER_PROVIDER", True) is not None
        or getattr(metrics_module, "_METER_PROVIDER", True) is not None
    )


def _tracer() -> Any:
    from opentelemetry import trace

    return trace.get_tracer("lockllm", __version__)


def instruments() -> Dict[str, Any]:
    """lockllm's OpenTelemetry instruments (made once, on the global meter provider)."""
    global _instruments
    if _instruments is None:
        from opentelemetry import metrics

        meter = metrics.get_meter("lockllm", __version__)
        _instruments = {
            "scans": meter.create_counter(
                "lockllm.scans", unit="{scan}", description="Scans, by verdict and source"
            ),
            "scan_duration": meter.create_histogram(
                "lockllm.scan.duration", unit="s", description="Time a scan took"
            ),
            "requests": meter.create_counter(
                "lockllm.gateway.requests",
                unit="{request}",
                description="Gateway requests, by route, status, verdict and policy",
            ),
            "server_duration": meter.create_histogram(
                "http.server.request.duration",
                unit="s",
                description="Duration of HTTP server requests",
            ),
        }
    return _instruments


_KINDS = {"internal": "INTERNAL", "client": "CLIENT", "server": "SERVER"}


@contextlib.contextmanager
def span(
    name: str,
    kind: str = "internal",
    attributes: Optional[Mapping[str, Any]] = None,
    context: Any = None,
) -> Iterator[Any]:
    """A span made current for the ``with`` block (``None`` without OpenTelemetry).

    An exception leaving the block sets ``error.type`` (its class name) and an error status;
    its message is never recorded (it might quote an input).
    """
    if not active():
        yield None
        return
    from opentelemetry.trace import SpanKind, Status, StatusCode

    with _tracer().start_as_current_span(
        name,
        context=context,
        kind=getattr(SpanKind, _KINDS[kind]),
        attributes=dict(attributes or {}),
        record_exception=False,
        set_status_on_exception=False,
    ) as current:
        try:
            yield current
        except BaseException as exc:
            current.set_attribute("error.type", _error_type(exc))
            status = getattr(exc, "status", None)
            if isinstance(status, int) and status > 0:
                current.set_attribute("http.response.status_code", status)
            current.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise


def _error_type(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    return code if isinstance(code, str) and code else type(exc).__qualname__


def verdict_attributes(result: Any) -> Dict[str, Any]:
    """The attributes of a verdict (a ``ScanResponse``): scores, categories, rule ids and
    offsets, never text."""
    if result is None or not hasattr(result, "safe"):
        return {}
    found: Dict[str, Any] = {
        "lockllm.verdict": "safe" if result.safe else "unsafe",
        "lockllm.label": int(result.label),
        "lockllm.sensitivity": str(result.sensitivity),
        "lockllm.source": str(getattr(result, "source", "api")),
    }
    for name, value in (("injection_score", result.injection), ("confidence", result.confidence)):
        if value is not None:
            found[f"lockllm.{name}"] = float(value)
    request_id = getattr(result, "request_id", None)
    if request_id:
        found["lockllm.request_id"] = str(request_id)
    categories = tuple(getattr(result, "categories", ()) or ())
    if categories:
        found["lockllm.categories"] = [str(c) for c in categories]
    spans = tuple(getattr(result, "spans", ()) or ())[:MAX_SPANS]
    if spans:
        found["lockllm.rule_ids"] = sorted({str(s.rule) for s in spans if getattr(s, "rule", "")})
        found["lockllm.span_starts"] = [int(s.start) for s in spans]
        found["lockllm.span_ends"] = [int(s.end) for s in spans]
    warnings = tuple(getattr(result, "policy_warnings", ()) or ())
    if warnings:
        found["lockllm.policy_violations"] = sorted({str(w.policy_name) for w in warnings})
    return found


def record_scan(current: Any, result: Any, started: float) -> None:
    """Put ``result``'s verdict on the span ``current`` and count it in the metrics."""
    attributes = verdict_attributes(result)
    if current is not None and attributes:
        current.set_attributes(attributes)
    if not active():
        return
    labels = {
        "lockllm.verdict": attributes.get("lockllm.verdict", "error"),
        "lockllm.source": attributes.get("lockllm.source", "unknown"),
    }
    found = instruments()
    found["scans"].add(1, labels)
    found["scan_duration"].record(time.perf_counter() - started, labels)


def _client_attributes(client: Any) -> Dict[str, Any]:
    base = str(getattr(getattr(client, "config", None), "base_url", "") or "")
    parts = urlsplit(base)
    attributes: Dict[str, Any] = {"http.request.method": "POST"}
    if parts.hostname:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        attributes["server.address"] = parts.hostname
        attributes["server.port"] = port
        # No user info, query or fragment: a base URL could carry credentials there.
        path = parts.path.rstrip("/")
        attributes["url.full"] = f"{parts.scheme}://{parts.hostname}:{port}{path}/v1/scan"
    return attributes


def _parsed(result: Any) -> Any:
    if hasattr(result, "safe"):
        return result
    parse = getattr(result, "parse", None)  # a RawResponse
    return parse() if callable(parse) else None


def traced_client_scan(function: _F) -> _F:
    """Wrap a client's scan loop (``_run(self, input, sensitivity, options, raw)``, sync or
    async) in a ``lockllm.scan`` span."""

    @contextlib.contextmanager
    def scope(client: Any, sensitivity: Any) -> Iterator[Callable[[Any], None]]:
        started = time.perf_counter()
        attributes = _client_attributes(client)
        if isinstance(sensitivity, str):
            attributes["lockllm.sensitivity"] = sensitivity
        with span("lockllm.scan", "client", attributes) as current:
            yield lambda result: record_scan(current, _parsed(result), started)

    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def run_async(self: Any, input: Any, sensitivity: Any, *rest: Any) -> Any:
            if not active():
                return await function(self, input, sensitivity, *rest)
            with scope(self, sensitivity) as done:
                result = await function(self, input, sensitivity, *rest)
                done(result)
                return result

        return cast(_F, run_async)

    @functools.wraps(function)
    def run(self: Any, input: Any, sensitivity: Any, *rest: Any) -> Any:
        if not active():
            return function(self, input, sensitivity, *rest)
        with scope(self, sensitivity) as done:
            result = function(self, input, sensitivity, *rest)
            done(result)
            return result

    return cast(_F, run)


def traced_local_scan(function: _F) -> _F:
    """Wrap ``LocalScanner.scan`` / ``scan_messages`` in a ``lockllm.local_scan`` span."""

    @functools.wraps(function)
    def run(self: Any, input: Any, *rest: Any, **options: Any) -> Any:
        if not active():
            return function(self, input, *rest, **options)
        started = time.perf_counter()
        attributes: Dict[str, Any] = {"lockllm.source": "local"}
        if isinstance(input, str):
            attributes["lockllm.input_chars"] = len(input)
        elif isinstance(input, (list, tuple)):
            attributes["lockllm.messages"] = len(input)
        with span("lockllm.local_scan", "internal", attributes) as current:
            result = function(self, input, *rest, **options)
            record_scan(current, result, started)
            return result

    return cast(_F, run)


_TRUE = ("true", "1", "yes", "on")


def configure_from_env(
    environ: Optional[Mapping[str, str]] = None, default_service: str = "lockllm"
) -> bool:
    """Set the global tracer and meter providers up from the ``OTEL_*`` variables: OTLP
    over HTTP (``OTEL_EXPORTER_OTLP_ENDPOINT`` and the rest, read by the exporters), the
    resource from ``OTEL_SERVICE_NAME`` / ``OTEL_RESOURCE_ATTRIBUTES``.

    Done only when the SDK and the OTLP exporter are installed, ``OTEL_SDK_DISABLED`` is not
    true, the variables ask for an exporter (an OTLP endpoint, or ``OTEL_TRACES_EXPORTER``
    / ``OTEL_METRICS_EXPORTER`` = ``otlp``), and the application has not set providers of
    its own. True when it set anything up.
    """
    env = os.environ if environ is None else environ
    if not available() or env.get("OTEL_SDK_DISABLED", "").strip().lower() in _TRUE:
        return False
    endpoint = any(
        env.get(name, "").strip()
        for name in (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
        )
    )

    def wanted(name: str) -> bool:
        chosen = env.get(name, "").strip().lower()
        return chosen == "otlp" or (not chosen and endpoint)

    if not wanted("OTEL_TRACES_EXPORTER") and not wanted("OTEL_METRICS_EXPORTER"):
        return False
    try:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        return False
    from opentelemetry import metrics, trace

    service = {} if env.get("OTEL_SERVICE_NAME") else {"service.name": default_service}
    resource = Resource.create({**service, "service.version": __version__})
    done = False
    if wanted("OTEL_TRACES_EXPORTER") and isinstance(
        trace.get_tracer_provider(), trace.ProxyTracerProvider
    ):
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        done = True
    if wanted("OTEL_METRICS_EXPORTER") and type(metrics.get_meter_provider()).__name__ == (
        "_ProxyMeterProvider"
    ):
        reader = PeriodicExportingMetricReader(OTLPMetricExporter())
        metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[reader]))
        done = True
    return done
