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
weighs it differently from user and tool text. Tool *calls* made by the model are not
scanned; tool *results* are (role ``tool``), since they carry outside text.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

__all__ = ["extract_messages", "extract_model"]

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
_MAX_DEPTH = 16


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
        kind = part.get("type")
        if kind in _TEXT_PARTS or (kind is None and isinstance(part.get("text"), str)):
            self.add(role, part.get("text"))
        elif kind == "tool_result":  # Anthropic
            self.content("tool", part.get("content"), depth + 1)
        elif kind == "function_call_output":  # OpenAI responses
            self.content("tool", part.get("output"), depth + 1)
        elif kind == "document":
            source = part.get("source")  # Anthropic: {"type": "text", "data": "..."}
            if isinstance(source, dict):
                self.add("document", source.get("data"))
                self.content("document", source.get("content"), depth + 1)
            self.document(part.get("document"))  # Cohere: {"data": ...}
        elif kind == "message" or "content" in part:  # responses API items
            self.content(_role(part.get("role"), role), part.get("content"), depth + 1)

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


def extract_messages(body: Any) -> List[Message]:
    """Every scannable text of a JSON request body, as ``{"role", "content"}`` dicts."""
    out = _Collector()
    if isinstance(body, list):  # e.g. a batch of inputs
        out.content("user", body)
        return out.messages
    if not isinstance(body, dict):
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
    for key in ("prompt", "input", "texts"):
        out.content("user", body.get(key))
    documents = body.get("documents")
    if isinstance(documents, list):
        for doc in documents:
            out.document(doc)
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
