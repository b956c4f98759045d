"""Read a proxied request body and scan it: the work a scan worker does for a proxy call.

It runs in a worker process (``_scanworker``), under the request's time budget, so that
every step an attacker controls — JSON parsing, multipart parsing, base64 and PDF
decoding, and the scan — can be stopped when it takes too long.

:func:`inspect` answers ``("problem", status, code, message)`` for a body the gateway
refuses, or ``("ok", verdict or None, model or None, media count)``.

What is read: a body is parsed as JSON first, whatever its ``Content-Type`` (a duplicate
key anywhere is refused, 400 ``duplicate_key``). A body that is not JSON is handled by its
``Content-Type``: ``multipart/form-data`` is parsed strictly (400 ``invalid_multipart``),
every field value and name is scanned, file parts are classified by their content
(``_documents.classify``: JSON / JSON Lines files are read like request bodies, text and
PDF text scanned, media left out, anything else unscannable). An
``application/octet-stream``, ``image/*``, ``audio/*`` or ``video/*`` body is classified
the same way; any other non-JSON body is refused (400 ``invalid_json``). Content that
cannot be scanned is refused (415 ``unscannable_content``) unless ``forward_unscannable``.
"""

from __future__ import annotations

import mimetypes
from typing import Any, Dict, List, Optional, Tuple

from .._vocabulary import SENSITIVITIES as VOCABULARY_SENSITIVITIES
from . import _jsonstrict
from ._documents import classify
from ._embedded import expand
from ._extract import Extraction, InvalidBody, Message, extract, extract_model
from ._multipart_strict import REPEATED_HEADERS, ext_value, strict_params, transfer_decode
from ._query import query_messages

__all__ = ["Refusal", "inspect", "read_body", "scan_request"]

SENSITIVITIES = VOCABULARY_SENSITIVITIES  # the protocol's levels (_vocabulary)

_UNSCANNED_TYPES = ("application/octet-stream", "audio/", "image/", "video/")


class Refusal(Exception):
    """A body the gateway will not forward: ``status``, ``code`` and a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _invalid_json() -> Refusal:
    return Refusal(400, "invalid_json", "The body is not valid JSON")


def parse_json(body: bytes) -> Any:
    """Strict JSON (no duplicate keys), or a :class:`Refusal`."""
    try:
        return _jsonstrict.loads(body)
    except _jsonstrict.DuplicateKey as exc:
        raise Refusal(
            400,
            "duplicate_key",
            f"The JSON body has a {exc}: parsers disagree on which value counts, so it is refused",
        ) from None
    except (ValueError, RecursionError):
        raise _invalid_json() from None


def read_body(body: bytes, ctype: str) -> Tuple[Any, Extraction]:
    """The parsed JSON body (or ``None``) and what to scan in it."""
    if not body.strip():
        return None, Extraction([], [], 0)
    try:
        parsed = parse_json(body)
    except Refusal as refusal:
        if refusal.code != "invalid_json":
            raise
        lowered = ctype.strip().lower()
        if lowered.startswith("multipart/form-data"):
            return None, _form(body, ctype)
        if not lowered.startswith(_UNSCANNED_TYPES) or _looks_json(body):
            raise
        return None, _file(body, lowered.split(";")[0])
    return parsed, extract(parsed)


def inspect(scanner: Any, request: Dict[str, Any], sensitivity: str) -> Tuple[Any, ...]:
    """Read and scan one proxied body (``request``: ``body``, ``ctype``,
    ``forward_unscannable``); see the module docstring for the answer's shape."""
    try:
        parsed, found = read_body(request["body"], request.get("ctype", ""))
    except Refusal as refusal:
        return ("problem", refusal.status, refusal.code, refusal.message)
    except InvalidBody as exc:
        return ("problem", 400, "invalid_content_part", str(exc))
    except (TypeError, AttributeError, KeyError, IndexError, ValueError):
        # Fail closed: a shape the reader does not expect is refused, never forwarded.
        return ("problem", 400, "invalid_request", "The body could not be read")
    found = expand(found)  # data: URLs written inside texts
    found.messages.extend(query_messages(request.get("query", b"")))
    if found.unscannable and not request.get("forward_unscannable"):
        return _unscannable(found.unscannable[0])
    model = extract_model(parsed, "")
    verdict = scanner.scan_messages(found.messages, sensitivity) if found.messages else None
    if _unread(verdict) and not request.get("forward_unscannable"):
        return _unscannable("encoded content too large or too deeply nested to read in full")
    return ("ok", verdict, model, found.media)


UNREAD_RULE = "obfuscation.unread_encoded"
"""The engine's finding for encoded content it could not read in full (too deeply nested,
or past the scan's budget of decoded text; the rule id may go on with the encodings it was
found under): the gateway refuses it like other content it cannot scan."""


def _unread(verdict: Any) -> bool:
    rules = (getattr(s, "rule", None) or "" for s in getattr(verdict, "spans", ()))
    return any(rule.startswith(UNREAD_RULE) for rule in rules)


def _unscannable(reason: str) -> Tuple[Any, ...]:
    return (
        "problem",
        415,
        "unscannable_content",
        f"The request holds content the gateway cannot scan ({reason}); "
        "send it as text, or set LOCKLLM_SERVER_FORWARD_UNSCANNABLE=true",
    )


def scan_request(scanner: Any, request: Dict[str, Any], sensitivity: str) -> Tuple[Any, ...]:
    """A ``/v1/scan`` body (``request["body"]``): ``("ok", verdict, input chars)`` or a
    problem. ``sensitivity`` (the header's, or the default) applies unless the body names
    one."""
    try:
        body = parse_json(request["body"])
    except Refusal as refusal:
        return ("problem", refusal.status, refusal.code, refusal.message)
    if not isinstance(body, dict):
        return ("problem", 400, "invalid_request", "The body must be a JSON object")
    text = body.get("input", body.get("prompt"))
    if not isinstance(text, str) or not text.strip():
        return ("problem", 400, "invalid_input", "'input' must be a non-empty string")
    level = body.get("sensitivity")
    level = sensitivity if level is None else level
    if level not in SENSITIVITIES:
        message = f"sensitivity must be one of low, medium, high; got {level!r}"
        return ("problem", 400, "invalid_sensitivity", message)
    return ("ok", scanner.scan(text, level), len(text))


def _looks_json(body: bytes) -> bool:
    return body.lstrip(b" \t\r\n\x00\xef\xbb\xbf\xfe\xff")[:1] in (b"{", b"[", b'"')


def _merge(into: Extraction, other: Extraction) -> Extraction:
    into.messages.extend(other.messages)
    into.unscannable.extend(other.unscannable)
    return Extraction(into.messages, into.unscannable, into.media + other.media)


def _file(content: bytes, declared: str, name: str = "") -> Extraction:
    """An uploaded file: JSON / JSON Lines read like bodies; otherwise by its content."""
    out = Extraction([], [], 0)
    if _looks_json(content) or name.lower().endswith((".json", ".jsonl", ".ndjson")):
        docs = _json_documents(content)
        if docs is not None:
            for doc in docs:
                out = _merge(out, extract(doc))
            return out
    if not declared and name:  # a file named .txt / .pdf is no image, whatever it starts with
        declared = mimetypes.guess_type(name, strict=False)[0] or ""
    found = classify(content, declared)
    if found.kind == "media":
        return Extraction([], [], 1)
    if found.kind == "unscannable":
        return Extraction([], [found.reason], 0)
    return Extraction([{"role": "document", "content": found.text}], [], 0)


def _json_documents(content: bytes) -> Optional[List[Any]]:
    """The JSON document(s) of a file (one, or one per line), or None if it is not JSON."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    try:
        return [parse_json(text.encode("utf-8"))]
    except Refusal as refusal:
        if refusal.code == "duplicate_key":
            raise
    docs = []
    for line in text.splitlines():
        if line.strip():
            try:
                docs.append(parse_json(line.encode("utf-8")))
            except Refusal as refusal:
                if refusal.code == "duplicate_key":
                    raise
                return None
    return docs


def _form(body: bytes, ctype: str) -> Extraction:
    """A ``multipart/form-data`` body (RFC 7578), strictly parsed.

    Every field value and field name is scanned, file names too; a part with a
    ``filename`` is a file (``filename=""`` included: its content is classified, so text
    is scanned like any field). Anything the parser does not understand is refused
    rather than forwarded unscanned.
    """
    bad = Refusal(400, "invalid_multipart", "The multipart/form-data body could not be parsed")
    params = strict_params(ctype)
    if params is None:  # parsers keep the first or the last: refused, like duplicate keys
        raise Refusal(400, "invalid_multipart", "The Content-Type repeats a parameter")
    boundary = params.get("boundary", "")
    if not boundary:
        raise bad
    sections = body.split(b"--" + boundary.encode("latin-1"))
    if len(sections) < 3 or sections[0].strip() or not sections[-1].startswith(b"--"):
        raise bad
    out = Extraction([], [], 0)
    names: List[str] = []
    for section in sections[1:-1]:
        if not (section.startswith(b"\r\n") and section.endswith(b"\r\n")):
            raise bad
        head, sep, content = section[2:-2].partition(b"\r\n\r\n")
        disposition = ""
        declared = ""
        encoding = ""
        seen: List[bytes] = []
        for line in head.split(b"\r\n"):
            name, colon, value = line.partition(b":")
            if not colon or not sep:
                raise bad
            lname = name.strip().lower()
            if lname in REPEATED_HEADERS:
                if lname in seen:  # parsers keep the first or the last: refused
                    raise Refusal(400, "invalid_multipart", "A multipart part repeats a header")
                seen.append(lname)
            if lname == b"content-disposition":
                disposition = value.decode("latin-1")
            elif lname == b"content-type":
                declared = value.decode("latin-1").strip()
            elif lname == b"content-transfer-encoding":
                encoding = value.decode("latin-1")
        decoded = transfer_decode(content, encoding)
        if decoded is None:
            message = "A multipart part has a Content-Transfer-Encoding the gateway cannot read"
            raise Refusal(400, "invalid_multipart", message)
        content = decoded
        fields = strict_params(disposition)
        if fields is None:
            raise Refusal(400, "invalid_multipart", "A Content-Disposition repeats a parameter")
        names.extend(v for k, v in fields.items() if k != "filename" and v)
        if "filename*" in fields:  # RFC 5987: scanned as the provider reads it
            fields["filename*"] = ext_value(fields["filename*"])
            names.append(fields["filename*"])
        filename = fields.get("filename", fields.get("filename*"))
        if filename is not None:
            if filename.strip():
                names.append(filename)
            out = _merge(out, _file(content, declared, filename))
            continue
        text = content.decode("utf-8", "replace")
        if text.strip():
            out.messages.append({"role": "user", "content": text})
    if names:
        label: Message = {"role": "user", "content": "\n".join(names), "kind": "fields"}
        out.messages.append(label)
    return out
