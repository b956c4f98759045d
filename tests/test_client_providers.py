"""Proxy URL helpers and the provider table."""

from __future__ import annotations

from typing import Any

import pytest

from lockllm import ConfigurationError, get_all_proxy_urls, get_proxy_url, get_universal_proxy_url
from lockllm._providers import PROVIDERS, provider

NAMES = [
    "openai", "anthropic", "gemini", "cohere", "openrouter", "perplexity", "mistral", "groq",
    "deepseek", "together", "xai", "fireworks", "anyscale", "huggingface", "azure", "bedrock",
    "vertex-ai",
]  # fmt: skip


def test_the_17_providers() -> None:
    assert [p.name for p in PROVIDERS] == NAMES
    assert {p.family for p in PROVIDERS} == {"openai", "anthropic"}
    assert [p.name for p in PROVIDERS if p.family == "anthropic"] == ["anthropic"]


def test_get_proxy_url(clean_env: None) -> None:
    assert get_proxy_url("openai") == "https://api.lockllm.com/v1/proxy/openai"
    assert get_proxy_url("anthropic", "http://localhost:8000/") == (
        "http://localhost:8000/v1/proxy/anthropic"
    )


@pytest.mark.parametrize("alias", ["vertex_ai", "VERTEX-AI", " Vertex_AI "])
def test_vertex_alias(alias: str, clean_env: None) -> None:
    assert get_proxy_url(alias) == "https://api.lockllm.com/v1/proxy/vertex-ai"
    assert provider(alias).title == "Google Vertex AI"


def test_base_url_from_env(monkeypatch: Any) -> None:
    monkeypatch.setenv("LOCKLLM_BASE_URL", "https://eu.example/")
    assert get_proxy_url("groq") == "https://eu.example/v1/proxy/groq"
    assert get_universal_proxy_url() == "https://eu.example/v1/proxy"
    assert get_all_proxy_urls()["xai"] == "https://eu.example/v1/proxy/xai"


def test_get_all_proxy_urls(clean_env: None) -> None:
    urls = get_all_proxy_urls()
    assert list(urls) == NAMES
    assert urls["openai"] == "https://api.lockllm.com/v1/proxy/openai"
    assert urls["anthropic"] == "https://api.lockllm.com/v1/proxy/anthropic"
    assert get_all_proxy_urls("http://h:1")["vertex-ai"] == "http://h:1/v1/proxy/vertex-ai"


def test_get_universal_proxy_url(clean_env: None) -> None:
    assert get_universal_proxy_url() == "https://api.lockllm.com/v1/proxy"
    assert get_universal_proxy_url("http://h:1/") == "http://h:1/v1/proxy"


@pytest.mark.parametrize("name", ["gpt", "", "open ai", None, 3])
def test_unknown_provider(name: Any, clean_env: None) -> None:
    with pytest.raises(ConfigurationError) as info:
        get_proxy_url(name)
    message = str(info.value)
    assert "openai" in message
    assert "vertex-ai" in message
    assert "valid providers" in message


def test_bad_base_url_for_proxy() -> None:
    with pytest.raises(ConfigurationError):
        get_proxy_url("openai", "not a url")
