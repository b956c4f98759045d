"""A tiny stand-in for the LockLLM proxy, for offline tests of the wrappers.

``ProxyStub`` runs a ``ThreadingHTTPServer`` on 127.0.0.1 (ephemeral port) in a thread.
It answers ``POST /v1/proxy/<provider>/chat/completions`` like OpenAI and
``POST /v1/proxy/anthropic/v1/messages`` like Anthropic (both with SSE when
``"stream": true``), refuses a request without a key (401) and blocks any request whose
body contains ``BLOCK_MARKER`` with the LockLLM 400 body. Every request is recorded.
The payload builders are shared with the MockTransport tests.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List, Optional, Tuple

BLOCK_MARKER = "Ignore all previous instructions"
REPLY = "The capital of France is Paris."
STREAM_PIECES = ("1", " 2", " 3", " 4", " 5")

SAFE_HEADERS = {
    "X-LockLLM-Safe": "true",
    "X-LockLLM-Scanned": "true",
    "X-LockLLM-Blocked": "false",
    "X-LockLLM-Label": "0",
    "X-LockLLM-Injection-Score": "2.5",
    "X-LockLLM-Confidence": "97.5",
    "X-LockLLM-Sensitivity": "medium",
    "X-LockLLM-Request-ID": "req_stub_safe",
}


def blocked_body(request_id: str = "req_stub_blocked") -> Dict[str, Any]:
    """The proxy's 400 answer to a prompt injection."""
    return {
        "error": {
            "message": "Malicious prompt detected by LockLLM",
            "type": "lockllm_security_error",
            "code": "prompt_injection_detected",
            "request_id": request_id,
            "scan_result": {
                "safe": False,
                "label": 1,
                "confidence": 96.0,
                "injection": 98.5,
                "sensitivity": "medium",
            },
        }
    }


def unauthorized_body() -> Dict[str, Any]:
    """The proxy's 401 answer."""
    return {
        "error": {
            "message": "Invalid or missing LockLLM API key",
            "type": "authentication_error",
            "code": "unauthorized",
            "request_id": "req_stub_auth",
        }
    }


def openai_completion(text: str = REPLY, model: str = "gpt-4") -> Dict[str, Any]:
    """A minimal OpenAI chat completion."""
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": 1700000000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
    }


def openai_sse(pieces: Tuple[str, ...] = STREAM_PIECES, model: str = "gpt-4") -> bytes:
    """An OpenAI chat-completion stream, one chunk per piece, then ``[DONE]``."""

    def chunk(delta: Dict[str, Any], finish: Optional[str]) -> str:
        data = {
            "id": "chatcmpl-stub",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(data)}\n\n"

    events = [chunk({"role": "assistant", "content": ""}, None)]
    events += [chunk({"content": piece}, None) for piece in pieces]
    events += [chunk({}, "stop"), "data: [DONE]\n\n"]
    return "".join(events).encode()


def anthropic_message(
    text: str = REPLY, model: str = "claude-3-5-sonnet-20241022"
) -> Dict[str, Any]:
    """A minimal Anthropic message."""
    return {
        "id": "msg_stub",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 5, "output_tokens": 7},
    }


def anthropic_sse(
    pieces: Tuple[str, ...] = STREAM_PIECES, model: str = "claude-3-5-sonnet-20241022"
) -> bytes:
    """An Anthropic message stream: start, one text delta per piece, stop."""
    message = {**anthropic_message("", model), "content": [], "stop_reason": None}
    events: List[Tuple[str, Dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": message}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
    ]
    events += [
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": piece},
            },
        )
        for piece in pieces
    ]
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": len(pieces)},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events).encode()


@dataclass
class Recorded:
    """One request the stub received."""

    method: str
    path: str
    headers: Dict[str, str]
    body: Any


@dataclass
class ProxyStub:
    """The running stub: ``url`` is the base URL to put in ``LOCKLLM_BASE_URL``."""

    server: ThreadingHTTPServer
    requests: List[Recorded] = field(default_factory=list)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"


def _handler(stub: ProxyStub) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def _send(self, status: int, payload: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            if status == 200:
                for name, value in SAFE_HEADERS.items():
                    self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = None
            headers = {k.lower(): v for k, v in self.headers.items()}
            stub.requests.append(Recorded("POST", self.path, headers, body))
            if not (headers.get("authorization") or headers.get("x-api-key")):
                self._send(401, json.dumps(unauthorized_body()).encode(), "application/json")
                return
            if BLOCK_MARKER in raw.decode("utf-8", "replace"):
                self._send(400, json.dumps(blocked_body()).encode(), "application/json")
                return
            stream = isinstance(body, dict) and body.get("stream") is True
            model = body.get("model", "gpt-4") if isinstance(body, dict) else "gpt-4"
            if self.path == "/v1/proxy/anthropic/v1/messages":
                if stream:
                    self._send(200, anthropic_sse(model=model), "text/event-stream")
                else:
                    payload = json.dumps(anthropic_message(model=model)).encode()
                    self._send(200, payload, "application/json")
            elif self.path.startswith("/v1/proxy/") and self.path.endswith("/chat/completions"):
                if stream:
                    self._send(200, openai_sse(model=model), "text/event-stream")
                else:
                    payload = json.dumps(openai_completion(model=model)).encode()
                    self._send(200, payload, "application/json")
            else:
                self._send(404, b'{"error": {"message": "not found"}}', "application/json")

    return Handler


def start() -> ProxyStub:
    """Start a stub on an ephemeral port; call ``stop(stub)`` when done."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    stub = ProxyStub(server)
    server.RequestHandlerClass = _handler(stub)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return stub


def stop(stub: ProxyStub) -> None:
    """Stop the server and free its port."""
    stub.server.shutdown()
    stub.server.server_close()


def running() -> Iterator[ProxyStub]:
    """A generator for fixtures: ``yield from running()``."""
    stub = start()
    try:
        yield stub
    finally:
        stop(stub)
