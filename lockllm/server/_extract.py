"""The text a request carries, as role-tagged messages for ``LocalScanner.scan_messages``.

One reader covers the request bodies of every provider family, because their fields do
not clash:

* OpenAI-style chat completions: ``messages[].content`` (a string or parts); legacy
  completions ``prompt``; the responses API ``instructions`` and ``input``; embeddings
  ``input``.
* Anthropic messages: ``system`` (a string or blocks), ``messages[].content`` blocks,
  including ``tool_result`` content and text ``document`` sources.
* Cohere v2 chat (``messages`` like OpenAI's, plus ``documents``) and v1 chat
  (``message``, ``preamble``, ``chat_history``); embed ``texts``; rerank ``query``.
* Gemini native ``contents[].parts[].text`` and ``systemInstruction``.

Model output sent back as history (assistant turns) is kept with its role: the engine
weighs it differently from user and tool text. Tool *results* are role ``tool``, since
they carry outside text. ``role`` is honoured on top-level ``messages`` / ``contents`` /
``input`` items only: a block nested inside a message inherits that message's role, so
client text can never promote itself to ``system``.

After that targeted, role-aware pass, the *whole* body is walked (iteratively, with no
depth limit): every string value not already collected is added as ``user`` text — tool
and function descriptions and parameter schemas (``format``, ``type``, ``*_id`` and URL
values included), tool-call arguments, ``prompt.variables``, Gemini ``functionResponse``,
unknown part types, ``suffix``, Cohere ``tool_results`` … — and every key of every object
(a tool parameter may be *named* as an attack) goes, with the short leftover values, into
one ``fields`` message.

Encoded payloads are decoded and classified by ``_documents.classify``: ``data:`` URLs
anywhere, and base64 under ``data``, ``bytes``, ``file_data``, ``b64_json`` …: text
documents and PDF text are scanned as role ``document``; images, audio and video are the
one thing left out (not text the engine can read); anything else cannot be scanned and
is reported in :attr:`Extraction.unscannable` (the gateway refuses the request unless
told to forward it).

Text split across pieces is scanned joined too: the pieces of one turn (content parts of
a message, Gemini ``parts``, Responses API ``input_text`` items of one item) and the
untrusted turns (user, tool, document) of the whole conversation, as the model reads them
together (``kind: "joined"`` messages).

A content part whose ``type`` is not a string raises :class:`InvalidBody`.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, NamedTuple, Optional, Set, Tuple

from ._documents import classify, decode_base64, parse_data_url
from ._lenient import lenient_base64

__all__ = ["Extraction", "InvalidBody", "extract", "extract_messages", "extract_model"]

Message = Dict[str, str]

_ROLES = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "model": "assistant",
    "chatbot": "assistant",
    "tool": "tool",
    "function": "tool",
    "ipython": "tool",
    "document": "document",
}
_UNTRUSTED = frozenset({"user", "tool", "document"})
_TEXT_PARTS = frozenset({"text", "input_text", "output_text"})
_OUTPUT_ITEMS = frozenset(
    {"function_call_output", "custom_tool_call_output", "local_shell_call_output"}
)
_MAX_DEPTH = 16
"""How deep the targeted pass follows nested blocks; the full walk has no limit."""
_BINARY_KEYS = frozenset(
    {"data", "b64_json", "bytes", "file_data", "image_data", "base64", "audio_data"}
)
_MIME_KEYS = ("mime_type", "mimeType", "media_type", "mediaType", "content_type", "format")
_MEDIA_FORMATS = {
    **{f: "audio/" + f for f in ("wav", "mp3", "pcm16", "flac", "ogg", "opus", "aac", "m4a")},
    **{f: "image/" + f for f in ("png", "jpeg", "jpg", "gif", "webp", "heic", "heif", "bmp")},
    **{f: "video/" + f for f in ("mp4", "mov", "webm", "mkv", "mpeg", "wmv", "flv", "3gp")},
}
"""Bare ``format`` names (OpenAI ``input_audio``, Bedrock image / video blocks) as MIME types;
any other bare name (Bedrock's ``txt``, ``md``, ``csv`` …) is read as ``text/<name>``."""
_WORDS = """model messages role content type text image_url url detail input_text output_text
input instructions system contents parts stream stream_options include_usage temperature top_p
top_k n max_tokens max_completion_tokens max_output_tokens stop stop_sequences seed user
metadata tools tool_choice function name description parameters properties required items enum
additionalProperties strict schema json_schema response_format tool_calls tool_call_id call_id
arguments id source media_type mimeType data inlineData file file_data filename
generationConfig safetySettings thinking budget_tokens format frequency_penalty
presence_penalty logprobs top_logprobs cache_control ephemeral assistant developer tool object
string integer number boolean array null auto none any low medium high json_object base64
message function_call function_call_output tool_use tool_result image document input_schema"""
_PROTOCOL_WORDS = frozenset(_WORDS.split())
"""Field names and values of the providers' own request formats: fixed words that cannot
carry an attack, so they are not sent to the engine (anything else is)."""
_MODEL_ID = re.compile(r"[A-Za-z0-9._:/@+-]{1,128}")
"""A top-level ``model`` like this is an identifier the provider resolves, not text."""
_SHORT = 64
"""Leftover values shorter than this are scanned together, one per line, in one message
with every key of the body (``kind: "fields"``)."""


class InvalidBody(ValueError):
    """The body has a shape no provider accepts (e.g. a non-string part ``type``)."""


class Extraction(NamedTuple):
    """What to scan in a body, and what could not be scanned (reasons)."""

    messages: List[Message]
    unscannable: List[str]
    media: int


def _role(value: Any, default: str = "user") -> str:
    return _ROLES.get(value.lower(), default) if isinstance(value, str) else default


def _kind(part: Dict[str, Any]) -> Optional[str]:
    kind = part.get("type")
    if kind is not None and not isinstance(kind, str):
        raise InvalidBody("a content part's 'type' must be a string")
    return kind


def _joins(pieces: List[str], sep: str) -> List[str]:
    """``pieces`` joined by ``sep``, and also with nothing between them when a boundary has
    no whitespace on either side (a word may have been cut in two)."""
    if len(pieces) < 2:
        return []
    out = [sep.join(pieces)]
    cut = any(
        a and b and not a[-1].isspace() and not b[0].isspace() for a, b in zip(pieces, pieces[1:])
    )
    if cut and sep:
        out.append("".join(pieces))
    return out


class _Collector:
    def __init__(self) -> None:
        self.messages: List[Message] = []
        self.unscannable: List[str] = []
        self.media = 0
        self.turn: Optional[List[str]] = None  # the pieces of the turn being read
        self.conversation: List[str] = []
        self.done: Set[int] = set()  # ids of the string objects already handled

    def add(self, role: str, text: Any) -> None:
        if isinstance(text, str):
            self.done.add(id(text))
            if text.strip():
                self.messages.append({"role": role, "content": text})
                if self.turn is not None:
                    self.turn.append(text)
                elif role in _UNTRUSTED:
                    self.conversation.append(text)

    def begin_turn(self) -> None:
        self.turn = []

    def end_turn(self, role: str) -> None:
        pieces, self.turn = self.turn or [], None
        for joined in _joins(pieces, "\n"):
            self.messages.append({"role": role, "content": joined, "kind": "joined"})
        if role in _UNTRUSTED and pieces:
            self.conversation.append("\n".join(pieces))

    def content(self, role: str, content: Any, depth: int = 0) -> None:
        """A message's ``content``: a string, or a list of parts / blocks."""
        if depth > _MAX_DEPTH:
            return
        if isinstance(content, str):
            self.add(role, content)
        elif isinstance(content, dict):
            self.part(role, content, depth)
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, str):
                    self.add(role, part)
                elif isinstance(part, dict):
                    self.part(role, part, depth)

    def part(self, role: str, part: Dict[str, Any], depth: int) -> None:
        """A block inside a message: it takes the message's role, whatever it says."""
        kind = _kind(part)
        if kind in _TEXT_PARTS or (kind is None and isinstance(part.get("text"), str)):
            self.add(role, part.get("text"))
        elif kind == "tool_result":  # Anthropic
            self.content("tool", part.get("content"), depth + 1)
        elif kind in _OUTPUT_ITEMS:  # OpenAI responses
            self.content("tool", part.get("output"), depth + 1)
        elif kind == "document":
            source = part.get("source")  # Anthropic: {"type": "text", "data": "..."}
            if isinstance(source, dict) and source.get("type") != "base64":
                self.add("document", source.get("data"))
                self.content("document", source.get("content"), depth + 1)
            self.document(part.get("document"))  # Cohere: {"data": ...}
        elif kind == "message" or "content" in part:  # nested items: the parent's role
            self.content(role, part.get("content"), depth + 1)

    def document(self, doc: Any) -> None:
        if isinstance(doc, str):
            self.add("document", doc)
        elif isinstance(doc, dict):
            data = doc.get("data")
            if isinstance(data, str):
                self.add("document", data)
            elif isinstance(data, dict):
                for value in data.values():
                    self.add("document", value)
            for key in ("text", "snippet", "title"):
                self.add("document", doc.get(key))

    def messages_list(self, messages: Any) -> None:
        if not isinstance(messages, list):
            return
        for message in messages:
            if isinstance(message, dict):
                role = _role(message.get("role"))
                self.begin_turn()
                self.content(role, message.get("content"))
                if "parts" in message:  # Gemini-style turn
                    self.content(role, message.get("parts"))
                self.end_turn(role)
            elif isinstance(message, str):
                self.add("user", message)

    def items(self, items: Any) -> None:
        """The responses API ``input``: a string, or top-level items with their own role."""
        if not isinstance(items, list):
            self.content("user", items)
            return
        for item in items:
            if isinstance(item, dict):
                role = _role(item.get("role"))
                self.begin_turn()
                self.part(role, item, 0)
                self.end_turn(role)
            elif isinstance(item, str):
                self.add("user", item)

    def rest(self, body: Any) -> None:
        """Every key and every string value of ``body`` not handled yet (iterative)."""
        keys: List[str] = []
        seen_keys: Set[str] = set()
        short: List[str] = []
        stack: List[Tuple[str, Any, Optional[Dict[str, Any]]]] = [("", body, None)]
        while stack:
            key, value, parent = stack.pop()
            if isinstance(value, str):
                if id(value) in self.done:
                    continue
                if self.payload(key, value, parent):
                    continue
                if len(value) < _SHORT:
                    if value.strip() and value not in _PROTOCOL_WORDS:
                        short.append(value)
                else:
                    self.add("user", value)
            elif isinstance(value, dict):
                for name, child in value.items():
                    if name not in seen_keys and name not in _PROTOCOL_WORDS:
                        seen_keys.add(name)
                        keys.append(name)
                    stack.append((name, child, value))
            elif isinstance(value, list):
                stack.extend((key, child, parent) for child in value)  # the list's key
        if short or keys:  # one message: each engine call has a fixed cost
            fields = "\n".join(short + keys)
            self.messages.append({"role": "user", "content": fields, "kind": "fields"})

    def payload(self, key: str, value: str, parent: Optional[Dict[str, Any]]) -> bool:
        """Decode and classify an encoded payload; True if it was handled as one."""
        declared = ""
        lenient = False  # decoded only as a non-validating decoder would
        data_url = parse_data_url(value) if value.lstrip()[:5].lower() == "data:" else None
        if data_url is not None:
            declared, data = data_url
            if data is None:
                return False  # not decodable: scanned as the text it is
            lenient = decode_base64(value.split(",", 1)[1]) is None
        elif key in _BINARY_KEYS:
            data = decode_base64(value)
            if data is None:
                lenient, data = True, lenient_base64(value)
            if data is None:
                return False
            if parent is not None:
                for name in _MIME_KEYS:
                    hint = parent.get(name)
                    if isinstance(hint, str):
                        if "/" in hint:
                            declared = hint
                        else:
                            declared = _MEDIA_FORMATS.get(hint.lower(), "text/" + hint)
                        break
        else:
            return False
        content = classify(data, declared)
        if content.kind == "unscannable" and lenient and (data_url is not None or not declared):
            return False  # text that only a lenient decoder would read: scanned as it is
        if lenient:
            self.add("user", value)  # it may be text after all: scanned as it is too
        if content.kind == "media":
            self.media += 1
        elif content.kind == "unscannable":
            if data_url is None and len(value) < _SHORT:
                return False  # a short word that happens to decode: scanned as text
            self.unscannable.append(content.reason)
        else:
            self.add("document", content.text)
        return True


def extract(body: Any) -> Extraction:
    """Every scannable text of a JSON request body (see the module docstring)."""
    out = _Collector()
    if isinstance(body, list):  # e.g. a batch of inputs
        out.content("user", body)
    elif not isinstance(body, dict):
        out.add("user", body)  # a bare JSON string; numbers and null are ignored
    else:
        _targeted(out, body)
    for joined in _joins(out.conversation, "\n"):
        out.messages.append({"role": "user", "content": joined, "kind": "joined"})
    if isinstance(body, dict):
        model = body.get("model")
        if isinstance(model, str) and _MODEL_ID.fullmatch(model):
            out.done.add(id(model))  # selects the model; never shown to it
    out.rest(body)
    return Extraction(_unique(out.messages), out.unscannable, out.media)


def _unique(messages: List[Message]) -> List[Message]:
    """``messages`` without repeats: a text sent many times is scanned once."""
    seen: Set[Tuple[str, str]] = set()
    out: List[Message] = []
    for message in messages:
        key = (message["role"], message["content"])
        if key not in seen:
            seen.add(key)
            out.append(message)
    return out


def _targeted(out: _Collector, body: Dict[str, Any]) -> None:
    # System-level instructions first.
    out.content("system", body.get("system"))
    out.add("system", body.get("instructions"))
    out.add("system", body.get("preamble"))
    for key in ("systemInstruction", "system_instruction"):
        instruction = body.get(key)
        if isinstance(instruction, dict):
            out.content("system", instruction.get("parts"))
        else:
            out.content("system", instruction)
    # Conversations.
    out.messages_list(body.get("messages"))
    out.messages_list(body.get("contents"))
    history = body.get("chat_history")
    if isinstance(history, list):
        for turn in history:
            if isinstance(turn, dict):
                out.add(_role(turn.get("role")), turn.get("message"))
    # Single prompts and inputs.
    out.add("user", body.get("message"))
    out.add("user", body.get("query"))
    out.items(body.get("input"))
    for key in ("prompt", "texts"):
        out.content("user", body.get(key))
    documents = body.get("documents")
    if isinstance(documents, list):
        for doc in documents:
            out.document(doc)


def extract_messages(body: Any) -> List[Message]:
    """The messages of :func:`extract` (what the engine scans)."""
    return extract(body).messages


_MODEL_IN_PATH = re.compile(r"(?:^|/)(?:models|model|deployments)/([^/:]+)")


def extract_model(body: Any, path: str) -> Optional[str]:
    """The model a request names: ``model`` in the body, else one in the path."""
    if isinstance(body, dict):
        model = body.get("model")
        if isinstance(model, str) and model:
            return model
    found = _MODEL_IN_PATH.search(path)
    return found.group(1) if found else None
