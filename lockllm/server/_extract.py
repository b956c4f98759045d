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
depth limit) and every string leaf not already collected is added as ``user`` text: tool
and function descriptions, tool-call arguments, ``prompt.variables``, Gemini
``functionResponse``, unknown part types, ``suffix``, Cohere ``tool_results``, keys that
look like prose (they contain whitespace) … whatever the provider may show the model.
Left out are values that are not prose: identifiers (``model``, ``role``, ``id``,
``*_id``, ``type``, ``object``, ``stop`` …), URLs under URL keys, base64 payloads and
``data:`` URIs.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Set, Tuple

__all__ = ["extract_messages", "extract_model", "is_prose"]

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
_TEXT_PARTS = frozenset({"text", "input_text", "output_text"})
_OUTPUT_ITEMS = frozenset(
    {"function_call_output", "custom_tool_call_output", "local_shell_call_output"}
)
_MAX_DEPTH = 16
"""How deep the targeted pass follows nested blocks; the full walk has no limit."""

# String values under these keys are identifiers or settings, never prose the model reads.
_NOT_PROSE = frozenset(
    {
        "model",
        "role",
        "id",
        "type",
        "object",
        "stop",
        "stop_sequences",
        "stopSequences",
        "tool_choice",
        "media_type",
        "mime_type",
        "mimeType",
        "encoding_format",
        "format",
        "signature",
        "encrypted_content",
        "service_tier",
        "reasoning_effort",
    }
)
_URL_KEYS = frozenset(
    {"url", "image_url", "file_url", "audio_url", "video_url", "uri", "file_uri", "fileUri"}
)
_BINARY_KEYS = frozenset({"data", "b64_json", "bytes", "file_data", "image_data"})
_BASE64 = re.compile(r"[A-Za-z0-9+/=_\-\r\n]*")
_DATA_URI = re.compile(r"data:[\w.+/-]*(?:;[\w.+-]+=[\w.+-]+)*;base64,")


def _role(value: Any, default: str = "user") -> str:
    return _ROLES.get(value.lower(), default) if isinstance(value, str) else default


class _Collector:
    def __init__(self) -> None:
        self.messages: List[Message] = []

    def add(self, role: str, text: Any) -> None:
        if isinstance(text, str) and text.strip():
            self.messages.append({"role": role, "content": text})

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
        kind = part.get("type")
        if kind in _TEXT_PARTS or (kind is None and isinstance(part.get("text"), str)):
            self.add(role, part.get("text"))
        elif kind == "tool_result":  # Anthropic
            self.content("tool", part.get("content"), depth + 1)
        elif kind in _OUTPUT_ITEMS:  # OpenAI responses
            self.content("tool", part.get("output"), depth + 1)
        elif kind == "document":
            source = part.get("source")  # Anthropic: {"type": "text", "data": "..."}
            if isinstance(source, dict):
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
                self.content(role, message.get("content"))
                if "parts" in message:  # Gemini-style turn
                    self.content(role, message.get("parts"))
            elif isinstance(message, str):
                self.add("user", message)

    def items(self, items: Any) -> None:
        """The responses API ``input``: a string, or top-level items with their own role."""
        if not isinstance(items, list):
            self.content("user", items)
            return
        for item in items:
            if isinstance(item, dict):
                self.part(_role(item.get("role")), item, 0)
            elif isinstance(item, str):
                self.add("user", item)

    def rest(self, body: Any) -> None:
        """Every string leaf of ``body`` not collected yet, as ``user`` text (iterative)."""
        seen: Set[int] = {id(m["content"]) for m in self.messages}
        stack: List[Tuple[str, Any]] = [("", body)]
        while stack:
            key, value = stack.pop()
            if isinstance(value, str):
                if id(value) not in seen and is_prose(key, value):
                    self.add("user", value)
            elif isinstance(value, dict):
                for name, child in value.items():
                    if " " in name or "\n" in name:  # a key the model may read as text
                        self.add("user", name)
                    stack.append((name, child))
            elif isinstance(value, list):
                stack.extend((key, child) for child in value)  # items keep the list's key


def is_prose(key: str, value: str) -> bool:
    """False for string values that are identifiers, URLs or binary payloads."""
    if key in _NOT_PROSE or key.endswith(("_id", "Id")):
        return False
    if key in _URL_KEYS and not any(c.isspace() for c in value[:4096]):
        return False
    if key in _BINARY_KEYS and _BASE64.fullmatch(value):
        return False
    if value.startswith("data:"):
        found = _DATA_URI.match(value)
        if found and _BASE64.fullmatch(value, found.end()):
            return False
    return True


def extract_messages(body: Any) -> List[Message]:
    """Every scannable text of a JSON request body, as ``{"role", "content"}`` dicts."""
    out = _Collector()
    if isinstance(body, list):  # e.g. a batch of inputs
        out.content("user", body)
        out.rest(body)
        return out.messages
    if not isinstance(body, dict):
        out.add("user", body)  # a bare JSON string; numbers and null are ignored
        return out.messages
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
    out.rest(body)
    return out.messages


_MODEL_IN_PATH = re.compile(r"(?:^|/)(?:models|model|deployments)/([^/:]+)")


def extract_model(body: Any, path: str) -> Optional[str]:
    """The model a request names: ``model`` in the body, else one in the path."""
    if isinstance(body, dict):
        model = body.get("model")
        if isinstance(model, str) and model:
            return model
    found = _MODEL_IN_PATH.search(path)
    return found.group(1) if found else None
