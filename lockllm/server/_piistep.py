"""The gateway's PII step: ``X-LockLLM-PII-Action`` on ``/v1/scan`` and the proxy paths.

The action is the request's ``X-LockLLM-PII-Action`` header, else the gateway's
``pii_action`` setting (``LOCKLLM_SERVER_PII_ACTION``); with ``enforce_block`` the
setting wins over the header, so a client cannot loosen it. Without either, nothing here
runs.

* ``/v1/scan``: the answer carries ``pii_result`` (``redacted_input`` under ``strip``);
  ``block`` answers 403 ``pii_detected``.
* Proxy: every string of the JSON body is read (``engine._piiaction.redact_body``), and
  every value of the query string (``_query.redact_query``): ``block`` answers 403
  ``pii_detected`` and forwards nothing; ``strip`` forwards the body with each finding
  replaced by its placeholder (the JSON re-encoded; the raw bytes are never edited) and
  the query with each value holding one re-encoded redacted (one set of placeholders for
  both); ``allow_with_warning`` forwards both unchanged. Each adds the
  ``X-LockLLM-PII-*`` response headers, counting body and query together. A body that
  is not JSON is read as UTF-8 text; one that is neither (binary uploads) is not read;
  under ``strip`` a text body holding personal data is refused with 403, since it cannot
  be redacted in place.

Error bodies and headers name entity types and counts, never a value, and nothing here
logs.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Tuple

import anyio.to_thread

from .._vocabulary import PII_ACTIONS
from ..engine._pii import PIIEntity, RedactionMap, summarize
from ..engine._piiaction import BodyOutcome, check_text, redact_body
from ..errors import PIIDetectedError
from . import _errors
from ._inspect import Refusal, parse_json
from ._query import redact_query

__all__ = ["PIIRefusal", "proxy_body", "requested_action", "scan_input"]

_IN_THREAD = 32 * 1024
"""Bodies larger than this are read in a worker thread, off the event loop."""

Header = Tuple[bytes, bytes]


class PIIRefusal(Exception):
    """An answer instead of the request: ``status``, ``payload`` and ``headers``."""

    def __init__(
        self, status: int, payload: Dict[str, Any], headers: Optional[List[Header]] = None
    ) -> None:
        super().__init__(payload["error"]["code"])
        self.status = status
        self.payload = payload
        self.headers = headers


def requested_action(headers: Mapping[str, str], settings: Any, request_id: str) -> Optional[str]:
    """The request's PII action (``None``: none); 400 ``invalid_pii_action`` for a bad one."""
    default: Optional[str] = getattr(settings, "pii_action", None)
    if default is not None and getattr(settings, "enforce_block", False):
        return default  # the operator's choice: no client header can loosen it
    value = headers.get("x-lockllm-pii-action")
    if value is None or not value.strip():
        return default
    value = value.strip().lower()
    if value not in PII_ACTIONS:
        raise PIIRefusal(
            400,
            _errors.invalid_request(
                f"X-LockLLM-PII-Action must be one of {', '.join(PII_ACTIONS)}; got {value!r}",
                request_id,
                "invalid_pii_action",
            ),
        )
    return value


def _blocked(types: Tuple[str, ...], count: int, request_id: str) -> Dict[str, Any]:
    return _errors.error_body(
        f"The request contains personal data or secrets ({', '.join(types)}) and the PII "
        "action is block: nothing was forwarded",
        "lockllm_pii_error",
        "pii_detected",
        request_id,
        pii_details={"entity_types": list(types), "entity_count": count},
    )


async def _run(size: int, function: Any, *args: Any) -> Any:
    if size > _IN_THREAD:
        return await anyio.to_thread.run_sync(function, *args)
    return function(*args)


async def scan_input(body: bytes, action: str, request_id: str) -> Dict[str, Any]:
    """The ``pii_result`` of a ``/v1/scan`` body the scan accepted; 403 under ``block``."""
    data = parse_json(body)  # the scan accepted it: a JSON object with a string input
    text = data.get("input", data.get("prompt"))
    try:
        pii = await _run(len(body), check_text, text, action)
    except PIIDetectedError as error:
        details = error.pii_details
        raise PIIRefusal(
            403, _blocked(details.entity_types, details.entity_count, request_id)
        ) from None
    result: Dict[str, Any] = {
        "detected": pii.detected,
        "entity_types": list(pii.entity_types),
        "entity_count": pii.entity_count,
    }
    if pii.redacted_input is not None:
        result["redacted_input"] = pii.redacted_input
    return result


def _read(
    body: bytes, action: str, mapping: Optional[RedactionMap] = None
) -> Tuple[Optional[BodyOutcome], bool]:
    """``(outcome, is_json)``; ``(None, False)`` for a body that is not text."""
    if not body.strip():
        return None, False
    try:
        data = parse_json(body)
    except Refusal:
        data = None
    else:
        return redact_body(data, action, mapping), True
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None, False
    # A text body is only read: it cannot be redacted in place.
    return redact_body(text, "allow_with_warning"), False


def _read_request(
    body: bytes, query: bytes, action: str
) -> Tuple[Optional[BodyOutcome], bool, List[PIIEntity], bytes]:
    """The body's outcome and whether it is JSON; the query's findings and the query to
    forward. One set of placeholders for both under ``strip``."""
    mapping = RedactionMap() if action == "strip" else None
    outcome, is_json = _read(body, action, mapping)
    found, redacted = redact_query(query, mapping) if query else ([], query)
    return outcome, is_json, found, redacted


async def proxy_body(
    body: bytes, action: str, meta: List[Header], request_id: str, query: bytes = b""
) -> Tuple[bytes, bytes]:
    """The body and the query string to forward under ``action``, their
    ``X-LockLLM-PII-*`` headers added to ``meta``; ``PIIRefusal`` (403 ``pii_detected``)
    when the request must not be forwarded."""
    outcome, is_json, in_query, redacted_query = await _run(
        len(body) + len(query), _read_request, body, query, action
    )
    types, count = (outcome.entity_types, outcome.entity_count) if outcome else ((), 0)
    if in_query:
        query_types, query_count = summarize(in_query)
        types, count = tuple(sorted({*types, *query_types})), count + query_count
    meta.append((b"x-lockllm-pii-detected", b"true" if count else b"false"))
    if count:
        meta.append((b"x-lockllm-pii-types", ",".join(types).encode()))
    meta.append((b"x-lockllm-pii-count", str(count).encode()))
    meta.append((b"x-lockllm-pii-action", action.encode()))
    if not count or action == "allow_with_warning":
        return body, query
    body_found = outcome is not None and outcome.entity_count > 0
    if action == "strip" and (is_json or not body_found):
        if body_found and outcome is not None:
            redacted = json.dumps(outcome.body, ensure_ascii=False, separators=(",", ":"))
            body = redacted.encode("utf-8")
        return body, redacted_query
    meta.append((b"x-lockllm-blocked", b"true"))
    payload = _blocked(types, count, request_id)
    if action == "strip":  # a text body: nothing to redact in place, so nothing is sent
        payload["error"]["message"] = (
            f"The request contains personal data or secrets ({', '.join(types)}) in a body "
            "that is not JSON, so it cannot be stripped: nothing was forwarded"
        )
    raise PIIRefusal(403, payload, meta)
