"""A stub AI provider on 127.0.0.1 that records every request it receives.

It answers like OpenAI (``POST /v1/chat/completions``, JSON or SSE), Anthropic
(``POST /v1/messages``, JSON or SSE) and Cohere v2 (``POST /v2/chat``, JSON or SSE), plus
``GET /v1/models`` and a failing ``POST /v1/fail`` (503 with a provider-style body); any
other path is recorded and answered 404.

Streams send their first text piece, then, when ``gate`` is set on the stub, wait for the
test to ``gate.set()`` (after it received piece one through the gateway) before sending
the rest: a gateway that buffered responses would deadlock that wait, which the stub
records in ``gate_timeouts``. ``delay`` adds a small pause between chunks.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Dict, Iterator, List, Optional

from _gateway import serve_app
from _timing import scaled
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

UPSTREAM_KEYS = {
    "openai": "sk-upstream-openai-SECRET",
    "anthropic": "sk-ant-upstream-SECRET",
    "cohere": "co-upstream-SECRET",
}
REPLY = "The capital of France is Paris."
PIECES = ("The capital", " of France", " is Paris.")


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: Dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class UpstreamStub:
    url: str = ""
    requests: List[Recorded] = field(default_factory=list)
    gate: Optional[threading.Event] = None
    gate_timeouts: int = 0
    delay: float = 0.01
    stream_closed: threading.Event = field(default_factory=threading.Event)
    endless: bool = False

    def all_headers_text(self) -> str:
        return "\n".join(f"{k}: {v}" for r in self.requests for k, v in r.headers.items())


def _sse(event: Optional[str], data: Any) -> bytes:
    prefix = f"event: {event}\n" if event else ""
    payload = data if isinstance(data, str) else json.dumps(data)
    return f"{prefix}data: {payload}\n\n".encode()


def build_stub_app(stub: UpstreamStub) -> Starlette:
    async def record(request: Request) -> Any:
        body = await request.body()
        stub.requests.append(
            Recorded(
                request.method,
                request.url.path,
                request.url.query,
                {k.lower(): v for k, v in request.headers.items()},
                body,
            )
        )
        return json.loads(body) if body else None

    async def pieces(frame: Any) -> AsyncIterator[bytes]:
        try:
            for index, piece in enumerate(PIECES):
                for chunk in frame(piece, index):
                    yield chunk
                if index == 0 and stub.gate is not None:
                    opened = await asyncio.to_thread(stub.gate.wait, scaled(10))
                    if not opened:
                        stub.gate_timeouts += 1
                await asyncio.sleep(stub.delay)
            while stub.endless:
                for chunk in frame(".", 9):
                    yield chunk
                await asyncio.sleep(stub.delay)
        finally:
            stub.stream_closed.set()

    async def chat_completions(request: Request) -> Response:
        body = await record(request)
        model = body.get("model", "gpt-test")
        if body.get("stream"):

            def frame(piece: str, index: int) -> List[bytes]:
                delta = (
                    {"role": "assistant", "content": piece} if index == 0 else {"content": piece}
                )
                return [
                    _sse(
                        None,
                        {
                            "id": "chatcmpl-stub",
                            "object": "chat.completion.chunk",
                            "created": 1700000000,
                            "model": model,
                            "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                        },
                    )
                ]

            async def stream() -> AsyncIterator[bytes]:
                async for chunk in pieces(frame):
                    yield chunk
                yield _sse(None, "[DONE]")

            return StreamingResponse(stream(), media_type="text/event-stream")
        return JSONResponse(
            {
                "id": "chatcmpl-stub",
                "object": "chat.completion",
                "created": 1700000000,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": REPLY},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
            },
            headers={"x-request-id": "req_upstream_openai"},
        )

    async def messages(request: Request) -> Response:
        body = await record(request)
        model = body.get("model", "claude-test")
        message = {
            "id": "msg_stub",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 5, "output_tokens": 1},
        }
        if body.get("stream"):

            def frame(piece: str, index: int) -> List[bytes]:
                out = []
                if index == 0:
                    out.append(_sse("message_start", {"type": "message_start", "message": message}))
                    out.append(
                        _sse(
                            "content_block_start",
                            {
                                "type": "content_block_start",
                                "index": 0,
                                "content_block": {"type": "text", "text": ""},
                            },
                        )
                    )
                out.append(
                    _sse(
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": 0,
                            "delta": {"type": "text_delta", "text": piece},
                        },
                    )
                )
                return out

            async def stream() -> AsyncIterator[bytes]:
                async for chunk in pieces(frame):
                    yield chunk
                yield _sse("content_block_stop", {"type": "content_block_stop", "index": 0})
                yield _sse(
                    "message_delta",
                    {
                        "type": "message_delta",
                        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                        "usage": {"output_tokens": 7},
                    },
                )
                yield _sse("message_stop", {"type": "message_stop"})

            return StreamingResponse(stream(), media_type="text/event-stream")
        message.update(
            content=[{"type": "text", "text": REPLY}],
            stop_reason="end_turn",
            usage={"input_tokens": 5, "output_tokens": 7},
        )
        return JSONResponse(message)

    async def cohere_chat(request: Request) -> Response:
        body = await record(request)
        if body.get("stream"):

            def frame(piece: str, index: int) -> List[bytes]:
                out = []
                if index == 0:
                    out.append(
                        _sse(
                            "message-start",
                            {
                                "type": "message-start",
                                "id": "co-stub",
                                "delta": {"message": {"role": "assistant"}},
                            },
                        )
                    )
                out.append(
                    _sse(
                        "content-delta",
                        {
                            "type": "content-delta",
                            "index": 0,
                            "delta": {"message": {"content": {"text": piece}}},
                        },
                    )
                )
                return out

            async def stream() -> AsyncIterator[bytes]:
                async for chunk in pieces(frame):
                    yield chunk
                yield _sse(
                    "message-end",
                    {"type": "message-end", "delta": {"finish_reason": "COMPLETE"}},
                )

            return StreamingResponse(stream(), media_type="text/event-stream")
        return JSONResponse(
            {
                "id": "co-stub",
                "finish_reason": "COMPLETE",
                "message": {"role": "assistant", "content": [{"type": "text", "text": REPLY}]},
                "usage": {
                    "billed_units": {"input_tokens": 5, "output_tokens": 7},
                    "tokens": {"input_tokens": 5, "output_tokens": 7},
                },
            }
        )

    async def models(request: Request) -> Response:
        await record(request)
        return JSONResponse({"object": "list", "data": [{"id": "gpt-test", "object": "model"}]})

    async def anything(request: Request) -> Response:
        # Any other path is recorded too, so a test can tell that nothing got through.
        body = await request.body()
        stub.requests.append(
            Recorded(
                request.method,
                request.url.path,
                request.url.query,
                {k.lower(): v for k, v in request.headers.items()},
                body,
            )
        )
        return JSONResponse({"error": {"message": "no such path", "type": "not_found"}}, 404)

    async def fail(request: Request) -> Response:
        await record(request)
        return JSONResponse(
            {"error": {"message": "The server is overloaded", "type": "server_error"}},
            status_code=503,
            headers={"retry-after": "0"},
        )

    async def echo_key(request: Request) -> Response:
        # A careless provider: its error quotes the key it was sent, in the body and a
        # header; ``?gzip=1`` compresses the body, ``?stream=1`` splits it across chunks.
        await record(request)
        key = request.headers.get("authorization", "").partition(" ")[2]
        body = json.dumps({"error": {"message": f"Incorrect API key provided: {key}."}})
        headers = {"x-echo-key": key}
        if request.query_params.get("stream"):
            cut = len(body) - len(key) // 2 - 3

            async def halves() -> AsyncIterator[bytes]:
                yield body[:cut].encode()
                await asyncio.sleep(stub.delay)
                yield body[cut:].encode()

            return StreamingResponse(halves(), status_code=401, headers=headers)
        if request.query_params.get("gzip"):
            headers["content-encoding"] = "gzip"
            return Response(
                gzip.compress(body.encode()), 401, headers, media_type="application/json"
            )
        return Response(body, 401, headers, media_type="application/json")

    return Starlette(
        routes=[
            Route("/v1/echo-key", echo_key, methods=["POST"]),
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/messages", messages, methods=["POST"]),
            Route("/v2/chat", cohere_chat, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/v1/fail", fail, methods=["POST"]),
            Route("/{rest:path}", anything, methods=["GET", "POST", "PUT", "DELETE"]),
        ]
    )


@contextmanager
def running_stub() -> Iterator[UpstreamStub]:
    stub = UpstreamStub()
    with serve_app(build_stub_app(stub)) as url:
        stub.url = url
        yield stub


def stub_upstreams(stub: UpstreamStub) -> Dict[str, Any]:
    """The gateway ``upstreams`` for this stub: OpenAI, Anthropic and Cohere, with keys."""
    return {
        "openai": (stub.url + "/v1", UPSTREAM_KEYS["openai"]),
        "anthropic": (stub.url, UPSTREAM_KEYS["anthropic"]),
        "cohere": (stub.url, UPSTREAM_KEYS["cohere"]),
    }
