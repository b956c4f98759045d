"""What the MCP session guard and the MCP proxy share, on plain JSON data (an MCP tool as
``tools/list`` lists it, a ``tools/call`` result): the texts to scan, the verdicts, the
error result that replaces a poisoned one, and the log lines (tool names and rule ids,
never text). Nothing here imports the ``mcp`` SDK."""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Dict, List, Mapping, Optional, Tuple

__all__ = [
    "POISONED_RESULT",
    "blocked_result",
    "log_result",
    "log_withheld",
    "result_texts",
    "safe_name",
    "tool_texts",
]

logger = logging.getLogger("lockllm.integrations.mcp")

POISONED_RESULT = (
    "LockLLM withheld this tool result: it holds instructions aimed at the model "
    "(prompt injection)."
)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.\-/:]")
MAX_SCHEMA_TEXT = 64 * 1024


def safe_name(name: Any) -> str:
    """A tool name fit for a log line: printable, at most 64 characters."""
    return _UNSAFE_NAME.sub("?", str(name)[:64])


def _schema_strings(value: Any, out: List[str], budget: List[int]) -> None:
    """The descriptions, titles, enum values and property names in a JSON schema."""
    if budget[0] <= 0:
        return
    if isinstance(value, str):
        out.append(value)
        budget[0] -= len(value)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key == "properties" and isinstance(item, Mapping):
                out.extend(str(k) for k in item)
            _schema_strings(item, out, budget)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _schema_strings(item, out, budget)


def tool_texts(tool: Mapping[str, Any]) -> List[Tuple[str, str]]:
    """What a model reads of a tool: its name, title and description, and the strings of
    its input schema (descriptions, enum values, property names), as retrieved content."""
    parts = [str(tool.get(k) or "") for k in ("name", "title", "description")]
    strings: List[str] = []
    schema = tool.get("inputSchema", tool.get("input_schema"))
    _schema_strings(schema, strings, [MAX_SCHEMA_TEXT])
    text = "\n".join(p for p in (*parts, *strings) if p)
    return [("document", text)] if text.strip() else []


def result_texts(result: Mapping[str, Any]) -> List[Tuple[str, str]]:
    """The text a ``tools/call`` result hands the model: its text contents, the text of
    embedded resources and its structured content (as JSON), as tool output."""
    texts: List[str] = []
    for block in result.get("content") or ():
        if not isinstance(block, Mapping):
            continue
        if isinstance(block.get("text"), str):
            texts.append(block["text"])
        resource = block.get("resource")
        if isinstance(resource, Mapping) and isinstance(resource.get("text"), str):
            texts.append(resource["text"])
    structured = result.get("structuredContent", result.get("structured_content"))
    if structured is not None:
        texts.append(json.dumps(structured, ensure_ascii=False))
    joined = "\n".join(t for t in texts if t)
    return [("tool", joined)] if joined.strip() else []


def blocked_result(error_key: str = "isError") -> Dict[str, Any]:
    """The error result that replaces a poisoned one."""
    return {"content": [{"type": "text", "text": POISONED_RESULT}], error_key: True}


def _rules(result: Any) -> str:
    spans = getattr(result, "spans", ()) or ()
    ids = sorted({str(s.rule) for s in spans if getattr(s, "rule", "")})
    return ", ".join(ids) or "model"


def log_withheld(name: Any, result: Any) -> None:
    logger.warning(
        "MCP tool %s withheld: its description or input schema holds a prompt injection "
        "(injection score %s; %s)",
        safe_name(name),
        result.injection,
        _rules(result),
    )


def log_result(name: Optional[Any], result: Any) -> None:
    logger.warning(
        "MCP tool %s: result replaced by an error, it holds a prompt injection "
        "(injection score %s; %s)",
        safe_name(name) if name is not None else "?",
        result.injection,
        _rules(result),
    )
