"""Keys never travel back to a client: secrets masked in a relayed provider response.

A provider that echoes its key (``Incorrect API key provided: sk-…``) in an error body or
a header would otherwise hand the gateway's provider key to whoever called it. Every
occurrence of each secret is replaced by as many ``*`` (so ``Content-Length`` stays
right), across chunk boundaries too. A compressed (gzip / deflate) error response is
decompressed to be masked, and sent on uncompressed; a compressed success response is
relayed as it is (a provider does not echo keys there).
"""

from __future__ import annotations

import zlib
from typing import Any, Iterable, List, Optional, Tuple

from starlette.types import Message, Receive, Scope, Send

from ._maskforms import all_forms, mask_spans, mask_upto

__all__ = ["MaskedResponse", "mask_bytes"]

MIN_SECRET = 8
"""Shorter strings are not masked: they would match ordinary text, and are no real key."""
MAX_ERROR_BODY = 1024 * 1024
"""A compressed error body is inflated to at most this many bytes (the rest is dropped)."""


def mask_bytes(data: bytes, secrets: Iterable[bytes]) -> bytes:
    """``data`` with every secret replaced by ``*`` of the same length (overlapping
    occurrences of several forms of one key included)."""
    return mask_spans(data, secrets)


def _held(data: bytes, secrets: List[bytes]) -> int:
    """How many bytes at the end of ``data`` could be the start of a secret."""
    held = 0
    for secret in secrets:
        start = max(0, len(data) - len(secret) + 1)
        at = data.find(secret[:1], start)
        while at != -1:
            if secret.startswith(data[at:]):
                held = max(held, len(data) - at)
                break
            at = data.find(secret[:1], at + 1)
    return held


class _Masker:
    """Masks a byte stream chunk by chunk, holding back only an end that could be the
    start of a secret (so a stream is not delayed otherwise)."""

    def __init__(self, secrets: List[bytes]) -> None:
        self.secrets = secrets
        self.tail = b""

    def feed(self, chunk: bytes) -> bytes:
        raw = self.tail + chunk  # the tail is kept unmasked: a form may go on in ``chunk``
        masked, cut = mask_upto(raw, self.secrets, len(raw) - _held(raw, self.secrets))
        out, self.tail = masked[:cut], raw[cut:]
        return out

    def flush(self) -> bytes:
        out, self.tail = mask_bytes(self.tail, self.secrets), b""
        return out


def _inflate(data: bytes, encoding: bytes) -> Optional[bytes]:
    wbits = {b"gzip": 31, b"x-gzip": 31, b"deflate": 15}.get(encoding)
    if wbits is None:
        return None
    try:
        inflater = zlib.decompressobj(wbits)
        return inflater.decompress(data, MAX_ERROR_BODY)
    except zlib.error:
        try:  # raw deflate, as some servers send it
            return zlib.decompressobj(-15).decompress(data, MAX_ERROR_BODY)
        except zlib.error:
            return None


class MaskedResponse:
    """Wraps an ASGI response (the relayed provider answer) and masks ``secrets`` in its
    headers and body."""

    def __init__(self, inner: Any, secrets: Iterable[str]) -> None:
        self.inner = inner
        # Each key's escaped, encoded, re-cased and partial forms too (``_maskforms``).
        self.secrets = all_forms(s for s in secrets if len(s) >= MIN_SECRET)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.secrets:
            await self.inner(scope, receive, send)
            return
        masker = _Masker(self.secrets)
        held: List[bytes] = []
        start: Optional[Message] = None
        encoding = b""

        async def masked(message: Message) -> None:
            nonlocal start, encoding
            if message["type"] == "http.response.start":
                headers: List[Tuple[bytes, bytes]] = [
                    (k, mask_bytes(v, self.secrets)) for k, v in message["headers"]
                ]
                encoding = next(
                    (v.strip().lower() for k, v in headers if k == b"content-encoding"), b""
                )
                message = {**message, "headers": headers}
                if message["status"] >= 400 and encoding not in (b"", b"identity"):
                    start = message  # buffered: decompressed and masked at the end
                    return
                await send(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            more = message.get("more_body", False)
            if start is not None:
                held.append(message.get("body", b""))
                if not more:
                    await self._send_inflated(send, start, b"".join(held), encoding)
                return
            body = masker.feed(message.get("body", b""))
            if not more:
                body += masker.flush()
            await send({**message, "body": body})

        await self.inner(scope, receive, masked)

    async def _send_inflated(self, send: Send, start: Message, raw: bytes, encoding: bytes) -> None:
        plain = _inflate(raw, encoding)
        if plain is None:  # cannot be read: not relayed at all rather than relayed unmasked
            plain = b'{"error":{"message":"The provider sent an unreadable error body"}}'
        body = mask_bytes(plain, self.secrets)
        headers = [
            (k, v) for k, v in start["headers"] if k not in (b"content-encoding", b"content-length")
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})
