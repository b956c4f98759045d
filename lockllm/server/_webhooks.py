"""Signed webhooks for security events: ``blocked``, ``upstream_error``, ``rate_limited``.

An event is JSON metadata only — id, type, time, request id, route, provider, model, the
verdict's scores and categories, the client's key id — never a key and never prompt text.
Every delivery is signed (see ``_signature``) and carries ``X-LockLLM-Event-Id``, the
same on every retry, so a receiver can drop duplicates.

Requests never wait for a webhook: :meth:`Webhooks.emit` puts the event in a bounded
queue and returns; when the queue is full the event is dropped and counted. A few
delivery tasks (started on the first event) send each event to its hooks, retrying
network errors, 429 and 5xx answers with exponential backoff (0.5 s, 1 s, 2 s, with
jitter), four attempts in all; other answers are final. Redirects are not followed.

Hooks may ask for the Slack (``{"text": …}``) or Discord (``{"content": …}``) incoming-
webhook shape instead of the event JSON: one line with the same metadata.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from ..errors import ConfigurationError
from ._signature import SIGNATURE_HEADER, sign_webhook

__all__ = ["EVENTS", "FORMATS", "WebhookSpec", "Webhooks", "parse_webhooks"]

logger = logging.getLogger("lockllm.server")

EVENTS = ("blocked", "upstream_error", "rate_limited", "response_guard")
FORMATS = ("lockllm", "slack", "discord")
QUEUE_SIZE = 1000
SENDERS = 4
ATTEMPTS = 4
BACKOFF = 0.5
TIMEOUT = 5.0
SHUTDOWN_GRACE = 2.0


class WebhookSpec(NamedTuple):
    """One receiver: its URL, the events it wants, and for ``blocked`` a minimum score."""

    url: str
    events: Tuple[str, ...] = EVENTS
    min_injection_score: float = 0.0
    format: str = "lockllm"

    def wants(self, event: Mapping[str, Any]) -> bool:
        if event["type"] not in self.events:
            return False
        if event["type"] == "blocked":
            score = (event.get("verdict") or {}).get("injection") or 0.0
            return float(score) >= self.min_injection_score
        return True


def _url(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip().startswith(("http://", "https://")):
        raise ConfigurationError(f"{where}: a webhook URL must start with http:// or https://")
    return value.strip()


def parse_webhooks(urls: Optional[str], entries: Any, where: str) -> Tuple[WebhookSpec, ...]:
    """Hooks from ``LOCKLLM_SERVER_WEBHOOK_URLS`` (comma-separated; every event) and a
    ``webhooks`` config list of ``{"url", "events", "min_injection_score", "format"}``."""
    hooks: List[WebhookSpec] = []
    for url in (urls or "").split(","):
        if url.strip():
            hooks.append(WebhookSpec(_url(url, "LOCKLLM_SERVER_WEBHOOK_URLS")))
    if entries is None:
        return tuple(hooks)
    if not isinstance(entries, list):
        raise ConfigurationError(f"{where}: webhooks must be a list of objects")
    for index, entry in enumerate(entries):
        at = f"{where}: webhooks[{index}]"
        if not isinstance(entry, dict) or "url" not in entry:
            raise ConfigurationError(f"{at} must be an object with a 'url'")
        unknown = set(entry) - {"url", "events", "min_injection_score", "format"}
        if unknown:
            raise ConfigurationError(f"{at}: unknown key(s) {', '.join(sorted(unknown))}")
        events = entry.get("events", list(EVENTS))
        if not isinstance(events, list) or not events or set(events) - set(EVENTS):
            raise ConfigurationError(f"{at}: events must be a list from {', '.join(EVENTS)}")
        score = entry.get("min_injection_score", 0)
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 100:
            raise ConfigurationError(f"{at}: min_injection_score must be a number 0..100")
        form = entry.get("format", "lockllm")
        if form not in FORMATS:
            raise ConfigurationError(f"{at}: format must be one of {', '.join(FORMATS)}")
        hooks.append(WebhookSpec(_url(entry["url"], at), tuple(events), float(score), form))
    return tuple(hooks)


def make_event(kind: str, **fields: Any) -> Dict[str, Any]:
    """An event: ``id``, ``type``, ``time`` (UTC, ISO 8601) and the given metadata."""
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
    return {"id": f"evt_{uuid.uuid4().hex}", "type": kind, "time": stamp, **fields}


def verdict_fields(result: Any) -> Dict[str, Any]:
    """The scores of a verdict that an event may carry (no spans: they index the text)."""
    return {
        "safe": bool(result.safe),
        "label": result.label,
        "injection": result.injection,
        "confidence": result.confidence,
        "sensitivity": result.sensitivity,
        "categories": list(result.categories),
    }


def chat_line(event: Mapping[str, Any]) -> str:
    """One human-readable line for a chat webhook (Slack, Discord)."""
    verdict = event.get("verdict") or {}
    where = event.get("route", "")
    if event.get("provider"):
        model = f", {event['model']}" if event.get("model") else ""
        where = f"{where} ({event['provider']}{model})"
    text = f"LockLLM gateway: {event['type'].replace('_', ' ')} on {where}"
    if verdict.get("injection") is not None and event["type"] == "blocked":
        cats = ", ".join(verdict.get("categories") or []) or "none"
        text += f"; injection score {verdict['injection']}, categories: {cats}"
    return text + f"; request {event.get('request_id')}, key {event.get('key_id') or '-'}"


def _body(hook: WebhookSpec, event: Mapping[str, Any]) -> bytes:
    if hook.format == "slack":
        payload: Any = {"text": chat_line(event)}
    elif hook.format == "discord":
        payload = {"content": chat_line(event)}
    else:
        payload = event
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode("ascii")


class Webhooks:
    """The bounded queue and its delivery tasks."""

    def __init__(
        self,
        hooks: Sequence[WebhookSpec],
        secret: str,
        metrics: Any = None,
        *,
        queue_size: int = QUEUE_SIZE,
        backoff: float = BACKOFF,
    ) -> None:
        self.hooks = tuple(hooks)
        self._secret = secret
        self._metrics = metrics
        self._queue_size = queue_size
        self._backoff = backoff
        self._queue: Optional[asyncio.Queue[Dict[str, Any]]] = None
        self._tasks: List[asyncio.Task[None]] = []
        self._client: Any = None
        self.delivered = 0
        self.failed = 0
        self.dropped = 0

    def __repr__(self) -> str:
        return f"Webhooks(hooks={len(self.hooks)}, dropped={self.dropped})"

    def emit(self, event: Dict[str, Any]) -> None:
        """Queue ``event`` for delivery (never blocks; drops and counts when full)."""
        if not any(hook.wants(event) for hook in self.hooks):
            return
        if self._queue is None:
            self._queue = asyncio.Queue(self._queue_size)
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1
            if self._metrics is not None:
                self._metrics.webhooks_dropped.inc()
            return
        if not self._tasks:
            self._tasks = [asyncio.ensure_future(self._sender()) for _ in range(SENDERS)]

    async def _sender(self) -> None:
        assert self._queue is not None
        while True:
            event = await self._queue.get()
            try:
                for hook in self.hooks:
                    if hook.wants(event):
                        try:
                            await self._deliver(hook, event)
                        except Exception as exc:  # a sender must outlive any one event
                            self._count("failed")
                            logger.warning(
                                "webhook %s not delivered (%s)", event["id"], type(exc).__name__
                            )
            finally:
                self._queue.task_done()

    def _http(self) -> Any:
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(
                timeout=TIMEOUT, follow_redirects=False, trust_env=False
            )
        return self._client

    async def _deliver(self, hook: WebhookSpec, event: Mapping[str, Any]) -> bool:
        import httpx

        body = _body(hook, event)
        for attempt in range(ATTEMPTS):
            if attempt:
                delay = self._backoff * 2 ** (attempt - 1)
                await asyncio.sleep(delay * (0.8 + 0.4 * random.random()))
            headers = {
                "content-type": "application/json",
                "user-agent": "lockllm-gateway-webhooks",
                "x-lockllm-event": str(event["type"]),
                "x-lockllm-event-id": str(event["id"]),
                SIGNATURE_HEADER.lower(): sign_webhook(self._secret, body),
            }
            try:
                answer = await self._http().post(hook.url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                reason = type(exc).__name__
            else:
                if answer.status_code < 300:
                    self._count("delivered")
                    return True
                reason = f"status {answer.status_code}"
                if answer.status_code != 429 and answer.status_code < 500:
                    break  # the receiver refused it: another try would be refused too
        self._count("failed")
        logger.warning("webhook %s not delivered (%s)", event["id"], reason)
        return False

    def _count(self, result: str) -> None:
        if result == "delivered":
            self.delivered += 1
        else:
            self.failed += 1
        if self._metrics is not None:
            self._metrics.webhooks.labels(result).inc()

    async def aclose(self) -> None:
        """Let queued events go out for a moment, then stop."""
        if self._queue is not None and self._tasks:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._queue.join(), SHUTDOWN_GRACE)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None
