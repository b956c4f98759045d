"""LockLLM guardrails for the OpenAI Agents SDK (``openai-agents``, Python 3.10+).

Use::

    from agents import Agent
    from lockllm.integrations.openai_agents import input_guardrail, output_guardrail

    agent = Agent(
        name="support",
        instructions="Answer questions about our product.",
        input_guardrails=[input_guardrail()],  # the local engine, offline
        output_guardrails=[output_guardrail()],
    )

:func:`input_guardrail` returns the SDK's ``InputGuardrail``: it scans the run's input
(the user's messages and the tool results in it, by default) and trips the wire when the
scan finds it unsafe, so ``Runner.run`` raises ``InputGuardrailTripwireTriggered`` before
the model's answer is used. :func:`output_guardrail` returns an ``OutputGuardrail`` that
scans the agent's final output (``OutputGuardrailTripwireTriggered``). Either scans with
the scanner you pass: a ``LockLLM`` or ``AsyncLockLLM`` client (the hosted service or a
``lockllm serve`` gateway) or a ``LocalScanner``; the default is a ``LocalScanner``.

The guardrail's ``output_info`` is the verdict's summary (scores, categories, rule ids,
offsets, request id), never the text. A scan that fails (the service unreachable, say)
trips the wire too, with ``output_info["error"]`` naming the error, unless
``fail_open=True``.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, List, Optional, Sequence, Tuple

from agents import (
    Agent,
    GuardrailFunctionOutput,
    InputGuardrail,
    OutputGuardrail,
    RunContextWrapper,
)

from .._vocabulary import SENSITIVITIES
from ..errors import InvalidRequestError
from ._scan import ROLES, check_scanner, scan_texts, verdict_info

__all__ = ["input_guardrail", "output_guardrail"]

DEFAULT_INPUT_ROLES = ("user", "tool")
"""What an input guardrail reads by default: the user's messages and tool results."""
_ROLE_OF = {"developer": "system", "function_call_output": "tool", "model": "assistant"}


def _part_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        texts = []
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
        return "\n".join(texts)
    return ""


def input_texts(value: Any, roles: Iterable[str] = DEFAULT_INPUT_ROLES) -> List[Tuple[str, str]]:
    """The ``(role, text)`` pairs of an agent run's input (a string, or the SDK's input
    items) whose role is in ``roles``."""
    wanted = set(roles)
    if isinstance(value, str):
        return [("user", value)] if "user" in wanted else []
    found: List[Tuple[str, str]] = []
    for item in value if isinstance(value, (list, tuple)) else ():
        if not isinstance(item, dict):
            dump = getattr(item, "model_dump", None)
            item = dump() if callable(dump) else {}
        kind = item.get("type")
        if kind == "function_call_output":
            role, text = "tool", _part_text(item.get("output"))
        elif "role" in item and kind in (None, "message"):
            raw = str(item.get("role"))
            role, text = _ROLE_OF.get(raw, raw), _part_text(item.get("content"))
        else:
            continue
        if role in wanted and text:
            found.append((role, text))
    return found


def output_text(value: Any) -> str:
    """An agent's final output as text: a string itself, a pydantic model or other data as
    JSON."""
    if isinstance(value, str):
        return value
    dump = getattr(value, "model_dump_json", None)
    if callable(dump):
        return str(dump())
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def _check(sensitivity: str, roles: Sequence[str]) -> None:
    if sensitivity not in SENSITIVITIES:
        raise InvalidRequestError(f"sensitivity must be low, medium or high; got {sensitivity!r}")
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise InvalidRequestError(f"roles must be among {', '.join(ROLES)}; got {list(roles)!r}")


async def _judge(
    scanner: Any, texts: List[Tuple[str, str]], sensitivity: str, fail_open: bool
) -> GuardrailFunctionOutput:
    try:
        result = await scan_texts(scanner, texts, sensitivity)
    except Exception as exc:  # the scan could not be done: fail closed unless asked not to
        info = {"error": type(exc).__name__, "code": getattr(exc, "code", None)}
        return GuardrailFunctionOutput(output_info=info, tripwire_triggered=not fail_open)
    if result is None:
        return GuardrailFunctionOutput(
            output_info={"safe": True, "scanned": False}, tripwire_triggered=False
        )
    return GuardrailFunctionOutput(
        output_info=verdict_info(result), tripwire_triggered=not result.safe
    )


def input_guardrail(
    scanner: Optional[Any] = None,
    *,
    sensitivity: str = "medium",
    roles: Sequence[str] = DEFAULT_INPUT_ROLES,
    name: str = "lockllm_input",
    run_in_parallel: bool = False,
    fail_open: bool = False,
) -> InputGuardrail[Any]:
    """An ``InputGuardrail`` that scans the run's input and trips on an unsafe verdict.

    ``scanner``: a ``LockLLM``, ``AsyncLockLLM`` or ``LocalScanner`` (default: a new
    ``LocalScanner``). ``roles``: which input items are read (``user``, ``tool``,
    ``system``, ``assistant``, ``document``). ``run_in_parallel=False`` (the default)
    runs the scan before the agent starts, so a tripped run never reaches the model.
    """
    chosen = check_scanner(scanner)
    _check(sensitivity, roles)
    kept = tuple(roles)

    async def lockllm_input(
        context: RunContextWrapper[Any], agent: Agent[Any], value: Any
    ) -> GuardrailFunctionOutput:
        return await _judge(chosen, input_texts(value, kept), sensitivity, fail_open)

    return InputGuardrail(
        guardrail_function=lockllm_input, name=name, run_in_parallel=run_in_parallel
    )


def output_guardrail(
    scanner: Optional[Any] = None,
    *,
    sensitivity: str = "medium",
    name: str = "lockllm_output",
    fail_open: bool = False,
) -> OutputGuardrail[Any]:
    """An ``OutputGuardrail`` that scans the agent's final output (as the assistant's
    text) and trips on an unsafe verdict; arguments as for :func:`input_guardrail`."""
    chosen = check_scanner(scanner)
    _check(sensitivity, ("assistant",))

    async def lockllm_output(
        context: RunContextWrapper[Any], agent: Agent[Any], value: Any
    ) -> GuardrailFunctionOutput:
        return await _judge(chosen, [("assistant", output_text(value))], sensitivity, fail_open)

    return OutputGuardrail(guardrail_function=lockllm_output, name=name)
