"""Helpers for the production-gateway tests: ``lockllm serve`` in a real child process.

``serve_process(env, *args)`` starts ``python -m lockllm serve`` on a free 127.0.0.1 port
with stdin closed (no terminal), waits for ``/healthz``, yields a ``Served`` handle, and
on exit stops the process (SIGINT, then SIGKILL after a bound) and keeps its stderr.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import httpx
from _timing import generous, scaled

ROOT = Path(__file__).resolve().parent.parent
GATEWAY_KEY = "lockllm-prod-test-key-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {GATEWAY_KEY}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(extra: Dict[str, str]) -> Dict[str, str]:
    """The test process's environment minus LockLLM and proxy variables, plus ``extra``;
    the scan budget is :func:`_timing.generous` unless ``extra`` sets one."""
    drop = ("LOCKLLM_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(drop)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env["PYTHONPATH"] = str(ROOT)
    env["LOCKLLM_SERVER_SCAN_TIMEOUT"] = f"{generous():g}"  # not the subject: never a 503
    env.update(extra)
    return env


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    final_log: Optional[str] = None

    def log(self) -> str:
        if self.final_log is not None:
            return self.final_log
        return self.log_path.read_text("utf-8", "replace")

    def log_lines(self) -> List[str]:
        return [line for line in self.log().splitlines() if line.strip()]


@contextmanager
def serve_process(
    env: Dict[str, str], *args: str, timeout: Optional[float] = None
) -> Iterator[Served]:
    """Run ``lockllm serve`` with ``env`` (on top of a clean environment) and ``args``;
    ``timeout`` for it to come up (default 30 s, scaled to this machine's load)."""
    timeout = scaled(30.0) if timeout is None else timeout
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "stderr.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "lockllm", "serve", "--port", str(port), *args],
                env=clean_env(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=str(ROOT),
            )
        served = Served(f"http://127.0.0.1:{port}", process, log_path)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"lockllm serve exited early:\n{served.log()}")
                try:
                    httpx.get(served.url + "/healthz", timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"lockllm serve did not come up:\n{served.log()}")
                    time.sleep(0.1)
            yield served
        finally:
            stop(process)
            served.final_log = served.log()


def stop(process: subprocess.Popen[bytes], timeout: Optional[float] = None) -> None:
    """Stop a server process gracefully, by force after ``timeout`` (20 s, scaled)."""
    timeout = scaled(20.0) if timeout is None else timeout
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
