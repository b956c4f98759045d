"""What a file or an encoded payload holds, as far as scanning goes.

:func:`classify` looks at the bytes and the declared type and says one of:

* ``text`` (checked before the media rules): valid UTF-8 (or UTF-16 with a byte-order
  mark) without NUL bytes, or what a lenient reader makes of the bytes
  (``_lenient``: UTF-16/32 with or without a BOM, junk bytes before text) when that is
  mostly text: returned for scanning, whatever the name, MIME type or magic number claims;
* ``pdf``: the text of its pages (``pypdf``, imported on first use; FlateDecode and the
  other standard filters are decoded by it), for a declared PDF, one starting with
  ``%PDF-``, or one with junk before ``%PDF-`` in its first KiB. A declared PDF without
  extractable text, encrypted, or that ``pypdf`` cannot read is ``unscannable``;
* ``media``: binary content under a declared ``image/``, ``audio/`` or ``video/`` type,
  or undeclared (or ``application/octet-stream``) content with a media magic number: not
  text the engine can read, and the only thing forwarded unscanned. A declared text or
  PDF type outranks a magic number;
* ``unscannable``: anything else (archives, office files, unknown binary): refused by
  default (``forward_unscannable`` lets it through).
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from typing import NamedTuple, Optional, Tuple

from ._lenient import (
    MEDIA_TEXT_SHARE,
    TEXT_SHARE,
    data_payload,
    lenient_text,
    pdf_offset,
    textual,
)

__all__ = [
    "MAX_PDF_TEXT",
    "Content",
    "classify",
    "decode_base64",
    "parse_data_url",
]

MAX_PDF_TEXT = 8 * 1024 * 1024
"""Characters of PDF text extracted at most; a PDF with more is ``unscannable``."""
_MEDIA_PREFIXES = ("image/", "audio/", "video/")
_MAGIC: Tuple[Tuple[bytes, int], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0),
    (b"\xff\xd8\xff", 0),  # JPEG
    (b"GIF87a", 0),
    (b"GIF89a", 0),
    (b"BM", 0),
    (b"II*\x00", 0),  # TIFF
    (b"MM\x00*", 0),
    (b"ID3", 0),  # MP3 with a tag
    (b"OggS", 0),
    (b"fLaC", 0),
    (b"\x1a\x45\xdf\xa3", 0),  # WebM / Matroska
    (b"#!AMR", 0),
    (b"ftyp", 4),  # MP4, MOV, M4A, HEIC, AVIF
)
_BASE64_TEXT = re.compile(r"[A-Za-z0-9+/=_\-\r\n]*")
_DATA_URL = re.compile(
    r"data:([\w.+/-]*)((?:;[\w.+-]+=[\w.+\-\"%]*)*)(;base64)?,", re.ASCII | re.IGNORECASE
)


class Content(NamedTuple):
    """A classified payload: ``kind`` and, for ``text`` and ``pdf``, the text."""

    kind: str  # "text", "pdf", "media" or "unscannable"
    text: str = ""
    reason: str = ""


def _is_media_magic(data: bytes) -> bool:
    for magic, offset in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            return True
    if data[:4] == b"RIFF" and data[8:12] in (b"WAVE", b"WEBP", b"AVI "):
        return True
    # MPEG audio frame sync (MP3 without a tag, AAC ADTS).
    return len(data) > 1 and data[0] == 0xFF and (data[1] & 0xE0) == 0xE0


def _as_text(data: bytes) -> Optional[str]:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None
    return None if "\x00" in text else text


def _pdf_text(data: bytes) -> Content:
    try:
        import pypdf
    except ImportError:  # pragma: no cover - the server extra ships it
        return Content("unscannable", reason="PDF text extraction needs pypdf")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            return Content("unscannable", reason="the PDF is encrypted")
        pieces = []
        size = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            size += len(text)
            if size > MAX_PDF_TEXT:
                return Content("unscannable", reason="the PDF holds too much text")
            pieces.append(text)
    except Exception as exc:  # a broken PDF is refused, not a 500
        return Content("unscannable", reason=f"the PDF could not be read ({type(exc).__name__})")
    text = "\n".join(pieces)
    if not text.strip():
        return Content("unscannable", reason="the PDF has no extractable text")
    return Content("pdf", text)


def classify(data: bytes, declared: str = "") -> Content:
    """What ``data`` is (see the module docstring); ``declared`` is a MIME type, if any."""
    mime = declared.split(";")[0].strip().lower()
    media = mime.startswith(_MEDIA_PREFIXES)
    if data[:5] == b"%PDF-" or data.lstrip()[:5] == b"%PDF-" or mime == "application/pdf":
        return _pdf_text(data)
    if pdf_offset(data) > 0 and not (media and _is_media_magic(data)):
        found = _pdf_text(data)  # junk before %PDF-: PDF readers still read it
        if found.kind == "pdf":
            return found
    text = _as_text(data)  # first: text is scanned whatever its name or magic says
    if text is not None:
        return Content("text", text)
    share = MEDIA_TEXT_SHARE if media else TEXT_SHARE
    # UTF-16/32 without a BOM, junk bytes before text …; the first 64 KiB first, so an
    # image is not decoded whole (a binary head is no text file to any reader).
    if textual(lenient_text(data[:65536]), share):
        text = lenient_text(data)
        if textual(text, share):
            return Content("text", text)
    if media or (mime in ("", "application/octet-stream") and _is_media_magic(data)):
        return Content("media")
    return Content("unscannable", reason="binary content the gateway cannot read")


def decode_base64(value: str) -> Optional[bytes]:
    """The bytes of a base64 (standard or URL-safe, line breaks allowed) string, or None."""
    if not _BASE64_TEXT.fullmatch(value):
        return None
    compact = "".join(value.split())
    if not compact:
        return None
    compact += "=" * (-len(compact) % 4)
    try:
        if "-" in compact or "_" in compact:
            return base64.urlsafe_b64decode(compact)
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


def parse_data_url(value: str) -> Optional[Tuple[str, Optional[bytes]]]:
    """``(mime type, payload bytes)`` of a ``data:`` URL; bytes ``None`` if they do not
    decode; ``None`` for a string that is not a data URL."""
    found = _DATA_URL.match(value.lstrip())  # the scheme in any case, as URLs allow
    if found is None:
        return None
    payload = value.lstrip()[found.end() :]
    # Percent-decoded, then base64 decoded leniently (WHATWG data: URL processing).
    return found.group(1), data_payload(payload, bool(found.group(3)))
