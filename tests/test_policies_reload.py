"""Per-key policies reload while the gateway serves: on a file change (in-thread gateway)
and on SIGHUP (``lockllm serve`` in a process of its own), with 50 requests in flight
through a reload and a refused bad file, none of them lost."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

import httpx
from _gateway import GATEWAY_KEY, running_gateway, serve_app
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lockllm.server._policies import key_digest

APP_KEY = "lockllm-test-reload-key-0123456789ab"
SAFE = "What is the capital of France?"
IN_FLIGHT = 50
CHAT = "/v1/proxy/openai/chat/completions"


def _policies(word: str, sensitivity: str = "medium") -> Dict[str, Any]:
    return {
        "default": {"sensitivity": sensitivity},
        "policies": [
            {
                "name": "app",
                "keys": [key_digest(APP_KEY)],
                "rules": [{"id": f"no-{word}", "pattern": rf"\b{word}\b", "words": [word]}],
            }
        ],
    }


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _scan(url: str, key: str, text: str) -> int:
    response = httpx.post(
        f"{url}/v1/scan",
        json={"input": text},
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )
    return response.status_code


def test_a_changed_file_is_picked_up_and_a_bad_one_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "policies.json"
    path.write_text(json.dumps(_policies("pineapple")))
    with running_gateway(
        api_keys=(GATEWAY_KEY, APP_KEY), policies=str(path), scan_workers=1
    ) as gateway:
        assert _scan(gateway.url, APP_KEY, "a pineapple pizza") == 403
        assert _scan(gateway.url, APP_KEY, "a mango pizza") == 200
        path.write_text('{"policies": [')  # half written: refused, the running set stays
        _wait(lambda: "refused the new policies file" in caplog.text, 30, "the refusal log line")
        assert _scan(gateway.url, APP_KEY, "a pineapple pizza") == 403
        path.write_text(json.dumps(_policies("mango")))
        _wait(lambda: _scan(gateway.url, APP_KEY, "a mango pizza") == 403, 30, "the reload")
        assert _scan(gateway.url, APP_KEY, "a pineapple pizza") == 200


class _SlowUpstream:
    """An OpenAI-style provider that holds every answer until ``gate`` is set."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.arrived = 0
        self.url = ""

    def app(self) -> Starlette:
        async def chat(request: Request) -> JSONResponse:
            await request.body()
            self.arrived += 1
            while not self.gate.is_set():
                await asyncio.sleep(0.01)
            return JSONResponse(
                {"id": "c1", "object": "chat.completion", "choices": [{"index": 0}]}
            )

        return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


@pytest.fixture
def upstream() -> Iterator[_SlowUpstream]:
    stub = _SlowUpstream()
    with serve_app(stub.app()) as url:
        stub.url = url
        yield stub
        stub.gate.set()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _lines(log: Path) -> List[str]:
    return log.read_text(errors="replace").splitlines()


def test_sighup_reload_with_50_requests_in_flight_loses_none(
    tmp_path: Path, upstream: _SlowUpstream
) -> None:
    policies = tmp_path / "policies.json"
    policies.write_text(json.dumps(_policies("pineapple")))
    port = _free_port()
    config = {
        "api_keys": [GATEWAY_KEY, APP_KEY],
        "port": port,
        "scan_workers": 1,
        "policies": str(policies),
        "upstreams": {"openai": {"url": upstream.url + "/v1", "key": "sk-upstream-reload"}},
    }
    (tmp_path / "gateway.json").write_text(json.dumps(config))
    log = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKLLM_")}
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "lockllm", "serve", "--config", str(tmp_path / "gateway.json")],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"
    try:

        def healthy() -> bool:
            assert server.poll() is None, "\n".join(_lines(log))
            try:
                return httpx.get(f"{base}/healthz", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        _wait(healthy, 120, "the gateway to start")
        assert _scan(base, APP_KEY, "a pineapple pizza") == 403

        def loaded() -> int:
            return sum("policies: loaded" in line for line in _lines(log))

        async def flight() -> List[int]:
            limits = httpx.Limits(max_connections=IN_FLIGHT + 10)
            async with httpx.AsyncClient(timeout=300, limits=limits) as client:
                body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": SAFE}]}
                calls = [
                    asyncio.ensure_future(
                        client.post(
                            base + CHAT, json=body, headers={"Authorization": f"Bearer {APP_KEY}"}
                        )
                    )
                    for _ in range(IN_FLIGHT)
                ]
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(
                    None,
                    _wait,
                    lambda: upstream.arrived >= IN_FLIGHT // 2,
                    120,
                    "half the requests to reach the provider",
                )
                # Reload while half wait on the provider and the rest are being read and
                # scanned: first a bad file (refused), then a good one.
                policies.write_text('{"default": {"sensitivity": "extreme"}}')
                server.send_signal(signal.SIGHUP)
                await loop.run_in_executor(
                    None,
                    _wait,
                    lambda: any("refused the new policies file" in x for x in _lines(log)),
                    60,
                    "the bad file's refusal",
                )
                before = loaded()
                policies.write_text(json.dumps(_policies("mango", "high")))
                server.send_signal(signal.SIGHUP)
                await loop.run_in_executor(None, _wait, lambda: loaded() > before, 60, "the reload")
                upstream.gate.set()
                responses = await asyncio.gather(*calls)
            return [r.status_code for r in responses]

        codes = asyncio.run(flight())
        assert codes == [200] * IN_FLIGHT
        assert upstream.arrived == IN_FLIGHT
        assert server.poll() is None  # SIGHUP reloads; it does not end the server
        assert _scan(base, APP_KEY, "a mango pizza") == 403  # the new policy is in force
        assert _scan(base, APP_KEY, "a pineapple pizza") == 200
        # SIGHUP alone (the file unchanged) reloads too.
        before = loaded()
        server.send_signal(signal.SIGHUP)
        _wait(lambda: loaded() > before, 60, "the SIGHUP reload")
        text = log.read_text(errors="replace")
        assert APP_KEY not in text
        assert GATEWAY_KEY not in text
        assert "policy=app" in text
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
