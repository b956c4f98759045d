"""The PII action of a scan or a proxied request (``strip``, ``block``, ``allow_with_warning``).

One step, used by ``LocalScanner.scan(pii_action=...)`` (and so by the client's local
fallback and ``lockllm scan --pii-action``) and by the gateway for ``/v1/scan`` and the
proxy paths:

* ``check_text(text, action)``: the ``PIIResult`` of one text (``redacted_input`` set
  under ``strip`` when something was found); under ``block`` a finding raises
  ``PIIDetectedError`` instead.
* ``redact_body(body, action)``: the same over every string of a decoded JSON request
  body, one ``RedactionMap`` for the whole request; under ``strip`` the body comes back
  with each finding replaced by its placeholder (a new object: the input is not changed).

What leaves this module names entity types and counts, never a value.
"""

from __future__ import annotations

from dataclasses import replace
from typing import IO, Any, Callable, List, NamedTuple, Optional, Tuple

from .._details import PIIResult
from .._vocabulary import PII_ACTIONS
from ..errors import InvalidRequestError, PIIDetectedError
from ..types import ScanResponse
from ._pii import PIIEntity, RedactionMap, find_pii, redact, summarize

__all__ = [
    "BodyOutcome",
    "blocked_error",
    "check_action",
    "check_text",
    "pii_found",
    "redact_body",
    "render_pii",
    "with_pii",
]

# Strings under these keys are not text anybody wrote: identifiers, enums, encoded media.
_NOT_TEXT_KEYS = frozenset(
    {
        "model",
        "role",
        "type",
        "id",
        "object",
        "tool_call_id",
        "call_id",
        "name",
        "mime_type",
        "mimeType",
        "media_type",
        "mediaType",
        "format",
        "encoding_format",
        "data",
        "b64_json",
        "bytes",
        "file_data",
        "image_data",
        "base64",
        "audio_data",
        "detail",
    }
)


def check_action(action: Any) -> str:
    """``action`` if it is one of ``strip``, ``block``, ``allow_with_warning``."""
    if not isinstance(action, str) or action not in PII_ACTIONS:
        raise InvalidRequestError(
            f"pii_action must be one of {', '.join(map(repr, PII_ACTIONS))}; got {action!r}"
        )
    return action


def blocked_error(types: Tuple[str, ...], count: int, **kwargs: Any) -> PIIDetectedError:
    """The ``PIIDetectedError`` of a blocked input: types and count, no values."""
    return PIIDetectedError(
        f"The input contains personal data or secrets ({', '.join(types)}) and the PII "
        "action is block",
        pii_details=PIIResult(detected=True, entity_types=types, entity_count=count),
        status=403,
        **kwargs,
    )


def check_text(text: str, action: str, *, raise_blocked: bool = True) -> PIIResult:
    """The PII result of ``text`` under ``action``; ``block`` raises ``PIIDetectedError``
    when something is found (unless ``raise_blocked`` is false)."""
    check_action(action)
    if action == "strip":
        redacted, entities = redact(text)
    else:
        redacted, entities = text, find_pii(text)
    types, count = summarize(entities)
    if count and action == "block" and raise_blocked:
        raise blocked_error(types, count)
    return PIIResult(
        detected=bool(count),
        entity_types=types,
        entity_count=count,
        redacted_input=redacted if count and action == "strip" else None,
    )


class BodyOutcome(NamedTuple):
    """What ``redact_body`` found: the types, the count, and the body to forward."""

    entity_types: Tuple[str, ...]
    entity_count: int
    body: Any
    """The redacted body under ``strip`` when something was found, else the input body."""

    @property
    def detected(self) -> bool:
        """Whether anything was found."""
        return self.entity_count > 0


def redact_body(body: Any, action: str, mapping: Optional[RedactionMap] = None) -> BodyOutcome:
    """Find personal data and secrets in the strings of a decoded JSON body.

    Every string value is read except those under keys that hold identifiers, enums or
    encoded media (``model``, ``role``, ``type``, ``id``, ``data``, ``b64_json`` ...) and
    ``data:`` URLs. Object keys are left as they are. The walk is iterative (no depth
    limit, no recursion) and reads each string once. ``mapping``: the request's
    placeholders under ``strip``, shared with its other parts (its query string).
    """
    check_action(action)
    if action != "strip":
        mapping = None
    elif mapping is None:
        mapping = RedactionMap()
    found: List[PIIEntity] = []
    root: List[Any] = [body]
    # (container, key) pairs whose string value is replaced in the copy.
    stack: List[Tuple[Any, Any]] = [(root, 0)]
    changed = False
    while stack:
        parent, key = stack.pop()
        value = parent[key]
        if isinstance(value, dict):
            copy: Any = dict(value) if mapping is not None else value  # only strip writes
            parent[key] = copy
            for name, item in value.items():
                if name in _NOT_TEXT_KEYS and not isinstance(item, (dict, list)):
                    continue
                stack.append((copy, name))
        elif isinstance(value, list):
            copy = list(value) if mapping is not None else value
            parent[key] = copy
            stack.extend((copy, i) for i in range(len(copy)))
        elif isinstance(value, str) and value and not value.startswith("data:"):
            if mapping is not None:
                redacted, entities = redact(value, mapping)
                if entities:
                    parent[key] = redacted
                    changed = True
            else:
                entities = find_pii(value)
            found.extend(entities)
    types, count = summarize(found)
    return BodyOutcome(types, count, root[0] if changed else body)


# -- the CLI's view (``lockllm scan --pii-action``) ----------------------------------------


def with_pii(result: ScanResponse, text: str, action: str) -> ScanResponse:
    """``result`` with the ``pii_result`` of ``text`` (``block`` reported, not raised)."""
    return replace(result, pii_result=check_text(text, action, raise_blocked=False))


def pii_found(result: ScanResponse) -> bool:
    """Whether ``result`` reports personal data or secrets."""
    return result.pii_result is not None and result.pii_result.detected


def render_pii(out: IO[str], pii: PIIResult, printable: Callable[[str], str]) -> None:
    """Two lines for a terminal: what was found, and the redacted text under ``strip``."""
    if not pii.detected:
        out.write("  personal data: none found\n")
        return
    out.write(f"  personal data: {pii.entity_count} ({', '.join(pii.entity_types)})\n")
    if pii.redacted_input is not None:
        out.write(f"  redacted: {printable(pii.redacted_input)}\n")
