"""A scan worker process (``python -m lockllm.server._scanworker module:factory``).

Frames on its stdin and stdout are a 4-byte big-endian length and a pickle. It builds the
scanner with ``factory()``, warms it, writes a ``ready`` frame, then answers each
``(method, argument, sensitivity)`` frame (``scan``, ``scan_messages``, ``inspect``
(read and scan a proxied body) or ``scan_request`` (a ``/v1/scan`` body), see
``_inspect``) with ``("ok", result)`` or
``("error", exception type name)`` until its stdin closes. Only the gateway's own
``ScanPool`` talks to it.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import signal
import struct
import sys
from typing import IO, Any, Callable, List, Optional

__all__ = ["answer", "main", "read_frame", "write_frame"]

_LENGTH = struct.Struct(">I")
MEMORY_LIMIT = 2 * 1024**3
"""Heap a worker may use (``RLIMIT_DATA``): a decompression bomb (a PDF stream, say) ends in
a ``MemoryError`` the request sees as unscannable, not in the machine swapping."""


def _limit_memory() -> None:
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        if hard == resource.RLIM_INFINITY or hard > MEMORY_LIMIT:
            resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_LIMIT, hard))
    except (ImportError, OSError, ValueError):  # pragma: no cover - not POSIX
        pass


def read_frame(stream: IO[bytes]) -> Optional[bytes]:
    """One frame's payload, or ``None`` at end of input."""
    head = _read_exactly(stream, _LENGTH.size)
    if head is None:
        return None
    return _read_exactly(stream, _LENGTH.unpack(head)[0])


def _read_exactly(stream: IO[bytes], size: int) -> Optional[bytes]:
    parts: List[bytes] = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            return None
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts)


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    """Write one frame (all of it, whatever the stream's buffering)."""
    view = memoryview(_LENGTH.pack(len(payload)) + payload)
    while view:
        written = stream.write(view)
        view = view[len(view) if written is None else written :]
    stream.flush()


def load_factory(spec: str) -> Callable[[], Any]:
    """``module:name`` → the callable it names."""
    module, _, name = spec.partition(":")
    factory: Callable[[], Any] = getattr(importlib.import_module(module), name)
    return factory


def answer(scanner: Any, method: str, argument: Any, sensitivity: str) -> Any:
    """``("ok", result)`` or ``("error", exception type name)`` for one call: the work of a
    worker, and of the gateway itself for the small bodies it scans in-process."""
    from ._inspect import inspect, scan_request

    try:
        if method == "inspect":
            return ("ok", inspect(scanner, argument, sensitivity))
        if method == "scan_request":
            return ("ok", scan_request(scanner, argument, sensitivity))
        if method == "policy":  # a call under a per-key policy (``_policyscan``)
            from ._policyscan import policy_call

            return ("ok", policy_call(scanner, argument, sensitivity))
        return ("ok", getattr(scanner, method)(argument, sensitivity))
    except Exception as exc:  # reported to the request, not fatal
        return ("error", type(exc).__name__)


def main(argv: List[str]) -> int:  # pragma: no cover - runs in the worker process
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the gateway's to handle
    _limit_memory()
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # a stray print() must not corrupt the frames
    inp = os.fdopen(0, "rb", buffering=0)
    scanner = load_factory(argv[1])()
    scan = getattr(scanner, "scan", None)
    if scan is not None:
        with contextlib.suppress(Exception):  # a broken engine is reported per request
            scan("warm up the rules, the decoders and the model", "medium")
    write_frame(out, b"ready")
    while True:
        data = read_frame(inp)
        if data is None:
            return 0
        method, argument, sensitivity = pickle.loads(data)
        reply = answer(scanner, method, argument, sensitivity)
        write_frame(out, pickle.dumps(reply, pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv))
