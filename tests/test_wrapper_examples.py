"""The original README's wrapper examples (examples/wrapper_*.py, shown on docs/sdk/wrappers.md)
run as written against a local proxy.

Each example runs in a fresh interpreter with only LOCKLLM_API_KEY and LOCKLLM_BASE_URL
set for it, against tests/_proxy_stub.py on 127.0.0.1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator

import _proxy_stub
import pytest
from _proxy_stub import REPLY, ProxyStub

import lockllm

ROOT = Path(__file__).resolve().parent.parent
KEY = "llm_example_key_0123456789"

pytestmark = pytest.mark.skipif(
    not hasattr(lockllm, "create_openai"),
    reason="lockllm/__init__.py does not export the wrapper factories yet",
)


@pytest.fixture(scope="module")
def stub() -> Iterator[ProxyStub]:
    yield from _proxy_stub.running()


def run_example(name: str, stub: ProxyStub) -> str:
    env: Dict[str, str] = {
        k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ANTHROPIC_"))
    }
    env.update(LOCKLLM_API_KEY=KEY, LOCKLLM_BASE_URL=stub.url)
    del stub.requests[:]
    done = subprocess.run(
        [sys.executable, f"examples/{name}.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_openai_example(stub: ProxyStub) -> None:
    out = run_example("wrapper_openai", stub)
    assert out.splitlines() == [
        REPLY,
        "Attack blocked by LockLLM",
        "Threat type: prompt_injection_detected",
    ]
    assert [r.path for r in stub.requests] == ["/v1/proxy/openai/chat/completions"] * 2
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in stub.requests)


def test_anthropic_example(stub: ProxyStub) -> None:
    out = run_example("wrapper_anthropic", stub)
    assert f"text='{REPLY}'" in out
    (request,) = stub.requests
    assert request.path == "/v1/proxy/anthropic/v1/messages"
    assert request.headers["x-api-key"] == KEY
    assert request.body["messages"][0]["content"] == "Write a haiku about security."


def test_async_example(stub: ProxyStub) -> None:
    assert run_example("wrapper_async", stub) == REPLY + "\n"
    assert stub.requests[0].path == "/v1/proxy/openai/chat/completions"


def test_streaming_example(stub: ProxyStub) -> None:
    assert run_example("wrapper_streaming", stub) == "1 2 3 4 5"
    assert stub.requests[0].body["stream"] is True


def test_multi_provider_example(stub: ProxyStub) -> None:
    lines = run_example("wrapper_multi_provider", stub).splitlines()
    assert lines[0] == REPLY
    assert lines[1:] == [
        f"{stub.url}/v1/proxy/{name}/" for name in ("groq", "deepseek", "mistral", "perplexity")
    ]
    assert [r.path for r in stub.requests] == ["/v1/proxy/groq/chat/completions"]


def test_error_handling_example(stub: ProxyStub) -> None:
    lines = run_example("wrapper_error_handling", stub).splitlines()
    assert lines[:3] == [
        "Malicious input blocked",
        "Injection confidence: 98.5%",
        "Request ID: req_stub_blocked",
    ]
    assert lines[3].startswith("logged: {'type': 'prompt_injection', 'confidence': 98.5")
