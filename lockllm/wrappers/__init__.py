"""Provider wrappers: the official SDK clients, pointed at the LockLLM proxy.

``create_openai()`` and its 35 siblings return the provider SDK's own client class
(``openai.OpenAI``, ``anthropic.Anthropic``, ``cohere.ClientV2`` …), configured so that
every request is scanned by LockLLM first. Importing this package imports no provider
SDK; each factory imports its SDK when called.

Supported SDK versions: openai>=3 and anthropic>=2 (both built on ``httpx2``), and
cohere>=5 for the native Cohere client. Install them with this project's extras
``openai``, ``anthropic``, ``cohere`` (from a clone: ``pip install -e ".[openai]"``). A
factory whose SDK is missing or too old raises ``ConfigurationError`` naming the command.

Proxy metadata (the ``X-LockLLM-*`` response headers) is read with
:func:`parse_proxy_metadata` from the SDK's ``with_raw_response``.
"""

from __future__ import annotations

from .._proxy_metadata import (
    ProxyAbuse,
    ProxyCache,
    ProxyCompression,
    ProxyMetadata,
    ProxyPII,
    ProxyPolicyWarnings,
    ProxyRouting,
    ProxyScanWarning,
    parse_proxy_metadata,
)
from . import _factories
from ._factories import *  # noqa: F403  (the create_* factories)

__all__ = [
    "ProxyAbuse",
    "ProxyCache",
    "ProxyCompression",
    "ProxyMetadata",
    "ProxyPII",
    "ProxyPolicyWarnings",
    "ProxyRouting",
    "ProxyScanWarning",
    *_factories.__all__,
    "parse_proxy_metadata",
]
