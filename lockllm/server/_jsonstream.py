"""A JSON array read incrementally: bytes in any chunking, its top-level items out.

Gemini's ``:streamGenerateContent`` without ``alt=sse`` answers one JSON array whose
objects arrive over time (``[{…}\\r\\n,\\r\\n{…}]``). :class:`JSONArraySplitter` cuts such
a byte stream into *units*, each returned as its exact bytes, so that the units joined
are the input, byte for byte:

* ``open``: everything up to and including the ``[``;
* ``item``: the separators before an item (white space, the comma) and the item itself,
  complete (an object, an array, a string or a bare scalar);
* ``sep``: separators (white space, commas) that arrived with no item after them yet;
* ``close``: the separators before the ``]`` and the ``]``;
* ``tail``: anything after the ``]`` (white space), or a body that does not start with
  ``[`` or ``{`` (not read);
* ``pass``: the bytes of an item being skipped (:meth:`JSONArraySplitter.skip`), as they
  arrive.

A body that starts with ``{`` is read as a single item. The splitter works on bytes: the
characters that give JSON its structure (quotes, backslashes, brackets, commas) are ASCII
and never occur inside a multi-byte UTF-8 sequence, and a ``\\u`` escape holds none of
them, so a chunk boundary anywhere (inside a string, an escape or a UTF-8 sequence) only
delays an item until its last byte arrives. Work is linear: string contents and runs
between structural bytes are skipped by one regex search each, and each byte is searched
once (the scan position is kept between chunks).
"""

from __future__ import annotations

import re
from typing import List, Tuple

__all__ = ["JSONArraySplitter"]

_BEFORE, _BETWEEN, _ITEM, _AFTER = range(4)
_NOT_SPACE = re.compile(rb"[^ \t\r\n]")
_NOT_SEPARATOR = re.compile(rb"[^ \t\r\n,]")
_IN_STRING = re.compile(rb'["\\]')
_STRUCTURE = re.compile(rb'["{}\[\]]')
_SCALAR_END = re.compile(rb"[ \t\r\n,\]]")


class JSONArraySplitter:
    """Feed bytes, get ``(kind, bytes)`` units (see the module's docstring)."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self._at = 0  # bytes of the buffer already scanned
        self._state = _BEFORE
        self._depth = 0
        self._string = False
        self._escape = False
        self._scalar = False
        self._skipping = False
        self.array = False
        """Whether the body is an array (known once its first byte arrived)."""

    def __len__(self) -> int:
        """Bytes held for the unit being read."""
        return len(self.buffer)

    @property
    def in_item(self) -> bool:
        """Whether an item has begun and not ended."""
        return self._state == _ITEM

    def skip(self) -> bytes:
        """Give up reading the current item: its bytes so far, and the rest of it comes
        out as ``pass`` units as it arrives."""
        self._skipping = True
        out = bytes(self.buffer[: self._at])
        del self.buffer[: self._at]
        self._at = 0
        return out

    def rest(self) -> bytes:
        """What is left: an unfinished unit."""
        out = bytes(self.buffer)
        self.buffer.clear()
        self._at = 0
        return out

    def feed(self, data: bytes) -> List[Tuple[str, bytes]]:
        """The units completed by ``data``."""
        self.buffer += data
        buf = self.buffer
        units: List[Tuple[str, bytes]] = []
        start = 0  # where the pending unit begins
        at = self._at
        size = len(buf)
        while at < size:
            state = self._state
            if state == _ITEM:
                end = self._scan(buf, at)
                if end < 0:
                    at = size
                    break
                units.append(("pass" if self._skipping else "item", bytes(buf[start:end])))
                self._skipping = False
                self._state = _BETWEEN
                start = at = end
            elif state == _BETWEEN:
                match = _NOT_SEPARATOR.search(buf, at)
                if match is None:  # separators only so far: they go on (none is kept)
                    at = size
                    units.append(("sep", bytes(buf[start:at])))
                    start = at
                    break
                at = match.start()
                if buf[at] == 0x5D:  # ]
                    at += 1
                    units.append(("close", bytes(buf[start:at])))
                    start = at
                    self._state = _AFTER
                else:
                    self._begin(buf[at])
                    at += 1
            elif state == _BEFORE:
                match = _NOT_SPACE.search(buf, at)
                if match is None:
                    at = size
                    units.append(("sep", bytes(buf[start:at])))
                    start = at
                    break
                at = match.start()
                if buf[at] == 0x5B:  # [
                    self.array = True
                    at += 1
                    units.append(("open", bytes(buf[start:at])))
                    start = at
                    self._state = _BETWEEN
                elif buf[at] == 0x7B:  # {: one object, read as a single item
                    self._begin(buf[at])
                    at += 1
                else:
                    self._state = _AFTER
            else:  # after the array (or not an array): relayed as it comes
                at = size
                units.append(("tail", bytes(buf[start:at])))
                start = at
        if self._skipping and at > start:
            units.append(("pass", bytes(buf[start:at])))
            start = at
        if start:
            del buf[:start]
            at -= start
        self._at = at
        return units

    def _begin(self, byte: int) -> None:
        self._state = _ITEM
        self._depth = 0
        self._string = self._escape = self._scalar = False
        if byte in (0x7B, 0x5B):  # { [
            self._depth = 1
        elif byte == 0x22:  # "
            self._string = True
        else:
            self._scalar = True

    def _scan(self, buf: bytearray, at: int) -> int:
        """Scan the current item from ``at``: the position just past its end, or -1 when
        the buffer ends first (the state is kept for the next chunk)."""
        size = len(buf)
        while at < size:
            if self._escape:
                self._escape = False
                at += 1
                continue
            if self._string:
                match = _IN_STRING.search(buf, at)
                if match is None:
                    return -1
                at = match.end()
                if buf[at - 1] == 0x5C:  # backslash: the next byte is escaped
                    self._escape = True
                    continue
                self._string = False
                if self._depth == 0:
                    return at
                continue
            if self._scalar:
                match = _SCALAR_END.search(buf, at)
                if match is None:
                    return -1
                return match.start()
            match = _STRUCTURE.search(buf, at)
            if match is None:
                return -1
            at = match.end()
            byte = buf[at - 1]
            if byte == 0x22:
                self._string = True
            elif byte in (0x7B, 0x5B):
                self._depth += 1
            else:
                self._depth -= 1
                if self._depth <= 0:
                    return at
        return -1
