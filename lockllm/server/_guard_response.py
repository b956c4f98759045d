"""The response guard of one proxied request: set up from its body, opened on the
provider's answer, reported in the log, the metrics and the webhooks.

:func:`prepare` reads the request body (already scanned and about to be forwarded): it
finds the shape of the answer to expect from the path (``_guard_shapes``), the system
prompts and the conversation, plants a canary when ``response_guard_canary`` is on (the
body forwarded changes then), and returns a :class:`ResponseGuard`, or ``None`` when the
guard is off or the path is not one it reads. The relay (``_upstream``) calls
:meth:`ResponseGuard.open` with the answer's status and headers: a 2xx answer in JSON or
SSE gets a ``BodyGuard`` or ``StreamGuard``, and a Gemini ``:streamGenerateContent``
answer in JSON without a ``Content-Length`` (an array streamed in pieces) an
``ArrayStreamGuard``; anything else is relayed unread. A compressed
answer cannot be read: it is blocked in ``redact`` / ``block`` modes and relayed (and
reported) in ``audit``; the gateway asks providers for uncompressed answers whenever the
guard is on.

Reports carry the kinds of findings, entity types and actions: never the text, never the
URL or host.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Mapping, Optional, Tuple

from . import _errors
from ._context import REQUEST
from ._guard import Finding, GuardContext
from ._guard_array import ArrayStreamGuard
from ._guard_offload import OffloadedReader, ReadAhead
from ._guard_shapes import plant_canary, shape_of, system_texts
from ._guard_stream import (
    BLOCKED_CODE,
    BLOCKED_TYPE,
    BodyGuard,
    Policy,
    RawHeaders,
    StreamGuard,
    json_headers,
)

__all__ = ["ResponseGuard", "prepare"]

logger = logging.getLogger("lockllm.server")

PII_ACTIONS = ("strip", "block", "allow_with_warning")
_COUNTERS: Dict[int, Any] = {}


class _Unreadable:
    """A compressed answer under a guard that may block: held, then refused."""

    head_held = True

    def __init__(self, guard: ResponseGuard) -> None:
        self.guard = guard

    def feed(self, chunk: bytes) -> Tuple[bytes, bool]:
        return b"", False

    def close(
        self, status: int, headers: RawHeaders
    ) -> Tuple[Optional[Tuple[int, RawHeaders]], bytes]:
        finding = Finding("unreadable", "compressed", 0, 0)
        self.guard.report([(finding, "block")])
        payload = _errors.error_body(
            "The response was blocked by the LockLLM response guard (unreadable: compressed)",
            BLOCKED_TYPE,
            BLOCKED_CODE,
            self.guard.request_id,
            findings=["unreadable"],
        )
        out = _errors.dumps(payload)
        return (403, json_headers(headers, len(out))), out


class ResponseGuard:
    """The guard of one request's answer."""

    def __init__(
        self,
        shape: str,
        context: GuardContext,
        policy: Policy,
        request_id: str,
        provider: str,
        production: Any = None,
        array_stream: bool = False,
    ) -> None:
        self.shape = shape
        self.array_stream = array_stream
        """A Gemini ``:streamGenerateContent`` answer: without ``alt=sse`` a JSON array
        streamed in pieces."""
        self.context = context
        self.policy = policy
        self.request_id = request_id
        self.provider = provider
        self.production = production
        self.findings: List[Tuple[str, str, str]] = []
        """``(kind, detail, action)`` of everything found so far (no text)."""
        self.reader: Any = None
        """The reader :meth:`open` returned (``None``: the answer is not read)."""
        self.opened: Tuple[int, RawHeaders] = (0, [])
        """The status and headers :meth:`open` was given (the reader closes with them)."""
        self._deferred: Optional[List[List[Tuple[Finding, str]]]] = None

    def upstream(self, response: Any) -> Any:
        """The provider's ``response`` as the relay should read it: the guard's large
        steps run in a worker thread before each chunk reaches the relay
        (``_guard_offload``)."""
        return ReadAhead(response, self)

    def open(self, status: int, headers: RawHeaders) -> Any:
        """The reader for an answer with this status and these headers (``None``: unread)."""
        self.opened = (status, headers)
        self.reader = self._reader(status, headers)
        return self.reader

    def _reader(self, status: int, headers: RawHeaders) -> Any:
        if not 200 <= status < 300:
            return None
        values = dict(headers)
        encoding = values.get(b"content-encoding", b"").strip().lower()
        ctype = values.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
        if ctype == b"text/event-stream":
            reader: Any = StreamGuard
        elif ctype == b"application/json" or ctype.endswith(b"+json"):
            # A JSON array streamed (no length) is read object by object; a sized answer
            # is read whole (it can still be refused with a 403).
            streamed = self.array_stream and b"content-length" not in values
            reader = ArrayStreamGuard if streamed else BodyGuard
        else:
            return None
        if encoding not in (b"", b"identity"):
            if self.policy.holds:
                return _Unreadable(self)
            self.report([(Finding("unreadable", "compressed", 0, 0), "audit")])
            return None
        opened = reader(self.shape, self.context, self.policy, self.report, self.request_id)
        return OffloadedReader(opened, self._deferring)

    def _deferring(self) -> Any:
        """Hold the findings reported from now on (by a step read in a worker thread);
        the function that announces them, to call on the loop when the step ends."""
        held: List[List[Tuple[Finding, str]]] = []
        self._deferred = held

        def announce() -> None:
            if self._deferred is held:
                self._deferred = None
            for results in held:
                self._announce(results)
            held.clear()

        return announce

    def report(self, results: List[Tuple[Finding, str]]) -> None:
        """Log, count and announce findings (kinds and actions only); held while a step
        runs in a worker thread, and announced on the loop when it ends."""
        if self._deferred is not None:
            self._deferred.append(results)
            return
        self._announce(results)

    def _announce(self, results: List[Tuple[Finding, str]]) -> None:
        for finding, action in results:
            detail = finding.detail if finding.kind in ("pii", "secret", "unreadable") else ""
            self.findings.append((finding.kind, detail, action))
        kinds = sorted({f"{f.kind}:{a}" for f, a in results})
        logger.warning(
            "response guard: %s in the %s answer to request %s",
            ", ".join(kinds),
            self.provider,
            self.request_id,
        )
        state = REQUEST.get()
        if state is not None:
            state["response_guard"] = kinds
        production = self.production
        if production is None:
            return
        metrics = getattr(production, "metrics", None)
        if metrics is not None:
            counter = _counter(metrics)
            for finding, action in results:
                counter.labels(finding.kind, action).inc()
        webhooks = getattr(production, "webhooks", None)
        if webhooks is not None:
            from ._webhooks import make_event

            webhooks.emit(
                make_event(
                    "response_guard",
                    request_id=self.request_id,
                    provider=self.provider,
                    findings=[
                        {"kind": f.kind, "action": a}
                        | ({"type": f.detail} if f.kind in ("pii", "secret") else {})
                        for f, a in results
                    ],
                )
            )


def _counter(metrics: Any) -> Any:
    counter = _COUNTERS.get(id(metrics))
    if counter is None:
        counter = metrics._prom.Counter(
            "lockllm_response_findings",
            "Response guard findings, by kind and action",
            ["kind", "action"],
            registry=metrics.registry,
        )
        _COUNTERS[id(metrics)] = counter
    return counter


def prepare(
    settings: Any,
    headers: Mapping[str, str],
    body: bytes,
    path: str,
    provider: str,
    request_id: str,
    production: Any = None,
) -> Tuple[bytes, Optional[ResponseGuard]]:
    """The body to forward and the guard of its answer (``None``: not guarded)."""
    mode = getattr(settings, "response_guard", "audit")
    shape = shape_of(path)
    if mode == "off" or shape is None:
        return body, None
    try:
        parsed = json.loads(body) if body.strip() else None
    except (ValueError, RecursionError):
        parsed = None
    system = system_texts(shape, parsed)  # before a canary joins them
    canary: Optional[str] = None
    if getattr(settings, "response_guard_canary", False) and parsed is not None:
        canary = plant_canary(shape, parsed)
        if canary is not None:
            body = json.dumps(parsed, ensure_ascii=False, separators=(",", ":")).encode()
    pii = (headers.get("x-lockllm-pii-action") or "").strip().lower() or getattr(
        settings, "pii_action", None
    )
    context = GuardContext(
        system,
        parsed,
        canary=canary,
        allow_hosts=getattr(settings, "response_guard_allow_hosts", ()),
        pii=pii if pii in PII_ACTIONS else None,
    )
    policy = Policy(mode, context.pii, getattr(settings, "response_guard_window", 400))
    streamed = path.split("?", 1)[0].rstrip("/").endswith(":streamGenerateContent")
    return body, ResponseGuard(
        shape, context, policy, request_id, provider, production, array_stream=streamed
    )
