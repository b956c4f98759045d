"""The wrappers' types are real: mypy --strict checks a typed usage file, and catches misuse."""

from __future__ import annotations

import subprocess
from pathlib import Path

from _mypy import needs_mypy, run_mypy

ROOT = Path(__file__).resolve().parent.parent
USAGE = ROOT / "tests" / "typing_usage_wrappers.py"

MISUSE = """
from lockllm import create_anthropic, create_openai

count: int = create_openai().chat.completions.create(
    model="gpt-4", messages=[{"role": "user", "content": "hi"}]
).choices[0].message.content
create_anthropic().no_such_attribute
create_openai(proxy_options=3)
"""


pytestmark = needs_mypy


def mypy(*files: Path) -> subprocess.CompletedProcess[str]:
    return run_mypy(*files, cache="wrappers")


def test_typed_usage_passes_mypy_strict() -> None:
    done = mypy(USAGE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_misuse_fails_mypy(tmp_path: Path) -> None:
    bad = tmp_path / "misuse_wrappers.py"
    bad.write_text(MISUSE)
    done = mypy(bad)
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert 'Incompatible types in assignment (expression has type "str | None"' in out
    assert '"Anthropic" has no attribute "no_such_attribute"' in out
    assert 'Argument "proxy_options" to "create_openai"' in out
