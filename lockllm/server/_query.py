"""The query string of a proxied request: as text to scan, and under a PII action.

OpenAI-style APIs do not read prompts from the query, but other providers' endpoints
(GET search / completion APIs, Gemini's ``?key=…&alt=…`` style, self-hosted servers that
take ``?prompt=``) may show query values to a model. Every name and value (percent- and
``+``-decoded) is scanned, in one ``fields`` message, before the request is forwarded.

Under a PII action (``_piistep``) every value (and a bare token without ``=``) is read
for personal data and secrets (names are not, as object keys of a body are not),
except those of the parameters that carry the provider protocol itself (``key``, Google's
API key; ``alt``; ``api-version``, Azure's; ``upload_id``, ``uploadType``).
:func:`redact_query` gives the entities found and, under ``strip``, the query to forward:
each value holding a finding is decoded, redacted with the request's placeholders and
percent-encoded again (UTF-8, every reserved character escaped); every other parameter
and separator keeps its exact bytes.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, quote, unquote_to_bytes

from ..engine._pii import PIIEntity, RedactionMap, find_pii, redact

__all__ = ["query_messages", "redact_query"]

NOT_TEXT = frozenset({"key", "alt", "api-version", "api_version", "upload_id", "uploadtype"})
"""Query parameters (lower-cased names) whose values are protocol, not text: not read for
personal data."""


def query_messages(query: bytes) -> List[Dict[str, str]]:
    """One ``fields`` message with every name and value of ``query`` (none if empty)."""
    pairs = parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True)
    texts = [text for pair in pairs for text in pair if text.strip()]
    if not texts:
        return []
    return [{"role": "user", "content": "\n".join(texts), "kind": "fields"}]


def _decoded(raw: bytes) -> str:
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", "replace")


def redact_query(
    query: bytes, mapping: Optional[RedactionMap] = None
) -> Tuple[List[PIIEntity], bytes]:
    """The personal data and secrets in the values of ``query``, and the query with each
    redacted (``mapping``: the request's placeholders; without one the query comes back
    unchanged: the values are only read)."""
    found: List[PIIEntity] = []
    parts = query.split(b"&")
    changed = False
    for n, part in enumerate(parts):
        name, equals, value = part.partition(b"=")
        if not equals:  # a bare token (``?jane@example.org``) is a value
            name, value = b"", name
        if not value or _decoded(name).strip().lower() in NOT_TEXT:
            continue
        text = _decoded(value)
        if mapping is None:
            found += find_pii(text)
            continue
        redacted, entities = redact(text, mapping)
        if entities:
            found += entities
            parts[n] = name + equals + quote(redacted, safe="").encode("ascii")
            changed = True
    return found, (b"&".join(parts) if changed else query)
