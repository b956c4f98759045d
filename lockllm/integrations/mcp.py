"""A guard around a client session of the official MCP SDK (``mcp``, Python 3.10+).

Tool descriptions, input schemas and tool results are written by whoever runs the MCP
server, and the model reads them as instructions: that is where agentic prompt
injections now arrive. :func:`guard_session` wraps an ``mcp.ClientSession`` so that

- ``list_tools()`` scans every tool's name, description and input-schema strings, and
  withholds a poisoned tool (logged with its name and the rules that fired, never the
  text), or raises ``PromptInjectionError`` with ``on_poisoned_tool="raise"``;
- ``call_tool()`` scans the result's text (text contents, embedded text resources,
  structured content) before it is returned, and replaces a poisoned result with an error
  result (``isError``) telling the model it was withheld, or raises with
  ``on_poisoned_result="raise"``; calling a withheld tool raises ``PromptInjectionError``.

Every other attribute is the session's own. Use::

    async with ClientSession(read, write) as session:
        guarded = guard_session(session)          # the local engine, offline
        await guarded.initialize()
        tools = await guarded.list_tools()
        result = await guarded.call_tool("search", {"query": "..."})

``lockllm mcp-proxy -- <server command>`` does the same between any MCP client and a
stdio server (``lockllm.integrations._mcp_proxy``).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Set

from .._vocabulary import SENSITIVITIES
from ..errors import InvalidRequestError, PromptInjectionError
from ._mcp_common import (
    POISONED_RESULT,
    log_result,
    log_withheld,
    result_texts,
    safe_name,
    tool_texts,
)
from ._scan import check_scanner, scan_texts

__all__ = ["GuardedSession", "guard_session"]


def _data(model: Any) -> Dict[str, Any]:
    dump = getattr(model, "model_dump", None)
    if callable(dump):
        found: Dict[str, Any] = dump(mode="json", by_alias=True, exclude_none=True)
        return found
    return dict(model) if isinstance(model, dict) else {}


def _error(message: str, result: Any) -> PromptInjectionError:
    return PromptInjectionError(
        message, scan_result=result.scan_result, request_id=result.request_id
    )


class GuardedSession:
    """An MCP ``ClientSession`` whose tools and tool results are scanned (see the module
    docstring); made by :func:`guard_session`."""

    def __init__(
        self,
        session: Any,
        scanner: Any,
        sensitivity: str,
        on_poisoned_tool: str,
        on_poisoned_result: str,
    ) -> None:
        self.session = session
        self.scanner = scanner
        self.sensitivity = sensitivity
        self.on_poisoned_tool = on_poisoned_tool
        self.on_poisoned_result = on_poisoned_result
        self.withheld: Set[str] = set()
        """Names of the tools withheld so far."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)

    async def list_tools(self, *args: Any, **kwargs: Any) -> Any:
        """The session's ``list_tools()``, poisoned tools withheld (or raised)."""
        listed = await self.session.list_tools(*args, **kwargs)
        kept = []
        for tool in listed.tools:
            verdict = await scan_texts(self.scanner, tool_texts(_data(tool)), self.sensitivity)
            if verdict is None or verdict.safe:
                kept.append(tool)
                continue
            log_withheld(tool.name, verdict)
            self.withheld.add(str(tool.name))
            if self.on_poisoned_tool == "raise":
                raise _error(f"MCP tool {safe_name(tool.name)} holds a prompt injection", verdict)
        return listed.model_copy(update={"tools": kept})

    async def call_tool(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """The session's ``call_tool()``, a poisoned result replaced by an error result
        (or raised)."""
        if name in self.withheld:
            raise InvalidRequestError(
                f"MCP tool {safe_name(name)} was withheld by LockLLM (prompt injection in its "
                "description or input schema)"
            )
        result = await self.session.call_tool(name, *args, **kwargs)
        verdict = await scan_texts(self.scanner, result_texts(_data(result)), self.sensitivity)
        if verdict is None or verdict.safe:
            return result
        log_result(name, verdict)
        if self.on_poisoned_result == "raise":
            raise _error(
                f"The result of MCP tool {safe_name(name)} holds a prompt injection", verdict
            )
        return _blocked(result)


def _blocked(result: Any) -> Any:
    from mcp.types import TextContent

    fields = getattr(type(result), "model_fields", {})
    update: Dict[str, Any] = {"content": [TextContent(type="text", text=POISONED_RESULT)]}
    update["is_error" if "is_error" in fields else "isError"] = True
    structured = "structured_content" if "structured_content" in fields else "structuredContent"
    if structured in fields:
        update[structured] = None
    return result.model_copy(update=update)


def guard_session(
    session: Any,
    scanner: Optional[Any] = None,
    *,
    sensitivity: str = "medium",
    on_poisoned_tool: str = "withhold",
    on_poisoned_result: str = "error",
) -> GuardedSession:
    """Wrap an ``mcp.ClientSession`` (see the module docstring).

    ``scanner``: a ``LocalScanner`` (the default: a new one), ``LockLLM`` or
    ``AsyncLockLLM``. ``on_poisoned_tool``: ``"withhold"`` or ``"raise"``;
    ``on_poisoned_result``: ``"error"`` or ``"raise"``.
    """
    if sensitivity not in SENSITIVITIES:
        raise InvalidRequestError(f"sensitivity must be low, medium or high; got {sensitivity!r}")
    if on_poisoned_tool not in ("withhold", "raise"):
        raise InvalidRequestError("on_poisoned_tool must be 'withhold' or 'raise'")
    if on_poisoned_result not in ("error", "raise"):
        raise InvalidRequestError("on_poisoned_result must be 'error' or 'raise'")
    return GuardedSession(
        session, check_scanner(scanner), sensitivity, on_poisoned_tool, on_poisoned_result
    )
