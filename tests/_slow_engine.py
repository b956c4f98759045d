"""Deliberately slow engines for the gateway's availability tests (run in scan workers).

``slow_scanner()`` is the real engine, except that any text holding ``SLOW-SCAN`` takes
60 seconds, spent in one long regular-expression match (which holds the GIL the whole
time, as a pathological pattern would): the gateway must answer within its scan budget
anyway, and keep serving everything else meanwhile.
"""

from __future__ import annotations

import re
import time
from typing import Any, Mapping, Optional, Sequence

from lockllm.engine import LocalScanner

MARKER = "SLOW-SCAN"
_NESTED = re.compile(r"(a+)+$")  # exponential backtracking on "aaa…b"


def _stall(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        _NESTED.match("a" * 24 + "b")  # ~0.4 s per call, all of it inside re


class _Slow:
    def __init__(self) -> None:
        self.inner = LocalScanner()

    def scan(self, text: str, sensitivity: Optional[str] = None) -> Any:
        if MARKER in text:
            _stall(60)
        return self.inner.scan(text, sensitivity)  # type: ignore[arg-type]

    def scan_messages(
        self, messages: Sequence[Mapping[str, Any]], sensitivity: Optional[str] = None
    ) -> Any:
        if any(MARKER in str(m.get("content", "")) for m in messages):
            _stall(60)
        return self.inner.scan_messages(messages, sensitivity)  # type: ignore[arg-type]


def slow_scanner() -> Any:
    """The factory named ``_slow_engine:slow_scanner`` in the tests."""
    return _Slow()


def broken_scanner() -> Any:
    """A worker whose engine raises on every scan."""

    class _Broken:
        def scan(self, text: str, sensitivity: Optional[str] = None) -> Any:
            raise RuntimeError("broken engine")

        def scan_messages(self, messages: Any, sensitivity: Optional[str] = None) -> Any:
            raise RuntimeError("broken engine")

    return _Broken()
