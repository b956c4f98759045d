"""LockLLM guards for LangChain and LangGraph (``langchain`` 1.x, Python 3.11+).

Two pieces, both scanning with the scanner you pass (a ``LocalScanner``, the default, or
a ``LockLLM`` / ``AsyncLockLLM`` client for the hosted service or a ``lockllm serve``
gateway):

- :class:`LockLLMMiddleware`, agent middleware for ``langchain.agents.create_agent``:
  before each model call it scans the user's latest message and the tool results since
  the model's last turn (retrieved documents usually arrive that way), and optionally the
  model's answer after it;
- :func:`guard`, a runnable for chains (LCEL): it scans what flows through it (text,
  messages, prompt values, retrieved ``Document`` objects, or the string values of a
  mapping) and passes it on unchanged when it is safe.

On an unsafe verdict both raise ``lockllm.PromptInjectionError`` (``on_unsafe="raise"``,
the default) or answer with a refusal (``on_unsafe="refuse"``: the agent ends its turn
with ``refusal`` as the assistant's message; the runnable returns ``refusal``). The
error carries the verdict; no text is logged.

Use::

    from langchain.agents import create_agent
    from lockllm.integrations.langchain import LockLLMMiddleware, guard

    agent = create_agent(model, tools, middleware=[LockLLMMiddleware(scan_output=True)])
    chain = retriever | guard(on_unsafe="raise") | format_docs | prompt | model
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from langchain.agents.middleware import AgentMiddleware, AgentState, hook_config
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.prompt_values import PromptValue
from langchain_core.runnables import Runnable, RunnableLambda

from .._vocabulary import SENSITIVITIES
from ..errors import InvalidRequestError, PromptInjectionError
from ._scan import check_scanner, scan_texts, scan_texts_sync

__all__ = ["DEFAULT_REFUSAL", "LockLLMMiddleware", "guard", "texts_of"]

DEFAULT_REFUSAL = "I can't help with that request."
_ACTIONS = ("raise", "refuse")
_ROLE_OF = {"human": "user", "ai": "assistant", "tool": "tool", "system": "system"}


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "\n".join(parts)
    return ""


def texts_of(value: Any) -> List[Tuple[str, str]]:
    """The ``(role, text)`` pairs of what a chain passes along: a string (the user's), a
    message, a prompt value, a ``Document`` (a document), or sequences and mappings of
    these (a mapping's values are read; its keys are the chain's own)."""
    found: List[Tuple[str, str]] = []
    if isinstance(value, str):
        found.append(("user", value))
    elif isinstance(value, BaseMessage):
        found.append((_ROLE_OF.get(value.type, "user"), _content_text(value.content)))
    elif isinstance(value, PromptValue):
        found.extend(texts_of(value.to_messages()))
    elif isinstance(value, Document):
        found.append(("document", value.page_content))
    elif isinstance(value, dict):
        for item in value.values():
            found.extend(texts_of(item))
    elif isinstance(value, (list, tuple)):
        for item in value:
            found.extend(texts_of(item))
    return found


def _check(sensitivity: str, on_unsafe: str) -> None:
    if sensitivity not in SENSITIVITIES:
        raise InvalidRequestError(f"sensitivity must be low, medium or high; got {sensitivity!r}")
    if on_unsafe not in _ACTIONS:
        raise InvalidRequestError(f"on_unsafe must be 'raise' or 'refuse'; got {on_unsafe!r}")


def _error(result: Any, where: str) -> PromptInjectionError:
    return PromptInjectionError(
        f"LockLLM found {where} unsafe (injection score {result.injection})",
        scan_result=result.scan_result,
        request_id=result.request_id,
    )


class LockLLMMiddleware(AgentMiddleware[AgentState[Any], Any, Any]):
    """Agent middleware that scans what the model is about to read (and, with
    ``scan_output``, what it answered) and stops the turn on an unsafe verdict.

    ``scan_input`` reads the user's latest message, ``scan_tool_results`` the tool results
    since the model's last turn (each only when it has not been read before: a safe text
    is not scanned again on the next model call), ``scan_output`` the model's answer.
    Synchronous runs (``invoke``) need a ``LocalScanner`` or ``LockLLM``; an
    ``AsyncLockLLM`` serves ``ainvoke``.
    """

    def __init__(
        self,
        scanner: Optional[Any] = None,
        *,
        sensitivity: str = "medium",
        scan_input: bool = True,
        scan_tool_results: bool = True,
        scan_output: bool = False,
        on_unsafe: str = "raise",
        refusal: str = DEFAULT_REFUSAL,
    ) -> None:
        super().__init__()
        _check(sensitivity, on_unsafe)
        self.scanner = check_scanner(scanner)
        self.sensitivity = sensitivity
        self.scan_input = scan_input
        self.scan_tool_results = scan_tool_results
        self.scan_output = scan_output
        self.on_unsafe = on_unsafe
        self.refusal = refusal

    @property
    def name(self) -> str:
        return "LockLLMMiddleware"

    def _incoming(self, messages: Sequence[BaseMessage]) -> List[Tuple[str, str]]:
        texts: List[Tuple[str, str]] = []
        last_ai = max((i for i, m in enumerate(messages) if isinstance(m, AIMessage)), default=-1)
        if self.scan_tool_results:
            for message in messages[last_ai + 1 :]:
                if isinstance(message, ToolMessage):
                    texts.append(("tool", _content_text(message.content)))
        if self.scan_input:
            for message in reversed(messages[last_ai + 1 :]):
                if isinstance(message, HumanMessage):
                    texts.append(("user", _content_text(message.content)))
                    break
        return texts

    def _verdict(self, result: Any, where: str) -> Optional[Dict[str, Any]]:
        if result is None or result.safe:
            return None
        if self.on_unsafe == "raise":
            raise _error(result, where)
        return {"messages": [AIMessage(content=self.refusal)], "jump_to": "end"}

    def _answer(self, messages: Sequence[BaseMessage]) -> List[Tuple[str, str]]:
        if not self.scan_output or not messages or not isinstance(messages[-1], AIMessage):
            return []
        return [("assistant", _content_text(messages[-1].content))]

    def _refuse_answer(self, state: Any, result: Any) -> Optional[Dict[str, Any]]:
        if result is None or result.safe:
            return None
        if self.on_unsafe == "raise":
            raise _error(result, "the model's answer")
        last = state["messages"][-1]
        replaced = last.model_copy(update={"content": self.refusal, "tool_calls": []})
        return {"messages": [replaced], "jump_to": "end"}

    @hook_config(can_jump_to=["end"])
    def before_model(self, state: AgentState[Any], runtime: Any) -> Optional[Dict[str, Any]]:
        """Scan the user's message and new tool results before the model reads them."""
        texts = self._incoming(state["messages"])
        return self._verdict(scan_texts_sync(self.scanner, texts, self.sensitivity), "the input")

    @hook_config(can_jump_to=["end"])
    async def abefore_model(self, state: AgentState[Any], runtime: Any) -> Optional[Dict[str, Any]]:
        """:meth:`before_model` for async runs."""
        texts = self._incoming(state["messages"])
        return self._verdict(await scan_texts(self.scanner, texts, self.sensitivity), "the input")

    @hook_config(can_jump_to=["end"])
    def after_model(self, state: AgentState[Any], runtime: Any) -> Optional[Dict[str, Any]]:
        """With ``scan_output``: scan the model's answer."""
        texts = self._answer(state["messages"])
        return self._refuse_answer(state, scan_texts_sync(self.scanner, texts, self.sensitivity))

    @hook_config(can_jump_to=["end"])
    async def aafter_model(self, state: AgentState[Any], runtime: Any) -> Optional[Dict[str, Any]]:
        """:meth:`after_model` for async runs."""
        texts = self._answer(state["messages"])
        return self._refuse_answer(state, await scan_texts(self.scanner, texts, self.sensitivity))


def guard(
    scanner: Optional[Any] = None,
    *,
    sensitivity: str = "medium",
    on_unsafe: str = "raise",
    refusal: str = DEFAULT_REFUSAL,
) -> Runnable[Any, Any]:
    """A runnable that scans what flows through it (see :func:`texts_of`) and passes it on
    unchanged when safe; on an unsafe verdict it raises ``PromptInjectionError`` or, with
    ``on_unsafe="refuse"``, returns ``refusal`` instead of its input."""
    _check(sensitivity, on_unsafe)
    chosen = check_scanner(scanner)

    def settle(value: Any, result: Any) -> Any:
        if result is None or result.safe:
            return value
        if on_unsafe == "raise":
            raise _error(result, "the chain's input")
        return refusal

    def check(value: Any) -> Any:
        return settle(value, scan_texts_sync(chosen, texts_of(value), sensitivity))

    async def acheck(value: Any) -> Any:
        return settle(value, await scan_texts(chosen, texts_of(value), sensitivity))

    return RunnableLambda(check, afunc=acheck, name="lockllm_guard")
