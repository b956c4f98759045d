"""Server-sent events read incrementally: bytes in any chunking, whole events out.

:class:`SSESplitter` cuts a byte stream into events at blank lines (``\\n\\n``,
``\\r\\n\\r\\n``, ``\\r\\r`` or any mix, per the HTML spec's line endings), whatever the
network chunking: an event split inside a line, inside a ``\\u`` escape of its JSON or
inside a UTF-8 sequence comes out whole once its blank line arrives. Each event is
returned as its exact bytes, so one relayed unchanged is byte-identical. Work is linear:
each byte is looked at a bounded number of times. :func:`parse_event` reads an event's
fields: ``event`` and the ``data`` lines joined; comment lines (``:``, keep-alives) are
ignored.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

__all__ = ["SSESplitter", "parse_event"]


class SSESplitter:
    """Feed bytes, get complete events (each with its terminating blank line)."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self._scanned = 0  # bytes of the buffer already searched for line ends
        self._line_start = 0  # where the current (unfinished) line starts

    def __len__(self) -> int:
        return len(self.buffer)

    def feed(self, data: bytes) -> List[bytes]:
        """The events completed by ``data``."""
        self.buffer += data
        events: List[bytes] = []
        buf = self.buffer
        at = self._scanned
        start = 0  # start of the pending event in buf
        line_start = self._line_start
        size = len(buf)
        while at < size:
            byte = buf[at]
            if byte != 0x0A and byte != 0x0D:
                nxt_n = buf.find(b"\n", at)
                nxt_r = buf.find(b"\r", at)
                if nxt_n == -1 and nxt_r == -1:
                    at = size
                    break
                at = nxt_n if nxt_r == -1 else nxt_r if nxt_n == -1 else min(nxt_n, nxt_r)
                continue
            if byte == 0x0D:
                if at + 1 >= size:
                    break  # a CR at the end: wait for a possible LF
                end = at + 2 if buf[at + 1] == 0x0A else at + 1
            else:
                end = at + 1
            empty = at == line_start
            line_start = end
            at = end
            if empty:
                events.append(bytes(buf[start:at]))
                start = at
        if start:
            del buf[:start]
            at -= start
            line_start -= start
        self._scanned = at
        self._line_start = line_start
        return events

    def rest(self) -> bytes:
        """What is left without its blank line (an unfinished last event)."""
        out = bytes(self.buffer)
        self.buffer.clear()
        self._scanned = self._line_start = 0
        return out


def parse_event(raw: bytes) -> Tuple[Optional[str], Optional[str]]:
    """``(event name, data)`` of one event's bytes (``data`` ``None`` without data lines)."""
    name: Optional[str] = None
    data: List[str] = []
    text = raw.decode("utf-8", "replace")
    # CR LF, CR or LF (not splitlines(): U+2028 may sit inside JSON); str methods, not a
    # regular expression: one call on a multi-megabyte line holds the interpreter lock.
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line or line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    return name, ("\n".join(data) if data else None)
