"""What LockLLM and AsyncLockLLM put on the wire for POST /v1/scan."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from _scan_stub import BASE, KEY, SCAN_URL, Runner, scan_body

from lockllm import (
    LockLLM,
    __version__,
)


def test_request_line_body_and_headers(runner: Runner, api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    runner.scan("Hello there", "high")
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.method == "POST"
    assert str(request.url) == SCAN_URL
    assert json.loads(request.content) == {"input": "Hello there", "sensitivity": "high"}
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == f"lockllm-python/{__version__}"
    uuid.UUID(request.headers["X-Request-Id"])  # a fresh uuid per call
    assert not [h for h in request.headers if h.lower().startswith("x-lockllm-")]


def test_default_sensitivity_is_medium_and_unicode_survives(runner: Runner, api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    runner.scan(input='héllo 世界 \U0001f600 "quoted"\n')
    sent = json.loads(route.calls.last.request.content)
    assert sent == {"input": 'héllo 世界 \U0001f600 "quoted"\n', "sensitivity": "medium"}


@pytest.mark.parametrize(
    ("option", "value", "header", "wire"),
    [
        ("scan_mode", "policy_only", "X-LockLLM-Scan-Mode", "policy_only"),
        ("scan_mode", "combined", "X-LockLLM-Scan-Mode", "combined"),
        ("scan_action", "block", "X-LockLLM-Scan-Action", "block"),
        ("policy_action", "allow_with_warning", "X-LockLLM-Policy-Action", "allow_with_warning"),
        ("abuse_action", "block", "X-LockLLM-Abuse-Action", "block"),
        ("pii_action", "strip", "X-LockLLM-PII-Action", "strip"),
        ("compression", "toon", "X-LockLLM-Compression", "toon"),
        ("compression_rate", 0.5, "X-LockLLM-Compression-Rate", "0.5"),
        ("compression_rate", 0.3, "X-LockLLM-Compression-Rate", "0.3"),
        ("chunk", True, "X-LockLLM-Chunk", "true"),
        ("chunk", False, "X-LockLLM-Chunk", "false"),
    ],
)
def test_option_headers(
    runner: Runner, api: Any, option: str, value: Any, header: str, wire: str
) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    runner.scan("text", **{option: value})
    request = route.calls.last.request
    assert request.headers[header] == wire
    assert json.loads(request.content) == {"input": "text", "sensitivity": "medium"}


def test_all_options_together_and_none_means_unset(runner: Runner, api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    runner.scan(
        "text",
        scan_mode="normal",
        scan_action="allow_with_warning",
        policy_action="block",
        abuse_action="allow_with_warning",
        pii_action="block",
        compression="combined",
        compression_rate=0.7,
        chunk=None,
    )
    headers = route.calls.last.request.headers
    assert headers["X-LockLLM-Scan-Mode"] == "normal"
    assert headers["X-LockLLM-PII-Action"] == "block"
    assert headers["X-LockLLM-Compression-Rate"] == "0.7"
    assert "X-LockLLM-Chunk" not in headers


def test_per_call_headers_are_sent(runner: Runner, api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    runner.scan("text", headers={"X-Trace": "abc", "X-Tenant": "t1"})
    headers = route.calls.last.request.headers
    assert headers["X-Trace"] == "abc"
    assert headers["X-Tenant"] == "t1"
    assert headers["Authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("name", ["X-Request-Id", "x-request-id"])
def test_caller_request_id_is_used_once(runner: Runner, api: Any, name: str) -> None:
    # A caller-chosen request id (header names are case-insensitive) replaces ours; the
    # request must carry exactly one X-Request-Id.
    route = api.post("/v1/scan").respond(200, json=scan_body())
    runner.scan("text", headers={name: "my-id-1"})
    assert route.calls.last.request.headers.get_list("X-Request-Id") == ["my-id-1"]


def test_timeout_reaches_httpx(runner: Runner, api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    results = runner.scans([(("a",), {}), (("b",), {"timeout": 2.5})], {"timeout": 7})
    assert not [r for r in results if isinstance(r, Exception)]
    default, per_call = (c.request.extensions["timeout"] for c in route.calls)
    assert set(default.values()) == {7.0}
    assert set(per_call.values()) == {2.5}


def test_default_timeout_is_60s_on_the_wire(runner: Runner, api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    runner.scan("a")
    assert set(route.calls.last.request.extensions["timeout"].values()) == {60.0}


def test_base_url_with_path_prefix(runner: Runner, api: Any) -> None:
    route = api.post("/prefix/v1/scan").respond(200, json=scan_body())
    runner.scan("a", client_kwargs={"base_url": BASE + "/prefix/"})
    assert route.call_count == 1


def test_lent_sync_http_client_is_used_with_our_headers(api: Any) -> None:

    route = api.post("/v1/scan").respond(200, json=scan_body())
    with httpx.Client(headers={"X-App": "mine"}) as http:
        client = LockLLM(api_key=KEY, base_url=BASE, timeout=4, http_client=http)
        client.scan("a")
        client.scan("b", timeout=1.5)
        client.close()
        assert not http.is_closed  # lent, so not ours to close
    first, second = (c.request for c in route.calls)
    assert first.headers["X-App"] == "mine"
    assert first.headers["Authorization"] == f"Bearer {KEY}"
    assert first.headers["User-Agent"] == f"lockllm-python/{__version__}"
    assert first.headers["Content-Type"] == "application/json"
    assert set(first.extensions["timeout"].values()) == {4.0}
    assert set(second.extensions["timeout"].values()) == {1.5}


@pytest.mark.anyio
async def test_lent_async_http_client_is_used_with_our_headers(
    anyio_backend: str, api: Any
) -> None:
    from lockllm import AsyncLockLLM

    route = api.post("/v1/scan").respond(200, json=scan_body())
    async with httpx.AsyncClient(headers={"X-App": "mine"}) as http:
        client = AsyncLockLLM(api_key=KEY, base_url=BASE, timeout=4, http_client=http)
        await client.scan("a")
        await client.aclose()
        assert not http.is_closed
    request = route.calls.last.request
    assert request.headers["X-App"] == "mine"
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert set(request.extensions["timeout"].values()) == {4.0}


def test_request_ids_differ_across_calls(runner: Runner, api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    runner.scans([(("a",), {}), (("b",), {}), (("c",), {})])
    ids = [c.request.headers["X-Request-Id"] for c in route.calls]
    assert len(set(ids)) == 3


def test_non_ascii_input_is_sent_as_utf8(runner: Runner, api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    runner.scan("caf\u00e9 \u4e16\u754c")
    assert "caf\u00e9 \u4e16\u754c".encode() in route.calls.last.request.content


def test_a_lone_surrogate_is_escaped_not_an_error(runner: Runner, api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    runner.scan("half a pair: \ud800")
    assert b"\\ud800" in route.calls.last.request.content
