"""LockLLM: stop prompt injection and jailbreaks before they reach your LLM.

The common case is one line::

    from lockllm import LockLLM
    result = LockLLM().scan("Ignore all previous instructions")

Provider wrappers (``create_openai`` …) and the local engine (``LocalScanner``) are
loaded on first use, so ``import lockllm`` stays as light as ``import httpx``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._breaker import CircuitBreaker
from ._client import AsyncLockLLM, LockLLM, RawResponse
from ._config import ClientConfig
from ._providers import get_all_proxy_urls, get_proxy_url, get_universal_proxy_url
from ._version import __version__
from .errors import (
    AbuseDetectedError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    InsufficientCreditsError,
    InvalidRequestError,
    InvalidResponseError,
    LockLLMError,
    NetworkError,
    PIIDetectedError,
    PolicyViolationError,
    PromptInjectionError,
    RateLimitError,
    ResponseBlockedError,
    ResponseTooLargeError,
    UpstreamError,
)
from .types import _DETAILS as _DETAIL_TYPES
from .types import (
    Debug,
    ProviderName,
    ProxyOptions,
    ScanOptions,
    ScanResponse,
    ScanResult,
    Sensitivity,
    Usage,
)

if TYPE_CHECKING:
    from ._canary import add_canary, canary_leaked
    from ._details import (
        AbuseWarning,
        CompressionResult,
        PIIResult,
        PolicyViolation,
        RoutingInfo,
        ScanWarning,
        Span,
        ViolatedCategory,
    )
    from ._proxy_metadata import ProxyMetadata, parse_proxy_metadata
    from .engine import LocalScanner
    from .wrappers._factories import *  # noqa: F403  (the create_* factories)

# Names resolved on first access, so importing lockllm loads neither the detection
# engine nor the wrapper modules.
_LAZY = {
    **dict.fromkeys(_DETAIL_TYPES, ".types"),
    "LocalScanner": ".engine",
    "add_canary": "._canary",
    "canary_leaked": "._canary",
    "ProxyMetadata": "._proxy_metadata",
    "parse_proxy_metadata": "._proxy_metadata",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None and name.startswith("create_") and name in __all__:
        module = ".wrappers"
    if module is None:
        raise AttributeError(f"module 'lockllm' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "APIError",
    "APITimeoutError",
    "AbuseDetectedError",
    "AbuseWarning",
    "AsyncLockLLM",
    "AuthenticationError",
    "CircuitBreaker",
    "ClientConfig",
    "CompressionResult",
    "ConfigurationError",
    "Debug",
    "InsufficientCreditsError",
    "InvalidRequestError",
    "InvalidResponseError",
    "LocalScanner",
    "LockLLM",
    "LockLLMError",
    "NetworkError",
    "PIIDetectedError",
    "PIIResult",
    "PolicyViolation",
    "PolicyViolationError",
    "PromptInjectionError",
    "ProviderName",
    "ProxyOptions",
    "ProxyMetadata",
    "RateLimitError",
    "ResponseBlockedError",
    "RawResponse",
    "ResponseTooLargeError",
    "RoutingInfo",
    "ScanOptions",
    "ScanResponse",
    "ScanResult",
    "ScanWarning",
    "Sensitivity",
    "Span",
    "UpstreamError",
    "Usage",
    "ViolatedCategory",
    "add_canary",
    "canary_leaked",
    "create_anthropic",
    "create_anyscale",
    "create_async_anthropic",
    "create_async_anyscale",
    "create_async_azure",
    "create_async_bedrock",
    "create_async_cohere",
    "create_async_cohere_client",
    "create_async_deepseek",
    "create_async_fireworks",
    "create_async_gemini",
    "create_async_groq",
    "create_async_huggingface",
    "create_async_mistral",
    "create_async_openai",
    "create_async_openrouter",
    "create_async_perplexity",
    "create_async_together",
    "create_async_vertex_ai",
    "create_async_xai",
    "create_azure",
    "create_bedrock",
    "create_cohere",
    "create_cohere_client",
    "create_deepseek",
    "create_fireworks",
    "create_gemini",
    "create_groq",
    "create_huggingface",
    "create_mistral",
    "create_openai",
    "create_openrouter",
    "create_perplexity",
    "create_together",
    "create_vertex_ai",
    "create_xai",
    "get_all_proxy_urls",
    "get_proxy_url",
    "get_universal_proxy_url",
    "parse_proxy_metadata",
    "__version__",
]
