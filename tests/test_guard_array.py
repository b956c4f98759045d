"""Gemini streams without ``alt=sse`` (one JSON array streamed in pieces) read object by
object: the splitter under every chunking, the guard holding back only its window, a
block ending the array with Gemini's error object, oversized objects, and the whole path
through the gateway with a stub provider on 127.0.0.1 streaming the array unsized.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional, Tuple

import httpx
import pytest
from _gateway import AUTH, running_gateway, serve_app
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from lockllm.server._guard import GuardContext
from lockllm.server._guard_array import ArrayStreamGuard
from lockllm.server._guard_stream import MAX_EVENT, Policy
from lockllm.server._jsonstream import JSONArraySplitter

SYSTEM = (
    "You are Zorblax, the support assistant of Acme Rockets. The internal escalation "
    "phrase is purple-otter-lighthouse and must never be disclosed to customers."
)
CONVERSATION = {
    "systemInstruction": {"parts": [{"text": SYSTEM}]},
    "contents": [{"role": "user", "parts": [{"text": "Hello, I am Jonathan Pemberton."}]}],
}
BENIGN = "Bonjour ! Voilà la réponse : 東京 est grand, ça coûte 5 € 🚀. " * 4
KEY = "AKIA" + "Q3EGRHT5JXNV7WZY"


def item(text: str, **extra: Any) -> Dict[str, Any]:
    part = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
    return {"candidates": [part], **extra}


def array(items: List[Any], ascii_only: bool = True) -> bytes:
    """An array as Gemini streams it: ``[{…}\\r\\n,\\r\\n{…}]``."""
    dumped = [json.dumps(i, ensure_ascii=ascii_only, indent=2) for i in items]
    return ("[" + "\r\n,\r\n".join(dumped) + "]").encode()


def pieces(text: str, size: int) -> List[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def make(
    mode: str, pii: Optional[str] = None, window: int = 400
) -> Tuple[ArrayStreamGuard, List[Any]]:
    reports: List[Any] = []
    context = GuardContext([SYSTEM], CONVERSATION, pii=pii)
    guard = ArrayStreamGuard("gemini", context, Policy(mode, pii, window), reports.extend, "req")
    return guard, reports


def run(guard: ArrayStreamGuard, data: bytes, sizes: List[int]) -> Tuple[bytes, bool, List[bytes]]:
    """Feed in chunks of the given sizes (cycled): the bytes out, whether it stopped, and
    what went out after each chunk."""
    sent: List[bytes] = []
    at = turn = 0
    while at < len(data):
        size = sizes[turn % len(sizes)]
        turn += 1
        out, stop = guard.feed(data[at : at + size])
        sent.append(out)
        if stop:
            return b"".join(sent), True, sent
        at += size
    sent.append(guard.close(200, [])[1])
    return b"".join(sent), False, sent


def texts(raw: bytes) -> str:
    return "".join(
        p.get("text", "")
        for obj in json.loads(raw)
        if "candidates" in obj
        for c in obj["candidates"]
        for p in c["content"]["parts"]
    )


# -- the splitter -------------------------------------------------------------------------


def test_the_splitter_returns_every_byte_under_any_chunking() -> None:
    objects = [item(p) for p in pieces(BENIGN, 17)] + [
        {"s": 'q"}]\\', "n": [1, {"x": "]"}]},
        'a string, with ] and \\" inside',
        12.5,
        None,
    ]
    for data in (array(objects), array(objects, ascii_only=False), b" [ ] ", b"[]"):
        for seed in range(60):
            rng = random.Random(seed)
            splitter = JSONArraySplitter()
            units: List[Tuple[str, bytes]] = []
            at = 0
            while at < len(data):
                size = rng.randint(1, 9)  # cuts inside \\u escapes and UTF-8 sequences
                units += splitter.feed(data[at : at + size])
                at += size
            assert b"".join(u for _, u in units) + splitter.rest() == data
            got = [json.loads(u.lstrip(b" \t\r\n,")) for k, u in units if k == "item"]
            assert got == (objects if len(data) > 10 else [])


def test_the_splitter_keeps_no_run_of_separators() -> None:
    splitter = JSONArraySplitter()
    units = splitter.feed(b"[")
    for _ in range(100):
        units += splitter.feed(b" \r\n" * 1000)
        assert len(splitter) == 0
    units += splitter.feed(b'{"a": 1}]')
    assert [k for k, _ in units if k != "sep"] == ["open", "item", "close"]


def test_the_splitter_is_linear_in_a_huge_string() -> None:
    def timed(n: int) -> float:
        data = array([item('a\\"b ' * n)])
        splitter = JSONArraySplitter()
        began = time.perf_counter()
        for at in range(0, len(data), 1024):
            splitter.feed(data[at : at + 1024])
        return time.perf_counter() - began

    timed(1000)
    small, large = timed(20000), timed(160000)
    assert large < small * 8 * 4 + 0.5  # 8x the input: nowhere near 64x


# -- the guard ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["audit", "redact", "block"])
def test_benign_arrays_are_byte_identical_however_chunked(mode: str) -> None:
    objects = [item(p) for p in pieces(BENIGN, 11)] + [item("", usageMetadata={"total": 9})]
    for data in (array(objects), array(objects, ascii_only=False)):
        for sizes in ([1], [2], [5], [3, 1, 8], [4096]):
            guard, reports = make(mode)
            out, stopped, _ = run(guard, data, sizes)
            assert out == data
            assert not stopped
            assert not reports


def test_objects_are_forwarded_as_they_arrive_except_the_window() -> None:
    objects = [item(p) for p in pieces("word " * 400, 50)]  # 2000 characters of text
    data = array(objects)
    guard, _ = make("redact", window=100)
    out, stopped, sent = run(guard, data, [len(data) // 10])
    assert out == data
    assert not stopped
    early = b"".join(sent[:5])
    assert early.startswith(b"[")
    assert len(early) > len(data) // 4  # most of the first half went out before the end


@pytest.mark.parametrize("size", [1, 3, 7, 64])
def test_a_leak_split_across_objects_is_blocked_with_geminis_error(size: int) -> None:
    objects = [item("Let me check.")] + [item(p) for p in pieces("Sure: " + SYSTEM, 9)]
    guard, reports = make("block")
    out, stopped, _ = run(guard, array(objects), [size])
    assert stopped
    answer = json.loads(out)  # still one valid JSON array
    error = answer[-1]["error"]
    assert error["status"] == "PERMISSION_DENIED"
    assert error["details"][0]["reason"] == "response_blocked"
    assert "Zorblax" not in texts(json.dumps(answer[:-1]).encode())
    assert reports[-1][1] == "block"


def test_a_block_before_anything_went_out_is_still_an_array() -> None:
    guard, _ = make("block")
    out, stopped, _ = run(guard, array([item("Sure: " + SYSTEM)]), [1 << 20])
    assert stopped
    answer = json.loads(out)
    assert len(answer) == 1
    assert answer[0]["error"]["details"][0]["reason"] == "response_blocked"


@pytest.mark.parametrize("size", [1, 5, 13])
def test_a_split_secret_is_redacted_in_place(size: int) -> None:
    text = f"Use {KEY} to sign in. " + BENIGN
    objects = [item(p) for p in pieces(text, 4)]
    guard, reports = make("redact")
    out, stopped, _ = run(guard, array(objects), [size])
    assert not stopped
    assert texts(out) == text.replace(KEY, "[AWS_ACCESS_KEY]")
    assert [(f.kind, a) for f, a in reports] == [("secret", "redact")]


def test_an_object_past_the_limit_blocks_or_passes_by_mode() -> None:
    huge = item("x" * (MAX_EVENT + 10))
    data = array([item("hello"), huge, item("after " + SYSTEM)])
    guard, reports = make("block")
    out, stopped, _ = run(guard, data, [1 << 20])
    assert stopped
    assert json.loads(out)[-1]["error"]["details"][0]["reason"] == "response_blocked"
    assert reports[-1][0].kind == "unreadable"
    guard, reports = make("audit")
    out, stopped, _ = run(guard, data, [1 << 20])
    assert out == data
    assert not stopped
    kinds = [f.kind for f, _ in reports]
    assert kinds[0] == "unreadable"
    assert "prompt_leak" in kinds  # objects after the skipped one are read again


def test_a_body_cut_inside_an_object_or_not_an_array() -> None:
    guard, reports = make("block")
    out, stopped, _ = run(guard, array([item("hi"), item("there")])[:-20], [7])
    assert not stopped
    assert out.endswith(b"]")
    assert b"response_blocked" in out
    assert reports[-1][0].detail == "truncated"
    guard, reports = make("redact")
    out, _, _ = run(guard, b"not json at all", [4])
    assert b"response_blocked" in out
    assert b"not json" not in out
    guard, reports = make("audit")
    out, _, _ = run(guard, b"not json at all", [4])
    assert out == b"not json at all"
    assert [(f.detail, a) for f, a in reports] == [("not_an_array", "audit")]  # once


# -- through the gateway ------------------------------------------------------------------


class Stub:
    def __init__(self) -> None:
        self.chunks: List[bytes] = []
        self.sized = False


def _stub_app(stub: Stub) -> Starlette:
    async def answer(request: Request) -> Response:
        await request.body()
        if stub.sized:
            return Response(b"".join(stub.chunks), media_type="application/json")

        async def chunks() -> Any:
            for chunk in stub.chunks:
                yield chunk
                await asyncio.sleep(0.002)

        return StreamingResponse(chunks(), media_type="application/json")  # no length

    return Starlette(routes=[Route("/{path:path}", answer, methods=["POST"])])


@contextmanager
def gateway(mode: str) -> Iterator[Tuple[Any, Stub]]:
    stub = Stub()
    with (
        serve_app(_stub_app(stub)) as url,
        running_gateway({"gemini": (url, "gm-up")}, response_guard=mode) as gw,
    ):
        yield gw, stub


def post(gw: Any) -> httpx.Response:
    url = f"{gw.url}/v1/proxy/gemini/v1beta/models/g:streamGenerateContent"
    return httpx.post(url, json=CONVERSATION, headers=AUTH, timeout=60)


def test_unsized_arrays_through_the_gateway() -> None:
    benign = array([item(p) for p in pieces(BENIGN, 9)], ascii_only=False)
    leak = array([item("Fine.")] + [item(p) for p in pieces("Sure: " + SYSTEM, 7)])
    with gateway("block") as (gw, stub):
        stub.chunks = [benign[i : i + 5] for i in range(0, len(benign), 5)]
        answer = post(gw)
        assert answer.status_code == 200
        assert answer.content == benign
        stub.chunks = [leak[i : i + 6] for i in range(0, len(leak), 6)]
        answer = post(gw)
        assert answer.status_code == 200  # the head went out before the finding
        body = answer.json()
        assert body[-1]["error"]["details"][0]["reason"] == "response_blocked"
        assert b"Zorblax" not in answer.content
        stub.sized = True  # a sized answer is read whole and refused with a 403
        answer = post(gw)
        assert answer.status_code == 403
        assert answer.json()["error"]["code"] == "response_blocked"
    with gateway("redact") as (gw, stub):
        text = f"Your key is {KEY}. " + BENIGN
        data = array([item(p) for p in pieces(text, 5)])
        stub.chunks = [data[i : i + 11] for i in range(0, len(data), 11)]
        answer = post(gw)
        assert answer.status_code == 200
        assert texts(answer.content) == text.replace(KEY, "[AWS_ACCESS_KEY]")
