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
is left exactly as the SDK made it. The ``X-LockLLM-*`` headers do not decide it: the
proxy adds them to the provider responses it forwards too (PROTOCOL §3).

The LockLLM key the client was built with is masked (``***``) in every text of the
merged error, ``body`` included (recursively, in the strings inside its dicts and
lists). ``response`` and ``request`` are the SDK's untouched HTTP objects: the request
carries the key in its own headers anyway, so do not log them.

Classifying never fails on its own account: if anything goes wrong while doing it (a
body nested too deeply to parse …), the SDK's error is raised unchanged.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Dict, Mapping, Optional, Tuple, TypeVar

from .._vocabulary import LOCKLLM_ERROR_MARKERS
from ..errors import LockLLMError, error_from_response, mask_tree

__all__ = [
    "dual_class",
    "from_sdk_response",
    "is_lockllm_body",
    "mask",
    "merge",
    "with_lockllm_error",
]

_E = TypeVar("_E", bound=BaseException)
_T = TypeVar("_T")

MASK = "***"

# Error types and codes only LockLLM uses (the error table's, less the generic types
# providers share: "authentication_error", "rate_limit_error" are Anthropic's too).
_LOCKLLM_MARKERS = LOCKLLM_ERROR_MARKERS


def is_lockllm_body(content: bytes, headers: Mapping[str, str]) -> bool:
    """Whether an error response came from LockLLM itself rather than the provider.

    It did when its body is ``{"error": ...}`` and the error's ``type`` or ``code`` is one
    only LockLLM uses (or the older flat ``{"error": "<code>"}`` form names one), or when
    it is an ``{"error": {...}}`` body sent with ``X-LockLLM-Blocked: true`` (a response
    the proxy blocked never reached the provider). Other ``X-LockLLM-*`` headers prove
    nothing: the proxy adds them to the provider's own error responses it forwards.
    ``headers`` must be case-insensitive. Never raises.
    """
    try:
        payload = json.loads(content)
    except (ValueError, RecursionError):
        return False
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, str):
        return error in _LOCKLLM_MARKERS
    if not isinstance(error, dict):
        return False
    if error.get("type") in _LOCKLLM_MARKERS or error.get("code") in _LOCKLLM_MARKERS:
        return True
    return str(headers.get("x-lockllm-blocked", "")).strip().lower() == "true"


mask = mask_tree
"""``value`` with the key masked in every string inside it (``lockllm.errors.mask_tree``)."""


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


def merge(lockllm_error: LockLLMError, sdk_error: _E, secret: Optional[str] = None) -> _E:
    """One exception carrying the state of both errors (see the module docstring).

    ``secret`` is masked in every string, list, tuple and dict attribute of the result.
    """
    state = dict(vars(sdk_error))
    sdk_request_id = state.get("request_id")
    state.update(vars(lockllm_error))
    state["response"] = vars(sdk_error).get("response")
    state["body"] = vars(sdk_error).get("body")
    state["body_excerpt"] = lockllm_error.body
    state["request_id"] = lockllm_error.request_id or sdk_request_id
    state = {
        name: mask(value, secret) if isinstance(value, (str, dict, list, tuple)) else value
        for name, value in state.items()
    }
    message = mask(lockllm_error.message, secret)
    merged: _E = _rebuild(type(lockllm_error), type(sdk_error), message, state)
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
    ``None`` when the body could not be read; the SDK error is then returned unchanged,
    as it is when anything at all goes wrong while classifying or building: this never
    raises an error of its own in place of the SDK's.
    """
    if content is None:
        return sdk_error
    try:
        if not is_lockllm_body(content, headers):
            return sdk_error
        if secret:
            content = content.replace(secret.encode(), MASK.encode())
        lockllm_error = error_from_response(status, headers, content, secret=secret)
        return merge(lockllm_error, sdk_error, secret)
    except Exception:
        return sdk_error


def from_sdk_response(sdk_error: _E, response: Any, secret: Optional[str]) -> _E:
    """``with_lockllm_error`` for an httpx2 response of the OpenAI or Anthropic SDK.

    A streamed response whose body was never read leaves the SDK error unchanged.
    """
    try:
        content = response.content
    except Exception:  # httpx2.ResponseNotRead, without importing httpx2 here
        return sdk_error
    return with_lockllm_error(sdk_error, response.status_code, response.headers, content, secret)
