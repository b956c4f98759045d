"""Settings shared by every part of the SDK: the API key, the base URL, the defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional, Union

from .errors import ConfigurationError, InvalidRequestError

if TYPE_CHECKING:
    import httpx

API_KEY_ENV = "LOCKLLM_API_KEY"
BASE_URL_ENV = "LOCKLLM_BASE_URL"
DEFAULT_BASE_URL = "https://api.lockllm.com"
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 3
DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024
"""A scan answer is a few hundred bytes; 4 MiB leaves room for any real one."""
DEFAULT_BREAKER_THRESHOLD = 3
"""Failed requests in a row (retries count) that open the circuit breaker of
``fallback="local"``: with ``DEFAULT_MAX_RETRIES`` one failed scan is enough."""
DEFAULT_BREAKER_COOLDOWN = 30.0
"""Seconds the open circuit breaker answers every scan locally before it tries the service."""


def resolve_api_key(api_key: Optional[str]) -> str:
    """The given key, else ``$LOCKLLM_API_KEY``; a missing or blank key is an error."""
    if api_key is None:
        api_key = os.environ.get(API_KEY_ENV)
    if api_key is not None and not isinstance(api_key, str):
        raise InvalidRequestError(f"api_key must be a string; got {type(api_key).__name__}")
    if not api_key or not api_key.strip():
        raise ConfigurationError(
            f"No LockLLM API key: pass api_key=... or set the {API_KEY_ENV} environment variable"
        )
    api_key = api_key.strip()
    if not all("!" <= char <= "~" for char in api_key):
        # Never echo the key: say only what is wrong with it.
        raise ConfigurationError(
            "The LockLLM API key holds spaces, line breaks or non-ASCII characters; "
            "copy it again from your dashboard"
        )
    return api_key


def resolve_base_url(base_url: Optional[str]) -> str:
    """The given URL, else ``$LOCKLLM_BASE_URL``, else the hosted service; no trailing slash."""
    if base_url is None:
        base_url = os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    if not isinstance(base_url, str) or not base_url.strip():
        raise ConfigurationError(f"base_url must be a non-empty URL; got {base_url!r}")
    base_url = base_url.strip().rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise ConfigurationError(f"base_url must start with http:// or https://; got {base_url!r}")
    return base_url


def display_url(url: str) -> str:
    """``url`` with any ``user:password@`` part masked, for reprs and messages."""
    scheme, sep, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    if "@" in host:
        host = "***@" + host.rsplit("@", 1)[1]
    return f"{scheme}{sep}{host}{slash}{path}"


def mask_key(api_key: str) -> str:
    """A form of the key safe to print: its last four characters at most."""
    return f"...{api_key[-4:]}" if len(api_key) >= 16 else "***"


@dataclass(frozen=True)
class ClientConfig:
    """The settings a client runs with (read-only; see ``LockLLM.config``).

    The API key is kept but never shown: ``repr()`` prints a masked form.
    """

    api_key: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    timeout: Union[float, httpx.Timeout] = DEFAULT_TIMEOUT
    """Seconds, or the ``httpx.Timeout`` the client was given."""
    max_retries: int = DEFAULT_MAX_RETRIES
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    """The largest response body the client reads (``ResponseTooLargeError`` past it)."""

    def __repr__(self) -> str:
        return (
            f"ClientConfig(api_key='{mask_key(self.api_key)}', "
            f"base_url={display_url(self.base_url)!r}, "
            f"timeout={self.timeout!r}, max_retries={self.max_retries!r}, "
            f"max_response_bytes={self.max_response_bytes!r})"
        )
