"""Tool-call arguments read as JSON text and redacted in place, keeping the JSON valid.

A tool call's arguments are JSON: a string of JSON text (OpenAI chat ``function.arguments``,
the Responses API's ``function_call`` ``arguments``, streamed in pieces too, and Anthropic's
streamed ``input_json_delta.partial_json``), or an object (Anthropic ``tool_use.input``,
Gemini ``functionCall.args``, read as their compact JSON text).

:class:`ArgumentLexer` reads JSON text fed in pieces of any size (a piece may end inside a
string, inside a ``\\uXXXX`` escape or between the two halves of ``\\"``) and gives back a
*reading*: the text with its string escapes decoded (the structure, quotes included, left
as it is, so a match cannot silently join two strings), and a list of :class:`Seg` that
map every character of the reading back to the raw text and tell which string it came
from, and whether that string is an object key or a value.

A finding in the reading is *maskable* when it lies inside one string value: its raw span
(whole escape sequences) is then replaced by the finding's placeholder (``[EMAIL]``,
``[REDACTED_URL]`` …), which holds no character JSON must escape, so the text stays valid
JSON and the string keeps its place. A finding that crosses a string's quotes, lies in an
object key, or in text that is not JSON cannot be rewritten safely: the caller blocks.

Work is linear: runs between quotes, backslashes and structural characters are skipped
by one regex search each; only escapes cost a step of their own.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from typing import Any, Callable, List, NamedTuple, Optional, Sequence, Tuple

from ._guard import Finding, GuardContext

__all__ = [
    "ArgumentLexer",
    "Seg",
    "apply_masks",
    "label",
    "raw_span",
    "redact_arguments",
    "redact_object",
]

Action = Callable[[Finding], str]

_LABELS = {"prompt_leak": "[REDACTED_SYSTEM_PROMPT]", "exfiltration": "[REDACTED_URL]"}
_OUTSIDE = re.compile(r'["{}\[\],:]')
_INSIDE = re.compile(r'["\\]')
_HEX = frozenset("0123456789abcdefABCDEF")
_SIMPLE = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
MAX_DEPTH = 4096
"""Nesting followed to tell keys from values; deeper strings count as keys (not rewritten)."""


def label(finding: Finding) -> str:
    """The placeholder a redacted finding is replaced with."""
    return _LABELS.get(finding.kind) or "[" + finding.detail.upper()[:40] + "]"


class Seg(NamedTuple):
    """``dlen`` characters of the reading from ``dec`` on come from ``rlen`` raw characters
    from ``raw`` on: one for one when ``dlen == rlen``, else one escape sequence. ``tag``:
    ``-1`` outside strings (quotes included), ``2k`` inside value string ``k``, ``2k + 1``
    inside key string ``k``."""

    dec: int
    raw: int
    dlen: int
    rlen: int
    tag: int


class ArgumentLexer:
    """JSON text fed in pieces; each piece's reading and segments, in the positions of the
    whole text (raw) and of the whole reading (decoded)."""

    __slots__ = (
        "decoded",
        "deep",
        "escape",
        "escape_at",
        "expect_key",
        "in_string",
        "raw",
        "stack",
        "strings",
        "tag",
    )

    def __init__(self) -> None:
        self.raw = 0
        self.decoded = 0
        self.in_string = False
        self.escape = ""
        self.escape_at = 0
        self.tag = -1
        self.strings = 0
        self.stack: List[str] = []
        self.deep = 0  # levels past MAX_DEPTH
        self.expect_key = False

    def feed(self, text: str) -> Tuple[str, List[Seg]]:
        """The reading of ``text`` (the next piece) and its segments."""
        out: List[str] = []
        segs: List[Seg] = []
        base = self.raw
        pos, size = 0, len(text)

        def emit(chars: str, raw_at: int, rlen: int, tag: int) -> None:
            segs.append(Seg(self.decoded, raw_at, len(chars), rlen, tag))
            out.append(chars)
            self.decoded += len(chars)

        while pos < size:
            if self.escape:
                char = text[pos]
                pos += 1
                sequence = self.escape + char
                if len(sequence) == 2 and char != "u":
                    emit(_SIMPLE.get(char, char), self.escape_at, 2, self.tag)
                    self.escape = ""
                elif len(sequence) == 2:
                    self.escape = sequence
                elif char not in _HEX:  # not an escape after all: read as written
                    emit(self.escape, self.escape_at, len(self.escape), self.tag)
                    self.escape = ""
                    pos -= 1
                elif len(sequence) == 6:
                    emit(chr(int(sequence[2:], 16)), self.escape_at, 6, self.tag)
                    self.escape = ""
                else:
                    self.escape = sequence
                continue
            if self.in_string:
                match = _INSIDE.search(text, pos)
                stop = size if match is None else match.start()
                if stop > pos:
                    emit(text[pos:stop], base + pos, stop - pos, self.tag)
                if match is None:
                    break
                if text[stop] == '"':
                    emit('"', base + stop, 1, -1)
                    self.in_string = False
                    self.expect_key = False
                else:
                    self.escape = "\\"
                    self.escape_at = base + stop
                pos = stop + 1
                continue
            match = _OUTSIDE.search(text, pos)
            stop = size if match is None else match.end()
            emit(text[pos:stop], base + pos, stop - pos, -1)
            pos = stop
            if match is not None:
                self._structure(text[stop - 1])
        self.raw = base + size
        return "".join(out), segs

    def _structure(self, char: str) -> None:
        if char == '"':
            in_object = self.deep == 0 and bool(self.stack) and self.stack[-1] == "{"
            key = self.deep > 0 or (in_object and self.expect_key)
            self.tag = 2 * self.strings + (1 if key else 0)
            self.strings += 1
            self.in_string = True
        elif char in "{[":
            if len(self.stack) < MAX_DEPTH and not self.deep:
                self.stack.append(char)
            else:
                self.deep += 1
            self.expect_key = char == "{"
        elif char in "}]":
            if self.deep:
                self.deep -= 1
            elif self.stack:
                self.stack.pop()
            self.expect_key = False
        elif char == ",":
            self.expect_key = self.deep == 0 and bool(self.stack) and self.stack[-1] == "{"
        else:  # ":"
            self.expect_key = False


def raw_span(
    segs: Sequence[Seg], starts: Sequence[int], dstart: int, dend: int
) -> Tuple[int, int, bool]:
    """The raw span of reading characters ``dstart:dend`` (``starts``: each segment's
    ``dec``), and whether it lies inside one string value (so it may be rewritten)."""
    first = segs[max(0, bisect_right(starts, dstart) - 1)]
    last = segs[max(0, bisect_right(starts, dend - 1) - 1)]
    begin = first.raw + (dstart - first.dec if first.dlen == first.rlen else 0)
    if last.dlen == last.rlen:
        end = last.raw + (dend - last.dec)
    else:
        end = last.raw + last.rlen
    tag = first.tag
    inside = tag >= 0 and tag % 2 == 0 and last.tag == tag and begin < end
    return begin, end, inside


def apply_masks(text: str, start: int, masks: Sequence[Sequence[Any]]) -> str:
    """``text`` (at ``start`` of a longer text) with each ``[begin, end, placeholder]`` of
    ``masks`` (positions in the longer text) replaced; a placeholder goes where its mask
    begins, the rest of the mask is left out of whatever piece holds it."""
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


def add_mask(masks: List[List[Any]], begin: int, end: int, placeholder: str) -> None:
    """Add a mask, merged with one it overlaps (both lie in the same string then); the
    merged mask keeps the placeholder of the longer finding (a streamed key read first in
    part, then whole, is named by its whole reading)."""
    for mask in masks:
        if mask[0] < end and begin < mask[1]:
            if end - begin > mask[1] - mask[0]:
                mask[2] = placeholder
            mask[0], mask[1] = min(mask[0], begin), max(mask[1], end)
            return
    masks.append([begin, end, placeholder])


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def redact_arguments(
    context: GuardContext, action: Action, raw: str, valid: bool = False
) -> Tuple[List[Tuple[Finding, str]], Optional[str]]:
    """Findings in whole JSON-text arguments and their actions, and the redacted text
    (``None``: unchanged). A finding to redact that cannot be rewritten safely (it is not
    inside one string value, or ``raw`` is not valid JSON) blocks instead. ``valid``:
    ``raw`` is known to be JSON."""
    if not raw:
        return [], None
    reading, segs = ArgumentLexer().feed(raw)
    hits = context.find(reading)
    if not hits:
        return [], None
    starts = [s.dec for s in segs]
    results: List[Tuple[Finding, str]] = []
    masks: List[List[Any]] = []
    for finding in hits:
        act = action(finding)
        if act == "redact":
            begin, end, inside = raw_span(segs, starts, finding.start, finding.end)
            if inside and (valid or _parses(raw)):
                valid = True
                add_mask(masks, begin, end, label(finding))
            else:
                act = "block"
        results.append((finding, act))
    if not masks or any(a == "block" for _, a in results):
        return results, None
    return results, apply_masks(raw, 0, masks)


def redact_object(
    context: GuardContext, action: Action, holder: Any, key: Any
) -> Tuple[List[Tuple[Finding, str]], bool]:
    """Findings in structured arguments ``holder[key]`` (an object), read as its compact
    JSON text; its string values rewritten in place when redacted. Whether it changed."""
    try:
        raw = json.dumps(holder[key], ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        return [], False
    results, redacted = redact_arguments(context, action, raw, valid=True)
    if redacted is None:
        return results, False
    holder[key] = json.loads(redacted)
    return results, True
