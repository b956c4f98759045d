"""The query string of a proxied request, as text to scan.

OpenAI-style APIs do not read prompts from the query, but other providers' endpoints
(GET search / completion APIs, Gemini's ``?key=…&alt=…`` style, self-hosted servers that
take ``?prompt=``) may show query values to a model. Every name and value (percent- and
``+``-decoded) is scanned, in one ``fields`` message, before the request is forwarded.
"""

from __future__ import annotations

from typing import Dict, List
from urllib.parse import parse_qsl

__all__ = ["query_messages"]


def query_messages(query: bytes) -> List[Dict[str, str]]:
    """One ``fields`` message with every name and value of ``query`` (none if empty)."""
    pairs = parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True)
    texts = [text for pair in pairs for text in pair if text.strip()]
    if not texts:
        return []
    return [{"role": "user", "content": "\n".join(texts), "kind": "fields"}]
