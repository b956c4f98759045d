"""The PII action applied to a proxied request's query string, as to its body: ``block``
refuses with 403 ``pii_detected`` (nothing forwarded), ``strip`` forwards the query with
the values redacted and re-encoded, ``allow_with_warning`` forwards it unchanged with the
``X-LockLLM-PII-*`` headers; a stub provider on 127.0.0.1 records what arrives.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterator, List, Tuple
from urllib.parse import parse_qsl

import httpx
import pytest
from _gateway import AUTH, running_gateway, serve_app
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from lockllm.engine._pii import RedactionMap
from lockllm.server._query import redact_query

EMAIL = "jane.doe@example.org"


@pytest.fixture(scope="module")
def gateway() -> Iterator[Tuple[Any, List[Dict[str, Any]]]]:
    seen: List[Dict[str, Any]] = []

    async def answer(request: Request) -> Response:
        body = await request.body()
        seen.append({"query": request.scope["query_string"], "body": body})
        return JSONResponse({"id": "x", "choices": []})

    app = Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST"])])
    with (
        serve_app(app) as url,
        running_gateway({"openai": (url + "/v1", "sk-up")}, response_guard="off") as gw,
    ):
        yield gw, seen


def call(gw: Any, query: str, action: str, body: Any = None) -> httpx.Response:
    headers = {**AUTH, "X-LockLLM-PII-Action": action}
    url = f"{gw.url}/v1/proxy/openai/search?{query}"
    payload = body if body is not None else {"model": "m", "messages": []}
    return httpx.post(url, json=payload, headers=headers, timeout=30)


def test_block_refuses_pii_in_the_query(gateway: Tuple[Any, List[Dict[str, Any]]]) -> None:
    gw, seen = gateway
    before = len(seen)
    answer = call(gw, "q=weather&email=jane.doe%40example.org", "block")
    assert answer.status_code == 403
    error = answer.json()["error"]
    assert error["code"] == "pii_detected"
    assert error["pii_details"]["entity_types"] == ["email"]
    assert "jane" not in answer.text
    assert len(seen) == before  # nothing forwarded


def test_strip_forwards_the_query_redacted_and_reencoded(
    gateway: Tuple[Any, List[Dict[str, Any]]],
) -> None:
    gw, seen = gateway
    body = {"model": "m", "messages": [{"role": "user", "content": f"mail {EMAIL}"}]}
    query = "q=caf%C3%A9+au+lait&to=jane.doe%40example.org+please&key=abc&raw=%7E%2F&flag"
    answer = call(gw, query, "strip", body)
    assert answer.status_code == 200
    assert answer.headers["x-lockllm-pii-detected"] == "true"
    assert answer.headers["x-lockllm-pii-count"] == "2"  # one in the body, one in the query
    sent = seen[-1]["query"]
    parts = sent.split(b"&")
    assert parts[0] == b"q=caf%C3%A9+au+lait"  # untouched parameters keep their bytes
    assert parts[2:] == [b"key=abc", b"raw=%7E%2F", b"flag"]
    decoded = dict(parse_qsl(sent.decode("ascii"), keep_blank_values=True))
    assert decoded["to"] == "[EMAIL_1] please"
    # one set of placeholders for the whole request: the same value, the same placeholder
    assert json.loads(seen[-1]["body"])["messages"][0]["content"] == "mail [EMAIL_1]"


def test_allow_with_warning_forwards_the_query_with_the_headers(
    gateway: Tuple[Any, List[Dict[str, Any]]],
) -> None:
    gw, seen = gateway
    query = "email=jane.doe%40example.org"
    answer = call(gw, query, "allow_with_warning")
    assert answer.status_code == 200
    assert answer.headers["x-lockllm-pii-detected"] == "true"
    assert answer.headers["x-lockllm-pii-types"] == "email"
    assert answer.headers["x-lockllm-pii-action"] == "allow_with_warning"
    assert seen[-1]["query"] == query.encode()


def test_a_query_without_pii_is_forwarded_byte_for_byte(
    gateway: Tuple[Any, List[Dict[str, Any]]],
) -> None:
    gw, seen = gateway
    query = "q=%E6%9D%B1%E4%BA%AC+tower&limit=10&x=a%2Bb&&y="
    answer = call(gw, query, "strip")
    assert answer.status_code == 200
    assert answer.headers["x-lockllm-pii-detected"] == "false"
    assert seen[-1]["query"] == query.encode()


def test_redact_query_reads_values_and_bare_tokens_not_protocol_parameters() -> None:
    found, same = redact_query(b"to=jane.doe%40example.org&key=AKIAQ3EGRHT5JXNV7WZY")
    assert [e.type for e in found] == ["email"]  # ``key`` carries the provider's API key
    assert same == b"to=jane.doe%40example.org&key=AKIAQ3EGRHT5JXNV7WZY"
    found, redacted = redact_query(b"jane.doe@example.org&n=1", RedactionMap())
    assert [e.type for e in found] == ["email"]
    assert redacted == b"%5BEMAIL_1%5D&n=1"
    found, redacted = redact_query(b"bad=%FF%FE&ok=1", RedactionMap())
    assert found == []
    assert redacted == b"bad=%FF%FE&ok=1"
