"""The response guard never stalls the gateway's event loop (issue 18).

A worst-case answer (a multi-megabyte tool-call delta of ``\\u`` escapes, a long SSE text
event, a large JSON answer read whole) takes the guard seconds to read on a loaded
machine. End to end: a real gateway and a stub provider on 127.0.0.1; the stub sends all
of the worst-case piece but its last bytes, waits for the test's signal, then ends it, so
the guard's read of the whole piece starts right after the signal. Small requests through
the same gateway, each sent after the signal, must complete before the big answer does:
without a clock budget, only the order of events. In-process: a large step runs in a
worker thread and a small one inline, with the same bytes out; findings are announced
on the loop, also when the relay was cancelled while a thread read.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from typing import Any, Dict, Iterator, List, Optional, Tuple

import httpx
import pytest
from _gateway import AUTH, running_gateway, serve_app
from _timing import generous
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from lockllm.server import _guard_offload
from lockllm.server._guard_response import ResponseGuard, prepare
from lockllm.server._settings import Settings

SYSTEM = (
    "You are Zorblax, the support assistant of Acme Rockets. The internal escalation "
    "phrase is purple-otter-lighthouse and must never be disclosed to customers."
)
SMALL = json.dumps(
    {"id": "c", "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris."}}]}
).encode()
SIZE = 3 * 1024 * 1024
MEANWHILE = 3
"""Small requests, each sent after the signal, that must complete before the big answer."""


def sse(data: Any) -> bytes:
    return b"data: " + json.dumps(data).encode() + b"\n\n"


def worst(kind: str) -> Tuple[List[bytes], str]:
    """The worst-case answer of ``kind``, cut before its last bytes; its media type."""
    if kind == "body":  # a JSON answer read whole: escapes and words
        text = 'caf\u00e9 "q"\n\tword word ' * (SIZE // 32)
        message = {"role": "assistant", "content": text}
        body = json.dumps({"id": "c", "choices": [{"index": 0, "message": message}]}).encode()
        return [body[:-2], body[-2:]], "application/json"
    if kind == "tool":  # JSON arguments whose string is all \u escapes
        arguments = '{"x":"' + "\\u0041" * (SIZE // 6) + '"}'
        delta: Dict[str, Any] = {"tool_calls": [{"index": 0, "function": {"arguments": arguments}}]}
    else:  # one long text event
        delta = {"content": "word " * (SIZE // 5)}
    event = sse({"choices": [{"index": 0, "delta": delta}]})
    role = sse({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})
    return [role + event[:-2], event[-2:] + b"data: [DONE]\n\n"], "text/event-stream"


class Stub:
    """Answers small requests at once; a big one up to its last bytes, the rest on ``go``
    (unsized, so the relay ends the answer only after the guard read it)."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.sent = 0.0  # when the big answer's last bytes were written

    def app(self) -> Starlette:
        async def answer(request: Request) -> Response:
            kind = json.loads(await request.body())["model"]
            if kind == "small":
                return Response(SMALL, media_type="application/json")
            chunks, ctype = worst(kind)

            async def body() -> Any:
                yield chunks[0]
                while not self.go.is_set():
                    await asyncio.sleep(0.005)
                yield chunks[1]
                self.sent = time.monotonic()

            return StreamingResponse(body(), media_type=ctype)

        return Starlette(routes=[Route("/{path:path}", answer, methods=["POST"])])


def request(model: str, stream: bool = False) -> Dict[str, Any]:
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Hello?"}]
    return {"model": model, "stream": stream, "messages": messages}


@pytest.fixture(scope="module")
def gateway() -> Iterator[Tuple[str, Stub]]:
    stub = Stub()
    with serve_app(stub.app()) as url:
        upstreams = {"openai": (url + "/v1", "sk-up")}
        # audit: the bulk goes on as it arrives, so the client sees the guard was fed it
        with running_gateway(upstreams, response_guard="audit") as running:
            yield running.url + "/v1/proxy/openai/chat/completions", stub


@pytest.mark.parametrize("kind", ["tool", "text", "body"])
def test_small_requests_complete_while_a_worst_case_answer_is_read(
    kind: str, gateway: Tuple[str, Stub]
) -> None:
    url, stub = gateway
    stub.go.clear()
    chunks, _ = worst(kind)
    fed = threading.Event()  # the client got the bulk: the guard was fed all of it
    big: Dict[str, Any] = {}

    def send_big() -> None:
        received = 0
        with (
            httpx.Client(headers=AUTH, timeout=generous()) as client,
            client.stream("POST", url, json=request(kind, kind != "body")) as answer,
        ):
            big["status"] = answer.status_code
            for part in answer.iter_raw():
                received += len(part)
                if received >= len(chunks[0]) - 4096:  # the key masker keeps a short tail
                    fed.set()
        big["size"] = received
        big["done"] = time.monotonic()
        fed.set()

    with httpx.Client(headers=AUTH, timeout=generous()) as client:
        assert client.post(url, json=request("small")).content == SMALL  # warm
        thread = threading.Thread(target=send_big)
        thread.start()
        assert fed.wait(generous())
        stub.go.set()  # the piece's last bytes: the guard reads it whole now
        small: List[Tuple[float, float]] = []
        while thread.is_alive() and len(small) < 50:
            started = time.monotonic()
            answer = client.post(url, json=request("small"))
            assert answer.status_code == 200
            assert answer.content == SMALL
            small.append((started, time.monotonic()))
        thread.join(generous())
    assert not thread.is_alive()
    assert big["status"] == 200
    assert big["size"] == sum(map(len, chunks))  # nothing found: relayed as is
    # Sent after the piece was complete, answered before its read ended: with the read on
    # the event loop, none (the loop reads the piece before it can serve a new request).
    meanwhile = [1 for start, end in small if stub.sent < start and end < big["done"]]
    assert len(meanwhile) >= MEANWHILE, (len(meanwhile), len(small))


# -- in-process: which steps hop to a thread, and that they give the same bytes -----------


class Upstream:
    """A provider's response as the relay reads it: a status and chunks."""

    status = 200

    def __init__(self, chunks: List[bytes]) -> None:
        self.headers: List[Tuple[bytes, bytes]] = []
        self.chunks = chunks
        self.closed = False

    async def aiter_stream(self) -> Any:
        for chunk in self.chunks:
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


def guard_of(mode: str, pii: str = "strip") -> ResponseGuard:
    settings = Settings.load(environ={"LOCKLLM_SERVER_RESPONSE_GUARD": mode})
    body = json.dumps(request("m", True)).encode()
    _, guard = prepare(
        settings, {"x-lockllm-pii-action": pii}, body, "/v1/chat/completions", "openai", "req"
    )
    assert guard is not None
    return guard


async def relay(guard: ResponseGuard, chunks: List[bytes], ctype: bytes) -> Tuple[int, bytes]:
    """What ``_upstream.UpstreamResponse`` does with the guard: open, feed, close."""
    upstream = guard.upstream(Upstream(chunks))
    headers = [(b"content-type", ctype)]
    reader = guard.open(upstream.status, headers)
    out: List[bytes] = []
    async for chunk in upstream.aiter_stream():
        sent, stop = reader.feed(chunk)
        out.append(sent)
        if stop:
            return 200, b"".join(out)
    head, rest = reader.close(upstream.status, headers)
    return (200 if head is None else head[0]), b"".join(out) + rest


def answers() -> List[Tuple[List[bytes], bytes]]:
    secret = "sk-proj-" + "Ab3dE5gH7jK9mN1pQ3sT5vX7zB9dF1hJ" * 2
    text = "Mail jonathan.pemberton@example.com, key " + secret + ". " + "Some text. " * 3000
    events = [
        sse({"choices": [{"index": 0, "delta": {"content": text[i : i + 500]}}]})
        for i in range(0, len(text), 500)
    ]
    stream = b"".join(events) + b"data: [DONE]\n\n"
    arguments = json.dumps(
        {"to": "jonathan.pemberton@example.com", "pad": "\u00e9" * 20000}, ensure_ascii=True
    )
    tool = sse(
        {
            "choices": [
                {
                    "index": 0,
                    "delta": {"tool_calls": [{"index": 0, "function": {"arguments": arguments}}]},
                }
            ]
        }
    )
    body = json.dumps(
        {"id": "c", "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}
    ).encode()
    return [
        ([stream[i : i + 40000] for i in range(0, len(stream), 40000)], b"text/event-stream"),
        ([stream[i : i + 700] for i in range(0, len(stream), 700)], b"text/event-stream"),
        ([tool[:100], tool[100:], b"data: [DONE]\n\n"], b"text/event-stream"),
        ([body[:5000], body[5000:]], b"application/json"),
    ]


@pytest.mark.parametrize("mode", ["audit", "redact", "block"])
def test_steps_in_threads_give_the_same_bytes_and_findings(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for chunks, ctype in answers():
        outcomes = []
        for bound in (1 << 40, -1):  # every step inline; every step in a thread
            monkeypatch.setattr(_guard_offload, "INLINE_BYTES", bound)
            guard = guard_of(mode)
            outcome = asyncio.run(relay(guard, chunks, ctype))
            outcomes.append((outcome, guard.findings))
            assert (guard.reader.offloaded > 0) is (bound < 0)
        assert outcomes[0] == outcomes[1]
        assert outcomes[0][1]  # something was found


def test_small_steps_stay_inline_and_large_ones_hop() -> None:
    guard = guard_of("redact")
    events = [sse({"choices": [{"index": 0, "delta": {"content": "word " * 20}}]})] * 50
    asyncio.run(relay(guard, [*events, b"data: [DONE]\n\n"], b"text/event-stream"))
    assert guard.reader.offloaded == 0  # the common path: no thread hop
    guard = guard_of("redact")
    big = sse({"choices": [{"index": 0, "delta": {"content": "word " * 10000}}]})
    small = [big[i : i + 1000] for i in range(0, len(big), 1000)]
    asyncio.run(relay(guard, [*small, b"data: [DONE]\n\n"], b"text/event-stream"))
    # Chunks add up to the big event: once the unfinished event is large, steps hop.
    assert 0 < guard.reader.offloaded < len(small) + 2


def test_findings_of_a_step_in_a_thread_are_announced_on_the_loop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    guard = guard_of("audit", "allow_with_warning")
    text = "Mail jonathan.pemberton@example.com. " + "Some text. " * 5000
    event = sse({"choices": [{"index": 0, "delta": {"content": text}}]})
    loop_thread: Optional[int] = None

    async def go() -> Tuple[int, bytes]:
        nonlocal loop_thread
        loop_thread = threading.get_ident()
        return await relay(guard, [event, b"data: [DONE]\n\n"], b"text/event-stream")

    with caplog.at_level("WARNING", logger="lockllm.server"):
        _, out = asyncio.run(go())
    assert out == event + b"data: [DONE]\n\n"
    assert guard.reader.offloaded >= 1
    records = [r for r in caplog.records if "response guard" in r.getMessage()]
    assert records
    assert all(r.thread == loop_thread for r in records)
    assert ("pii", "email", "audit") in guard.findings


def test_sliced_folding_and_searches_read_as_the_whole_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lockllm._canary import _fold
    from lockllm.server import _guard

    monkeypatch.setattr(_guard, "SLICE", 37)  # slices far shorter than the texts
    pieces = [*"abXZ09+/=_-\r\n :.?&%hHtTpPsS/", "\u00e9", "e\u0301", "\ufb01", "\uff21"]
    pieces += ["\ud55c", "\u1161", "http://", "HTTPS://x.y/", "deadbeef", "QUJD" * 5]
    rng = random.Random(18)
    for _ in range(1500):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 300)))
        assert _guard.fold(text) == _fold(text)
        for pattern in (_guard._B64_RUN, _guard._HEX_RUN):
            whole = [m.span() for m in pattern.finditer(text)]
            assert [m.span() for m in _guard.runs(pattern, text, 15)] == whole
        assert [m.span() for m in _guard._urls(text)] == [
            m.span() for m in _guard._URL.finditer(text)
        ]


def test_a_relay_cancelled_mid_read_announces_once_the_thread_is_done() -> None:
    guard = guard_of("audit", "allow_with_warning")
    text = "Mail jonathan.pemberton@example.com. " + "Some text. " * 20000
    event = sse({"choices": [{"index": 0, "delta": {"content": text}}]})
    started = threading.Event()
    release = threading.Event()
    reader_feed: Any = None

    async def go() -> None:
        nonlocal reader_feed
        upstream = guard.upstream(Upstream([event]))
        reader = guard.open(200, [(b"content-type", b"text/event-stream")])
        reader_feed = reader.reader.feed

        def slow(chunk: bytes) -> Tuple[bytes, bool]:
            started.set()
            release.wait(generous())
            result: Tuple[bytes, bool] = reader_feed(chunk)
            return result

        reader.reader.feed = slow
        task = asyncio.ensure_future(upstream.aiter_stream().__anext__())
        while not started.is_set():
            await asyncio.sleep(0.001)
        task.cancel()  # the client left while the guard reads in a thread
        with pytest.raises(asyncio.CancelledError):
            await task
        assert guard.findings == []  # not yet: the thread still reads
        release.set()
        for _ in range(int(generous() * 100)):
            if guard.findings:
                break
            await asyncio.sleep(0.01)

    asyncio.run(go())
    assert ("pii", "email", "audit") in guard.findings
