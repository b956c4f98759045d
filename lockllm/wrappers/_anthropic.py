"""The Anthropic family: ``anthropic.Anthropic`` / ``anthropic.AsyncAnthropic`` at a proxy URL.

Imported only when a factory of this family is called (it imports ``anthropic``).
"""

from __future__ import annotations

from typing import Any, Dict, Mapping

import anthropic
import httpx2

from ._errors import from_sdk_response

__all__ = ["LockLLMAsyncAnthropic", "LockLLMAnthropic", "build"]


class LockLLMAnthropic(anthropic.Anthropic):
    """``anthropic.Anthropic`` raising dual LockLLM / SDK errors for LockLLM error bodies."""

    _lockllm_secret: str = ""

    def _make_status_error_from_response(
        self, response: httpx2.Response
    ) -> anthropic.APIStatusError:
        error = super()._make_status_error_from_response(response)
        return from_sdk_response(error, response, self._lockllm_secret)


class LockLLMAsyncAnthropic(anthropic.AsyncAnthropic):
    """``anthropic.AsyncAnthropic`` raising dual LockLLM / SDK errors for LockLLM error bodies."""

    _lockllm_secret: str = ""

    def _make_status_error_from_response(
        self, response: httpx2.Response
    ) -> anthropic.APIStatusError:
        error = super()._make_status_error_from_response(response)
        return from_sdk_response(error, response, self._lockllm_secret)


def build(
    is_async: bool, api_key: str, base_url: str, headers: Mapping[str, str], kwargs: Dict[str, Any]
) -> anthropic.Anthropic | anthropic.AsyncAnthropic:
    """Make the client: the LockLLM key as the SDK's key, ``headers`` added to its defaults.

    Older Anthropic SDKs sent the key as ``x-api-key``; newer ones send
    ``Authorization: Bearer``. The proxy is documented to read ``x-api-key``, so it is
    sent too (the same LockLLM key), whichever SDK version is installed.
    """
    cls = LockLLMAsyncAnthropic if is_async else LockLLMAnthropic
    kwargs["default_headers"] = {
        "x-api-key": api_key,
        **(kwargs.get("default_headers") or {}),
        **headers,
    }
    client: LockLLMAnthropic | LockLLMAsyncAnthropic = cls(
        api_key=api_key, base_url=base_url, **kwargs
    )
    client._lockllm_secret = api_key
    return client
