"""LockLLM: stop prompt injection and jailbreaks before they reach your LLM.

The common case is one line::

    from lockllm import LockLLM
    result = LockLLM().scan("Ignore all previous instructions")

Provider wrappers (``create_openai`` …) and the local engine (``LocalScanner``) are
loaded on first use, so ``import lockllm`` stays as light as ``import httpx``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._client import AsyncLockLLM, LockLLM
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
    UpstreamError,
)
from .types import (
    AbuseWarning,
    CompressionResult,
    Debug,
    PIIResult,
    PolicyViolation,
    ProviderName,
    RoutingInfo,
    ScanOptions,
    ScanResponse,
    ScanResult,
    ScanWarning,
    Sensitivity,
    Span,
    Usage,
    ViolatedCategory,
)

if TYPE_CHECKING:
    from .engine import LocalScanner

# Names resolved on first access, so importing lockllm loads neither the detection
# engine nor the wrapper modules.
_LAZY = {
    "LocalScanner": ".engine",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
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
    "RateLimitError",
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
    "__version__",
    "get_all_proxy_urls",
    "get_proxy_url",
    "get_universal_proxy_url",
]
