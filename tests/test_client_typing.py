"""The client's types are real: mypy --strict checks a typed usage file, and catches misuse."""

from __future__ import annotations

import subprocess
from pathlib import Path

from _mypy import needs_mypy, run_mypy

ROOT = Path(__file__).resolve().parent.parent
USAGE = ROOT / "tests" / "typing_usage_client.py"

MISUSE = """
import httpx
from lockllm import AsyncLockLLM, LockLLM

LockLLM(timeout="5")
LockLLM().with_options(timeout=httpx.Timeout(1)).scan("x", sensitivity="extreme")
LockLLM().with_options(no_such_option=1)
flag: str = LockLLM().with_raw_response.scan("x").parse().safe
async def go() -> None:
    raw = AsyncLockLLM().with_raw_response.scan("x")
    raw.status_code
"""


pytestmark = needs_mypy


def mypy(*files: Path) -> subprocess.CompletedProcess[str]:
    return run_mypy(*files, cache="client")


def test_typed_usage_passes_mypy_strict() -> None:
    done = mypy(USAGE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_misuse_fails_mypy(tmp_path: Path) -> None:
    bad = tmp_path / "misuse_client.py"
    bad.write_text(MISUSE)
    done = mypy(bad)
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert 'Argument "timeout" to "LockLLM" has incompatible type "str"' in out
    assert 'Argument "sensitivity" to "scan" of "LockLLM"' in out
    assert 'Unexpected keyword argument "no_such_option"' in out
    assert 'Incompatible types in assignment (expression has type "bool"' in out
    assert '"Coroutine[Any, Any, RawResponse]" has no attribute "status_code"' in out
