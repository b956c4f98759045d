"""The public ``create_*`` factories: one sync and one async per provider.

Each factory is written out so that IDEs and mypy see its real return type (the
provider SDK's own client class), but all of them share one builder driven by the
provider table in ``lockllm._providers``: the table says which SDK family talks to a
provider, and its proxy name gives the URL. The provider SDK is imported only when a
factory is called. The supported SDKs are openai>=3 and anthropic>=2 (both built on
``httpx2``) and, for the native Cohere client, cohere>=5: this project's ``openai``,
``anthropic`` or ``cohere`` extra installs them (from a clone: ``pip install -e
".[openai]"``). A missing SDK, or one too old, is a ``ConfigurationError`` naming the
install command (``lockllm._install.install_hint``).

What every factory does:

* ``api_key`` is your LockLLM key (never the provider's); it defaults to
  ``$LOCKLLM_API_KEY``, and the SDK sends it as its own key (``Authorization: Bearer``
  for OpenAI-style SDKs, ``x-api-key`` for Anthropic).
* ``base_url`` defaults to ``get_proxy_url(<provider>)``, which honours
  ``$LOCKLLM_BASE_URL``.
* ``proxy_options`` (``scan_mode``, ``scan_action``, ``policy_action``, ``abuse_action``,
  ``route_action``, ``sensitivity``, ``cache_response``, ``cache_ttl``, ``chunk``,
  ``pii_action``, ``compression``, ``compression_rate``) are checked before any client is
  built (``InvalidRequestError``) and sent as ``X-LockLLM-*`` headers on every request.
* every other keyword goes to the SDK's constructor unchanged (``timeout``,
  ``max_retries``, ``http_client``, ``default_headers`` — merged with ours …).
* a call the proxy refuses raises an error that is both the LockLLM error
  (``PromptInjectionError`` …) and the SDK's status error (``openai.BadRequestError`` …).
  The SDK keeps its own retry policy (by default it retries 429 and 5xx, waiting the
  ``Retry-After`` LockLLM sends); pass ``max_retries=0`` to surface them at once.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any, Dict, Mapping, NamedTuple, Optional, cast

from .._config import resolve_api_key
from .._install import install_hint
from .._options import PROXY_OPTIONS, option_headers
from .._providers import get_proxy_url, provider
from ..errors import ConfigurationError

if TYPE_CHECKING:
    from anthropic import Anthropic, AsyncAnthropic
    from cohere import AsyncClientV2, ClientV2
    from openai import AsyncOpenAI, OpenAI

__all__ = [
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
]


class _Family(NamedTuple):
    package: str  # the SDK to import (and the lockllm extra that installs it)
    minimum: int  # its lowest supported major version
    needs: str  # what to say it needs
    module: str  # our module for that family


_FAMILIES: Mapping[str, _Family] = {
    "openai": _Family("openai", 3, "openai>=3 (built on httpx2)", "lockllm.wrappers._openai"),
    "anthropic": _Family(
        "anthropic", 2, "anthropic>=2 (built on httpx2)", "lockllm.wrappers._anthropic"
    ),
    "cohere": _Family("cohere", 5, "cohere>=5", "lockllm.wrappers._cohere"),
}


def _major(version: Any) -> Optional[int]:
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        return None


def _family_module(family: str, factory: str) -> ModuleType:
    """Our module for ``family``, or a ``ConfigurationError`` saying what to install.

    Three cases: the SDK is not installed; it is installed but older than we support
    (read from its ``__version__``); or it, or our module for it, fails to import (an
    older SDK without ``httpx2``, ``httpx2`` missing, a broken install …).
    """
    row = _FAMILIES[family]
    upgrade = f"{factory}() needs {row.needs}: {install_hint(row.package, upgrade=True)}"
    try:
        sdk = importlib.import_module(row.package)
    except ImportError as exc:
        if exc.name == row.package:
            raise ConfigurationError(
                f"{factory}() needs the {row.package} package ({row.needs.split()[0]}), "
                f"which is not installed: {install_hint(row.package)}"
            ) from exc
        raise ConfigurationError(f"{upgrade} ({row.package} could not be imported: {exc})") from exc
    version = getattr(sdk, "__version__", None)
    major = _major(version)
    if major is not None and major < row.minimum:
        raise ConfigurationError(f"{upgrade} (installed: {row.package} {version})")
    try:
        return importlib.import_module(row.module)
    except ImportError as exc:
        raise ConfigurationError(f"{upgrade} (the wrapper could not be imported: {exc})") from exc


def _build(
    name: str,
    is_async: bool,
    api_key: Optional[str],
    base_url: Optional[str],
    proxy_options: Optional[Mapping[str, Any]],
    kwargs: Dict[str, Any],
    family: Optional[str] = None,
) -> Any:
    """The one builder behind every factory (``family`` overrides the table's)."""
    row = provider(name)
    headers = option_headers(proxy_options or {}, PROXY_OPTIONS)
    key = resolve_api_key(api_key)
    url = base_url if base_url is not None else get_proxy_url(row.name)
    prefix = "create_async_" if is_async else "create_"
    factory = prefix + row.name.replace("-", "_") + ("_client" if family == "cohere" else "")
    module = _family_module(family or row.family, factory)
    return module.build(is_async, key, url, headers, kwargs)


def create_openai(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> OpenAI:
    """An ``openai.OpenAI`` client whose requests go through the LockLLM proxy.

    Drop-in for ``openai.OpenAI(...)``: everything else in your code stays the same.

    Args:
        api_key: your LockLLM API key (default: ``$LOCKLLM_API_KEY``).
        base_url: the proxy URL (default: ``get_proxy_url("openai")``).
        proxy_options: LockLLM proxy options, sent as ``X-LockLLM-*`` headers.
        **kwargs: passed to ``openai.OpenAI`` (``timeout``, ``max_retries``, ``http_client``,
            ``default_headers`` …).

    Raises:
        ConfigurationError: no API key, or ``openai>=3`` is not installed
            (this project's ``openai`` extra; the error names the command).
        InvalidRequestError: a bad proxy option.

    A call the proxy blocks raises an error that is both ``lockllm.PromptInjectionError``
    and ``openai.BadRequestError``.
    """
    return cast("OpenAI", _build("openai", False, api_key, base_url, proxy_options, kwargs))


def create_async_openai(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> AsyncOpenAI:
    """An async ``openai.AsyncOpenAI`` client for OpenAI through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("AsyncOpenAI", _build("openai", True, api_key, base_url, proxy_options, kwargs))


def create_anthropic(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> Anthropic:
    """An ``anthropic.Anthropic`` client whose requests go through the LockLLM proxy.

    The LockLLM key is sent as the SDK's ``x-api-key``. Arguments as for
    :func:`create_openai`; ``**kwargs`` go to ``anthropic.Anthropic``. A blocked call
    raises an error that is both ``lockllm.PromptInjectionError`` and
    ``anthropic.BadRequestError``. Needs ``anthropic>=2``
    (this project's ``anthropic`` extra; the error names the command).
    """
    return cast("Anthropic", _build("anthropic", False, api_key, base_url, proxy_options, kwargs))


def create_async_anthropic(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> AsyncAnthropic:
    """An async ``anthropic.AsyncAnthropic`` client for Anthropic through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_anthropic`.
    """
    return cast(
        "AsyncAnthropic", _build("anthropic", True, api_key, base_url, proxy_options, kwargs)
    )


def create_groq(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> OpenAI:
    """An ``openai.OpenAI`` client for Groq through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("OpenAI", _build("groq", False, api_key, base_url, proxy_options, kwargs))


def create_async_groq(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> AsyncOpenAI:
    """An async ``openai.AsyncOpenAI`` client for Groq through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("AsyncOpenAI", _build("groq", True, api_key, base_url, proxy_options, kwargs))


def create_deepseek(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> OpenAI:
    """An ``openai.OpenAI`` client for DeepSeek through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("OpenAI", _build("deepseek", False, api_key, base_url, proxy_options, kwargs))


def create_async_deepseek(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> AsyncOpenAI:
    """An async ``openai.AsyncOpenAI`` client for DeepSeek through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("AsyncOpenAI", _build("deepseek", True, api_key, base_url, proxy_options, kwargs))


def create_perplexity(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> OpenAI:
    """An ``openai.OpenAI`` client for Perplexity through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("OpenAI", _build("perplexity", False, api_key, base_url, proxy_options, kwargs))


def create_async_perplexity(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> AsyncOpenAI:
    """An async ``openai.AsyncOpenAI`` client for Perplexity through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("AsyncOpenAI", _build("perplexity", True, api_key, base_url, proxy_options, kwargs))


def create_mistral(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> OpenAI:
    """An ``openai.OpenAI`` client for Mistral AI through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("OpenAI", _build("mistral", False, api_key, base_url, proxy_options, kwargs))


def create_async_mistral(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> AsyncOpenAI:
    """An async ``openai.AsyncOpenAI`` client for Mistral AI through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("AsyncOpenAI", _build("mistral", True, api_key, base_url, proxy_options, kwargs))


def create_openrouter(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> OpenAI:
    """An ``openai.OpenAI`` client for OpenRouter through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("OpenAI", _build("openrouter", False, api_key, base_url, proxy_options, kwargs))


def create_async_openrouter(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> AsyncOpenAI:
    """An async ``openai.AsyncOpenAI`` client for OpenRouter through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("AsyncOpenAI", _build("openrouter", True, api_key, base_url, proxy_options, kwargs))


def create_together(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> OpenAI:
    """An ``openai.OpenAI`` client for Together AI through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("OpenAI", _build("together", False, api_key, base_url, proxy_options, kwargs))


def create_async_together(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> AsyncOpenAI:
    """An async ``openai.AsyncOpenAI`` client for Together AI through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("AsyncOpenAI", _build("together", True, api_key, base_url, proxy_options, kwargs))


def create_xai(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> OpenAI:
    """An ``openai.OpenAI`` client for xAI (Grok) through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("OpenAI", _build("xai", False, api_key, base_url, proxy_options, kwargs))


def create_async_xai(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> AsyncOpenAI:
    """An async ``openai.AsyncOpenAI`` client for xAI (Grok) through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("AsyncOpenAI", _build("xai", True, api_key, base_url, proxy_options, kwargs))


def create_fireworks(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> OpenAI:
    """An ``openai.OpenAI`` client for Fireworks AI through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("OpenAI", _build("fireworks", False, api_key, base_url, proxy_options, kwargs))


def create_async_fireworks(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> AsyncOpenAI:
    """An async ``openai.AsyncOpenAI`` client for Fireworks AI through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("AsyncOpenAI", _build("fireworks", True, api_key, base_url, proxy_options, kwargs))


def create_anyscale(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> OpenAI:
    """An ``openai.OpenAI`` client for Anyscale through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("OpenAI", _build("anyscale", False, api_key, base_url, proxy_options, kwargs))


def create_async_anyscale(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> AsyncOpenAI:
    """An async ``openai.AsyncOpenAI`` client for Anyscale through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("AsyncOpenAI", _build("anyscale", True, api_key, base_url, proxy_options, kwargs))


def create_huggingface(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> OpenAI:
    """An ``openai.OpenAI`` client for Hugging Face through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("OpenAI", _build("huggingface", False, api_key, base_url, proxy_options, kwargs))


def create_async_huggingface(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> AsyncOpenAI:
    """An async ``openai.AsyncOpenAI`` client for Hugging Face through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast(
        "AsyncOpenAI", _build("huggingface", True, api_key, base_url, proxy_options, kwargs)
    )


def create_gemini(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> OpenAI:
    """An ``openai.OpenAI`` client for Google Gemini through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("OpenAI", _build("gemini", False, api_key, base_url, proxy_options, kwargs))


def create_async_gemini(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> AsyncOpenAI:
    """An async ``openai.AsyncOpenAI`` client for Google Gemini through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("AsyncOpenAI", _build("gemini", True, api_key, base_url, proxy_options, kwargs))


def create_cohere(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> OpenAI:
    """An ``openai.OpenAI`` client for Cohere through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("OpenAI", _build("cohere", False, api_key, base_url, proxy_options, kwargs))


def create_async_cohere(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> AsyncOpenAI:
    """An async ``openai.AsyncOpenAI`` client for Cohere through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("AsyncOpenAI", _build("cohere", True, api_key, base_url, proxy_options, kwargs))


def create_azure(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> OpenAI:
    """An ``openai.OpenAI`` client for Azure OpenAI through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("OpenAI", _build("azure", False, api_key, base_url, proxy_options, kwargs))


def create_async_azure(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> AsyncOpenAI:
    """An async ``openai.AsyncOpenAI`` client for Azure OpenAI through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("AsyncOpenAI", _build("azure", True, api_key, base_url, proxy_options, kwargs))


def create_bedrock(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> OpenAI:
    """An ``openai.OpenAI`` client for AWS Bedrock through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("OpenAI", _build("bedrock", False, api_key, base_url, proxy_options, kwargs))


def create_async_bedrock(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> AsyncOpenAI:
    """An async ``openai.AsyncOpenAI`` client for AWS Bedrock through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("AsyncOpenAI", _build("bedrock", True, api_key, base_url, proxy_options, kwargs))


def create_vertex_ai(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> OpenAI:
    """An ``openai.OpenAI`` client for Google Vertex AI through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("OpenAI", _build("vertex-ai", False, api_key, base_url, proxy_options, kwargs))


def create_async_vertex_ai(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> AsyncOpenAI:
    """An async ``openai.AsyncOpenAI`` client for Google Vertex AI through the LockLLM proxy.

    Arguments and behaviour as for :func:`create_openai`.
    """
    return cast("AsyncOpenAI", _build("vertex-ai", True, api_key, base_url, proxy_options, kwargs))


def create_cohere_client(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> ClientV2:
    """A native ``cohere.ClientV2`` whose requests go through the LockLLM proxy.

    For code written against Cohere's own SDK (``create_cohere`` gives an
    OpenAI-compatible client instead). ``base_url`` defaults to ``get_proxy_url("cohere")``,
    so a chat goes to ``{base}/v1/proxy/cohere/v2/chat``. ``**kwargs`` go to
    ``cohere.ClientV2`` (``timeout``, ``max_retries``, ``httpx_client`` …). A call the proxy
    refuses raises an error that is both the LockLLM error and the Cohere SDK's
    (``cohere.BadRequestError`` …); the Cohere SDK does not retry those. A given
    ``httpx_client`` is not modified (its transports are shared). Needs ``cohere>=5``
    (this project's ``cohere`` extra; the error names the command).
    """
    return cast(
        "ClientV2",
        _build("cohere", False, api_key, base_url, proxy_options, kwargs, family="cohere"),
    )


def create_async_cohere_client(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    proxy_options: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> AsyncClientV2:
    """A native async ``cohere.AsyncClientV2`` whose requests go through the LockLLM proxy.

    For code written against Cohere's own SDK (``create_async_cohere`` gives an
    OpenAI-compatible client instead). ``base_url`` defaults to ``get_proxy_url("cohere")``,
    so a chat goes to ``{base}/v1/proxy/cohere/v2/chat``. ``**kwargs`` go to
    ``cohere.AsyncClientV2`` (``timeout``, ``max_retries``, ``httpx_client`` …). A call the proxy
    refuses raises an error that is both the LockLLM error and the Cohere SDK's
    (``cohere.BadRequestError`` …); the Cohere SDK does not retry those. A given
    ``httpx_client`` is not modified (its transports are shared). Needs ``cohere>=5``
    (this project's ``cohere`` extra; the error names the command).
    """
    return cast(
        "AsyncClientV2",
        _build("cohere", True, api_key, base_url, proxy_options, kwargs, family="cohere"),
    )
