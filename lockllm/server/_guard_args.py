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
from bisect import bisect_left, bisect_right
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

from ._guard import Finding, GuardContext, json_unescape

__all__ = [
    "ArgumentLexer",
    "Seg",
    "apply_masks",
    "label",
    "point",
    "raw_span",
    "span_of",
    "redact_arguments",
    "redact_object",
]

Action = Callable[[Finding], str]

_LABELS = {"prompt_leak": "[REDACTED_SYSTEM_PROMPT]", "exfiltration": "[REDACTED_URL]"}
_OUTSIDE = re.compile(r'["{}\[\],:]')
_INSIDE = re.compile(r'["\\]')
_HEX = frozenset("0123456789abcdefABCDEF")
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|[^u])", re.DOTALL)
_SIMPLE = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
MAX_DEPTH = 4096
"""Nesting followed to tell keys from values; deeper strings count as keys (not rewritten)."""


def label(finding: Finding) -> str:
    """The placeholder a redacted finding is replaced with."""
    return _LABELS.get(finding.kind) or "[" + finding.detail.upper()[:40] + "]"


class Seg(NamedTuple):
    """``dlen`` characters of the reading from ``dec`` on come from ``rlen`` raw characters
    from ``raw`` on, each from ``rlen // dlen`` of them: one for one, or a run of escape
    sequences of one length (``\\n``: 2, ``\\u00e9``: 6). ``tag``: ``-1`` outside
    strings (quotes included), ``2k`` inside value string ``k``, ``2k + 1`` inside key
    string ``k``."""

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
        "located",
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
        self.located: Dict[int, Tuple[int, int, int]] = {}

    def clone(self) -> ArgumentLexer:
        """A lexer in this one's state (to read the same piece again)."""
        twin = ArgumentLexer()
        for name in self.__slots__:
            setattr(twin, name, getattr(self, name))
        twin.stack = list(self.stack)
        twin.located = {}
        return twin

    def feed(
        self, text: str, where: Sequence[int] = (), keep_from: Optional[int] = 0
    ) -> Tuple[str, List[Seg]]:
        """The reading of ``text`` (the next piece) and the segments of its characters that
        end past reading position ``keep_from`` (``None``: none, so memory does not grow
        with the text). ``where``: reading positions (ascending) whose characters are
        located on the way, in ``located``: ``(raw start, raw end, tag)``."""
        out: List[str] = []
        segs: List[Seg] = []
        base = self.raw
        pos, size = 0, len(text)
        wanted = list(where)[::-1]  # popped from the end: ascending
        located = self.located

        def emit(chars: str, raw_at: int, rlen: int, tag: int) -> None:
            count = len(chars)
            if wanted and wanted[-1] < self.decoded + count:
                width = rlen // count
                while wanted and wanted[-1] < self.decoded + count:
                    place = wanted.pop()
                    at = raw_at + (place - self.decoded) * width
                    located[place] = (at, at + width, tag)
            if keep_from is None or self.decoded + count <= keep_from:
                out.append(chars)
                self.decoded += count
                return
            last = segs[-1] if segs else None
            if (  # an escape after escapes of its length: one segment for the run
                last is not None
                and rlen > len(chars) == 1
                and last.tag == tag
                and last.rlen == last.dlen * rlen
                and last.raw + last.rlen == raw_at
            ):
                segs[-1] = Seg(last.dec, last.raw, last.dlen + 1, last.rlen + rlen, tag)
            else:
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
                    pos = stop + 1
                    continue
                whole = _ESCAPE.match(text, stop)
                if whole is None:  # cut by the piece's end (or not an escape): step by step
                    self.escape = "\\"
                    self.escape_at = base + stop
                    pos = stop + 1
                    continue
                code = whole.group(1)
                char = chr(int(code[1:], 16)) if len(code) == 5 else _SIMPLE.get(code, code)
                emit(char, base + stop, whole.end() - stop, self.tag)
                pos = whole.end()
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


def point(segs: Sequence[Seg], starts: Sequence[int], place: int) -> Tuple[int, int, int]:
    """``(raw start, raw end, tag)`` of the character at reading position ``place``."""
    seg = segs[max(0, bisect_right(starts, place) - 1)]
    width = seg.rlen // seg.dlen
    at = seg.raw + (place - seg.dec) * width
    return at, at + width, seg.tag


def span_of(first: Tuple[int, int, int], last: Tuple[int, int, int]) -> Tuple[int, int, bool]:
    """The raw span from the first character of a finding to its last (each ``point``'s
    triple), and whether it lies inside one string value (so it may be rewritten)."""
    tag = first[2]
    return first[0], last[1], tag >= 0 and tag % 2 == 0 and last[2] == tag


def raw_span(
    segs: Sequence[Seg], starts: Sequence[int], dstart: int, dend: int
) -> Tuple[int, int, bool]:
    """``span_of`` reading characters ``dstart:dend`` (``starts``: each segment's ``dec``)."""
    return span_of(point(segs, starts, dstart), point(segs, starts, dend - 1))


def apply_masks(text: str, start: int, masks: Sequence[Sequence[Any]]) -> str:
    """``text`` (at ``start`` of a longer text) with each ``[begin, end, placeholder]`` of
    ``masks`` (positions in the longer text, in order of ``begin``) replaced; a placeholder
    goes where its mask begins, the rest of the mask is left out of whatever piece holds
    it. Overlapping masks read as one (the first one's placeholder)."""
    end = start + len(text)
    out: List[str] = []
    pos = start
    for m_start, m_end, placeholder in masks:
        if m_start >= end:
            break
        if m_end <= pos:
            continue
        if m_start > pos:
            out.append(text[pos - start : m_start - start])
        if m_start >= pos:
            out.append(placeholder)
        pos = max(pos, m_end)
    if pos == start and not out:
        return text
    if pos < end:
        out.append(text[pos - start :])
    return "".join(out)


def add_mask(masks: List[List[Any]], begin: int, end: int, placeholder: str) -> None:
    """Add a mask to ``masks`` (disjoint, in order); merged with those it overlaps (they lie
    in the same string then), keeping the placeholder of the longest finding (a streamed
    key read first in part, then whole, is named by its whole reading)."""
    after = bisect_left(masks, [end])  # the first mask that starts at or after ``end``
    first = after
    while first and masks[first - 1][1] > begin:
        first -= 1
    if first == after:
        masks.insert(after, [begin, end, placeholder])
        return
    longest = max(masks[first:after], key=lambda m: m[1] - m[0])
    if end - begin > longest[1] - longest[0]:
        longest = [begin, end, placeholder]
    merged = [min(begin, masks[first][0]), max(end, masks[after - 1][1]), longest[2]]
    masks[first:after] = [merged]


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _in_one_value(lexer: ArgumentLexer, finding: Finding) -> Optional[Tuple[int, int]]:
    """The raw span of a finding located by ``lexer``, if it lies in one string value."""
    first = lexer.located.get(finding.start)
    last = lexer.located.get(finding.end - 1)
    if first is None or last is None:
        return None
    begin, end, inside = span_of(first, last)
    return (begin, end) if inside else None


def redact_arguments(
    context: GuardContext, action: Action, raw: str, valid: bool = False
) -> Tuple[List[Tuple[Finding, str]], Optional[str]]:
    """Findings in whole JSON-text arguments and their actions, and the redacted text
    (``None``: unchanged). A finding to redact that cannot be rewritten safely (it is not
    inside one string value, or ``raw`` is not valid JSON) blocks instead. ``valid``:
    ``raw`` is known to be JSON."""
    if not raw or not context.find(json_unescape(raw)):  # the common case: nothing at all
        return [], None
    reading, _ = ArgumentLexer().feed(raw, keep_from=None)
    hits = context.find(reading)
    if not hits:
        return [], None
    # A second reading finds where the findings' ends are in the raw text (no map of the
    # whole text is kept: its size would grow with every escape).
    lexer = ArgumentLexer()
    ends = {p for f in hits if f.end > f.start for p in (f.start, f.end - 1)}
    lexer.feed(raw, sorted(ends), keep_from=None)
    results: List[Tuple[Finding, str]] = []
    spans: List[Tuple[int, int, str]] = []
    for finding in hits:
        act = action(finding)
        if act == "redact":
            span = _in_one_value(lexer, finding)
            if span is not None and (valid or _parses(raw)):
                valid = True
                spans.append((span[0], span[1], label(finding)))
            else:
                act = "block"
        results.append((finding, act))
    if not spans or any(a == "block" for _, a in results):
        return results, None
    masks: List[List[Any]] = []
    for begin, end, placeholder in sorted(spans, key=lambda s: s[0]):
        add_mask(masks, begin, end, placeholder)
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
