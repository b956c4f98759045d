"""Strict readings of the multipart pieces that parsers disagree on.

* :func:`strict_params`: a header's ``key=value`` parameters, refusing a key given twice
  (``boundary=AAA; boundary=BBB``: some parsers keep the first, dict-based ones the
  last, so the gateway and the provider would read different parts).
* :func:`transfer_decode`: a part's ``Content-Transfer-Encoding`` applied as
  python-multipart (Starlette, FastAPI) applies it: ``base64`` and
  ``quoted-printable`` are decoded before scanning; ``7bit``, ``8bit`` and ``binary``
  leave the bytes as they are; any other value is refused.
* :func:`ext_value`: an RFC 5987 / RFC 8187 extended value (``filename*=utf-8''a%20b``)
  percent-decoded in its charset, as the provider reads it.
"""

from __future__ import annotations

import binascii
import codecs
import re
from typing import Dict, Optional
from urllib.parse import unquote

from ._lenient import lenient_base64

__all__ = ["REPEATED_HEADERS", "ext_value", "strict_params", "transfer_decode"]

REPEATED_HEADERS = frozenset(
    {b"content-disposition", b"content-type", b"content-transfer-encoding"}
)
"""Part headers that may appear once only (parsers keep the first or the last)."""
_PARAM = re.compile(r';\s*([\w*.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
_EXT_VALUE = re.compile(r"([\w!#$%&+^`{}~-]*)'[\w-]*'(.*)", re.ASCII | re.DOTALL)
_PLAIN = frozenset({"", "7bit", "8bit", "binary"})


def strict_params(value: str) -> Optional[Dict[str, str]]:
    """``key=value`` parameters of a header value (quotes removed, keys lower-case), or
    ``None`` if a key appears twice."""
    out: Dict[str, str] = {}
    for key, raw in _PARAM.findall(value):
        raw = raw.strip()
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        if key.lower() in out:
            return None
        out[key.lower()] = raw
    return out


def transfer_decode(content: bytes, encoding: str) -> Optional[bytes]:
    """``content`` with its transfer encoding undone; ``None`` for an unknown one."""
    name = encoding.strip().lower()
    if name in _PLAIN:
        return content
    if name == "quoted-printable":
        try:
            return binascii.a2b_qp(content)
        except (binascii.Error, ValueError):  # pragma: no cover - a2b_qp is lenient
            return None
    if name == "base64":
        return lenient_base64(content.decode("latin-1")) or b""
    return None


def ext_value(value: str) -> str:
    """An RFC 5987 ``charset'language'percent-encoded`` value decoded; ``value`` itself
    if it is not one."""
    found = _EXT_VALUE.fullmatch(value.strip())
    if found is None:
        return value
    charset = found.group(1) or "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        charset = "utf-8"
    return unquote(found.group(2), encoding=charset, errors="replace")
