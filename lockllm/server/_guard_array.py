"""The response guard on a Gemini stream without ``alt=sse``: one JSON array whose objects
arrive over time, read object by object as they arrive.

:class:`ArrayStreamGuard` is the :class:`~._guard_stream.StreamGuard` of SSE with another
framing: the array is cut into its top-level objects by ``_jsonstream.JSONArraySplitter``
(any chunking), and each object is read as one stream event: its texts followed per
channel, the last ``response_guard_window`` characters held back in ``redact`` / ``block``
modes, everything else forwarded as it arrives (in ``audit`` mode every chunk goes on at
once). An object nothing was found in keeps its exact bytes; a redacted one is
re-serialised compactly after the separators that preceded it. A block drops what is held
and ends the array with Gemini's own error object
(``{"error": {"code": 403, "status": "PERMISSION_DENIED", …}}``, reason
``response_blocked``) and its ``]``.

An object larger than ``MAX_EVENT`` is not held: it blocks in ``redact`` / ``block`` modes
and goes on unread in ``audit`` (reported ``unreadable``). A body that is not a JSON array
or object is relayed unread in ``audit`` and blocked otherwise; so is an array cut off
inside an object.
"""

from __future__ import annotations

import json
from typing import List, Optional, Tuple

from ._guard import Finding, GuardContext
from ._guard_shapes import gemini_error
from ._guard_stream import (
    MAX_EVENT,
    Policy,
    RawHeaders,
    Report,
    StreamGuard,
    _blocked_message,
    _compact,
    _Held,
)
from ._jsonstream import JSONArraySplitter

__all__ = ["ArrayStreamGuard"]

_SEPARATORS = b" \t\r\n,"


class ArrayStreamGuard(StreamGuard):
    """A JSON array of stream pieces, piece by piece."""

    def __init__(
        self, shape: str, context: GuardContext, policy: Policy, report: Report, request_id: str
    ) -> None:
        super().__init__(shape, context, policy, report, request_id)
        self.array = JSONArraySplitter()
        self.opened = False  # the array's "[" went out
        self.items_out = 0  # objects that went out
        self.unread = False  # the body is not an array, and that was reported

    def cost(self, chunk: bytes) -> int:
        """At most the bytes :meth:`feed` reads for ``chunk``: the unfinished object, the
        chunk and the objects held back."""
        return len(self.array) + len(chunk) + self.held_bytes

    def close_cost(self) -> int:
        """At most the bytes :meth:`close` reads: what is left and what is held."""
        return len(self.array) + self.held_bytes

    def feed(self, chunk: bytes) -> Tuple[bytes, bool]:
        """Bytes to send now, and True when the answer must end (with those bytes)."""
        out: List[bytes] = []
        blocked = self._units(self.array.feed(chunk), out)
        if blocked is not None:
            return b"".join(out) + blocked, True
        if len(self.array) > MAX_EVENT and self.array.in_item:
            self.array.skip()  # the relay sends it as it is, or nothing more
            blocked = self._unreadable("object_too_large")
            if blocked is not None:
                return b"".join(out) + blocked, True
        if not self.holds:
            return chunk, False
        self._release(out, force=False)
        return b"".join(out), False

    def close(
        self, status: int, headers: RawHeaders
    ) -> Tuple[Optional[Tuple[int, RawHeaders]], bytes]:
        """What is left to send when the provider's answer ended."""
        out: List[bytes] = []
        cut = self.array.in_item or not self.array.array
        detail = "truncated" if self.array.in_item else "not_an_array"
        rest = self.array.rest()
        if rest.strip(_SEPARATORS):
            self._hold(_Held(rest, None, False, "tail"), out)
            if cut and not self.unread:
                blocked = self._unreadable(detail)
                if blocked is not None:
                    return None, b"".join(out) + blocked
        elif rest:
            self._hold(_Held(rest, None, False, "tail"), out)
        self._release(out, force=True)
        return None, (b"".join(out) if self.holds else b"")

    def _units(self, units: List[Tuple[str, bytes]], out: List[bytes]) -> Optional[bytes]:
        for kind, raw in units:
            if kind == "item" and len(raw) > MAX_EVENT:  # arrived whole in one large chunk
                blocked = self._unreadable("object_too_large")
                if blocked is not None:
                    return blocked
                self._hold(_Held(raw, None, False, kind), out)
            elif kind == "item":
                blocked = self._event(raw, out, kind)
                if blocked is not None:
                    return blocked
            elif kind == "tail" and not self.array.array and raw.strip(_SEPARATORS):
                self._hold(_Held(raw, None, False, kind), out)
                if not self.unread:
                    self.unread = True
                    blocked = self._unreadable("not_an_array")
                    if blocked is not None:
                        return blocked
            else:
                self._hold(_Held(raw, None, False, kind), out)
        return None

    def _unreadable(self, detail: str) -> Optional[bytes]:
        """Report what cannot be read; the end of the answer when it blocks."""
        if not self.holds:
            self.report([(Finding("unreadable", detail, 0, 0), "audit")])
            return None
        results = [(Finding("unreadable", detail, 0, 0), "block")]
        self.report(results)
        self.held = []
        return self._error(results)

    # -- the array's framing ------------------------------------------------------------

    def _data(self, raw: bytes) -> Optional[str]:
        return raw.lstrip(_SEPARATORS).decode("utf-8", "replace")

    def _rebuild(self, raw: bytes, obj: object) -> bytes:
        body = raw.lstrip(_SEPARATORS)
        return raw[: len(raw) - len(body)] + _compact(obj)

    def _render(self, event: _Held) -> bytes:
        if event.kind == "open":
            self.opened = True
        elif event.kind == "item":
            self.items_out += 1
        return super()._render(event)

    def _error(self, results: List[Tuple[Finding, str]]) -> bytes:
        message, kinds = _blocked_message(results)
        error = json.dumps(gemini_error(message, self.request_id, kinds)).encode()
        if not self.array.array:
            return error  # the body was not an array: Gemini's error object alone
        return (b"" if self.opened else b"[") + (b",\r\n" if self.items_out else b"") + error + b"]"
