"""The forms a key takes when a provider echoes it, so that masking catches them all.

A provider error that quotes a key rarely quotes it byte for byte: JSON encoders escape
``-`` or every character as ``\\u002d`` (``ensure_ascii``, HTML-safe modes), URLs
percent-encode it, a message may upper-case it or quote only its start
(``"sk-proj-abc…xyz"``), and a body may carry it base64-encoded. :func:`secret_forms`
lists, for one key: the key, upper- and lower-cased; JSON-escaped (non-alphanumerics, or
every character; either hex case); percent-encoded (non-alphanumerics, or every
character; either hex case); the base64 runs that encode it (at each of the three byte
alignments); and every run of :data:`WINDOW` characters of it (a quoted prefix or middle).
:func:`mask_spans` masks every occurrence of any form, overlapping ones included.
"""

from __future__ import annotations

import base64
import functools
from typing import Iterable, List, Set, Tuple

__all__ = [
    "WINDOW",
    "all_forms",
    "mask_spans",
    "mask_text",
    "mask_upto",
    "secret_forms",
    "without_secrets",
]

WINDOW = 12
"""A run of this many characters of a key is masked wherever it appears."""


def _escaped(text: str, template: str, every: bool) -> str:
    return "".join(
        template % ord(c) if every or not c.isalnum() or not c.isascii() else c for c in text
    )


def _base64_runs(secret: bytes) -> List[bytes]:
    """Base64 text that encodes ``secret`` whatever bytes come before or after it."""
    runs = []
    for lead in range(3):
        encoded = base64.b64encode(b"\0" * lead + secret)
        start = 4 if lead else 0  # the first group mixes in the preceding bytes
        end = ((lead + len(secret)) // 3) * 4  # whole groups only
        if end - start >= WINDOW:
            runs.append(encoded[start:end])
    return runs


@functools.lru_cache(maxsize=256)  # the same few keys, request after request
def secret_forms(secret: str) -> Tuple[bytes, ...]:
    """Every form of ``secret`` to mask (see the module docstring), longest first."""
    forms: Set[bytes] = set()
    for text in {secret, secret.upper(), secret.lower()}:
        forms.add(text.encode("utf-8", "surrogateescape"))
    plain = secret.encode("utf-8", "surrogateescape")
    if secret.isascii():
        for every in (False, True):
            for template in ("\\u%04x", "\\u%04X", "%%%02X", "%%%02x"):
                forms.add(_escaped(secret, template, every).encode("ascii"))
        forms.update(_base64_runs(plain))
    forms.update(plain[i : i + WINDOW] for i in range(len(plain) - WINDOW + 1))
    return tuple(sorted(forms, key=len, reverse=True))


def _spans(data: bytes, forms: Iterable[bytes]) -> List[Tuple[int, int]]:
    spans = []
    for form in forms:
        at = data.find(form) if form else -1
        while at != -1:
            spans.append((at, at + len(form)))
            at = data.find(form, at + 1)
    return spans


def mask_spans(data: bytes, forms: Iterable[bytes]) -> bytes:
    """``data`` with every occurrence of each form replaced by ``*`` (same length)."""
    return mask_upto(data, forms, len(data))[0]


def mask_upto(data: bytes, forms: Iterable[bytes], cut: int) -> Tuple[bytes, int]:
    """``data`` masked, and ``cut`` moved back to the start of any occurrence that runs
    past it (so a stream sends ``[:cut]`` fully masked and keeps ``data[cut:]`` raw)."""
    spans = _spans(data, forms)
    if not spans:
        return data, cut
    out = bytearray(data)
    for start, end in spans:
        out[start:end] = b"*" * (end - start)
    moved = True
    while moved:  # overlapping occurrences: until no occurrence crosses the cut
        moved = False
        for start, end in spans:
            if start < cut < end:
                cut, moved = start, True
    return bytes(out), cut


def all_forms(secrets: Iterable[str]) -> List[bytes]:
    """The :func:`secret_forms` of every secret, longest first."""
    return sorted({f for secret in secrets for f in secret_forms(secret)}, key=len, reverse=True)


def mask_text(text: str, forms: Iterable[bytes]) -> str:
    """``text`` (a logged path) with every form (:func:`all_forms`) masked."""
    data = text.encode("utf-8", "surrogateescape")
    masked = mask_spans(data, forms)
    return text if masked == data else masked.decode("utf-8", "replace")


def without_secrets(
    headers: Iterable[Tuple[bytes, bytes]], forms: Iterable[bytes]
) -> List[Tuple[bytes, bytes]]:
    """``headers`` less any whose value holds a form of a secret (a client key put in
    ``Cookie``, ``X-Forwarded-Authorization`` … is not handed to the provider)."""
    forms = list(forms)
    return [(k, v) for k, v in headers if not any(f and f in v for f in forms)]
