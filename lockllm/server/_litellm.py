"""LiteLLM's Generic Guardrail API, answered by the gateway:
``POST /beta/litellm_basic_guardrail_api``.

A LiteLLM proxy configured with ``guardrail: generic_guardrail_api`` and ``api_base:`` the
gateway's URL (``api_key:`` a gateway key, which LiteLLM sends as ``x-api-key``) posts the
texts it extracted from each request (``input_type: "request"``) or answer
(``"response"``), with the chat messages in ``structured_messages`` when it has them.
The gateway scans them like a proxied chat body, role-aware (a system prompt is read as
the application's own text, tool results as retrieved content), under the key's policy
(``_policies``), and answers one of LiteLLM's actions:

- ``{"action": "NONE"}``: go on;
- ``{"action": "BLOCKED", "blocked_reason": "…"}``: LiteLLM refuses the call; the reason
  names the verdict's score and categories, or the policy and its rules, never the text.

The gateway never rewrites text, so it does not answer ``GUARDRAIL_INTERVENED``. A flagged
text under ``allow_with_warning`` or ``audit`` answers ``NONE``.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Sequence

__all__ = ["PATH", "GuardrailRequestError", "answer", "chat_body"]

PATH = "/beta/litellm_basic_guardrail_api"
_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})


class GuardrailRequestError(ValueError):
    """A guardrail request the gateway cannot read."""


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def chat_body(data: Any) -> bytes:
    """The chat body to scan for a guardrail request (LiteLLM's ``GenericGuardrailAPIRequest``)."""
    if not isinstance(data, dict):
        raise GuardrailRequestError("The body must be a JSON object")
    kind = data.get("input_type", "request")
    if kind not in ("request", "response"):
        raise GuardrailRequestError("input_type must be 'request' or 'response'")
    texts = data.get("texts") or []
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise GuardrailRequestError("texts must be a list of strings")
    messages: List[Dict[str, str]] = []
    structured = data.get("structured_messages")
    if kind == "request" and isinstance(structured, list):
        for row in structured:
            if isinstance(row, dict) and row.get("role") in _ROLES:
                text = _text(row.get("content"))
                if text:
                    messages.append({"role": str(row["role"]), "content": text})
    if not messages:  # the texts LiteLLM extracted: the user's, or the model's answer
        role = "user" if kind == "request" else "assistant"
        messages = [{"role": role, "content": t} for t in texts if t]
    tool_calls = data.get("tool_calls")
    if isinstance(tool_calls, list):
        for call in tool_calls:
            function = call.get("function") if isinstance(call, dict) else None
            arguments = function.get("arguments") if isinstance(function, dict) else None
            if isinstance(arguments, str) and arguments:
                messages.append({"role": "assistant", "content": arguments})
    return json.dumps({"messages": messages}, ensure_ascii=False).encode("utf-8")


def answer(result: Any, action: Any, violations: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """LiteLLM's answer for a verdict (``None``: nothing to scan) under ``action``, and the
    custom-rule ``violations`` that block (``violated_policies`` entries)."""
    if violations:
        names = ", ".join(c["name"] for v in violations for c in v["violated_categories"])
        policy = violations[0]["policy_name"]
        return {
            "action": "BLOCKED",
            "blocked_reason": f"LockLLM: the request violates the policy {policy!r} ({names})",
        }
    if result is None or result.safe or action in ("allow_with_warning", "audit"):
        return {"action": "NONE"}
    categories = ", ".join(getattr(result, "categories", ()) or ()) or "prompt injection"
    return {
        "action": "BLOCKED",
        "blocked_reason": (
            f"LockLLM: prompt injection detected (injection score {result.injection}; "
            f"{categories}; request {result.request_id})"
        ),
    }
