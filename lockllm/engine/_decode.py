"""Find encoded runs (base64, hex, URL-encoding, HTML entities) and decode them to text.

Only decodings that yield readable text are returned; the caller scans them with the
phrase rules. Binary payloads (images, hashes, keys) decode to unreadable bytes and drop
out, so ordinary encoded data costs nothing but the decode attempt.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from typing import Iterator, NamedTuple
from urllib.parse import unquote

__all__ = ["Decoded", "find_encoded"]

_MAX_RUN = 200_000
_B64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_HEX = re.compile(r"[0-9A-Fa-f]{16,}")
_HEX_ESC = re.compile(r"(?:\\x[0-9A-Fa-f]{2}){6,}")
_URLENC = re.compile(r"[^\s%]{0,40}(?:%[0-9A-Fa-f]{2}[^\s%]{0,4}){4,}")
_ENTITIES = re.compile(r"(?:&#(?:x[0-9A-Fa-f]{1,6}|[0-9]{1,7});\s?){4,}")
_DATA_URI = re.compile(r"data:[\w.+-]+/[\w.+-]+(?:;[\w.+-]+=[\w.+-]+)*;base64,$", re.IGNORECASE)


# Cheap pre-checks for runs long enough to decode: base64 characters -> "b" (resp. hex
# digits -> "h"), everything else -> " ".
_B64_SHAPE = str.maketrans(
    {chr(i): "b" if chr(i).isalnum() or chr(i) in "+/_-" else " " for i in range(128)}
)
_HEX_SHAPE = str.maketrans(
    {chr(i): "h" if chr(i) in "0123456789abcdefABCDEF" else " " for i in range(128)}
)


class Decoded(NamedTuple):
    """A decoded run: where it sits in the original text, how it was encoded, the text."""

    start: int
    end: int
    encoding: str
    text: str


def _readable(text: str) -> bool:
    if len(text) < 6:
        return False
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text)
    letters = sum(ch.isalpha() or ch == " " for ch in text)
    return printable >= 0.95 * len(text) and letters >= 0.6 * len(text)


def _bytes_to_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return ""


def _b64(run: str) -> str:
    if not (any(c.isdigit() for c in run) or (run.lower() != run and run.upper() != run)):
        return ""  # one long plain word, not base64
    core = run.rstrip("=")
    padded = core + "=" * (-len(core) % 4)
    try:
        if "-" in run or "_" in run:
            raw = base64.urlsafe_b64decode(padded)
        else:
            raw = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return ""
    return _bytes_to_text(raw)


def find_encoded(text: str) -> Iterator[Decoded]:
    """Yield readable decodings of encoded runs in ``text``."""
    long_b64 = "b" * 16 in text.translate(_B64_SHAPE)
    long_hex = long_b64 and "h" * 16 in text.translate(_HEX_SHAPE)
    for m in _B64.finditer(text) if long_b64 else ():
        run = m.group(0)
        if len(run) > _MAX_RUN or _DATA_URI.search(text, max(0, m.start() - 100), m.start()):
            continue
        decoded = _b64(run)
        if _readable(decoded):
            yield Decoded(m.start(), m.end(), "base64", decoded)
    if "\\x" in text:
        for m in _HEX_ESC.finditer(text):
            raw = bytes(int(h, 16) for h in re.findall(r"\\x([0-9A-Fa-f]{2})", m.group(0)))
            decoded = _bytes_to_text(raw)
            if _readable(decoded):
                yield Decoded(m.start(), m.end(), "hex", decoded)
    for m in _HEX.finditer(text) if long_hex else ():
        digits = m.group(0)
        if len(digits) % 2 or len(digits) > _MAX_RUN:
            continue
        try:
            decoded = _bytes_to_text(bytes.fromhex(digits))
        except ValueError:
            continue
        if _readable(decoded):
            yield Decoded(m.start(), m.end(), "hex", decoded)
    if "%" in text:
        for m in _URLENC.finditer(text):
            decoded = unquote(m.group(0).replace("+", " "))
            if decoded != m.group(0) and _readable(decoded):
                yield Decoded(m.start(), m.end(), "url", decoded)
    if "&#" in text:
        for m in _ENTITIES.finditer(text):
            decoded = html.unescape(m.group(0))
            if _readable(decoded):
                yield Decoded(m.start(), m.end(), "html_entities", decoded)
