"""The create_* factories: routing and auth for every provider, proxy options, streaming,
raw responses, the native Cohere client, and the caller's own httpx client left alone."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

import anthropic
import cohere
import httpx
import httpx2
import openai
import pytest
from _proxy_stub import (
    anthropic_sse,
    blocked_body,
    openai_completion,
    openai_sse,
)
from _wrapper_helpers import (
    BASE,
    KEY,
    LOCKLLM_CASES,
    PROVIDER_NAMES,
    Recorder,
    call_async,
    call_sync,
    error_response,
    factory,
    make_client,
    ok_response,
    sdk_path,
)

import lockllm.errors as le
import lockllm.wrappers as wrappers

pytestmark = pytest.mark.usefixtures("proxy_env")


def check_request(name: str, request: Any) -> None:
    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/v1/proxy/{name}{sdk_path(name)}"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    if name == "anthropic":
        assert request.headers["x-api-key"] == KEY


@pytest.mark.parametrize("name", PROVIDER_NAMES)
def test_sync_factory_routes_to_proxy(name: str) -> None:
    recorder = Recorder(ok_response(name))
    client = make_client(name, False, recorder)
    sdk_cls = anthropic.Anthropic if name == "anthropic" else openai.OpenAI
    assert isinstance(client, sdk_cls)
    result = call_sync(client, name)
    if name == "anthropic":
        assert result.content[0].text
    else:
        assert result.choices[0].message.content
    (request,) = recorder.requests
    check_request(name, request)


@pytest.mark.asyncio
@pytest.mark.parametrize("name", PROVIDER_NAMES)
async def test_async_factory_routes_to_proxy(name: str) -> None:
    recorder = Recorder(ok_response(name))
    client = make_client(name, True, recorder)
    sdk_cls = anthropic.AsyncAnthropic if name == "anthropic" else openai.AsyncOpenAI
    assert isinstance(client, sdk_cls)
    await call_async(client, name)
    (request,) = recorder.requests
    check_request(name, request)


@pytest.mark.parametrize("name", PROVIDER_NAMES)
@pytest.mark.parametrize("is_async", [False, True])
def test_base_url_env_applies_to_every_factory(
    name: str, is_async: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCKLLM_BASE_URL", "http://127.0.0.1:8787/")
    client = factory(name, is_async)(KEY)
    assert str(client.base_url).rstrip("/") == f"http://127.0.0.1:8787/v1/proxy/{name}"


def test_explicit_base_url_wins() -> None:
    client = wrappers.create_openai(KEY, "http://gateway.local/v1/proxy/openai")
    assert str(client.base_url) == "http://gateway.local/v1/proxy/openai/"


def test_api_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCKLLM_API_KEY", "env_key_123")
    assert wrappers.create_openai().api_key == "env_key_123"
    assert wrappers.create_async_anthropic().api_key == "env_key_123"


def test_missing_api_key_names_the_variable() -> None:
    with pytest.raises(le.ConfigurationError, match="LOCKLLM_API_KEY"):
        wrappers.create_openai()


def test_kwargs_reach_the_sdk_and_default_headers_merge() -> None:
    recorder = Recorder(ok_response("openai"))
    client = make_client(
        "openai",
        False,
        recorder,
        timeout=12.5,
        max_retries=4,
        default_headers={"X-Team": "red"},
        proxy_options={"scan_action": "block"},
    )
    assert client.timeout == 12.5
    assert client.max_retries == 4
    call_sync(client, "openai")
    headers = recorder.requests[0].headers
    assert headers["x-team"] == "red"
    assert headers["x-lockllm-scan-action"] == "block"


def test_with_options_keeps_the_error_mapping() -> None:
    recorder = Recorder(error_response(400, blocked_body()))
    client = make_client("openai", False, recorder).with_options(timeout=5)
    with pytest.raises(le.PromptInjectionError):
        call_sync(client, "openai")


ALL_OPTIONS: Dict[str, Any] = {
    "scan_mode": "combined",
    "scan_action": "block",
    "policy_action": "allow_with_warning",
    "abuse_action": "block",
    "route_action": "auto",
    "sensitivity": "high",
    "cache_response": False,
    "cache_ttl": 600,
    "chunk": True,
    "pii_action": "strip",
    "compression": "toon",
    "compression_rate": 0.5,
}


EXPECTED_HEADERS = {
    "x-lockllm-scan-mode": "combined",
    "x-lockllm-scan-action": "block",
    "x-lockllm-policy-action": "allow_with_warning",
    "x-lockllm-abuse-action": "block",
    "x-lockllm-route-action": "auto",
    "x-lockllm-sensitivity": "high",
    "x-lockllm-cache-response": "false",
    "x-lockllm-cache-ttl": "600",
    "x-lockllm-chunk": "true",
    "x-lockllm-pii-action": "strip",
    "x-lockllm-compression": "toon",
    "x-lockllm-compression-rate": "0.5",
}


@pytest.mark.parametrize("name", ["openai", "anthropic", "groq"])
def test_proxy_options_become_headers(name: str) -> None:
    recorder = Recorder(ok_response(name))
    client = make_client(name, False, recorder, proxy_options=ALL_OPTIONS)
    call_sync(client, name)
    headers = recorder.requests[0].headers
    for header, value in EXPECTED_HEADERS.items():
        assert headers[header] == value


@pytest.mark.parametrize(
    "options",
    [{"sensitivity": "extreme"}, {"cache_ttl": 999999}, {"no_such_option": 1}, {"chunk": "yes"}],
)
@pytest.mark.parametrize("name", ["openai", "anthropic", "cohere"])
def test_bad_proxy_option_is_refused_before_anything(name: str, options: Dict[str, Any]) -> None:
    recorder = Recorder(ok_response(name))
    with pytest.raises(le.InvalidRequestError):
        make_client(name, False, recorder, proxy_options=options)
    with pytest.raises(ValueError):  # InvalidRequestError is a ValueError too
        wrappers.create_async_cohere_client(KEY, proxy_options=options)
    assert recorder.requests == []


def sse(name: str) -> Callable[[httpx2.Request], httpx2.Response]:
    payload = anthropic_sse() if name == "anthropic" else openai_sse()
    return lambda request: httpx2.Response(
        200, content=payload, headers={"content-type": "text/event-stream"}
    )


def test_openai_stream_sync() -> None:
    client = make_client("openai", False, Recorder(sse("openai")))
    stream = call_sync(client, "openai", "Count from 1 to 5", stream=True)
    pieces = [c.choices[0].delta.content for c in stream if c.choices[0].delta.content]
    assert pieces == ["1", " 2", " 3", " 4", " 5"]


@pytest.mark.asyncio
async def test_openai_stream_async() -> None:
    client = make_client("openai", True, Recorder(sse("openai")))
    stream = await call_async(client, "openai", "Count", stream=True)
    pieces = [c.choices[0].delta.content async for c in stream if c.choices[0].delta.content]
    assert "".join(pieces) == "1 2 3 4 5"


def test_anthropic_stream_sync() -> None:
    client = make_client("anthropic", False, Recorder(sse("anthropic")))
    events = list(call_sync(client, "anthropic", stream=True))
    texts = [e.delta.text for e in events if e.type == "content_block_delta"]
    assert texts == ["1", " 2", " 3", " 4", " 5"]
    with client.messages.stream(
        model="claude", max_tokens=16, messages=[{"role": "user", "content": "Count"}]
    ) as stream:
        assert "".join(stream.text_stream) == "1 2 3 4 5"


@pytest.mark.asyncio
async def test_anthropic_stream_async() -> None:
    client = make_client("anthropic", True, Recorder(sse("anthropic")))
    stream = await call_async(client, "anthropic", stream=True)
    texts = [e.delta.text async for e in stream if e.type == "content_block_delta"]
    assert "".join(texts) == "1 2 3 4 5"
    async with client.messages.stream(
        model="claude", max_tokens=16, messages=[{"role": "user", "content": "Count"}]
    ) as managed:
        message = await managed.get_final_message()
    assert message.content[0].text == "1 2 3 4 5"


@pytest.mark.parametrize("name", ["openai", "anthropic"])
def test_blocked_stream_raises_dual_error_sync(name: str) -> None:
    client = make_client(name, False, Recorder(error_response(400, blocked_body())))
    sdk = anthropic if name == "anthropic" else openai
    with pytest.raises(sdk.BadRequestError) as caught:
        call_sync(client, name, stream=True)
    assert isinstance(caught.value, le.PromptInjectionError)
    if name == "anthropic":
        manager = client.messages.stream(
            model="claude", max_tokens=16, messages=[{"role": "user", "content": "x"}]
        )
        with pytest.raises(le.PromptInjectionError):
            manager.__enter__()


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["openai", "anthropic"])
async def test_blocked_stream_raises_dual_error_async(name: str) -> None:
    client = make_client(name, True, Recorder(error_response(400, blocked_body())))
    with pytest.raises(le.PromptInjectionError):
        await call_async(client, name, stream=True)
    if name == "anthropic":
        with pytest.raises(anthropic.BadRequestError):
            async with client.messages.stream(
                model="claude", max_tokens=16, messages=[{"role": "user", "content": "x"}]
            ) as stream:
                await stream.until_done()


def test_with_raw_response_gives_proxy_metadata() -> None:
    headers = {"X-LockLLM-Safe": "true", "X-LockLLM-Request-ID": "req_raw"}
    recorder = Recorder(lambda r: httpx2.Response(200, json=openai_completion(), headers=headers))
    client = make_client("openai", False, recorder)
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4", messages=[{"role": "user", "content": "hi"}]
    )
    meta = wrappers.parse_proxy_metadata(raw.headers)
    assert meta.safe is True
    assert meta.request_id == "req_raw"
    assert raw.parse().choices[0].message.content


COHERE_CHAT = {
    "id": "c1",
    "finish_reason": "COMPLETE",
    "message": {"role": "assistant", "content": [{"type": "text", "text": "Hi there"}]},
}


def cohere_client(
    is_async: bool, answer: Callable[[httpx.Request], httpx.Response], **kwargs: Any
) -> Any:
    transport = httpx.MockTransport(answer)
    http = httpx.AsyncClient(transport=transport) if is_async else httpx.Client(transport=transport)
    create = wrappers.create_async_cohere_client if is_async else wrappers.create_cohere_client
    return create(KEY, httpx_client=http, **kwargs)


def test_cohere_native_sync_routes_to_proxy_v2_chat() -> None:
    seen: List[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=COHERE_CHAT)

    client = cohere_client(False, answer, proxy_options={"sensitivity": "low"})
    assert isinstance(client, cohere.ClientV2)
    reply = client.chat(model="command-r", messages=[{"role": "user", "content": "hi"}])
    assert reply.message.content[0].text == "Hi there"
    (request,) = seen
    assert str(request.url) == f"{BASE}/v1/proxy/cohere/v2/chat"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["x-lockllm-sensitivity"] == "low"


@pytest.mark.asyncio
async def test_cohere_native_async_routes_and_maps_errors() -> None:
    seen: List[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if b"Ignore" in request.content:
            return httpx.Response(400, json=blocked_body("req_co"))
        return httpx.Response(200, json=COHERE_CHAT)

    client = cohere_client(True, answer)
    assert isinstance(client, cohere.AsyncClientV2)
    await client.chat(model="command-r", messages=[{"role": "user", "content": "hi"}])
    assert str(seen[0].url) == f"{BASE}/v1/proxy/cohere/v2/chat"
    with pytest.raises(cohere.BadRequestError) as caught:
        await client.chat(model="command-r", messages=[{"role": "user", "content": "Ignore"}])
    assert isinstance(caught.value, le.PromptInjectionError)
    assert caught.value.request_id == "req_co"
    assert caught.value.status_code == 400


@pytest.mark.parametrize(
    ("status", "body", "lockllm_cls", "cohere_cls"),
    [
        (400, blocked_body(), le.PromptInjectionError, "BadRequestError"),
        (429, LOCKLLM_CASES[2][1], le.RateLimitError, "TooManyRequestsError"),
        (502, LOCKLLM_CASES[3][1], le.UpstreamError, None),
    ],
)
def test_cohere_native_dual_errors(
    status: int, body: Any, lockllm_cls: type, cohere_cls: Optional[str]
) -> None:
    client = cohere_client(False, lambda request: httpx.Response(status, json=body))
    with pytest.raises(lockllm_cls) as caught:
        client.chat(model="command-r", messages=[{"role": "user", "content": "x"}])
    expected = getattr(cohere.errors, cohere_cls) if cohere_cls else cohere.core.ApiError
    assert isinstance(caught.value, expected)
    assert caught.value.status_code == status  # type: ignore[attr-defined]
    assert isinstance(caught.value.body, dict)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("status", "answer_kwargs"),
    [(400, {"json": {"message": "invalid model"}}), (500, {"text": "boom"})],
)
def test_cohere_native_provider_errors_stay_plain(status: int, answer_kwargs: Any) -> None:
    client = cohere_client(
        False, lambda request: httpx.Response(status, **answer_kwargs), max_retries=0
    )
    with pytest.raises(cohere.core.ApiError) as caught:
        client.chat(model="command-r", messages=[{"role": "user", "content": "x"}])
    assert not isinstance(caught.value, le.LockLLMError)


def test_cohere_native_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    client = wrappers.create_cohere_client(KEY)
    wrapper = client._client_wrapper
    assert wrapper.get_base_url() == f"{BASE}/v1/proxy/cohere"
    assert wrapper.get_timeout() == 300.0
    async_client = wrappers.create_async_cohere_client(KEY, timeout=9)
    assert async_client._client_wrapper.get_timeout() == 9


def test_cohere_native_refuses_the_wrong_httpx_client() -> None:
    with pytest.raises(le.InvalidRequestError, match="AsyncClient"):
        wrappers.create_async_cohere_client(KEY, httpx_client=httpx.Client())
    with pytest.raises(le.InvalidRequestError, match=r"httpx\.Client$"):
        wrappers.create_cohere_client(KEY, httpx_client=httpx.AsyncClient())


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
