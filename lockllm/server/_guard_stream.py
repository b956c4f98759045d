"""The response guard on the relay: a streamed (SSE) answer read event by event, a sized
answer read whole; findings audited, redacted in place or turned into a block.

:class:`StreamGuard` reads an SSE stream. Its text pieces are followed per channel (one
choice's text, one tool call's arguments); each new piece is checked together with the
last ``window`` characters of its channel, so a match split across chunks or events is
found. In ``audit`` mode every chunk goes on at once, unchanged. When a finding may be
redacted or blocked, events are held back until ``window`` more characters of each of
their channels have arrived (or the stream ends), so a match of up to ``window``
characters is found before any of it is sent; events without text go on as soon as
nothing is held before them. A redacted event is re-serialised; every other event keeps
its exact bytes. A block ends the stream with the provider's error event
(``_guard_shapes.error_event``); a finding that can no longer be redacted (its start
already sent, a tool call's arguments, a canary) blocks.

:class:`BodyGuard` reads a JSON answer whole (held in ``redact`` / ``block`` modes, read
on the side in ``audit``): redacted, answered 403 ``response_blocked``, or relayed as is.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _errors
from ._guard import Finding, GuardContext
from ._guard_shapes import Slot, error_event, slots
from ._sse import SSESplitter, parse_event

__all__ = ["BodyGuard", "Policy", "StreamGuard", "MAX_BODY", "MAX_HELD", "json_headers"]

RawHeaders = List[Tuple[bytes, bytes]]
Report = Callable[[List[Tuple[Finding, str]]], None]

MAX_BODY = 16 * 1024 * 1024
"""A JSON answer larger than this is not read (relayed in audit mode, blocked otherwise)."""
MAX_HELD = 256 * 1024
"""Bytes of events held back at most; past it the oldest go on (a later finding in them
can then only block)."""
MAX_EVENT = 4 * 1024 * 1024
"""An SSE event larger than this is not read (relayed in audit mode, blocked otherwise)."""

BLOCKED_TYPE = "lockllm_response_error"
BLOCKED_CODE = "response_blocked"
_PII_ACTIONS = {"strip": "redact", "block": "block", "allow_with_warning": "audit"}
_LABELS = {"prompt_leak": "[REDACTED_SYSTEM_PROMPT]", "exfiltration": "[REDACTED_URL]"}


class Policy:
    """What each finding leads to: the guard's ``mode`` for leaks and exfiltration, the
    request's PII action for secrets and PII."""

    def __init__(self, mode: str, pii_action: Optional[str], window: int) -> None:
        self.mode = mode
        self.pii_action = pii_action
        self.window = window
        self.holds = mode in ("redact", "block") or pii_action in ("strip", "block")

    def action(self, finding: Finding, tool: bool) -> str:
        if finding.kind in ("pii", "secret") and self.pii_action is not None:
            action = _PII_ACTIONS.get(self.pii_action, "audit")
        else:
            action = self.mode
        if action == "redact" and (tool or finding.kind == "canary_leak"):
            return "block"  # arguments a program will run are not rewritten; no canary span
        return action


def label(finding: Finding) -> str:
    """The placeholder a redacted finding is replaced with."""
    return _LABELS.get(finding.kind) or "[" + finding.detail.upper()[:40] + "]"


def redact_text(text: str, found: List[Finding]) -> str:
    """``text`` with each finding's span replaced by its placeholder."""
    out: List[str] = []
    pos = 0
    for finding in sorted(found, key=lambda f: f.start):
        if finding.end <= pos:
            continue
        out.append(text[pos : max(pos, finding.start)])
        if finding.start >= pos:
            out.append(label(finding))
        pos = finding.end
    out.append(text[pos:])
    return "".join(out)


def _check_full(
    context: GuardContext, policy: Policy, found: List[Slot]
) -> Tuple[List[Tuple[Finding, str]], bool]:
    """Findings of whole texts, redacting in place; and whether anything was redacted."""
    results: List[Tuple[Finding, str]] = []
    changed = False
    for slot in found:
        text = slot.holder[slot.key]
        hits = context.find(text, slot.tool)
        if not hits:
            continue
        acted = [(f, policy.action(f, slot.tool)) for f in hits]
        results += acted
        redact = [f for f, a in acted if a == "redact"]
        if redact:
            slot.holder[slot.key] = redact_text(text, redact)
            changed = True
    return results, changed


def _discard(results: List[Tuple[Finding, str]]) -> None:
    return None


def _blocked_message(results: List[Tuple[Finding, str]]) -> Tuple[str, List[str]]:
    kinds = sorted({f.kind for f, a in results if a == "block"} or {"unreadable"})
    return "The response was blocked by the LockLLM response guard (" + ", ".join(
        kinds
    ) + ")", kinds


class _Guard:
    """What both guards hold: the answer's shape, the request's context, the policy, where
    findings are reported, and the request id."""

    def __init__(
        self, shape: str, context: GuardContext, policy: Policy, report: Report, request_id: str
    ) -> None:
        self.shape = shape
        self.context = context
        self.policy = policy
        self.report = report
        self.request_id = request_id


class BodyGuard(_Guard):
    """A sized (non-streamed) JSON answer."""

    def __init__(
        self, shape: str, context: GuardContext, policy: Policy, report: Report, request_id: str
    ) -> None:
        super().__init__(shape, context, policy, report, request_id)
        self.parts: List[bytes] = []
        self.size = 0
        self.holds = policy.holds
        self.head_held = policy.holds

    def feed(self, chunk: bytes) -> Tuple[bytes, bool]:
        self.size += len(chunk)
        if self.size <= MAX_BODY:
            self.parts.append(chunk)
        return (b"" if self.holds else chunk), False

    def close(
        self, status: int, headers: RawHeaders
    ) -> Tuple[Optional[Tuple[int, RawHeaders]], bytes]:
        """The head (when held) and the rest of the body to send."""
        body = b"".join(self.parts)
        self.parts = []
        results: List[Tuple[Finding, str]] = []
        changed = False
        if self.size > MAX_BODY:
            if self.holds:
                results = [(Finding("unreadable", "too_large", 0, 0), "block")]
        else:
            try:
                parsed = json.loads(body)
            except (ValueError, RecursionError):
                parsed = None
            if isinstance(parsed, list) and self.shape == "gemini":
                # streamGenerateContent without alt=sse: a JSON array of stream pieces,
                # read as the stream it is (a match may span pieces).
                results, items = StreamGuard(
                    self.shape, self.context, self.policy, _discard, self.request_id
                ).read_items(parsed)
                changed, parsed = items != parsed, items
            elif parsed is not None:
                results, changed = _check_full(
                    self.context, self.policy, slots(self.shape, parsed, False)
                )
        if results:
            self.report(results)
        if not self.holds:
            return None, b""
        if any(a == "block" for _, a in results):
            message, kinds = _blocked_message(results)
            payload = _errors.error_body(
                message, BLOCKED_TYPE, BLOCKED_CODE, self.request_id, findings=kinds
            )
            out = _errors.dumps(payload)
            return (403, json_headers(headers, len(out))), out
        if changed:
            out = json.dumps(parsed, ensure_ascii=False, separators=(",", ":")).encode()
            return (status, _sized(headers, len(out))), out
        return (status, headers), body


def _sized(headers: RawHeaders, length: int) -> RawHeaders:
    kept = [(k, v) for k, v in headers if k != b"content-length"]
    return [*kept, (b"content-length", str(length).encode())]


def json_headers(headers: RawHeaders, length: int) -> RawHeaders:
    drop = (b"content-length", b"content-type", b"content-encoding", b"etag")
    kept = [(k, v) for k, v in headers if k not in drop]
    return [
        *kept,
        (b"content-type", b"application/json"),
        (b"content-length", str(length).encode()),
    ]


class _Channel:
    """One stream of text pieces (a choice's text, a tool call's arguments)."""

    __slots__ = ("masks", "released", "reported", "seen", "tail", "tool")

    def __init__(self, tool: bool) -> None:
        self.seen = 0
        self.tail = ""
        self.released = 0
        self.masks: List[List[Any]] = []  # [start, end, placeholder], in original positions
        self.reported: List[Tuple[int, int]] = []
        self.tool = tool


class _Held:
    __slots__ = ("dirty", "ends", "obj", "pieces", "raw")

    def __init__(self, raw: bytes, obj: Any, dirty: bool) -> None:
        self.raw = raw
        self.obj = obj
        self.pieces: List[Tuple[Tuple[Any, ...], int, Any, Any, str]] = []
        self.ends: Dict[Tuple[Any, ...], int] = {}
        self.dirty = dirty


class StreamGuard(_Guard):
    """An SSE answer, event by event."""

    def __init__(
        self, shape: str, context: GuardContext, policy: Policy, report: Report, request_id: str
    ) -> None:
        super().__init__(shape, context, policy, report, request_id)
        self.splitter = SSESplitter()
        self.channels: Dict[Tuple[Any, ...], _Channel] = {}
        self.held: List[_Held] = []
        self.held_bytes = 0
        self.holds = policy.holds
        self.head_held = False

    # -- the relay's interface ------------------------------------------------------------

    def feed(self, chunk: bytes) -> Tuple[bytes, bool]:
        """Bytes to send now, and True when the stream must end (with those bytes)."""
        out: List[bytes] = []
        for raw in self.splitter.feed(chunk):
            blocked = self._event(raw, out)
            if blocked is not None:
                return b"".join(out) + blocked, True
        if len(self.splitter) > MAX_EVENT:
            rest = self.splitter.rest()
            if self.holds:
                results = [(Finding("unreadable", "event_too_large", 0, 0), "block")]
                self.report(results)
                return b"".join(out) + self._error(results), True
            self.report([(Finding("unreadable", "event_too_large", 0, 0), "audit")])
            out.append(rest)
        if not self.holds:
            return chunk, False
        self._release(out, force=False)
        return b"".join(out), False

    def close(
        self, status: int, headers: RawHeaders
    ) -> Tuple[Optional[Tuple[int, RawHeaders]], bytes]:
        """What is left to send when the provider's stream ended (an unfinished last event
        is read too); the head went out at the start."""
        out: List[bytes] = []
        rest = self.splitter.rest()
        if rest.strip():
            blocked = self._event(rest, out)
            if blocked is not None:
                return None, b"".join(out) + blocked
        self._release(out, force=True)
        return None, (b"".join(out) if self.holds else b"")

    def read_items(self, items: List[Any]) -> Tuple[List[Tuple[Finding, str]], List[Any]]:
        """Findings in a whole list of stream pieces, and the pieces as they may go on."""
        found: List[Tuple[Finding, str]] = []
        self.report = found.extend
        self.holds = True  # every piece is rendered, so redactions land in the output
        out: List[bytes] = []
        for item in items:
            dumped = json.dumps(item, ensure_ascii=False, separators=(",", ":"))
            if self._event(b"data: " + dumped.encode() + b"\n\n", out) is not None:
                return found, items  # blocked: the caller answers 403
        self._release(out, force=True)
        return found, [json.loads(parse_event(raw)[1] or "null") for raw in out]

    # -- events ---------------------------------------------------------------------------

    def _event(self, raw: bytes, out: List[bytes]) -> Optional[bytes]:
        """Read one event; the error event to end with when it blocks."""
        _, data = parse_event(raw)
        obj: Any = None
        if data is not None and data[:1] in ("{", "["):
            try:
                obj = json.loads(data)
            except (ValueError, RecursionError):
                obj = None
        found = slots(self.shape, obj, True) if obj is not None else []
        if not found:
            self._hold(_Held(raw, None, False), out)
            return None
        full = [s for s in found if s.full]
        results, dirty = _check_full(self.context, self.policy, full)
        held = _Held(raw, obj, dirty)
        for slot in found:
            if not slot.full:
                results += self._piece(slot, held)
        if results:
            self.report(results)
        if any(a == "block" for _, a in results):
            self.held = []
            return self._error(results)
        self._hold(held, out)
        return None

    def _piece(self, slot: Slot, held: _Held) -> List[Tuple[Finding, str]]:
        text = slot.holder[slot.key]
        channel = self.channels.get(slot.channel)
        if channel is None:
            channel = self.channels[slot.channel] = _Channel(slot.tool)
        start = channel.seen
        channel.seen += len(text)
        held.pieces.append((slot.channel, start, slot.holder, slot.key, text))
        held.ends[slot.channel] = channel.seen
        base = start - len(channel.tail)
        segment = channel.tail + text
        channel.tail = segment[-self.policy.window :] if self.policy.window else ""
        results: List[Tuple[Finding, str]] = []
        for finding in self.context.find(segment, slot.tool):
            if slot.tool:  # positions of unescaped arguments: the whole window counts
                begin, end = base, channel.seen
            else:
                begin, end = base + finding.start, base + finding.end
            new = not any(s < end and begin < e for s, e in channel.reported)
            channel.reported.append((begin, end))
            action = self.policy.action(finding, slot.tool)
            if action == "redact":
                if begin < channel.released:
                    action = "block"  # part of it is already out
                else:
                    self._mask(channel, begin, end, label(finding))
            if new or action == "block":
                results.append((finding, action))
        return results

    @staticmethod
    def _mask(channel: _Channel, begin: int, end: int, placeholder: str) -> None:
        for mask in channel.masks:
            if mask[0] < end and begin < mask[1]:
                mask[0], mask[1] = min(mask[0], begin), max(mask[1], end)
                return
        channel.masks.append([begin, end, placeholder])

    def _hold(self, held: _Held, out: List[bytes]) -> None:
        if not self.holds:
            return
        self.held.append(held)
        self.held_bytes += len(held.raw)

    def _release(self, out: List[bytes], force: bool) -> None:
        window = self.policy.window
        while self.held:
            event = self.held[0]
            ready = force or self.held_bytes > MAX_HELD
            if not ready:
                ready = all(self.channels[c].seen - end >= window for c, end in event.ends.items())
            if not ready:
                return
            self.held.pop(0)
            self.held_bytes -= len(event.raw)
            out.append(self._render(event))

    def _render(self, event: _Held) -> bytes:
        dirty = event.dirty
        for key, start, holder, name, text in event.pieces:
            channel = self.channels[key]
            if channel.masks:
                new = _apply_masks(text, start, channel.masks)
                if new != text:
                    holder[name] = new
                    dirty = True
        for key, end in event.ends.items():
            channel = self.channels[key]
            channel.released = max(channel.released, end)
        return _rebuild(event.raw, event.obj) if dirty else event.raw

    def _error(self, results: List[Tuple[Finding, str]]) -> bytes:
        message, kinds = _blocked_message(results)
        return error_event(self.shape, message, self.request_id, kinds)


def _apply_masks(text: str, start: int, masks: List[List[Any]]) -> str:
    end = start + len(text)
    out: List[str] = []
    pos = start
    for m_start, m_end, placeholder in sorted(masks, key=lambda m: m[0]):
        if m_end <= pos or m_start >= end:
            continue
        if m_start > pos:
            out.append(text[pos - start : m_start - start])
        if m_start >= pos:
            out.append(placeholder)
        pos = max(pos, m_end)
    if pos < end:
        out.append(text[pos - start :])
    return "".join(out)


def _rebuild(raw: bytes, obj: Any) -> bytes:
    """The event with its data lines replaced by one line of ``obj``'s JSON."""
    newline = b"\r\n" if b"\r\n" in raw else (b"\n" if b"\n" in raw else b"\r")
    lines = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    data = b"data: " + json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
    out: List[bytes] = []
    for line in lines:
        if not line:
            continue
        if line.startswith(b"data:"):
            if data:
                out.append(data)
                data = b""
            continue
        out.append(line)
    return newline.join(out) + newline + newline
