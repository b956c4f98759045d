"""Run ``mypy --strict`` on a typed usage file, for the tests that check a public API's types."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Skip marker for the typing tests: mypy is in the dev extra, not in every test venv.
needs_mypy = pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="no mypy")


def run_mypy(*files: Path, cache: str) -> subprocess.CompletedProcess[str]:
    """``mypy --strict`` on ``files``, with a cache of its own under the temp directory.

    Errors in the modules the files import are silenced (those modules have their own
    checks); their types are still used, which is what the typing tests check.
    """
    command: List[str] = [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent"]
    command += ["--cache-dir", str(Path(tempfile.gettempdir()) / f"lockllm-{cache}-mypy-cache")]
    command += [str(f) for f in files]
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, env=dict(os.environ)
    )
