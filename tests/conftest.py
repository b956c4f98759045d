"""Shared pytest fixtures (append new ones; several engineers add to this file)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from typing import Iterator

import pytest
from _client_fixtures import *  # noqa: F403  (the scan-client fixtures)

# -- a real redis-server on 127.0.0.1 (GATEWAY-PROD) ------------------------------------------


def _redis_free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """A private ``redis-server`` (no persistence) on a free port; yields its URL.

    Fails (never skips) when ``redis-server`` is missing: CI installs it (``.ci/run``).
    """
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )
    if binary is None:
        pytest.fail(
            "redis-server is not installed: the gateway's Redis tests need it "
            "(apt-get install redis-server; .ci/run installs it)"
        )
    port = _redis_free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        from _timing import scaled

        deadline = time.monotonic() + scaled(10)
        while not _redis_ping(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start on 127.0.0.1:{port}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The shared test Redis, emptied before the test."""
    port = int(redis_server.rsplit(":", 1)[1].split("/")[0])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"*1\r\n$8\r\nFLUSHALL\r\n")
        assert sock.recv(64).startswith(b"+OK")
    return redis_server


from _gateway import make_app  # noqa: E402, F401  (the in-process gateway app fixture)
