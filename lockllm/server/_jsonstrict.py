"""JSON as strictly as the gateway needs it: a duplicate key anywhere is an error.

Parsers disagree on duplicates (Python keeps the last value, some providers the first),
so a body holding ``"messages"`` twice could be scanned as one conversation and answered
as another. The gateway refuses such bodies instead of guessing.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Tuple, Union

__all__ = ["DuplicateKey", "loads"]


class DuplicateKey(ValueError):
    """A JSON object names the same key twice."""


def _pairs(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(f"duplicate key {key[:64]!r}")
            seen.add(key)
    return out


def loads(data: Union[bytes, str]) -> Any:
    """``json.loads`` refusing duplicate keys (``DuplicateKey``, a ``ValueError``)."""
    return json.loads(data, object_pairs_hook=_pairs)
