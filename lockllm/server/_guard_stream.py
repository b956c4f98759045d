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
already sent, a canary) blocks.

A tool call's streamed arguments are JSON text: each channel of them is read through an
``ArgumentLexer`` (``_guard_args``), so the window is read with its escapes decoded and a
finding maps back to the raw argument text. One inside a single string value is masked
there (the placeholder replaces whole escape sequences, so the arguments the client joins
stay valid JSON); one that crosses a string's quotes or lies in a key blocks. For tool
channels the window counts decoded characters.

:class:`BodyGuard` reads a JSON answer whole (held in ``redact`` / ``block`` modes, read
on the side in ``audit``): redacted, answered 403 ``response_blocked``, or relayed as is.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _errors
from ._guard import Finding, GuardContext
from ._guard_args import (
    ArgumentLexer,
    Seg,
    add_mask,
    apply_masks,
    label,
    point,
    redact_arguments,
    redact_object,
    span_of,
)
from ._guard_shapes import Slot, error_event, slots
from ._sse import SSESplitter, parse_event

__all__ = ["BodyGuard", "Policy", "StreamGuard", "MAX_BODY", "MAX_HELD", "json_headers"]
__all__ += ["label"]

RawHeaders = List[Tuple[bytes, bytes]]
Report = Callable[[List[Tuple[Finding, str]]], None]

MAX_BODY = 16 * 1024 * 1024
"""A JSON answer larger than this is not read (relayed in audit mode, blocked otherwise)."""
MAX_HELD = 256 * 1024
"""Bytes of events held back at most; past it the oldest go on (a later finding in them
can then only block)."""
MAX_EVENT = 4 * 1024 * 1024
"""An SSE event larger than this is not read (relayed in audit mode, blocked otherwise)."""
BIG_PIECE = 16 * 1024
"""Tool-call argument pieces longer than this are read twice rather than mapped whole."""

BLOCKED_TYPE = "lockllm_response_error"
BLOCKED_CODE = "response_blocked"
_PII_ACTIONS = {"strip": "redact", "block": "block", "allow_with_warning": "audit"}


class Policy:
    """What each finding leads to: the guard's ``mode`` for leaks and exfiltration, the
    request's PII action for secrets and PII."""

    def __init__(self, mode: str, pii_action: Optional[str], window: int) -> None:
        self.mode = mode
        self.pii_action = pii_action
        self.window = window
        self.holds = mode in ("redact", "block") or pii_action in ("strip", "block")

    def action(self, finding: Finding) -> str:
        """``audit``, ``redact`` or ``block``."""
        if finding.kind in ("pii", "secret") and self.pii_action is not None:
            action = _PII_ACTIONS.get(self.pii_action, "audit")
        else:
            action = self.mode
        if action == "redact" and finding.kind == "canary_leak":
            return "block"  # a canary is found in any reading: it has no single span
        return action


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
        if slot.structured:
            acted, rewritten = redact_object(context, policy.action, slot.holder, slot.key)
            results += acted
            changed = changed or rewritten
            continue
        text = slot.holder[slot.key]
        if slot.tool:
            acted, redacted = redact_arguments(context, policy.action, text)
            results += acted
            if redacted is not None:
                slot.holder[slot.key] = redacted
                changed = True
            continue
        hits = context.find(text)
        if not hits:
            continue
        acted = [(f, policy.action(f)) for f in hits]
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

    def cost(self, chunk: bytes) -> int:
        """Bytes :meth:`feed` reads for ``chunk``: none (it only keeps it)."""
        return 0

    def close_cost(self) -> int:
        """Bytes :meth:`close` reads: the whole answer (none past ``MAX_BODY``)."""
        return self.size if self.size <= MAX_BODY else 0

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
    """One stream of text pieces (a choice's text, a tool call's arguments).

    Positions: ``seen`` counts the raw characters of the pieces (masks and ``released``
    are raw positions); ``progress`` counts what the window is measured in: the same for
    text, decoded characters for a tool call's arguments (``lexer``), whose window
    ``tail`` is mapped back to raw positions by ``segs``."""

    __slots__ = ("lexer", "masks", "progress", "released", "reported", "seen", "segs", "tail")

    def __init__(self, tool: bool) -> None:
        self.seen = 0
        self.progress = 0
        self.tail = ""
        self.released = 0
        self.masks: List[List[Any]] = []  # [start, end, placeholder], in raw positions
        self.reported: List[Tuple[int, int]] = []
        self.lexer: Optional[ArgumentLexer] = ArgumentLexer() if tool else None
        self.segs: List[Seg] = []


class _Held:
    __slots__ = ("dirty", "ends", "kind", "obj", "pieces", "raw")

    def __init__(self, raw: bytes, obj: Any, dirty: bool, kind: str = "event") -> None:
        self.raw = raw
        self.obj = obj
        self.kind = kind
        self.pieces: List[Tuple[Tuple[Any, ...], int, Any, Any, str]] = []
        self.ends: Dict[Tuple[Any, ...], Tuple[int, int]] = {}  # raw end, progress end
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

    def cost(self, chunk: bytes) -> int:
        """At most the bytes :meth:`feed` reads for ``chunk``: the unfinished event and the
        chunk (every event it completes lies in them), and the events held back (those
        released may be re-serialised)."""
        return len(self.splitter) + len(chunk) + self.held_bytes

    def close_cost(self) -> int:
        """At most the bytes :meth:`close` reads: the unfinished event and those held."""
        return len(self.splitter) + self.held_bytes

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

    # -- how events are framed (SSE here; ``_guard_array`` frames a JSON array) --------------

    def _data(self, raw: bytes) -> Optional[str]:
        """The JSON text an event carries (``None``: none)."""
        return parse_event(raw)[1]

    def _rebuild(self, raw: bytes, obj: Any) -> bytes:
        """The event with its data lines replaced by one line of ``obj``'s JSON."""
        newline = b"\r\n" if b"\r\n" in raw else (b"\n" if b"\n" in raw else b"\r")
        lines = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        data = b"data: " + _compact(obj)
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

    def _error(self, results: List[Tuple[Finding, str]]) -> bytes:
        message, kinds = _blocked_message(results)
        return error_event(self.shape, message, self.request_id, kinds)

    # -- events ---------------------------------------------------------------------------

    def _event(self, raw: bytes, out: List[bytes], kind: str = "event") -> Optional[bytes]:
        """Read one event; the error event to end with when it blocks."""
        data = self._data(raw)
        obj: Any = None
        if data is not None and data[:1] in ("{", "["):
            try:
                obj = json.loads(data)
            except (ValueError, RecursionError):
                obj = None
        found = slots(self.shape, obj, True) if obj is not None else []
        if not found:
            self._hold(_Held(raw, None, False, kind), out)
            return None
        full = [s for s in found if s.full]
        results, dirty = _check_full(self.context, self.policy, full)
        held = _Held(raw, obj, dirty, kind)
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
        window = self.policy.window
        lexer = channel.lexer
        segs: List[Seg] = []
        located: Dict[int, Tuple[int, int, int]] = {}
        before: Optional[ArgumentLexer] = None
        first_char = 0  # the reading position of the piece's first character
        if lexer is None:
            reading = text
            channel.progress = channel.seen
        else:
            first_char = lexer.decoded
            if len(text) > BIG_PIECE:  # read twice, keeping no map of the whole piece
                before = lexer.clone()
            reading, segs = lexer.feed(text, keep_from=None if before else 0)
            channel.progress = lexer.decoded
        held.ends[slot.channel] = (channel.seen, channel.progress)
        base = channel.progress - len(reading) - len(channel.tail)
        segment = channel.tail + reading
        channel.tail = segment[-window:] if window else ""
        found = self.context.find(segment)
        starts: List[int] = []
        if lexer is not None:
            floor = channel.progress - len(channel.tail)
            if before is not None:  # the second reading: the new tail's map, the findings
                ends = {base + p for f in found for p in (f.start, max(f.start, f.end - 1))}
                _, segs = before.feed(text, sorted(p for p in ends if p >= first_char), floor)
                located = before.located
            segs = channel.segs + segs
            starts = [s.dec for s in segs]
            channel.segs = segs[max(0, bisect_right(starts, floor) - 1) :]
        if not found:
            return []
        if len(channel.reported) > 64:  # spans before this window cannot overlap a new one
            floor = base if lexer is None else (segs[0].raw if segs else start)
            channel.reported = [r for r in channel.reported if r[1] > floor]
        results: List[Tuple[Finding, str]] = []
        for finding in found:
            if lexer is None:
                begin, end, inside = base + finding.start, base + finding.end, True
            else:
                at, last = base + finding.start, base + max(finding.start, finding.end - 1)
                begin, end, inside = span_of(
                    located.get(at) or point(segs, starts, at),
                    located.get(last) or point(segs, starts, last),
                )
            new = not any(s < end and begin < e for s, e in channel.reported)
            if new:  # one read again as the window moves is not listed again
                channel.reported.append((begin, end))
            action = self.policy.action(finding)
            if action == "redact":
                if begin < channel.released or not inside:
                    action = "block"  # part of it is already out, or it is not in one value
                else:
                    add_mask(channel.masks, begin, end, label(finding))
            if new or action == "block":
                results.append((finding, action))
        return results

    def _hold(self, held: _Held, out: List[bytes]) -> None:
        if not self.holds:
            return
        self.held.append(held)
        self.held_bytes += len(held.raw)

    def _release(self, out: List[bytes], force: bool) -> None:
        window = self.policy.window
        channels = self.channels
        while self.held:
            event = self.held[0]
            ready = force or self.held_bytes > MAX_HELD
            if not ready:
                ready = all(
                    channels[c].progress - end >= window for c, (_, end) in event.ends.items()
                )
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
                new = apply_masks(text, start, channel.masks)
                if new != text:
                    holder[name] = new
                    dirty = True
        for key, (end, _) in event.ends.items():
            channel = self.channels[key]
            channel.released = max(channel.released, end)
            masks = channel.masks
            if masks and masks[0][1] <= channel.released:  # masks wholly sent are done with
                done = 1
                while done < len(masks) and masks[done][1] <= channel.released:
                    done += 1
                del masks[:done]
        return self._rebuild(event.raw, event.obj) if dirty else event.raw


def _compact(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
