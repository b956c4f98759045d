"""Local stand-ins for the LockLLM service, and the fixtures the core client tests share.

* ``ScanStub``: a stdlib HTTP/1.1 keep-alive server on 127.0.0.1 that answers
  ``POST /v1/scan`` like the service (flags text containing "ignore all previous
  instructions", case-insensitively) and counts the TCP connections it accepted.
* ``SilentServer``: accepts connections and never answers (for real timeouts).
* ``closed_port()``: a port on 127.0.0.1 where nothing listens (for real refusals).
* ``Runner``: runs one scenario through ``LockLLM``, or through ``AsyncLockLLM`` under
  asyncio or trio (the ``runner`` fixture in ``conftest.py`` makes one of each).

The fixtures themselves (``runner``, ``api``, ``slept``, ``fast_ssl``, ``clean_env``,
``anyio_backend``) live in ``tests/conftest.py``.
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional

import httpx
import pytest

from lockllm import AsyncLockLLM, LockLLM

KEY = "sk-test-0123456789abcdefSECRET"
BASE = "https://api.lockllm.test"
SCAN_URL = BASE + "/v1/scan"
PHRASE = "ignore all previous instructions"


def scan_body(**overrides: Any) -> Dict[str, Any]:
    """A 200 scan response body as the service sends it."""
    body: Dict[str, Any] = {
        "safe": True,
        "label": 0,
        "confidence": 95.0,
        "injection": 2.0,
        "sensitivity": "medium",
        "request_id": "req_server_1",
        "usage": {"requests": 1, "input_chars": 25},
    }
    body.update(overrides)
    return body


def error_body(**fields: Any) -> Dict[str, Any]:
    return {"error": fields}


# --------------------------------------------------------------------------- fixtures


ASYNC_BACKENDS = ["asyncio", "trio"]


class Runner:
    """Runs the same scenario through the sync client, or the async one on an event loop.

    ``kind`` is ``"sync"``, or the anyio backend of the async client: ``"asyncio"`` or
    ``"trio"``.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.is_async = kind != "sync"

    def make(self, **kwargs: Any) -> Any:
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("base_url", BASE)
        return (AsyncLockLLM if self.is_async else LockLLM)(**kwargs)

    def scans(self, calls: List[Any], client_kwargs: Optional[Dict[str, Any]] = None) -> List[Any]:
        """Run ``calls`` (each ``(args, kwargs)``) on one client; return results or errors."""
        client_kwargs = client_kwargs or {}
        if not self.is_async:
            out: List[Any] = []
            with self.make(**client_kwargs) as client:
                for args, kwargs in calls:
                    try:
                        out.append(client.scan(*args, **kwargs))
                    except Exception as exc:
                        out.append(exc)
            return out

        async def go() -> List[Any]:
            res: List[Any] = []
            async with self.make(**client_kwargs) as client:
                for args, kwargs in calls:
                    try:
                        res.append(await client.scan(*args, **kwargs))
                    except Exception as exc:
                        res.append(exc)
            return res

        return self.run_async(go)

    def using(
        self, action: Callable[[Any], Any], client_kwargs: Optional[Dict[str, Any]] = None
    ) -> Any:
        """``action(client)`` on a fresh client (awaited for the async one); returns its value."""
        if not self.is_async:
            with self.make(**(client_kwargs or {})) as client:
                return action(client)

        async def go() -> Any:
            async with self.make(**(client_kwargs or {})) as client:
                return await action(client)

        return self.run_async(go)

    def run_async(self, function: Callable[[], Any]) -> Any:
        """Run ``await function()`` on this runner's event loop (asyncio or trio)."""
        import anyio

        return anyio.run(function, backend=self.kind if self.is_async else "asyncio")

    def scan(
        self, *args: Any, client_kwargs: Optional[Dict[str, Any]] = None, **kwargs: Any
    ) -> Any:
        """One scan; returns the result or raises its error."""
        (result,) = self.scans([(args, kwargs)], client_kwargs)
        if isinstance(result, BaseException):
            raise result
        return result

    def error(self, *args: Any, **kwargs: Any) -> Any:
        """One scan that must fail; returns the error."""
        with pytest.raises(Exception) as info:
            self.scan(*args, **kwargs)
        return info.value


# --------------------------------------------------------------------------- real servers


class _CountingServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, handler: Any, api_key: Optional[str]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.api_key = api_key
        self.connections = 0
        self.requests: List[Dict[str, Any]] = []
        self.lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.lock:
            self.connections += 1
        super().process_request(request, client_address)


class _ScanHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10
    server: _CountingServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Request-Id", payload.get("request_id", "") or "stub")
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        request_id = "stub_" + uuid.uuid4().hex[:12]
        with self.server.lock:
            self.server.requests.append({"path": self.path, "headers": dict(self.headers)})
        if self.path != "/v1/scan":
            self._send(404, error_body(message="Not found", type="not_found_error"))
            return
        auth = self.headers.get("Authorization", "")
        key = auth[len("Bearer ") :] if auth.startswith("Bearer ") else ""
        if not key or (self.server.api_key is not None and key != self.server.api_key):
            self._send(
                401,
                error_body(
                    message="Invalid API key",
                    type="authentication_error",
                    code="unauthorized",
                    request_id=request_id,
                ),
            )
            return
        try:
            data = json.loads(raw)
            text = data["input"]
            sensitivity = data.get("sensitivity", "medium")
            assert isinstance(text, str)
        except (ValueError, KeyError, TypeError, AssertionError):
            self._send(400, error_body(message="Bad request", type="invalid_request_error"))
            return
        flagged = PHRASE in text.lower()
        self._send(
            200,
            {
                "safe": not flagged,
                "label": 1 if flagged else 0,
                "confidence": 97.0 if flagged else 91.0,
                "injection": 96.0 if flagged else 3.0,
                "sensitivity": sensitivity,
                "request_id": request_id,
                "usage": {"requests": 1, "input_chars": len(text)},
            },
        )


class ScanStub:
    """The scan service on 127.0.0.1 in a thread. ``api_key=None`` accepts any key."""

    def __init__(self, api_key: Optional[str] = KEY) -> None:
        self.server = _CountingServer(_ScanHandler, api_key)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def connections(self) -> int:
        return self.server.connections

    @property
    def requests(self) -> List[Dict[str, Any]]:
        return self.server.requests

    def __enter__(self) -> ScanStub:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.accepted: List[socket.socket] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted.append(conn)

    def __enter__(self) -> SilentServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._stop.set()
        self.thread.join(5)
        for conn in self.accepted:
            conn.close()
        self.sock.close()


def closed_port() -> int:
    """A port on 127.0.0.1 that was just free (bound, then closed): connecting is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def json_response(status: int, payload: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=payload, headers=headers)


Responder = Callable[[httpx.Request], httpx.Response]
