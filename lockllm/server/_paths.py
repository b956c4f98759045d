"""Proxy paths that cannot climb out of a provider's base path, and log-safe text.

:func:`check_proxy_path` refuses, before anything is forwarded: a provider name not
spelled plainly; a ``;`` (path parameters: ``..;x`` is ``..`` to many servers) or ``#``
anywhere; and any segment that is ``.`` or ``..`` once decoded — percent-encoded in any
case (``%2e``, ``%2E%2e``), double-encoded (``%252e``), or around a backslash or an
encoded ``/`` (which some servers treat as separators). Decoding is repeated until the
text no longer changes (bounded), so every encoding layer is seen. Bytes that are never
valid in UTF-8 (``%c0%ae``: an over-long ``.``) and control characters are refused too,
and so are ``%u`` escapes, a ``?`` inside a segment (``..%3f``) and non-ASCII that NFKC
folds into ``.`` / ``/`` / ``\\`` (fullwidth ``．．``), for upstreams that decode or fold
them.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Optional, Tuple
from urllib.parse import unquote_to_bytes

__all__ = ["check_proxy_path", "log_safe"]

PROXY_PREFIX = b"/v1/proxy/"
_MAX_DECODES = 8
_BAD_BYTES = re.compile(rb"[\x00-\x1f\x7f\xc0\xc1\xf5-\xff;#]")
_U_ESCAPE = re.compile(rb"%u[0-9a-f]{4}", re.IGNORECASE)
_UNSAFE_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_REFUSED = (
    "Proxy paths may not hold '.' or '..' segments (in any encoding), ';', '#', '\\' "
    "or control characters"
)


def _decoded(segment: bytes) -> bytes:
    for _ in range(_MAX_DECODES):
        decoded = unquote_to_bytes(segment)
        if decoded == segment:
            return decoded
        segment = decoded
    return segment


def check_proxy_path(raw: bytes, provider: str) -> Tuple[Optional[str], str]:
    """``(problem, path)``: a reason to answer 404, or ``None`` and the raw path after
    ``/v1/proxy/<provider>/`` to forward (still percent-encoded)."""
    if not raw.startswith(PROXY_PREFIX):  # pragma: no cover - the route guarantees it
        return "No route for this path", ""
    name, _, rest = raw[len(PROXY_PREFIX) :].partition(b"/")
    if name != provider.encode("utf-8"):
        return f"Unknown provider {log_safe(name.decode('latin-1'))!r}", ""
    for segment in rest.split(b"/"):
        decoded = _decoded(segment)
        if _BAD_BYTES.search(decoded) or b"\\" in decoded or b"/" in decoded:
            return _REFUSED, ""
        if decoded and decoded.strip(b". \t") == b"":
            return _REFUSED, ""
        if _folds_unsafely(decoded):
            return _REFUSED, ""
    return None, rest.lstrip(b"/").decode("latin-1")


def _folds_unsafely(decoded: bytes) -> bool:
    """A decoded segment that a lenient upstream could still read as ``..`` or a
    separator: ``%u002e`` (IIS-style escapes), a ``?`` (from ``%3f``: ``..%3f`` ends the
    path there), or non-ASCII that folds to ``.``, ``/``, ``\\`` or ``?`` under NFKC
    (fullwidth ``．．``, best-fit mappings)."""
    if _U_ESCAPE.search(decoded) or b"?" in decoded:
        return True
    if decoded.isascii():
        return False
    folded = unicodedata.normalize("NFKC", decoded.decode("utf-8", "replace"))
    if any(c in folded for c in "/\\?#;%"):
        return True
    return folded.strip(". \t") == ""


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def log_safe(text: str) -> str:
    """``text`` with control, line-separator and bidi characters shown as escapes."""
    return _UNSAFE_TEXT.sub(_escape, text)
