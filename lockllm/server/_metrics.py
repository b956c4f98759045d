"""Prometheus metrics of the gateway, served at ``GET /metrics`` (prometheus-client).

prometheus-client is imported when the first app with metrics is built, never by
``import lockllm``. In one process the metrics live in a registry of their own (so
several apps in one process, as in the tests, never mix). With ``--workers N`` the serve
command points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh temporary directory before the
workers start (and removes it when they stop); every worker then writes its samples
there and ``/metrics``, whichever worker answers it, adds them all up.

Labels are bounded: routes are a fixed list (a proxy route is named by a configured
provider, or ``other``), statuses are numbers, categories come from the engine.
"""

from __future__ import annotations

import hmac
import os
from typing import Any, Dict, Iterable, Optional, Tuple

__all__ = ["MULTIPROC_ENV", "Metrics", "route_label"]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
UPSTREAM_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_FIXED_ROUTES = ("/v1/scan", "/scan", "/healthz", "/metrics")
_PROXY = "/v1/proxy/"


def route_label(path: str, providers: Iterable[str]) -> Tuple[str, str]:
    """``(route, provider)`` for a request path; ``provider`` is ``""`` off the proxy."""
    if path in _FIXED_ROUTES:
        return path, ""
    if path.startswith(_PROXY) or path == _PROXY[:-1]:
        name = path[len(_PROXY) :].split("/", 1)[0]
        provider = name if name in providers else "other"
        return "/v1/proxy/{provider}", provider
    return "other", ""


class Metrics:
    """The gateway's counters and histograms, and the ``/metrics`` text."""

    def __init__(self, token: Optional[str] = None) -> None:
        import prometheus_client as prom

        self._prom = prom
        self.multiprocess = bool(os.environ.get(MULTIPROC_ENV))
        self.registry: Any = None if self.multiprocess else prom.CollectorRegistry()
        self._token = token.encode("utf-8") if token else None
        reg: Dict[str, Any] = {"registry": self.registry}
        self.requests = prom.Counter(
            "lockllm_requests",
            "Requests answered, by route, provider and status",
            ["route", "provider", "status"],
            **reg,
        )
        self.verdicts = prom.Counter(
            "lockllm_verdicts",
            "Scan verdicts (unsafe ones once per category)",
            ["verdict", "category", "sensitivity"],
            **reg,
        )
        self.scan_seconds = prom.Histogram(
            "lockllm_scan_seconds",
            "Time spent scanning (cache misses only)",
            buckets=LATENCY_BUCKETS,
            **reg,
        )
        self.upstream_seconds = prom.Histogram(
            "lockllm_upstream_seconds",
            "Time from sending to a provider to its response headers",
            ["provider"],
            buckets=UPSTREAM_BUCKETS,
            **reg,
        )
        self.upstream_errors = prom.Counter(
            "lockllm_upstream_errors",
            "Provider calls that failed (unreachable, timed out, dropped)",
            ["provider"],
            **reg,
        )
        self.rate_limited = prom.Counter(
            "lockllm_rate_limited", "Requests refused with 429 rate_limited", **reg
        )
        self.cache = prom.Counter(
            "lockllm_scan_cache", "Scan cache lookups, by result", ["result"], **reg
        )
        self.webhooks = prom.Counter(
            "lockllm_webhook_deliveries",
            "Webhook deliveries, by result (delivered, failed after retries)",
            ["result"],
            **reg,
        )
        self.webhooks_dropped = prom.Counter(
            "lockllm_webhook_dropped", "Webhook events dropped because the queue was full", **reg
        )
        self.redis_errors = prom.Counter(
            "lockllm_redis_errors",
            "Failed Redis calls (the gateway fell back to in-process state)",
            ["use"],
            **reg,
        )

    def verdict(self, result: Any, sensitivity: str) -> None:
        """Count one scan verdict."""
        if result.safe:
            self.verdicts.labels("safe", "none", sensitivity).inc()
            return
        for category in result.categories or ("unknown",):
            self.verdicts.labels("unsafe", category, sensitivity).inc()

    def allowed(self, headers: Iterable[Tuple[bytes, bytes]]) -> bool:
        """True when ``/metrics`` needs no token or the request brings it (constant time)."""
        if self._token is None:
            return True
        for name, value in headers:
            bearer = name.lower() == b"authorization" and value[:7].lower() == b"bearer "
            if bearer and hmac.compare_digest(value[7:].strip(), self._token):
                return True
        return False

    def redis_error(self, use: str) -> None:
        """Count a failed Redis call (``use``: what it was for)."""
        self.redis_errors.labels(use).inc()

    def render(self) -> Tuple[bytes, str]:
        """The exposition text and its content type."""
        prom = self._prom
        registry = self.registry
        if registry is None:
            from prometheus_client import multiprocess

            registry = prom.CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return prom.generate_latest(registry), prom.CONTENT_TYPE_LATEST
