"""``import lockllm`` stays light: no provider SDKs, no asyncio, no engine."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = [
    "openai",
    "anthropic",
    "cohere",
    "requests",
    "asyncio",
    "lockllm.engine",
    "lockllm.wrappers",
]


def _modules_after(statement: str) -> list[str]:
    code = (
        "import json, sys\n"
        f"{statement}\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return list(json.loads(done.stdout))


def test_import_lockllm_is_light() -> None:
    assert _modules_after("import lockllm") == []


def test_public_names_do_not_pull_heavy_modules() -> None:
    statement = (
        "import lockllm\n"
        "from lockllm import LockLLM, AsyncLockLLM, ScanResponse, PromptInjectionError\n"
        "LockLLM(api_key='k').close()\n"
        "AsyncLockLLM(api_key='k')"
    )
    assert _modules_after(statement) == []


def test_unknown_attribute() -> None:
    import pytest

    import lockllm

    with pytest.raises(AttributeError):
        lockllm.no_such_name  # noqa: B018
    assert "LockLLM" in dir(lockllm)
    assert lockllm.__version__
