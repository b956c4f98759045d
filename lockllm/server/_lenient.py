"""What lenient readers make of bytes and base64, so the gateway scans what they would see.

A provider (or the model behind it) that is handed a file does not validate it the way a
strict parser does: it decodes text with a byte-order mark or without one, skips junk
before ``%PDF-``, and decodes base64 with spaces, dots, line breaks, the URL-safe
alphabet or no padding. The gateway scans the same reading:

* :func:`lenient_text` decodes bytes as text (UTF-32 / UTF-16 with a BOM or recognised
  by where the NUL bytes sit, else UTF-8 with replacement characters), odd trailing
  bytes dropped, NULs removed;
* :func:`textual` says whether such a reading is mostly text (then it is scanned, even
  behind a media signature);
* :func:`lenient_base64` decodes base64 as non-validating decoders do (Python's default,
  Node's ``Buffer.from(s, "base64")``, WHATWG forgiving-base64 after dropping spaces);
* :func:`data_urls` finds ``data:`` URLs inside a text (any case), payloads
  percent-decoded as the WHATWG ``data:`` URL algorithm does.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Iterator, Optional, Tuple
from urllib.parse import unquote_to_bytes

__all__ = [
    "MEDIA_TEXT_SHARE",
    "data_payload",
    "data_urls",
    "lenient_base64",
    "lenient_text",
    "pdf_offset",
    "textual",
]

TEXT_SHARE = 0.85
"""A reading with at least this share of text characters counts as text."""
MEDIA_TEXT_SHARE = 0.95
"""The share under a declared media type (quiet 16-bit audio reads as ~75-90% Latin-1 or
fullwidth letters; text behind a few signature bytes is over 95%)."""
PDF_WINDOW = 1024
"""``%PDF-`` anywhere in the first this many bytes makes a PDF (as PDF readers accept)."""
_BOMS: Tuple[Tuple[bytes, str, int], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32-le", 4),  # before UTF-16 LE: same first two bytes
    (b"\x00\x00\xfe\xff", "utf-32-be", 4),
    (b"\xef\xbb\xbf", "utf-8", 1),
    (b"\xff\xfe", "utf-16-le", 2),
    (b"\xfe\xff", "utf-16-be", 2),
)
_NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd\ud800-\udfff]")
_NOT_B64 = re.compile(r"[^A-Za-z0-9+/\-_]")
_DATA_URL = re.compile(
    r"data:([\w.+/-]*)((?:;[\w.+-]+=[\w.+\-\"%]*)*)(;base64)?,", re.ASCII | re.IGNORECASE
)
_PAYLOAD_END = re.compile(r"[\s\"'<>()\[\]{}`\\]")


def _unit(sample: bytes) -> Tuple[str, int]:
    """The encoding of BOM-less text, guessed from where its NUL bytes are."""
    size = len(sample)
    if size < 4:
        return "utf-8", 1
    lanes = [sample[i::4].count(0) / max(1, len(sample[i::4])) for i in range(4)]
    if min(lanes[1:]) > 0.9 and lanes[0] < 0.1:
        return "utf-32-le", 4
    if min(lanes[:3]) > 0.9 and lanes[3] < 0.1:
        return "utf-32-be", 4
    even = sample[0::2].count(0) / len(sample[0::2])
    odd = sample[1::2].count(0) / len(sample[1::2])
    if odd > 0.4 and even < 0.05:
        return "utf-16-le", 2
    if even > 0.4 and odd < 0.05:
        return "utf-16-be", 2
    return "utf-8", 1


def lenient_text(data: bytes) -> str:
    """``data`` read as text the way a lenient reader does (see the module docstring)."""
    codec, unit, start = "", 1, 0
    for bom, name, size in _BOMS:
        if data.startswith(bom):
            codec, unit, start = name, size, len(bom)
            break
    if not codec:
        codec, unit = _unit(data[:4096])
    body = data[start:]
    body = body[: len(body) - len(body) % unit]
    return body.decode(codec, "replace").replace("\x00", "")


def textual(text: str, share: float = TEXT_SHARE) -> bool:
    """True if ``text`` (a :func:`lenient_text` reading) is at least ``share`` text
    characters."""
    if not text.strip():
        return False
    bad = _NOT_TEXT.subn("", text)[1]
    return (len(text) - bad) >= share * len(text)


def pdf_offset(data: bytes) -> int:
    """Where ``%PDF-`` starts within the first :data:`PDF_WINDOW` bytes, or -1."""
    return data.find(b"%PDF-", 0, PDF_WINDOW + 5)


def lenient_base64(value: str) -> Optional[bytes]:
    """The bytes a non-validating base64 decoder makes of ``value``: characters outside
    the alphabet dropped (whitespace, dots …), URL-safe letters accepted, the payload
    ending at the first ``=``, padding added; ``None`` if nothing decodes."""
    compact = _NOT_B64.sub("", value.split("=", 1)[0])
    compact = compact.replace("-", "+").replace("_", "/")
    if len(compact) % 4 == 1:
        compact = compact[:-1]  # a lone trailing sextet carries no whole byte
    if not compact:
        return None
    try:
        return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):  # pragma: no cover - the alphabet is checked
        return None


def data_payload(value: str, is_base64: bool) -> Optional[bytes]:
    """A ``data:`` URL's payload as bytes: percent-decoded, then base64-decoded
    leniently when the URL says ``;base64``."""
    raw = unquote_to_bytes(value)
    if not is_base64:
        return raw
    return lenient_base64(raw.decode("latin-1"))


def data_urls(text: str) -> Iterator[Tuple[str, Optional[bytes]]]:
    """``(mime type, payload bytes or None)`` of every ``data:`` URL inside ``text`` (any
    case); a payload runs to the next whitespace, quote or bracket."""
    for found in _DATA_URL.finditer(text):
        end = _PAYLOAD_END.search(text, found.end())
        payload = text[found.end() : end.start() if end else len(text)]
        if payload:
            yield found.group(1), data_payload(payload, bool(found.group(3)))
