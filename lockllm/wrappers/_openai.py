"""The OpenAI-compatible family: ``openai.OpenAI`` / ``openai.AsyncOpenAI`` at a proxy URL.

Imported only when a factory of this family is called (it imports ``openai``).
"""

from __future__ import annotations

from typing import Any, Dict, Mapping

import httpx2
import openai

from ._errors import from_sdk_response

__all__ = ["LockLLMAsyncOpenAI", "LockLLMOpenAI", "build"]


class LockLLMOpenAI(openai.OpenAI):
    """``openai.OpenAI`` raising dual LockLLM / SDK errors for LockLLM error bodies."""

    _lockllm_secret: str = ""

    def _make_status_error_from_response(self, response: httpx2.Response) -> openai.APIStatusError:
        error = super()._make_status_error_from_response(response)
        return from_sdk_response(error, response, self._lockllm_secret)


class LockLLMAsyncOpenAI(openai.AsyncOpenAI):
    """``openai.AsyncOpenAI`` raising dual LockLLM / SDK errors for LockLLM error bodies."""

    _lockllm_secret: str = ""

    def _make_status_error_from_response(self, response: httpx2.Response) -> openai.APIStatusError:
        error = super()._make_status_error_from_response(response)
        return from_sdk_response(error, response, self._lockllm_secret)


def build(
    is_async: bool, api_key: str, base_url: str, headers: Mapping[str, str], kwargs: Dict[str, Any]
) -> openai.OpenAI | openai.AsyncOpenAI:
    """Make the client: the LockLLM key as the SDK's key, ``headers`` added to its defaults."""
    cls = LockLLMAsyncOpenAI if is_async else LockLLMOpenAI
    kwargs["default_headers"] = {**(kwargs.get("default_headers") or {}), **headers}
    client: LockLLMOpenAI | LockLLMAsyncOpenAI = cls(api_key=api_key, base_url=base_url, **kwargs)
    client._lockllm_secret = api_key
    return client
