"""Fixtures and a collection hook for the scan-client tests, star-imported by conftest.py.

* ``runner``: the sync client, and the async client under asyncio and under trio;
* ``api``: a respx router for the fake base URL; ``slept``: the delays the clients asked to
  sleep (nothing really sleeps); ``fast_ssl``: one shared SSL context; ``clean_env``;
* ``anyio_backend`` (asyncio, trio) for anyio's pytest plugin, and the hook that lets that
  plugin run ``@pytest.mark.anyio`` tests although pytest-asyncio runs in auto mode.

Helpers (``Runner``, the stub servers, bodies) live in ``_scan_stub``; test modules import
those, never each other.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Generator, Iterator, List

import pytest
import respx
from _scan_stub import ASYNC_BACKENDS, BASE, Runner

import lockllm._client

__all__ = [
    "anyio_backend",
    "api",
    "clean_env",
    "fast_ssl",
    "proxy_env",
    "pytest_pycollect_makeitem",
    "runner",
    "slept",
]

HAVE_TRIO = importlib.util.find_spec("trio") is not None
_BACKEND_PARAMS = [
    pytest.param(name, marks=pytest.mark.skipif(not HAVE_TRIO, reason="trio not installed"))
    if name == "trio"
    else name
    for name in ASYNC_BACKENDS
]


@pytest.fixture(params=_BACKEND_PARAMS)
def anyio_backend(request: Any) -> str:
    """anyio's pytest plugin runs ``@pytest.mark.anyio`` tests on asyncio and on trio."""
    return str(request.param)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_pycollect_makeitem(collector: Any, name: str, obj: Any) -> Generator[None, Any, Any]:
    """Let anyio's plugin run ``@pytest.mark.anyio`` tests despite ``asyncio_mode = "auto"``.

    In auto mode pytest-asyncio takes every ``async def`` test and runs it on asyncio; this
    gives the ones marked ``anyio`` back as plain test items (without the ``asyncio``
    marker), so anyio runs them on the backend ``anyio_backend`` names.
    """
    result = yield
    if not result:
        return result
    items = result if isinstance(result, list) else [result]
    out = []
    for item in items:
        if (
            isinstance(item, pytest.Function)
            and type(item) is not pytest.Function
            and item.get_closest_marker("anyio") is not None
        ):
            plain = pytest.Function.from_parent(
                item.parent,
                name=item.name,
                callspec=getattr(item, "callspec", None),
                callobj=item.obj,
                fixtureinfo=item._fixtureinfo,
                keywords=item.keywords,
                originalname=item.originalname,
            )
            plain.own_markers = [m for m in item.own_markers if m.name != "asyncio"]
            item = plain
        out.append(item)
    return out if isinstance(result, list) else out[0]


_SSL_CONTEXT: List[Any] = []


@pytest.fixture
def fast_ssl(monkeypatch: Any) -> None:
    """Share one default SSL context: httpx builds one per client (~50 ms each)."""
    import httpx._transports.default as transports

    original = transports.create_ssl_context

    def cached(verify: Any = True, cert: Any = None, trust_env: bool = True) -> Any:
        if verify is not True or cert is not None:
            return original(verify=verify, cert=cert, trust_env=trust_env)
        if not _SSL_CONTEXT:
            _SSL_CONTEXT.append(original(verify=verify, cert=cert, trust_env=trust_env))
        return _SSL_CONTEXT[0]

    monkeypatch.setattr(transports, "create_ssl_context", cached)


@pytest.fixture(params=["sync", *_BACKEND_PARAMS])
def runner(request: Any, fast_ssl: None) -> Runner:
    """The sync client, and the async client under asyncio and under trio."""
    return Runner(request.param)


@pytest.fixture
def slept(monkeypatch: Any) -> List[float]:
    """The delays both clients asked to sleep, in order (nothing really sleeps)."""
    delays: List[float] = []

    async def fake_async_sleep(seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr(lockllm._client, "_sleep", delays.append)
    monkeypatch.setattr(lockllm._client, "_async_sleep", fake_async_sleep)
    return delays


@pytest.fixture
def api(slept: List[float], fast_ssl: None) -> Iterator[respx.Router]:
    """A respx router for the fake base URL; nothing reaches the network."""
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


@pytest.fixture
def clean_env(monkeypatch: Any) -> None:
    """No ``LOCKLLM_*`` settings from the environment."""
    for name in ("LOCKLLM_API_KEY", "LOCKLLM_BASE_URL", "LOCKLLM_LOG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def proxy_env(monkeypatch: Any) -> None:
    """The wrapper tests' environment: the fake proxy as ``LOCKLLM_BASE_URL``, no key."""
    from _wrapper_helpers import BASE as PROXY_BASE

    monkeypatch.setenv("LOCKLLM_BASE_URL", PROXY_BASE)
    monkeypatch.delenv("LOCKLLM_API_KEY", raising=False)
