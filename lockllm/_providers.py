"""The 17 providers behind the LockLLM proxy (rows of ``_vocabulary.PROVIDERS``), and their
proxy URLs."""

from __future__ import annotations

from typing import Dict, Mapping, Optional, Tuple

from ._config import resolve_base_url
from ._vocabulary import PROVIDERS as VOCABULARY_PROVIDERS
from ._vocabulary import ProviderSpec
from .errors import ConfigurationError

Provider = ProviderSpec
"""One row of the provider table: ``name``, ``family``, ``title``, ``upstream``, ``auth``."""

PROVIDERS: Tuple[Provider, ...] = VOCABULARY_PROVIDERS
PROVIDERS_BY_NAME: Mapping[str, Provider] = {p.name: p for p in PROVIDERS}


def provider(name: str) -> Provider:
    """Look a provider up by proxy name (``vertex_ai`` is accepted for ``vertex-ai``)."""
    key = name.strip().lower().replace("_", "-") if isinstance(name, str) else name
    found = PROVIDERS_BY_NAME.get(key) if isinstance(key, str) else None
    if found is None:
        raise ConfigurationError(
            f"Unknown provider {name!r}; valid providers: {', '.join(PROVIDERS_BY_NAME)}"
        )
    return found


def get_proxy_url(provider_name: str, base_url: Optional[str] = None) -> str:
    """The LockLLM proxy URL for one provider, e.g. ``https://api.lockllm.com/v1/proxy/openai``.

    The base is ``base_url`` if given, else ``$LOCKLLM_BASE_URL``, else the hosted service.
    """
    return f"{resolve_base_url(base_url)}/v1/proxy/{provider(provider_name).name}"


def get_all_proxy_urls(base_url: Optional[str] = None) -> Dict[str, str]:
    """Every provider's proxy URL, keyed by provider name."""
    base = resolve_base_url(base_url)
    return {p.name: f"{base}/v1/proxy/{p.name}" for p in PROVIDERS}


def get_universal_proxy_url(base_url: Optional[str] = None) -> str:
    """The universal (non-BYOK) proxy URL, ``{base}/v1/proxy``."""
    return f"{resolve_base_url(base_url)}/v1/proxy"
