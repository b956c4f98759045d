"""Client options as openai-python users expect them, on the sync client and on the async
client under asyncio and trio: ``timeout`` (number or ``httpx.Timeout``),
``default_headers``, ``with_options()``, ``with_raw_response``, ``max_response_bytes``,
errors carrying ``status_code``/``response``/``body``, and ``LOCKLLM_LOG``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
from typing import Any, Iterator, List

import httpx
import pytest
from _scan_stub import BASE, KEY, Runner, ScanStub, error_body, scan_body

from lockllm import (
    AsyncLockLLM,
    AuthenticationError,
    InvalidRequestError,
    LockLLM,
    PromptInjectionError,
    RawResponse,
    ResponseTooLargeError,
)

# -- timeout ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        (5, {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}),
        (httpx.Timeout(5), {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}),
        (
            httpx.Timeout(10, connect=2),
            {"connect": 2.0, "read": 10.0, "write": 10.0, "pool": 10.0},
        ),
    ],
)
def test_timeout_number_or_httpx_timeout_reaches_httpx(
    runner: Runner, api: Any, timeout: Any, expected: Any
) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    runner.scan("x", client_kwargs={"timeout": timeout})
    assert route.calls.last.request.extensions["timeout"] == expected


def test_per_call_httpx_timeout(runner: Runner, api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    runner.scan("x", timeout=httpx.Timeout(3, read=7))
    assert route.calls.last.request.extensions["timeout"]["read"] == 7.0
    assert route.calls.last.request.extensions["timeout"]["connect"] == 3.0


def test_the_config_reports_the_timeout_given() -> None:
    timeout = httpx.Timeout(5, connect=1)
    with LockLLM(api_key=KEY, base_url=BASE, timeout=timeout) as client:
        assert client.config.timeout is timeout


@pytest.mark.parametrize("timeout", [0, -1, float("inf"), "5", True, httpx.Timeout(5, read=-1)])
@pytest.mark.parametrize("cls", [LockLLM, AsyncLockLLM])
def test_bad_timeouts_are_refused(cls: type, timeout: Any) -> None:
    with pytest.raises(InvalidRequestError, match="timeout"):
        cls(api_key=KEY, base_url=BASE, timeout=timeout)


# -- default_headers --------------------------------------------------------------------


def test_default_headers_are_sent_on_every_call(runner: Runner, api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    runner.scans(
        [(("a",), {}), (("b",), {"headers": {"X-Team": "per-call"}})],
        client_kwargs={"default_headers": {"X-Team": "search", "X-Env": "prod"}},
    )
    first, second = (call.request.headers for call in route.calls)
    assert first["x-team"] == "search"
    assert first["x-env"] == "prod"
    assert second["x-team"] == "per-call"  # a call's own header wins
    assert second["x-env"] == "prod"
    assert first["authorization"] == f"Bearer {KEY}"


def test_default_headers_on_a_lent_client(api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    with httpx.Client() as http:
        client = LockLLM(api_key=KEY, base_url=BASE, http_client=http, default_headers={"X-A": "1"})
        client.scan("x")
    assert route.calls.last.request.headers["x-a"] == "1"


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer other"},
        {"authorization": "x"},
        {"X-Request-Id": "fixed"},
        {"Bad Name": "x"},
        {"X-A": "line\r\nbreak"},
        {"X-A": 1},
        ["X-A", "1"],
    ],
)
@pytest.mark.parametrize("cls", [LockLLM, AsyncLockLLM])
def test_bad_default_headers_are_refused(cls: type, headers: Any) -> None:
    with pytest.raises(InvalidRequestError) as info:
        cls(api_key=KEY, base_url=BASE, default_headers=headers)
    assert KEY not in str(info.value)


def test_default_headers_never_replace_auth_even_in_another_case() -> None:
    with pytest.raises(InvalidRequestError, match="api_key"):
        LockLLM(api_key=KEY, base_url=BASE, default_headers={"AUTHORIZATION": "x"})


def test_a_default_user_agent_is_honoured(runner: Runner, api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    runner.scan("x", client_kwargs={"default_headers": {"User-Agent": "my-app/1"}})
    assert route.calls.last.request.headers["user-agent"] == "my-app/1"


# -- with_options -----------------------------------------------------------------------


def test_with_options_changes_settings_and_keeps_the_rest(runner: Runner, api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())

    def action(client: Any) -> Any:
        other = client.with_options(timeout=9, default_headers={"X-B": "2"})
        assert other is not client
        assert type(other) is type(client)
        assert other._http is client._http  # one connection pool
        assert other.config.timeout == 9.0
        assert other.config.max_retries == client.config.max_retries == 1
        assert other.default_headers == {"X-A": "1", "X-B": "2"}
        assert client.default_headers == {"X-A": "1"}
        return other.scan("x")

    runner.using(action, {"max_retries": 1, "default_headers": {"X-A": "1"}})
    request = route.calls.last.request
    assert request.extensions["timeout"]["read"] == 9.0
    assert request.headers["x-a"] == "1"
    assert request.headers["x-b"] == "2"
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_with_options_can_switch_the_key(runner: Runner, api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    other_key = "sk-other-0123456789abcdefXYZ"
    runner.using(lambda client: client.with_options(api_key=other_key).scan("x"))
    assert route.calls.last.request.headers["authorization"] == f"Bearer {other_key}"


def test_with_options_max_retries(runner: Runner, api: Any, slept: List[float]) -> None:
    route = api.post("/v1/scan").respond(503)
    error = None

    def action(client: Any) -> Any:
        return client.with_options(max_retries=0).scan("x")

    with pytest.raises(Exception) as info:
        runner.using(action, {"max_retries": 3})
    error = info.value
    assert getattr(error, "status_code", None) == 503
    assert route.call_count == 1
    assert slept == []


def test_with_options_shares_one_real_connection() -> None:
    with ScanStub() as stub, LockLLM(api_key=KEY, base_url=stub.url) as client:
        client.scan("one")
        client.with_options(timeout=5).scan("two")
        client.with_options(default_headers={"X-A": "1"}).scan("three")
        assert stub.connections == 1
        assert stub.requests[-1]["headers"]["X-A"] == "1"


def test_closing_a_copy_leaves_the_pool_open(api: Any) -> None:
    api.post("/v1/scan").respond(200, json=scan_body())
    with LockLLM(api_key=KEY, base_url=BASE) as client:
        copy = client.with_options(timeout=3)
        copy.close()
        assert client.scan("x").safe
        with pytest.raises(Exception, match="closed"):
            copy.scan("x")
    with pytest.raises(Exception, match="closed"):
        client.with_options(timeout=3).scan("x")  # the owner closed the pool


def test_with_options_validates_like_the_constructor() -> None:
    with LockLLM(api_key=KEY, base_url=BASE) as client:
        with pytest.raises(InvalidRequestError):
            client.with_options(timeout=-1)
        with pytest.raises(InvalidRequestError):
            client.with_options(default_headers={"Authorization": "x"})
        with pytest.raises(TypeError):
            client.with_options(no_such_option=1)  # type: ignore[call-arg]


def test_with_options_keeps_a_lent_clients_own_timeout(api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    with httpx.Client(timeout=7) as http:
        LockLLM(api_key=KEY, base_url=BASE, http_client=http).with_options(max_retries=0).scan("x")
    assert route.calls.last.request.extensions["timeout"]["read"] == 7.0


# -- with_raw_response ------------------------------------------------------------------


def test_with_raw_response(runner: Runner, api: Any) -> None:
    api.post("/v1/scan").respond(
        200,
        json=scan_body(request_id="req_raw"),
        headers={"X-Request-Id": "req_raw", "X-RateLimit-Remaining": "41"},
    )
    raw = runner.using(lambda client: client.with_raw_response.scan("hello", "high"))
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200
    assert raw.headers["x-ratelimit-remaining"] == "41"
    assert raw.request_id == "req_raw"
    assert isinstance(raw.http_response, httpx.Response)
    assert raw.http_response.json()["request_id"] == "req_raw"
    assert raw.http_response.request.headers["authorization"] == "Bearer ***"
    result = raw.parse()
    assert result.safe
    assert result.request_id == "req_raw"
    assert "req_raw" in repr(raw)


def test_with_raw_response_raises_on_an_error_status(runner: Runner, api: Any) -> None:
    api.post("/v1/scan").respond(401, json=error_body(message="no", code="unauthorized"))
    with pytest.raises(AuthenticationError):
        runner.using(lambda client: client.with_raw_response.scan("x"))


def test_with_raw_response_does_not_fall_back(runner: Runner, api: Any, slept: List[float]) -> None:
    api.post("/v1/scan").respond(503)
    with pytest.raises(Exception) as info:
        runner.using(
            lambda client: client.with_raw_response.scan("x"),
            {"fallback": "local", "max_retries": 0},
        )
    assert getattr(info.value, "status_code", None) == 503


# -- errors from an HTTP response -------------------------------------------------------


def test_errors_carry_status_code_response_and_a_masked_body(runner: Runner, api: Any) -> None:
    body = error_body(
        message=f"blocked for {KEY}",
        type="lockllm_security_error",
        code="prompt_injection_detected",
        request_id="req_e",
    )
    api.post("/v1/scan").respond(400, json=body, headers={"X-Request-Id": "req_e"})
    error = runner.error("x", client_kwargs={"max_retries": 0})
    assert isinstance(error, PromptInjectionError)
    assert error.status == error.status_code == 400
    assert isinstance(error.response, httpx.Response)
    assert error.response.status_code == 400
    assert error.response.headers["x-request-id"] == "req_e"
    assert error.response.json()["error"]["code"] == "prompt_injection_detected"
    assert KEY not in error.response.text
    assert KEY not in str(error.response.request.headers)
    assert error.body is not None
    assert "***" in error.body
    assert KEY not in error.body


def test_network_errors_have_no_response(runner: Runner, api: Any) -> None:
    api.post("/v1/scan").mock(side_effect=httpx.ConnectError("refused"))
    error = runner.error("x", client_kwargs={"max_retries": 0})
    assert error.response is None
    assert error.status_code == 0


def test_an_echoed_key_in_the_request_id_header_is_masked(runner: Runner, api: Any) -> None:
    api.post("/v1/scan").respond(
        500, json=error_body(message="x", code=KEY), headers={"X-Request-Id": KEY}
    )
    error = runner.error("x", client_kwargs={"max_retries": 0})
    for text in (str(error), repr(error), error.code, error.request_id, error.response.text):
        assert KEY not in (text or "")
    assert KEY not in json.dumps(dict(error.response.headers))


def test_an_echoed_key_in_a_result_is_masked(runner: Runner, api: Any) -> None:
    api.post("/v1/scan").respond(
        200, json=scan_body(request_id=f"req-{KEY}"), headers={"X-Request-Id": KEY}
    )
    result = runner.scan("x")
    assert KEY not in repr(result)
    assert result.request_id == "req-***"


# -- the response size cap --------------------------------------------------------------


def test_a_body_past_the_cap_is_a_typed_error(runner: Runner, api: Any, slept: List[float]) -> None:
    api.post("/v1/scan").respond(200, content=b"[" + b"0," * 50_000 + b"0]")
    error = runner.error("x", client_kwargs={"max_response_bytes": 10_000, "max_retries": 3})
    assert isinstance(error, ResponseTooLargeError)
    assert error.status_code == 200
    assert "10000 bytes" in str(error)
    assert slept == []  # not retried


def test_a_body_under_the_cap_is_read(runner: Runner, api: Any) -> None:
    api.post("/v1/scan").respond(200, json=scan_body())
    assert runner.scan("x", client_kwargs={"max_response_bytes": 1000}).safe


@pytest.mark.parametrize("value", [0, -5, 1.5, "1000", True])
def test_bad_max_response_bytes(value: Any) -> None:
    with pytest.raises(InvalidRequestError, match="max_response_bytes"):
        LockLLM(api_key=KEY, base_url=BASE, max_response_bytes=value)


class EndlessServer:
    """Answers every request with 200 and a chunked body that never ends."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.05)
        self.stop = threading.Event()
        self.sent = 0
        self.thread = threading.Thread(target=self.serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self.flood, args=(conn,), daemon=True).start()

    def flood(self, conn: socket.socket) -> None:
        chunk = b"x" * 65536
        frame = b"%x\r\n%s\r\n" % (len(chunk), chunk)
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            while not self.stop.is_set() and self.sent < 200 * 1024 * 1024:
                conn.sendall(frame)
                self.sent += len(chunk)
        except OSError:
            pass
        finally:
            conn.close()


@pytest.fixture
def endless() -> Iterator[EndlessServer]:
    server = EndlessServer()
    server.thread.start()
    yield server
    server.stop.set()
    server.thread.join(5)
    server.sock.close()


def test_an_endless_body_stops_at_the_cap(runner: Runner, endless: EndlessServer) -> None:
    error = runner.error(
        "x",
        client_kwargs={
            "base_url": endless.url,
            "max_retries": 0,
            "max_response_bytes": 1024 * 1024,
        },
    )
    assert isinstance(error, ResponseTooLargeError)
    assert endless.sent < 100 * 1024 * 1024  # reading stopped long before the flood ended


# -- async on anyio: asyncio and trio ---------------------------------------------------


@pytest.mark.anyio
async def test_the_async_client_runs_on_the_current_backend(anyio_backend: str) -> None:
    import respx
    import sniffio

    assert sniffio.current_async_library() == anyio_backend
    with respx.mock(base_url=BASE) as api:
        api.post("/v1/scan").mock(
            side_effect=[
                httpx.Response(503, headers={"Retry-After": "0"}),
                httpx.Response(200, json=scan_body()),
                httpx.Response(200, json=scan_body()),
            ]
        )
        async with AsyncLockLLM(api_key=KEY, base_url=BASE, max_retries=1) as client:
            result = await client.scan("x")  # the retry really sleeps, on this backend
            raw = await client.with_raw_response.scan("y")
    assert result.safe
    assert raw.status_code == 200


@pytest.mark.anyio
async def test_async_fallback_runs_in_a_worker_thread(anyio_backend: str, monkeypatch: Any) -> None:
    import respx

    from lockllm.types import ScanResponse

    threads: List[str] = []

    class FakeEngine:
        def scan(self, text: str, sensitivity: str, pii_action: object = None) -> ScanResponse:
            threads.append(threading.current_thread().name)
            return ScanResponse(
                safe=True,
                label=0,
                confidence=1.0,
                injection=1.0,
                sensitivity="medium",
                request_id="local",
                source="local",
            )

    client = AsyncLockLLM(api_key=KEY, base_url=BASE, max_retries=0, fallback="local")
    client._local = FakeEngine()  # type: ignore[assignment]
    with respx.mock(base_url=BASE) as api:
        api.post("/v1/scan").mock(side_effect=httpx.ConnectError("refused"))
        result = await client.scan("x")
    await client.aclose()
    assert result.source == "local"
    assert threads
    assert threads[0] != threading.main_thread().name


# -- LOCKLLM_LOG ------------------------------------------------------------------------


_SCANS = {
    "sync": "LockLLM(api_key={key!r}, base_url={base!r}).scan('SECRET PROMPT TEXT')",
    "asyncio": "anyio.run(go, backend='asyncio')",
    "trio": "anyio.run(go, backend='trio')",
}


@pytest.mark.parametrize("kind", list(_SCANS))
@pytest.mark.parametrize("level", ["debug", "info"])
def test_lockllm_log_writes_to_stderr_without_prompt_or_key(level: str, kind: str) -> None:
    if kind == "trio":
        pytest.importorskip("trio")
    code = textwrap.dedent(
        f"""
        import anyio, httpx, respx
        from lockllm import AsyncLockLLM, LockLLM
        async def go():
            async with AsyncLockLLM(api_key={KEY!r}, base_url={BASE!r}) as client:
                await client.scan("SECRET PROMPT TEXT")
        with respx.mock(base_url={BASE!r}) as api:
            api.post("/v1/scan").mock(side_effect=[
                httpx.Response(503, headers={{"Retry-After": "0"}}),
                httpx.Response(200, json={{"safe": True, "request_id": "r1"}}),
            ])
            {_SCANS[kind].format(key=KEY, base=BASE)}
        """
    )
    env = {**os.environ, "LOCKLLM_LOG": level}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "lockllm" in done.stderr
    assert "HTTP 503; retry 1 of 3" in done.stderr
    assert ("attempt 1 sent" in done.stderr) == (level == "debug")
    assert "SECRET PROMPT" not in done.stderr
    assert KEY not in done.stderr
    assert done.stdout == ""


def test_without_lockllm_log_nothing_is_written() -> None:
    code = f"from lockllm import LockLLM; LockLLM(api_key={KEY!r}, base_url={BASE!r})"
    env = {k: v for k, v in os.environ.items() if k != "LOCKLLM_LOG"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stderr == ""


def test_setup_logging_adds_one_handler(monkeypatch: Any) -> None:
    import logging

    from lockllm._logs import setup_logging

    logger = logging.getLogger("lockllm")
    before = list(logger.handlers)
    level = logger.level
    monkeypatch.setenv("LOCKLLM_LOG", "INFO")
    try:
        setup_logging()
        setup_logging()
        added = [h for h in logger.handlers if h not in before]
        assert len(added) == 1
        assert logger.level == logging.INFO
    finally:
        for handler in logger.handlers[:]:
            if handler not in before:
                logger.removeHandler(handler)
        logger.setLevel(level)


class SlowServer:
    """Sends the headers after ``header_delay``, one body byte after ``first_delay``, then
    one byte every ``gap`` seconds (a 200-byte body), until stopped."""

    def __init__(self, header_delay: float, first_delay: float, gap: float) -> None:
        self.delays = (header_delay, first_delay, gap)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(0.05)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn: socket.socket) -> None:
        header_delay, first_delay, gap = self.delays
        with conn:
            try:
                conn.recv(65536)
                if self.stop.wait(header_delay):
                    return
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n")
                if self.stop.wait(first_delay):
                    return
                for _ in range(200):
                    conn.sendall(b" ")
                    if self.stop.wait(gap):
                        return
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


@pytest.mark.parametrize(
    ("delays", "timeout"),
    [
        ((0.0, 0.0, 30.0), httpx.Timeout(0.4, read=0.5)),  # stalls after the first byte
        ((0.25, 0.25, 0.2), httpx.Timeout(0.3)),  # first byte already past the deadline
    ],
    ids=["stall", "late-first-byte"],
)
def test_a_slow_body_is_cut_at_the_attempt_deadline(
    runner: Runner, delays: Any, timeout: Any
) -> None:
    import time

    from lockllm import APITimeoutError

    server = SlowServer(*delays)
    try:
        started = time.monotonic()
        error = runner.error(
            "x", client_kwargs={"base_url": server.url, "timeout": timeout, "max_retries": 0}
        )
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert isinstance(error, APITimeoutError)
    assert elapsed < 5.0  # the body alone would take 40 s or more


@pytest.mark.parametrize("name", ["Content-Type", "content-type"])
def test_default_headers_cannot_replace_the_content_type(name: str) -> None:
    with pytest.raises(InvalidRequestError, match="JSON"):
        LockLLM(api_key=KEY, base_url=BASE, default_headers={name: "text/plain"})


def test_names_differing_in_case_are_sent_once(runner: Runner, api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    runner.scan(
        "x",
        headers={"x-team": "call"},
        client_kwargs={"default_headers": {"X-Team": "client", "accept": "application/x"}},
    )
    sent = route.calls.last.request.headers
    assert sent.get_list("x-team") == ["call"]
    assert sent.get_list("accept") == ["application/x"]


def test_names_differing_in_case_are_sent_once_through_a_shared_pool(api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    with LockLLM(api_key=KEY, base_url=BASE) as client:
        copy = client.with_options(default_headers={"X-Team": "copy", "User-Agent": "app/2"})
        copy.scan("x", headers={"x-team": "call", "user-agent": "call/3"})
    sent = route.calls.last.request.headers
    assert sent.get_list("x-team") == ["call"]
    assert sent.get_list("user-agent") == ["call/3"]
    assert sent.get_list("authorization") == [f"Bearer {KEY}"]
