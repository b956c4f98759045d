"""Errors that are both a LockLLM error and the provider SDK's own status error.

When the proxy refuses a call it answers with a LockLLM error body (PROTOCOL §2). The
provider SDK turns that answer into its own status error (``openai.BadRequestError`` …);
the wrapper clients then raise, instead, an instance of a class derived from BOTH that SDK
class and the matching LockLLM class (``lockllm.PromptInjectionError`` …), so that either
style of ``except`` catches it. One such class is made per (LockLLM class, SDK class) pair
and cached.

Attributes both sides define are resolved so that each reads sensibly:

============== ==================================================================
``message``    LockLLM's: the server's human message (the SDK's was the same text
               prefixed with ``Error code: 400 -``). ``str(error)`` is LockLLM's.
``body``       the SDK's: the parsed JSON body, as SDK users expect;
               LockLLM's short text excerpt moves to ``body_excerpt``.
``type``       LockLLM's (the body's ``error.type``; the SDKs read the same field).
``code``       LockLLM's (the body's ``error.code``; the same value OpenAI reads).
``request_id`` LockLLM's (the body's ``request_id``, else ``X-Request-Id``), falling
               back to the SDK's when the proxy sent neither.
============== ==================================================================

Everything else is kept from both: ``status_code``, ``response``, ``request`` (SDK) and
``status``, ``scan_result``, ``retry_after``, ``provider``, ``upstream_status`` … (LockLLM).
An error response that is not a LockLLM body (the provider's own error, passed through)
is left exactly as the SDK made it.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Dict, Mapping, Optional, Tuple, TypeVar

from ..errors import LockLLMError, error_from_response

__all__ = ["dual_class", "is_lockllm_body", "with_lockllm_error"]

_E = TypeVar("_E", bound=BaseException)

# Error types and codes only LockLLM uses. Generic ones that providers share
# ("authentication_error", "rate_limit_error" are Anthropic's too) are left out.
_LOCKLLM_MARKERS = frozenset(
    {
        "lockllm_security_error",
        "prompt_injection_detected",
        "unauthorized",
        "rate_limited",
        "upstream_error",
        "provider_error",
        "configuration_error",
        "lockllm_config_error",
        "no_upstream_key",
        "no_byok_key",
        "invalid_provider_for_credits_mode",
        "policy_violation",
        "lockllm_policy_error",
        "abuse_detected",
        "lockllm_abuse_error",
        "pii_detected",
        "lockllm_pii_error",
        "lockllm_balance_error",
        "insufficient_credits",
        "no_balance",
        "insufficient_routing_credits",
        "balance_check_failed",
        "credits_unavailable",
    }
)


def is_lockllm_body(content: bytes, headers: Mapping[str, str]) -> bool:
    """Whether an error response came from LockLLM itself rather than the provider.

    It did when its body is ``{"error": {...}}`` and either the error's ``type`` or
    ``code`` is one only LockLLM uses, or the response carries ``X-LockLLM-*`` headers.
    """
    try:
        payload = json.loads(content)
    except ValueError:
        return False
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, str):
        return error in _LOCKLLM_MARKERS
    if not isinstance(error, dict):
        return False
    if error.get("type") in _LOCKLLM_MARKERS or error.get("code") in _LOCKLLM_MARKERS:
        return True
    return any(str(name).lower().startswith("x-lockllm-") for name in headers)


@functools.cache
def dual_class(lockllm_cls: type, sdk_cls: type) -> type:
    """The class that is both ``lockllm_cls`` and ``sdk_cls`` (made once, then cached)."""
    sdk_name = f"{sdk_cls.__module__.split('.')[0]}.{sdk_cls.__name__}"
    namespace: Dict[str, Any] = {
        "__module__": __name__,
        "__qualname__": f"{lockllm_cls.__name__}[{sdk_name}]",
        "__doc__": f"{lockllm_cls.__doc__}\n\nAlso a ``{sdk_name}``: see lockllm.wrappers._errors.",
        "__reduce__": _reduce,
        "_lockllm_bases": (lockllm_cls, sdk_cls),
    }
    return type(lockllm_cls.__name__, (lockllm_cls, sdk_cls), namespace)


def _reduce(self: Any) -> Tuple[Any, ...]:
    lockllm_cls, sdk_cls = self._lockllm_bases
    return (_rebuild, (lockllm_cls, sdk_cls, self.message, dict(self.__dict__)))


def _rebuild(lockllm_cls: type, sdk_cls: type, message: str, state: Dict[str, Any]) -> Any:
    cls: Any = dual_class(lockllm_cls, sdk_cls)
    error = cls.__new__(cls)
    BaseException.__init__(error, message)
    error.__dict__.update(state)
    return error


def merge(lockllm_error: LockLLMError, sdk_error: _E) -> _E:
    """One exception carrying the state of both errors (see the module docstring)."""
    state = dict(vars(sdk_error))
    sdk_request_id = state.get("request_id")
    state.update(vars(lockllm_error))
    state["body"] = vars(sdk_error).get("body")
    state["body_excerpt"] = lockllm_error.body
    state["request_id"] = lockllm_error.request_id or sdk_request_id
    merged: _E = _rebuild(type(lockllm_error), type(sdk_error), lockllm_error.message, state)
    return merged


def with_lockllm_error(
    sdk_error: _E,
    status: int,
    headers: Mapping[str, str],
    content: Optional[bytes],
    secret: Optional[str],
) -> _E:
    """``sdk_error`` upgraded to a dual error if the response is a LockLLM error body.

    ``headers`` must be case-insensitive (httpx / httpx2 headers are). ``content`` is
    ``None`` when the body could not be read; the SDK error is then returned unchanged.
    """
    if content is None or not is_lockllm_body(content, headers):
        return sdk_error
    return merge(error_from_response(status, headers, content, secret=secret), sdk_error)
