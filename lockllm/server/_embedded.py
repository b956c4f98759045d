"""``data:`` URLs written inside text, decoded so their content is scanned too.

A model reads a base64 payload in a prompt without help, so ``"do what this says:
data:text/plain;base64,…"`` is an attack whatever the engine makes of the base64 run.
:func:`expand` finds every ``data:`` URL (any case, percent-encoded and lenient base64
included) in the texts to scan, classifies the payload (``_documents.classify``) and adds
text and PDF text as ``document`` messages; a decoded text is searched again, so nested
layers are read too. Media and undecodable payloads add nothing (the text around them is
scanned as it is). Each distinct payload is decoded once, so the work is linear in the
size of the body.
"""

from __future__ import annotations

import hashlib
import re
from typing import List, Set

from ._documents import classify
from ._extract import Extraction, Message
from ._lenient import data_urls

__all__ = ["expand"]

_MARK = re.compile("data:", re.IGNORECASE)


def expand(found: Extraction) -> Extraction:
    """``found`` plus the text of every ``data:`` URL inside its messages."""
    messages: List[Message] = list(found.messages)
    seen: Set[bytes] = set()
    index = 0
    while index < len(messages):  # messages added here are searched in turn
        text = messages[index]["content"]
        index += 1
        if _MARK.search(text) is None:
            continue
        for mime, data in data_urls(text):
            if data is None:
                continue
            digest = hashlib.sha256(data).digest()
            if digest in seen:
                continue
            seen.add(digest)
            content = classify(data, mime)
            if content.kind in ("text", "pdf") and content.text.strip():
                messages.append({"role": "document", "content": content.text})
    if len(messages) == len(found.messages):
        return found
    return Extraction(messages, found.unscannable, found.media)
