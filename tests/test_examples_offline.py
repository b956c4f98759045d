"""The examples that need no account run as written: the local engine alone, and a
``lockllm serve`` that the example starts, uses and stops by itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def offline_env() -> Dict[str, str]:
    """The environment without any LockLLM or provider setting: nothing to fall back on."""
    prefixes = ("LOCKLLM_", "OPENAI_", "ANTHROPIC_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
    return {k: v for k, v in os.environ.items() if not k.upper().startswith(prefixes)}


def run(name: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        cwd=ROOT,
        env=offline_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    return done.stdout


def test_local_engine_example() -> None:
    lines = run("local_engine.py").splitlines()
    verdicts = [line.split()[0] for line in lines if line.startswith(("SAFE", "UNSAFE"))]
    assert verdicts == ["SAFE", "UNSAFE", "SAFE", "UNSAFE"]
    # the spans quote the text that drove the verdict, the base64 one included
    assert any("'Ignore all previous instructions'" in line for line in lines)
    assert any(".base64" in line for line in lines)
    assert "retrieved page: safe=False" in lines
    assert "conversation: safe=True" in lines
    assert "conversation with a planted tool result: safe=False" in lines
    levels = [line.split(":")[0] for line in lines[-3:]]
    assert levels == ["low", "medium", "high"]


def test_local_gateway_example() -> None:
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    lines = run("local_gateway.py").splitlines()
    assert lines[0].startswith("lockllm serve is up on http://127.0.0.1:")
    assert lines[1].startswith("scan: safe=True ")
    assert lines[2].startswith("scan: safe=False ")
    assert lines[3] == "proxy: forwarded, the provider said 'Paris.'"
    assert lines[4] == "proxy: refused with 400 prompt_injection_detected"
    assert lines[5] == "lockllm serve stopped"
    assert len(lines) == 6
