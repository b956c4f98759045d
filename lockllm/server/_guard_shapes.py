"""Where the model's words are in each provider's answer, and in its request.

Four shapes, told by the proxied path (whatever the provider, so OpenAI-compatible ones
count as OpenAI): ``chat`` (``…/chat/completions``), ``responses`` (``…/responses``),
``anthropic`` (``…/messages``) and ``gemini`` (``…:generateContent``,
``…:streamGenerateContent``). Any other path is not read by the response guard.

A :class:`Slot` is one string of model output inside a parsed JSON answer or stream event:
the dict or list holding it and its key (so a redaction can replace it), the channel it
belongs to in a stream (which choice, which tool call), whether it is a tool call's
arguments (JSON text, or with ``structured`` an object), and whether it is a whole text
(``full``) or a streamed piece of one.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

from .._canary import add_canary

__all__ = [
    "Slot",
    "error_event",
    "gemini_error",
    "plant_canary",
    "shape_of",
    "slots",
    "system_texts",
]


class Slot(NamedTuple):
    """One string of model output: ``holder[key]`` (with ``structured``: a tool call's
    arguments as an object, read as its JSON text)."""

    holder: Any
    key: Any
    channel: Tuple[Any, ...]
    tool: bool
    full: bool
    structured: bool = False


def shape_of(path: str) -> Optional[str]:
    """The response shape of a proxied path (``None``: not read)."""
    path = path.split("?", 1)[0].rstrip("/")
    if path.endswith("chat/completions"):
        return "chat"
    if path.endswith("/responses") or path == "responses":
        return "responses"
    if path.endswith("/messages") or path == "messages":
        return "anthropic"
    if path.endswith((":generateContent", ":streamGenerateContent")):
        return "gemini"
    return None


def _text_parts(value: Any) -> List[str]:
    if isinstance(value, str):
        return [value]
    out: List[str] = []
    if isinstance(value, list):
        for part in value:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                out.append(part["text"])
    elif isinstance(value, dict):
        out += _text_parts(value.get("parts"))
    return out


def system_texts(shape: str, body: Any) -> List[str]:
    """The system and developer prompts of a request body of ``shape``."""
    if not isinstance(body, dict):
        return []
    found: List[str] = []
    if shape in ("chat", "responses"):
        items = body.get("messages") if shape == "chat" else body.get("input")
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("role") in ("system", "developer"):
                found += _text_parts(item.get("content"))
        if shape == "responses":
            found += _text_parts(body.get("instructions"))
    elif shape == "anthropic":
        found += _text_parts(body.get("system"))
    elif shape == "gemini":
        found += _text_parts(body.get("systemInstruction") or body.get("system_instruction"))
    return found


def plant_canary(shape: str, body: Any) -> Optional[str]:
    """Put a fresh canary in the system prompt of ``body`` (in place); the canary, or
    ``None`` when the body has no place for one."""
    if not isinstance(body, dict):
        return None
    preamble, canary = add_canary("")
    if shape == "chat" and isinstance(body.get("messages"), list):
        body["messages"].insert(0, {"role": "system", "content": preamble.rstrip()})
    elif shape == "responses":
        current = body.get("instructions")
        if current is not None and not isinstance(current, str):
            return None
        body["instructions"] = preamble + (current or "")
    elif shape == "anthropic":
        current = body.get("system")
        if current is None or isinstance(current, str):
            body["system"] = preamble + (current or "")
        elif isinstance(current, list):
            current.insert(0, {"type": "text", "text": preamble.rstrip()})
        else:
            return None
    elif shape == "gemini":
        name = "system_instruction" if "system_instruction" in body else "systemInstruction"
        current = body.get(name)
        if current is None:
            body[name] = {"parts": [{"text": preamble.rstrip()}]}
        elif isinstance(current, dict) and isinstance(current.get("parts"), list):
            current["parts"].insert(0, {"text": preamble.rstrip()})
        else:
            return None
    else:
        return None
    return canary


def _object_slot(holder: Any, key: str, channel: Tuple[Any, ...]) -> List[Slot]:
    """Structured tool-call arguments (Anthropic ``input``, Gemini ``args``)."""
    if isinstance(holder, dict) and isinstance(holder.get(key), (dict, list)):
        return [Slot(holder, key, channel, True, True, True)]
    return []


def _str_slot(
    holder: Any, key: Any, channel: Tuple[Any, ...], tool: bool, full: bool
) -> List[Slot]:
    if isinstance(holder, dict) and isinstance(holder.get(key), str):
        return [Slot(holder, key, channel, tool, full)]
    return []


def _dicts(value: Any) -> List[Dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _chat(obj: Dict[str, Any], out: List[Slot]) -> None:
    for choice in _dicts(obj.get("choices")):
        i = choice.get("index", 0)
        for name, full in (("message", True), ("delta", False)):
            msg = choice.get(name)
            if not isinstance(msg, dict):
                continue
            for field in ("content", "refusal"):
                out += _str_slot(msg, field, ("text", i, field), False, full)
                for n, part in enumerate(_dicts(msg.get(field))):
                    out += _str_slot(part, "text", ("text", i, field, n), False, True)
            for j, call in enumerate(_dicts(msg.get("tool_calls"))):
                fn = call.get("function")
                channel = ("tool", i, call.get("index", j))
                out += _str_slot(fn, "arguments", channel, True, full)
            out += _str_slot(msg.get("function_call"), "arguments", ("tool", i, "f"), True, full)


def _response_items(items: Any, out: List[Slot]) -> None:
    for k, item in enumerate(_dicts(items)):
        if item.get("type") == "function_call":
            out += _str_slot(item, "arguments", ("tool", k), True, True)
        for m, part in enumerate(_dicts(item.get("content"))):
            for field in ("text", "refusal"):
                out += _str_slot(part, field, ("text", k, m), False, True)


def _responses(obj: Dict[str, Any], out: List[Slot]) -> None:
    kind = obj.get("type")
    if not isinstance(kind, str):  # a whole Response object
        _response_items(obj.get("output"), out)
        return
    where = (obj.get("output_index", 0), obj.get("content_index", 0))
    if kind in ("response.output_text.delta", "response.refusal.delta"):
        out += _str_slot(obj, "delta", ("text", *where), False, False)
    elif kind == "response.function_call_arguments.delta":
        out += _str_slot(obj, "delta", ("tool", where[0]), True, False)
    elif kind in ("response.output_text.done", "response.refusal.done"):
        out += _str_slot(obj, "text", ("text", *where), False, True)
        out += _str_slot(obj, "refusal", ("text", *where), False, True)
    elif kind == "response.function_call_arguments.done":
        out += _str_slot(obj, "arguments", ("tool", where[0]), True, True)
    elif kind in ("response.content_part.added", "response.content_part.done"):
        part = obj.get("part")
        out += _str_slot(part, "text", ("text", *where), False, True)
    elif kind in ("response.output_item.added", "response.output_item.done"):
        _response_items([obj.get("item")], out)
    elif isinstance(obj.get("response"), dict):  # created, in_progress, completed …
        _response_items(obj["response"].get("output"), out)


def _anthropic(obj: Dict[str, Any], out: List[Slot]) -> None:
    kind = obj.get("type")
    if kind == "content_block_delta":
        delta = obj.get("delta")
        i = obj.get("index", 0)
        out += _str_slot(delta, "text", ("text", i), False, False)
        out += _str_slot(delta, "partial_json", ("tool", i), True, False)
        return
    if kind == "content_block_start":
        blocks: Any = [obj.get("content_block")]
    elif kind == "message_start" and isinstance(obj.get("message"), dict):
        blocks = obj["message"].get("content")
    else:
        blocks = obj.get("content")
    for k, block in enumerate(_dicts(blocks)):
        out += _str_slot(block, "text", ("text", k), False, True)
        out += _object_slot(block, "input", ("tool", k))


def _gemini(obj: Any, out: List[Slot], stream: bool) -> None:
    for item in obj if isinstance(obj, list) else [obj]:
        if not isinstance(item, dict):
            continue
        for candidate in _dicts(item.get("candidates")):
            i = candidate.get("index", 0)
            content = candidate.get("content")
            parts = _dicts(content.get("parts")) if isinstance(content, dict) else []
            for part in parts:
                out += _str_slot(part, "text", ("text", i), False, not stream)
                call = part.get("functionCall") or part.get("function_call")
                out += _object_slot(call, "args", ("tool", i))


def slots(shape: str, obj: Any, stream: bool) -> List[Slot]:
    """The strings of model output in ``obj`` (a whole answer, or one stream event)."""
    out: List[Slot] = []
    if shape == "gemini":
        _gemini(obj, out, stream)
    elif not isinstance(obj, dict):
        return out
    elif shape == "chat":
        _chat(obj, out)
    elif shape == "responses":
        _responses(obj, out)
    elif shape == "anthropic":
        _anthropic(obj, out)
    return out


def gemini_error(message: str, request_id: str, kinds: List[str]) -> Dict[str, Any]:
    """Gemini's own error object, with the LockLLM reason ``response_blocked``."""
    return {
        "error": {
            "code": 403,
            "message": message,
            "status": "PERMISSION_DENIED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "response_blocked",
                    "domain": "lockllm",
                    "metadata": {"request_id": request_id, "findings": ",".join(kinds)},
                }
            ],
        }
    }


def error_event(shape: str, message: str, request_id: str, kinds: List[str]) -> bytes:
    """The SSE event that ends a blocked stream, in the provider's own error shape, with
    the LockLLM code ``response_blocked``."""
    dump = json.dumps
    if shape == "anthropic":
        payload: Any = {
            "type": "error",
            "error": {
                "type": "lockllm_response_error",
                "code": "response_blocked",
                "message": message,
                "request_id": request_id,
                "findings": kinds,
            },
        }
        return b"event: error\ndata: " + dump(payload).encode() + b"\n\n"
    if shape == "responses":
        payload = {
            "type": "error",
            "code": "response_blocked",
            "message": message,
            "param": None,
            "request_id": request_id,
            "findings": kinds,
        }
        return b"event: error\ndata: " + dump(payload).encode() + b"\n\n"
    if shape == "gemini":
        return b"data: " + dump(gemini_error(message, request_id, kinds)).encode() + b"\n\n"
    payload = {
        "error": {
            "message": message,
            "type": "lockllm_response_error",
            "code": "response_blocked",
            "request_id": request_id,
            "findings": kinds,
        }
    }
    return b"data: " + dump(payload).encode() + b"\n\n"
