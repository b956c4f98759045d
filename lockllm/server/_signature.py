"""Signing and verifying the gateway's webhook deliveries (standard library only).

Each delivery carries ``X-LockLLM-Signature: t=<unix seconds>,v1=<hex>`` where ``<hex>`` is
HMAC-SHA256 under the shared secret over ``f"{t}.".encode() + body``: the timestamp is
signed with the body, so a captured delivery cannot be replayed later with a fresh time.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import List, Optional, Union

__all__ = ["SIGNATURE_HEADER", "sign_webhook", "verify_webhook_signature"]

SIGNATURE_HEADER = "X-LockLLM-Signature"
DEFAULT_TOLERANCE = 300.0


def _digest(secret: Union[str, bytes], timestamp: str, body: bytes) -> str:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(key, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def sign_webhook(secret: Union[str, bytes], body: bytes, timestamp: Optional[int] = None) -> str:
    """The ``X-LockLLM-Signature`` value for ``body`` (``t=…,v1=…``)."""
    stamp = str(int(time.time()) if timestamp is None else int(timestamp))
    return f"t={stamp},v1={_digest(secret, stamp, body)}"


def verify_webhook_signature(
    body: bytes,
    signature: str,
    secret: Union[str, bytes],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: Optional[float] = None,
) -> bool:
    """True if ``signature`` (the ``X-LockLLM-Signature`` header) signs ``body`` with
    ``secret`` and its timestamp is within ``tolerance`` seconds of ``now``.

    ``body`` must be the raw bytes received, before any JSON parsing. The comparison is
    constant-time; several ``v1=`` values (a secret being rotated) are accepted if any
    one matches.

    >>> header = sign_webhook("s3cret", b'{"type":"blocked"}', timestamp=1700000000)
    >>> verify_webhook_signature(b'{"type":"blocked"}', header, "s3cret", now=1700000010)
    True
    >>> verify_webhook_signature(b'{"type":"other"}', header, "s3cret", now=1700000010)
    False
    """
    stamp: Optional[str] = None
    candidates: List[str] = []
    for part in signature.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            stamp = value
        elif name == "v1":
            candidates.append(value)
    if stamp is None or not stamp.isdigit() or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > tolerance:
        return False
    expected = _digest(secret, stamp, body).encode("ascii")
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected, candidate.encode("ascii", "replace"))
    return matched
