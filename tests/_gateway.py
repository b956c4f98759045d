"""Run ASGI apps (the gateway, stub providers) on 127.0.0.1 in a thread, for tests.

``serve_app(app)`` binds an ephemeral port itself, runs ``uvicorn.Server`` in a daemon
thread and yields the base URL; leaving the ``with`` block sets ``should_exit`` and joins.
``running_gateway(...)`` does that for ``lockllm serve``'s app and yields a ``Gateway``
handle (``url``, ``api_key``, ``app``). Other test modules may reuse both, and the
in-process pieces: ``Recorder`` (a scripted upstream), ``ok_response`` and the
``make_app`` fixture (import it into the test module to use it).
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

import httpcore
import httpx
import pytest
import uvicorn
from _timing import generous, scaled

from lockllm.server import Settings, Upstream, create_app
from lockllm.server._cli import uvicorn_options
from lockllm.server._logs import uvicorn_log_config
from lockllm.server._upstream import UpstreamPool

GATEWAY_KEY = "lockllm-test-gateway-key-0123456789"
AUTH = {"Authorization": f"Bearer {GATEWAY_KEY}"}


@contextmanager
def serve_app(app: Any, *, host: str = "127.0.0.1", **config: Any) -> Iterator[str]:
    """Serve ``app`` on ``host`` at a free port; yields ``http://host:port``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when
    # the socket says it is TCP, and without it Nagle + delayed ACK add ~40 ms per request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(1024)
    port = sock.getsockname()[1]
    options: Dict[str, Any] = {"log_level": "warning", "lifespan": "on"}
    options.update(config)
    # uvicorn's default logging config binds its handlers to the sys.stderr of this moment
    # (pytest's capture of this test, closed afterwards): ours looks it up per record.
    options.setdefault("log_config", uvicorn_log_config(options["log_level"]))
    server = uvicorn.Server(uvicorn.Config(app, **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + scaled(15)
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.005)
    try:
        yield f"http://{host}:{port}" if family == socket.AF_INET else f"http://[{host}]:{port}"
    finally:
        server.should_exit = True
        thread.join(scaled(15))
        sock.close()


@dataclass
class Gateway:
    """A running gateway."""

    url: str
    api_key: str
    app: Any
    settings: Settings
    extra: Dict[str, Any] = field(default_factory=dict)

    def proxy_url(self, provider: str) -> str:
        return f"{self.url}/v1/proxy/{provider}"


def gateway_settings(
    upstreams: Optional[Mapping[str, Tuple[Optional[str], Optional[str]]]] = None,
    *,
    api_keys: Tuple[str, ...] = (GATEWAY_KEY,),
    **overrides: Any,
) -> Settings:
    """Settings for a test gateway; ``upstreams`` maps provider -> (url, key).

    Unless a test sets ``scan_timeout`` (its subject), the scan budget is
    :func:`_timing.generous`: a benign scan must not turn into a 503 because CI is busy."""
    overrides.setdefault("scan_timeout", generous())
    settings = Settings.load(environ={})
    table = dict(settings.upstreams)
    for name, (url, key) in (upstreams or {}).items():
        table[name] = Upstream(url, key, table[name].auth)
    return replace(settings, api_keys=api_keys, upstreams=table, **overrides)


@contextmanager
def running_gateway(
    upstreams: Optional[Mapping[str, Tuple[Optional[str], Optional[str]]]] = None,
    *,
    settings: Optional[Settings] = None,
    scan_factory: Optional[str] = None,
    **overrides: Any,
) -> Iterator[Gateway]:
    """Start the gateway on 127.0.0.1 (ephemeral port) and yield a handle to it.

    ``scan_factory`` (``"module:function"``) replaces the engine of the scan workers."""
    if settings is None:
        settings = gateway_settings(upstreams, **overrides)
    app = create_app(settings)
    if scan_factory is not None:
        app.state.gateway.scan_factory = scan_factory
    options = uvicorn_options(settings, "warning")
    for name in ("host", "port"):
        options.pop(name)
    with serve_app(app, **options) as url:
        key = settings.api_keys[0] if settings.api_keys else ""
        yield Gateway(url=url, api_key=key, app=app, settings=settings)


# -- in-process apps --------------------------------------------------------------------------


class Recorder(httpcore.AsyncMockBackend):
    """A scripted upstream: every connection answers ``responses`` in turn; writes kept."""

    def __init__(self, *responses: List[bytes], fail: Optional[Exception] = None) -> None:
        super().__init__([])
        self.responses = list(responses)
        self.sent: List[bytes] = []
        self.fail = fail
        self.connections = 0

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        if self.fail is not None:
            raise self.fail
        self.connections += 1
        recorder = self

        class Stream(httpcore.AsyncMockStream):
            async def write(self, buffer: bytes, timeout: Optional[float] = None) -> None:
                recorder.sent.append(buffer)

        return Stream(self.responses.pop(0) if self.responses else [])


def ok_response(body: bytes = b'{"ok":true}', extra: bytes = b"") -> List[bytes]:
    return [
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + extra,
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n",
        body,
    ]


@pytest.fixture
def make_app() -> Iterator[Any]:
    """Build in-process gateway apps (``make_app(backend, scan_factory=…, **settings)``)
    driven by httpx's ASGI transport; their scan workers are stopped afterwards.

    Without a lifespan the first scan starts the pool, so one worker by default (unless a
    test sets ``scan_workers``): fewer processes to start on a busy machine."""
    clients: List[httpx.AsyncClient] = []

    def build(
        backend: Optional[httpcore.AsyncNetworkBackend] = None,
        *,
        scan_factory: Optional[str] = None,
        **overrides: Any,
    ) -> httpx.AsyncClient:
        upstreams = overrides.pop(
            "upstreams",
            {
                "openai": ("http://up.test/v1", "sk-up"),
                "azure": ("http://az.test/openai/v1", "az-up"),
            },
        )
        overrides.setdefault("scan_workers", 1)
        settings = gateway_settings(upstreams, **overrides)
        app = create_app(settings)
        if scan_factory is not None:  # a test engine, where the engine is not the subject
            app.state.gateway.scan_factory = scan_factory
        if backend is not None:
            app.state.gateway.http = UpstreamPool(settings, backend=backend)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")
        client.app = app  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield build
    for client in clients:
        pool = client.app.state.gateway.scans  # type: ignore[attr-defined]
        if pool is not None:
            pool.terminate()


# -- bypass checks: does a request reach the stub provider? ------------------------------


def b64(data: bytes) -> str:
    """``data`` in standard base64, as text."""
    return base64.b64encode(data).decode()


def chat(content: Any) -> Dict[str, Any]:
    """A chat body with one user message of ``content``."""
    return {"model": "m", "messages": [{"role": "user", "content": content}]}


def send(
    gateway: Gateway,
    stub: Any,
    body: Any = None,
    *,
    path: str = "/chat/completions",
    provider: str = "openai",
    content: Optional[bytes] = None,
    headers: Optional[Dict[str, str]] = None,
    files: Any = None,
) -> Tuple[httpx.Response, bool]:
    """Send through the gateway; the response, and whether the stub provider received it."""
    stub.requests.clear()
    all_headers = {"Authorization": f"Bearer {gateway.api_key}", **(headers or {})}
    response = httpx.post(
        gateway.proxy_url(provider) + path,
        json=body if content is None and files is None else None,
        content=content,
        files=files,
        headers=all_headers,
        timeout=30,
    )
    return response, bool(stub.requests)


def blocked(gateway: Gateway, stub: Any, body: Any = None, **kw: Any) -> None:
    """The request is blocked as an injection and never reaches the provider."""
    response, reached = send(gateway, stub, body, **kw)
    assert not reached, response.text
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "prompt_injection_detected"


def forwarded(gateway: Gateway, stub: Any, body: Any = None, **kw: Any) -> None:
    """The request reaches the provider, not flagged."""
    response, reached = send(gateway, stub, body, **kw)
    assert reached, response.text
    assert response.headers["x-lockllm-blocked"] == "false"


def refused(gateway: Gateway, stub: Any, body: Any = None, **kw: Any) -> int:
    """Not forwarded: blocked (400 prompt_injection_detected) or refused (4xx); the status."""
    response, reached = send(gateway, stub, body, **kw)
    assert not reached, response.text
    assert 400 <= response.status_code < 500, response.text
    return response.status_code
