"""Review fixes in the provider wrappers: error attribution, robustness, SDK versions,
the caller's own httpx client, and the API key in merged errors."""

from __future__ import annotations

import importlib
import json
import sys
from types import ModuleType
from typing import Any, Dict, List

import anthropic
import cohere
import httpx
import httpx2
import openai
import pytest
from _proxy_stub import blocked_body
from test_wrappers import (
    BASE,
    KEY,
    Recorder,
    call_async,
    call_sync,
    error_response,
    make_client,
    run_python,
)

import lockllm.errors as le
import lockllm.wrappers as wrappers
from lockllm.wrappers import _cohere, _errors, _factories


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCKLLM_BASE_URL", BASE)
    monkeypatch.delenv("LOCKLLM_API_KEY", raising=False)


# --- 1. provider errors forwarded by the proxy keep their SDK class -------------------------

# What the proxy adds to every forwarded provider response (PROTOCOL §3).
FORWARDED_HEADERS = {
    "X-LockLLM-Safe": "true",
    "X-LockLLM-Scanned": "true",
    "X-LockLLM-Request-ID": "req_fwd",
    "X-LockLLM-Blocked": "false",
    "X-LockLLM-Provider": "openai",
}

FORWARDED_PROVIDER_ERRORS = [
    (
        "openai",
        400,
        {
            "error": {
                "message": "This model's maximum context length is 8192 tokens.",
                "type": "invalid_request_error",
                "param": "messages",
                "code": "context_length_exceeded",
            }
        },
        "BadRequestError",
    ),
    (
        "openai",
        401,
        {
            "error": {
                "message": "bad key",
                "type": "invalid_request_error",
                "code": "invalid_api_key",
            }
        },
        "AuthenticationError",
    ),
    (
        "anthropic",
        401,
        {
            "type": "error",
            "error": {"type": "authentication_error", "message": "invalid x-api-key"},
        },
        "AuthenticationError",
    ),
    (
        "anthropic",
        400,
        {"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens"}},
        "BadRequestError",
    ),
]


def check_plain(error: BaseException, name: str, sdk_cls_name: str) -> None:
    sdk = anthropic if name == "anthropic" else openai
    assert type(error) is getattr(sdk, sdk_cls_name)
    assert not isinstance(error, le.LockLLMError)


@pytest.mark.parametrize(("name", "status", "body", "sdk_cls"), FORWARDED_PROVIDER_ERRORS)
def test_forwarded_provider_error_stays_plain_sync(
    name: str, status: int, body: Any, sdk_cls: str
) -> None:
    client = make_client(name, False, Recorder(error_response(status, body, FORWARDED_HEADERS)))
    with pytest.raises(Exception) as caught:
        call_sync(client, name)
    check_plain(caught.value, name, sdk_cls)


@pytest.mark.asyncio
@pytest.mark.parametrize(("name", "status", "body", "sdk_cls"), FORWARDED_PROVIDER_ERRORS)
async def test_forwarded_provider_error_stays_plain_async(
    name: str, status: int, body: Any, sdk_cls: str
) -> None:
    client = make_client(name, True, Recorder(error_response(status, body, FORWARDED_HEADERS)))
    with pytest.raises(Exception) as caught:
        await call_async(client, name)
    check_plain(caught.value, name, sdk_cls)


@pytest.mark.asyncio
async def test_forwarded_provider_error_stays_plain_cohere_native_async() -> None:
    body = {"message": "invalid model"}
    transport = httpx.MockTransport(
        lambda r: httpx.Response(400, json=body, headers=FORWARDED_HEADERS)
    )
    client = wrappers.create_async_cohere_client(
        KEY, httpx_client=httpx.AsyncClient(transport=transport)
    )
    with pytest.raises(cohere.BadRequestError) as caught:
        await client.chat(model="command-r", messages=[{"role": "user", "content": "x"}])
    assert not isinstance(caught.value, le.LockLLMError)


def test_forwarded_provider_error_stays_plain_cohere_native() -> None:
    body = {"message": "invalid model"}
    transport = httpx.MockTransport(
        lambda r: httpx.Response(400, json=body, headers=FORWARDED_HEADERS)
    )
    client = wrappers.create_cohere_client(KEY, httpx_client=httpx.Client(transport=transport))
    with pytest.raises(cohere.BadRequestError) as caught:
        client.chat(model="command-r", messages=[{"role": "user", "content": "x"}])
    assert not isinstance(caught.value, le.LockLLMError)


@pytest.mark.parametrize("value", ["true", "TRUE", " True "])
def test_blocked_header_marks_a_generic_body_as_lockllm(value: str) -> None:
    body = {"error": {"message": "who knows", "type": "authentication_error"}}
    headers = {"X-LockLLM-Blocked": value}
    client = make_client("anthropic", False, Recorder(error_response(401, body, headers)))
    with pytest.raises(anthropic.AuthenticationError) as caught:
        call_sync(client, "anthropic")
    assert isinstance(caught.value, le.AuthenticationError)


def test_is_lockllm_body_ignores_informational_headers() -> None:
    provider = b'{"error": {"type": "invalid_request_error", "code": "context_length_exceeded"}}'
    headers = httpx2.Headers(FORWARDED_HEADERS)
    assert not _errors.is_lockllm_body(provider, headers)
    assert not _errors.is_lockllm_body(provider, httpx2.Headers({"X-LockLLM-Blocked": "no"}))
    assert _errors.is_lockllm_body(provider, httpx2.Headers({"X-LockLLM-Blocked": "true"}))
    # the header rule still needs an error body
    assert not _errors.is_lockllm_body(b"<html>", httpx2.Headers({"X-LockLLM-Blocked": "true"}))
    assert _errors.is_lockllm_body(b'{"error": {"code": "pii_detected"}}', headers)


# --- 2. nothing of ours is ever raised while classifying an error ---------------------------

DEEP = b"[" * 100000


@pytest.mark.parametrize("name", ["openai", "anthropic"])
def test_deeply_nested_body_is_the_plain_sdk_error_sync(name: str) -> None:
    client = make_client(name, False, Recorder(lambda r: httpx2.Response(400, content=DEEP)))
    with pytest.raises(Exception) as caught:
        call_sync(client, name)
    check_plain(caught.value, name, "BadRequestError")


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["openai", "anthropic"])
async def test_deeply_nested_body_is_the_plain_sdk_error_async(name: str) -> None:
    client = make_client(name, True, Recorder(lambda r: httpx2.Response(400, content=DEEP)))
    with pytest.raises(Exception) as caught:
        await call_async(client, name)
    check_plain(caught.value, name, "BadRequestError")


def test_is_lockllm_body_survives_deep_nesting() -> None:
    assert not _errors.is_lockllm_body(DEEP, {})
    assert not _errors.is_lockllm_body(b'{"error": ' * 100000, {})


def test_with_lockllm_error_returns_the_sdk_error_on_any_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("bug in the mapping")

    monkeypatch.setattr(_errors, "error_from_response", boom)
    sdk_error = ValueError("the SDK's")
    content = json.dumps(blocked_body()).encode()
    assert _errors.with_lockllm_error(sdk_error, 400, {}, content, KEY) is sdk_error
    assert _errors.with_lockllm_error(sdk_error, 400, {}, None, KEY) is sdk_error
    client = make_client("openai", False, Recorder(error_response(400, blocked_body())))
    with pytest.raises(openai.BadRequestError) as caught:
        call_sync(client, "openai")
    assert not isinstance(caught.value, le.LockLLMError)


def test_cohere_hook_never_raises_its_own_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(status: int) -> Any:
        raise RuntimeError("bug in the mapping")

    monkeypatch.setattr(_cohere, "cohere_error_class", boom)
    answer = lambda r: httpx.Response(400, json=blocked_body())  # noqa: E731
    client = wrappers.create_cohere_client(
        KEY, httpx_client=httpx.Client(transport=httpx.MockTransport(answer))
    )
    with pytest.raises(cohere.BadRequestError) as caught:
        client.chat(model="command-r", messages=[{"role": "user", "content": "x"}])
    assert not isinstance(caught.value, le.LockLLMError)
    deep = httpx.Response(400, content=DEEP, request=httpx.Request("POST", BASE))
    assert _cohere.lockllm_error(deep, KEY) is None


# --- 3. an SDK that is installed but too old (or missing httpx2) ---------------------------


@pytest.fixture
def fresh_family(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the factories import their family modules again (restored afterwards)."""
    for module in ("lockllm.wrappers._openai", "lockllm.wrappers._anthropic"):
        monkeypatch.delitem(sys.modules, module, raising=False)


@pytest.mark.usefixtures("fresh_family")
@pytest.mark.parametrize(
    ("create", "needs"),
    [
        (wrappers.create_openai, 'openai>=3 (built on httpx2): pip install -U "lockllm[openai]"'),
        (wrappers.create_async_groq, "openai>=3"),
        (
            wrappers.create_anthropic,
            'anthropic>=2 (built on httpx2): pip install -U "lockllm[anthropic]"',
        ),
    ],
)
def test_missing_httpx2_is_a_configuration_error(
    create: Any, needs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "httpx2", None)
    with pytest.raises(le.ConfigurationError) as caught:
        create(KEY)
    assert needs in str(caught.value)
    assert "not installed" not in str(caught.value)
    assert isinstance(caught.value.__cause__, ImportError)


@pytest.mark.parametrize(
    ("module", "version", "create", "needs"),
    [
        (openai, "2.31.0", wrappers.create_openai, "create_openai() needs openai>=3"),
        (anthropic, "0.49.0", wrappers.create_async_anthropic, "anthropic>=2"),
        (cohere, "4.57", wrappers.create_cohere_client, 'cohere>=5: pip install -U "lockllm'),
    ],
)
def test_too_old_sdk_is_a_configuration_error(
    module: ModuleType, version: str, create: Any, needs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(module, "__version__", version)
    with pytest.raises(le.ConfigurationError, match="needs") as caught:
        create(KEY)
    assert needs in str(caught.value)
    assert f"(installed: {module.__name__} {version})" in str(caught.value)


@pytest.mark.parametrize("version", ["3.0.0", "3.0.0rc1", "dev", "", None])
def test_new_or_unparsable_versions_pass(version: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openai, "__version__", version)
    assert isinstance(wrappers.create_openai(KEY), openai.OpenAI)


def test_sdk_whose_own_dependency_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = importlib.import_module

    def fake_import(name: str) -> ModuleType:
        if name == "openai":
            raise ModuleNotFoundError("No module named 'httpx2'", name="httpx2")
        return real_import(name)

    monkeypatch.setattr(_factories.importlib, "import_module", fake_import)
    with pytest.raises(le.ConfigurationError) as caught:
        wrappers.create_openai(KEY)
    message = str(caught.value)
    assert "not installed" not in message
    assert "could not be imported" in message
    assert "httpx2" in message
    assert 'openai>=3 (built on httpx2): pip install -U "lockllm[openai]"' in message


def test_old_openai_on_httpx_in_a_fresh_interpreter() -> None:
    out = run_python(
        "import sys, types\n"
        "fake = types.ModuleType('openai'); fake.__version__ = '1.40.0'\n"
        "sys.modules['openai'] = fake\n"
        "sys.modules['httpx2'] = None\n"
        "import lockllm.wrappers as w\n"
        "for create in (w.create_openai, w.create_async_mistral):\n"
        "    try:\n        create()\n"
        "    except Exception as e:\n        print(type(e).__name__, e)\n"
    )
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("ConfigurationError create_openai() needs openai>=3")
    assert 'pip install -U "lockllm[openai]"' in lines[0]
    assert lines[1].startswith("ConfigurationError create_async_mistral() needs openai>=3")


def test_missing_httpx2_in_a_fresh_interpreter() -> None:
    out = run_python(
        "import sys; sys.modules['httpx2'] = None\n"
        "import lockllm.wrappers as w\n"
        "try:\n    w.create_anthropic()\n"
        "except Exception as e:\n    print(type(e).__name__, e)\n"
    )
    assert out.startswith("ConfigurationError create_anthropic()")
    assert 'anthropic>=2 (built on httpx2): pip install -U "lockllm[anthropic]"' in out
    assert "not installed" not in out


# --- 4. the caller's httpx client is not modified --------------------------------------------


def hooks_of(client: Any) -> Dict[str, List[Any]]:
    return {name: list(hooks) for name, hooks in client.event_hooks.items()}


@pytest.mark.parametrize("is_async", [False, True])
def test_cohere_leaves_the_callers_httpx_client_alone(is_async: bool) -> None:
    def mine(*args: Any) -> None:
        return None

    transport = httpx.MockTransport(lambda r: httpx.Response(200, json={}))
    kind = httpx.AsyncClient if is_async else httpx.Client
    given = kind(transport=transport, headers={"X-Team": "red"}, event_hooks={"response": [mine]})
    hooks, headers = hooks_of(given), dict(given.headers)
    create = wrappers.create_async_cohere_client if is_async else wrappers.create_cohere_client
    first = create(KEY, httpx_client=given, proxy_options={"sensitivity": "high"})
    second = create(KEY, httpx_client=given)
    assert hooks_of(given) == hooks
    assert dict(given.headers) == headers
    assert "x-lockllm-sensitivity" not in given.headers
    ours = [c._client_wrapper.httpx_client.httpx_client for c in (first, second)]
    assert given not in ours
    assert ours[0] is not ours[1]
    for client in ours:
        # the caller's hooks still run, then ours: one each, however often the factory ran
        assert client.event_hooks["response"][0] is mine
        assert len(client.event_hooks["response"]) == 2
        assert client._transport is given._transport  # the caller's pool is reused
        assert client.headers["x-team"] == "red"
    assert ours[0].headers["x-lockllm-sensitivity"] == "high"
    assert "x-lockllm-sensitivity" not in ours[1].headers


def test_cohere_keeps_the_callers_client_settings() -> None:
    seen: List[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "c1", "message": {"role": "assistant"}})

    proxy_transport = httpx.MockTransport(answer)
    given = httpx.Client(
        transport=httpx.MockTransport(answer),
        params={"trace": "1"},
        cookies={"session": "s1"},
        auth=("user", "pw"),
        timeout=7.0,
        follow_redirects=False,
        max_redirects=3,
        mounts={"http://other.test": proxy_transport},
    )
    client = wrappers.create_cohere_client(KEY, httpx_client=given)
    ours = client._client_wrapper.httpx_client.httpx_client
    assert ours.timeout == given.timeout
    assert ours.follow_redirects is False
    assert ours.max_redirects == 3
    assert ours.auth is given.auth
    assert ours.trust_env == given.trust_env
    assert ours._mounts == given._mounts
    ours.get(f"{BASE}/x")
    (request,) = seen
    assert request.url.params["trace"] == "1"
    assert request.headers["cookie"] == "session=s1"


def test_callers_own_requests_do_not_raise_lockllm_errors() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(400, json=blocked_body()))
    given = httpx.Client(transport=transport)
    client = wrappers.create_cohere_client(KEY, httpx_client=given)
    assert given.get(f"{BASE}/elsewhere").status_code == 400  # no exception: not our client
    with pytest.raises(le.PromptInjectionError):
        client.chat(model="command-r", messages=[{"role": "user", "content": "x"}])


# --- 5. the LockLLM key is masked in merged errors ------------------------------------------


def echoing_body() -> Dict[str, Any]:
    return {
        "error": {
            "message": f"Invalid API key {KEY} provided",
            "type": "authentication_error",
            "code": "unauthorized",
            "param": KEY,
            "details": {"keys": [KEY, f"Bearer {KEY}", 3], "nested": {"echo": KEY}},
        }
    }


def check_masked(error: BaseException) -> None:
    assert isinstance(error, le.AuthenticationError)
    texts = [str(error), repr(error), error.message, str(error.args)]
    texts += [error.body_excerpt, json.dumps(error.body)]  # type: ignore[attr-defined]
    for text in texts:
        assert KEY not in text
    assert "***" in error.message
    assert "***" in json.dumps(error.body)  # type: ignore[attr-defined]
    for value in vars(error).values():
        if isinstance(value, (str, dict, list, tuple)):
            assert KEY not in json.dumps(value, default=str)


@pytest.mark.parametrize("name", ["openai", "anthropic"])
def test_key_echoed_by_the_server_is_masked_sync(name: str) -> None:
    client = make_client(name, False, Recorder(error_response(401, echoing_body())))
    with pytest.raises(Exception) as caught:
        call_sync(client, name)
    check_masked(caught.value)
    if name == "openai":
        body = caught.value.body  # type: ignore[attr-defined]
        assert body["details"]["nested"]["echo"] == "***"
        assert body["details"]["keys"] == ["***", "Bearer ***", 3]


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["openai", "anthropic"])
async def test_key_echoed_by_the_server_is_masked_async(name: str) -> None:
    client = make_client(name, True, Recorder(error_response(401, echoing_body())))
    with pytest.raises(Exception) as caught:
        await call_async(client, name)
    check_masked(caught.value)


def test_key_echoed_by_the_server_is_masked_cohere_native() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(401, json=echoing_body()))
    client = wrappers.create_cohere_client(KEY, httpx_client=httpx.Client(transport=transport))
    with pytest.raises(cohere.UnauthorizedError) as caught:
        client.chat(model="command-r", messages=[{"role": "user", "content": "x"}])
    check_masked(caught.value)
    assert caught.value.body["error"]["details"]["nested"]["echo"] == "***"


def test_mask_helper() -> None:
    value = {"a": [KEY, (KEY, 1)], KEY: None, "b": {"c": f"x{KEY}y"}, "n": 2}
    masked = _errors.mask(value, KEY)
    assert masked == {"a": ["***", ("***", 1)], "***": None, "b": {"c": "x***y"}, "n": 2}
    assert _errors.mask(value, None) is value
    assert _errors.mask(value, "") is value
