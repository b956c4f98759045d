"""Client configuration (arguments, environment, defaults) and lifecycle (close, with)."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest
from _scan_stub import BASE, KEY, Runner, scan_body

import lockllm
from lockllm import (
    AsyncLockLLM,
    ClientConfig,
    ConfigurationError,
    InvalidRequestError,
    LockLLM,
    LockLLMError,
)
from lockllm._config import mask_key

CLIENTS = pytest.mark.parametrize("cls", [LockLLM, AsyncLockLLM])


@CLIENTS
def test_defaults(cls: type, clean_env: None, fast_ssl: None) -> None:
    client = cls(api_key=KEY)
    assert client.config == ClientConfig(
        api_key=KEY, base_url="https://api.lockllm.com", timeout=60.0, max_retries=3
    )
    assert client.config.timeout == 60.0
    assert client.config.max_retries == 3


@CLIENTS
def test_explicit_settings(cls: type, clean_env: None, fast_ssl: None) -> None:
    client = cls(
        api_key=f"  {KEY}\n", base_url="http://localhost:8080///", timeout=5, max_retries=0
    )
    assert client.config.api_key == KEY
    assert client.config.base_url == "http://localhost:8080"
    assert client.config.timeout == 5.0
    assert isinstance(client.config.timeout, float)
    assert client.config.max_retries == 0


@CLIENTS
def test_environment(cls: type, monkeypatch: Any, fast_ssl: None) -> None:
    monkeypatch.setenv("LOCKLLM_API_KEY", "env-key-0123456789")
    monkeypatch.setenv("LOCKLLM_BASE_URL", "https://eu.lockllm.test/")
    client = cls()
    assert client.config.api_key == "env-key-0123456789"
    assert client.config.base_url == "https://eu.lockllm.test"
    # Arguments win over the environment.
    other = cls(api_key="arg-key", base_url="https://arg.test")
    assert other.config.api_key == "arg-key"
    assert other.config.base_url == "https://arg.test"


def test_environment_is_used_on_the_wire(
    runner: Runner, monkeypatch: Any, api: Any, clean_env: None
) -> None:
    monkeypatch.setenv("LOCKLLM_API_KEY", "env-key-0123456789")
    monkeypatch.setenv("LOCKLLM_BASE_URL", BASE + "/")
    route = api.post("/v1/scan").respond(200, json=scan_body())
    runner.scan("x", client_kwargs={"api_key": None, "base_url": None})
    assert route.calls.last.request.headers["Authorization"] == "Bearer env-key-0123456789"


@pytest.mark.parametrize("env", [None, "", "   "])
@CLIENTS
def test_missing_or_blank_key(cls: type, env: Any, monkeypatch: Any, clean_env: None) -> None:
    if env is not None:
        monkeypatch.setenv("LOCKLLM_API_KEY", env)
    with pytest.raises(ConfigurationError, match="LOCKLLM_API_KEY"):
        cls()
    with pytest.raises(ConfigurationError, match="LOCKLLM_API_KEY"):
        cls(api_key="  ")
    with pytest.raises(ConfigurationError):
        cls(api_key="")


@CLIENTS
def test_key_of_the_wrong_type(cls: type, clean_env: None) -> None:
    with pytest.raises(InvalidRequestError):
        cls(api_key=12345)


@pytest.mark.parametrize("url", ["", "   ", "api.lockllm.com", "ftp://x", 5])
@CLIENTS
def test_bad_base_url(cls: type, url: Any, clean_env: None) -> None:
    with pytest.raises(ConfigurationError):
        cls(api_key=KEY, base_url=url)


def test_blank_env_base_url_means_default(monkeypatch: Any, fast_ssl: None) -> None:
    monkeypatch.setenv("LOCKLLM_BASE_URL", "")
    assert LockLLM(api_key=KEY).config.base_url == "https://api.lockllm.com"


def test_config_is_frozen(fast_ssl: None) -> None:
    client = LockLLM(api_key=KEY, base_url=BASE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        client.config.api_key = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        client.config.max_retries = 9  # type: ignore[misc]
    with pytest.raises(AttributeError):
        client.config = ClientConfig(api_key="x")  # type: ignore[misc]
    client.close()


def test_mask_key() -> None:
    assert mask_key("short") == "***"
    assert mask_key("0123456789abcdef") == "...cdef"


# --------------------------------------------------------------------------- lifecycle


def test_owned_sync_client_closed_by_close_and_with(fast_ssl: None, api: Any) -> None:
    api.post("/v1/scan").respond(200, json=scan_body())
    client = LockLLM(api_key=KEY, base_url=BASE)
    http = client._http
    client.close()
    assert http.is_closed
    client.close()  # idempotent
    with pytest.raises(LockLLMError, match="closed") as info:
        client.scan("x")
    assert info.value.type == "client_closed"
    with LockLLM(api_key=KEY, base_url=BASE) as ctx:
        assert ctx.scan("x").safe
        http = ctx._http
    assert http.is_closed
    with pytest.raises(LockLLMError):
        ctx.scan("x")
    assert api.calls.call_count == 1


@pytest.mark.anyio
async def test_owned_async_client_closed_by_aclose_close_and_async_with(
    anyio_backend: str, fast_ssl: None, api: Any
) -> None:
    api.post("/v1/scan").respond(200, json=scan_body())
    client = AsyncLockLLM(api_key=KEY, base_url=BASE)
    http = client._http
    await client.aclose()
    assert http.is_closed
    with pytest.raises(LockLLMError, match="closed"):
        await client.scan("x")
    other = AsyncLockLLM(api_key=KEY, base_url=BASE)
    await other.close()
    assert other._http.is_closed
    async with AsyncLockLLM(api_key=KEY, base_url=BASE) as ctx:
        assert (await ctx.scan("x")).safe
    assert ctx._http.is_closed
    with pytest.raises(LockLLMError):
        await ctx.scan("x")


def test_context_manager_closes_on_error(fast_ssl: None, api: Any) -> None:
    with pytest.raises(RuntimeError), LockLLM(api_key=KEY, base_url=BASE) as client:
        raise RuntimeError("boom")
    assert client._http.is_closed


def test_lent_clients_are_not_closed(fast_ssl: None, api: Any) -> None:
    api.post("/v1/scan").respond(200, json=scan_body())
    http = httpx.Client()
    with LockLLM(api_key=KEY, base_url=BASE, http_client=http) as client:
        assert client._http is http
        client.scan("x")
    assert not http.is_closed
    with pytest.raises(LockLLMError):
        client.scan("x")
    assert http.post(BASE + "/v1/scan").status_code == 200  # still usable by its owner
    http.close()


@pytest.mark.anyio
async def test_lent_async_clients_are_not_closed(
    anyio_backend: str, fast_ssl: None, api: Any
) -> None:
    api.post("/v1/scan").respond(200, json=scan_body())
    http = httpx.AsyncClient()
    async with AsyncLockLLM(api_key=KEY, base_url=BASE, http_client=http) as client:
        assert client._http is http
        await client.scan("x")
    assert not http.is_closed
    await http.aclose()


def test_repr_shows_url_and_masked_key(fast_ssl: None) -> None:
    client = LockLLM(api_key=KEY, base_url=BASE)
    assert repr(client) == f"LockLLM(base_url='{BASE}', api_key='...{KEY[-4:]}')"
    assert repr(AsyncLockLLM(api_key="short", base_url=BASE)).endswith("api_key='***')")
    client.close()


def test_the_wrong_kind_of_http_client_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match=r"httpx\.Client"):
        LockLLM(api_key=KEY, http_client=httpx.AsyncClient())  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match=r"httpx\.AsyncClient"):
        lockllm.AsyncLockLLM(api_key=KEY, http_client=httpx.Client())  # type: ignore[arg-type]


def test_a_lent_client_closed_by_its_owner_gives_a_lockllm_error() -> None:
    lent = httpx.Client()
    client = LockLLM(api_key=KEY, base_url=BASE, http_client=lent)
    lent.close()
    with pytest.raises(LockLLMError) as info:
        client.scan("x")
    assert info.value.type == "client_closed"


def test_a_lent_client_keeps_its_own_timeout(api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    lent = httpx.Client(timeout=7.0)
    LockLLM(api_key=KEY, base_url=BASE, http_client=lent).scan("x")
    assert route.calls.last.request.extensions["timeout"]["read"] == 7.0
    LockLLM(api_key=KEY, base_url=BASE, http_client=lent, timeout=3.0).scan("x")
    assert route.calls.last.request.extensions["timeout"]["read"] == 3.0
    lent.close()
