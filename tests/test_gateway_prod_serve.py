"""``lockllm serve`` as a production process: settings from the environment, workers, JSON
logs, the no-terminal key policy, ``--help``, and no second delivery of a request body."""

from __future__ import annotations

import argparse
import io
import json
import logging
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, List, Tuple

import httpx
import pytest
from _gateway import running_gateway
from _gateway_prod import AUTH, GATEWAY_KEY, clean_env, serve_process
from _timing import scaled

from lockllm.errors import ConfigurationError
from lockllm.server import Settings, _cli
from lockllm.server._logs import JsonFormatter, TextFormatter, uvicorn_log_config
from lockllm.server._settings import ENVIRONMENT

SAFE_CHAT = {"model": "gpt-test", "messages": [{"role": "user", "content": "Hello there"}]}


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    _cli.add_serve_arguments(parser)
    return parser.parse_args(list(argv))


# -- settings --------------------------------------------------------------------------------


def test_host_port_workers_and_log_format_from_the_environment() -> None:
    env = {
        "LOCKLLM_SERVER_HOST": "::1",
        "LOCKLLM_SERVER_PORT": "9321",
        "LOCKLLM_SERVER_WORKERS": "3",
        "LOCKLLM_SERVER_LOG_FORMAT": "JSON",
    }
    settings = Settings.load(environ=env)
    assert (settings.host, settings.port, settings.workers, settings.log_format) == (
        "::1",
        9321,
        3,
        "json",
    )
    # Flags win over the environment.
    flagged = Settings.load(environ=env, host="127.0.0.1", port=1, workers=1, log_format="text")
    assert (flagged.host, flagged.port, flagged.workers, flagged.log_format) == (
        "127.0.0.1",
        1,
        1,
        "text",
    )
    assert "workers=3" in repr(settings)


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"LOCKLLM_SERVER_WORKERS": "0"}, "workers must be positive"),
        ({"LOCKLLM_SERVER_WORKERS": "65"}, "workers must be 1..64"),
        ({"LOCKLLM_SERVER_WORKERS": "two"}, "must be a number"),
        ({"LOCKLLM_SERVER_PORT": "70000"}, "port must be 0..65535"),
        ({"LOCKLLM_SERVER_LOG_FORMAT": "xml"}, "log_format must be text or json"),
    ],
)
def test_bad_process_settings_are_refused(env: dict, words: str) -> None:
    with pytest.raises(ConfigurationError, match=words):
        Settings.load(environ=env)


def test_config_file_takes_workers_and_log_format(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "gw.json"
    path.write_text(json.dumps({"workers": 2, "log_format": "json"}))
    settings = Settings.load(config_file=str(path), environ={})
    assert (settings.workers, settings.log_format) == (2, "json")


def test_serve_help_lists_every_environment_variable() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "lockllm", "serve", "--help"],
        capture_output=True,
        text=True,
        env=clean_env({}),
        timeout=60,
        check=True,
    ).stdout
    for name, _ in ENVIRONMENT:
        assert name in out
    for flag in ("--workers", "--log-format", "--host", "--port"):
        assert flag in out


# -- keys without a terminal -------------------------------------------------------------------


def test_no_keys_and_no_terminal_refuses_in_one_line_without_a_key() -> None:
    with pytest.raises(_cli.NoTerminalError, match="no terminal"):
        _cli.build_settings(_args(), stderr=io.StringIO(), generate_key=False)
    done = subprocess.run(
        [sys.executable, "-m", "lockllm", "serve", "--port", "0"],
        capture_output=True,
        text=True,
        env=clean_env({}),
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "LOCKLLM_SERVER_API_KEYS" in lines[0]
    assert "lockllm-local-" not in done.stderr + done.stdout


def test_no_auth_needs_no_terminal() -> None:
    settings = _cli.build_settings(_args("--no-auth"), stderr=io.StringIO(), generate_key=False)
    assert settings.api_keys == ()


# -- log formats -------------------------------------------------------------------------------


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("lockllm.server", logging.INFO, __file__, 1, "%s", (message,), None)


def test_formatters_escape_control_characters() -> None:
    evil = "GET /x\n2026-01-01 INFO forged\x1b[2J\u0085"
    line = JsonFormatter().format(_record(evil))
    assert "\n" not in line
    assert "\x1b" not in line
    assert "\u0085" not in line
    entry = json.loads(line)
    assert entry["message"] == evil
    assert entry["level"] == "info"
    assert isinstance(entry["pid"], int)
    text = TextFormatter().format(_record(evil))
    assert "\n" not in text
    assert "\x1b" not in text
    assert "\\x0a2026" in text
    assert "\\x1b[2J" in text
    try:
        raise ValueError("prompt text here")
    except ValueError:
        record = _record("failed")
        record.exc_info = sys.exc_info()
    failed = json.loads(JsonFormatter().format(record))
    assert failed["exception"] == "ValueError"
    assert "prompt text here" not in json.dumps(failed)
    config = uvicorn_log_config("info", "json")
    assert config["formatters"]["lockllm"]["()"].endswith("JsonFormatter")


def test_json_log_process_writes_one_object_a_line() -> None:
    env = {"LOCKLLM_SERVER_API_KEYS": GATEWAY_KEY}
    with serve_process(env, "--log-format", "json") as served:
        httpx.get(served.url + "/x%0aforged%1b[2J?secret=q", headers=AUTH)
        httpx.post(served.url + "/v1/scan", json={"input": "my private prompt"}, headers=AUTH)
        deadline = time.monotonic() + scaled(10)  # until the access line has landed
        while '"/v1/scan"' not in served.log() and time.monotonic() < deadline:
            time.sleep(0.05)
    lines = served.log_lines()
    assert len(lines) >= 3
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    messages = [e["message"] for e in entries]
    assert any("/v1/scan 200" in m for m in messages)
    access = [e for e in entries if e.get("path") == "/v1/scan"]
    assert len(access) == 1  # the access line's values are fields of their own too
    assert (access[0]["method"], access[0]["status"], access[0]["verdict"]) == (
        "POST",
        200,
        "safe",
    )
    assert access[0]["request_id"].startswith("req_")
    assert isinstance(access[0]["duration_ms"], float)
    assert any("listening on http://127.0.0.1" in m for m in messages)
    raw = served.log()
    for secret in ("\x1b", "my private prompt", GATEWAY_KEY, "secret=q"):
        assert secret not in raw


# -- workers -----------------------------------------------------------------------------------


def test_two_workers_serve_and_both_write_the_access_log() -> None:
    env = {"LOCKLLM_SERVER_API_KEYS": GATEWAY_KEY, "LOCKLLM_SERVER_WORKERS": "2"}
    pids: set = set()

    def one(_: int) -> int:
        # A new connection each time, so the kernel hands them to either worker.
        return httpx.post(
            served.url + "/v1/scan",
            json={"input": "What is the capital of France?"},
            headers={**AUTH, "Connection": "close"},
        ).status_code

    with serve_process(env, "--log-format", "json", timeout=scaled(60)) as served:
        deadline = time.monotonic() + scaled(30)
        with ThreadPoolExecutor(8) as pool:  # several at once: both workers must accept
            while len(pids) < 2 and time.monotonic() < deadline:
                assert set(pool.map(one, range(16))) == {200}
                time.sleep(0.2)  # let the log lines land
                pids = _access_pids(served.log_lines())
    assert len(pids) == 2, served.log()
    assert "with 2 workers" in served.log()


def _access_pids(lines: List[str]) -> set:
    found = set()
    for line in lines:
        entry = json.loads(line)
        if "POST /v1/scan 200" in entry["message"]:
            found.add(entry["pid"])
    return found


# -- no second delivery ------------------------------------------------------------------------


class _DroppingUpstream:
    """A raw HTTP/1.1 provider: answers the first request on a connection (keep-alive),
    then reads the second one completely and closes without answering."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.bodies: List[Tuple[int, bytes]] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        buffer = b""
        served = 0
        with conn:
            conn.settimeout(10)
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                body, buffer = buffer[:length], buffer[length:]
                self.bodies.append((served, body))
                served += 1
                if served > 1:
                    return  # the body was received; the answer never comes
                reply = b'{"id":"ok","choices":[]}'
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"content-length: %d\r\n\r\n%b" % (len(reply), reply)
                )

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def dropping_upstream() -> Iterator[_DroppingUpstream]:
    upstream = _DroppingUpstream()
    yield upstream
    upstream.close()


def test_a_body_received_on_a_reused_connection_is_not_sent_again(
    dropping_upstream: _DroppingUpstream,
) -> None:
    upstreams = {"openai": (dropping_upstream.url + "/v1", "sk-upstream")}
    with running_gateway(upstreams) as gateway, httpx.Client(timeout=20) as client:
        url = gateway.proxy_url("openai") + "/chat/completions"
        headers = {"Authorization": f"Bearer {gateway.api_key}"}
        first = client.post(url, json=SAFE_CHAT, headers=headers)
        assert first.status_code == 200
        second_body = {**SAFE_CHAT, "messages": [{"role": "user", "content": "Second call"}]}
        second = client.post(url, json=second_body, headers=headers)
        assert second.status_code == 502
        assert second.json()["error"]["code"] == "provider_error"
        time.sleep(scaled(0.2))  # a resend, if any, would have arrived by now
        deliveries = [b for _, b in dropping_upstream.bodies if b"Second call" in b]
        assert len(deliveries) == 1
        # The next call opens a fresh connection and works.
        third = client.post(url, json=SAFE_CHAT, headers=headers)
        assert third.status_code == 200


def test_run_serve_with_workers_hands_settings_and_a_metrics_dir_to_the_workers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    import uvicorn

    from lockllm.server._metrics import MULTIPROC_ENV

    monkeypatch.setenv("LOCKLLM_SERVER_API_KEYS", GATEWAY_KEY)
    monkeypatch.setenv(_cli.WORKER_ENV, "{}")  # restored after the test
    monkeypatch.setenv(MULTIPROC_ENV, "")
    seen: dict = {}

    def fake_run(app: object, **options: object) -> None:
        directory = os.environ[MULTIPROC_ENV]
        seen.update(options, app=app, dir=directory, existed=os.path.isdir(directory))
        seen["worker"] = _cli.worker_app()  # what each worker process builds

    monkeypatch.setattr(uvicorn, "run", fake_run)
    args = ("--workers", "2", "--port", "9124", "--log-format", "json")
    assert _cli.run_serve(_args(*args)) == 0
    assert seen["app"] == "lockllm.server._cli:worker_app"
    assert (seen["factory"], seen["workers"], seen["port"]) == (True, 2, 9124)
    assert seen["existed"] is True
    assert not os.path.exists(seen["dir"])  # removed when the workers stopped
    assert os.environ.get(MULTIPROC_ENV) == ""
    handed = json.loads(os.environ[_cli.WORKER_ENV])
    assert (handed["port"], handed["log_format"]) == (9124, "json")
    worker = seen["worker"].state.gateway
    assert (worker.settings.port, worker.settings.workers) == (9124, 1)
    assert worker.settings.api_keys == (GATEWAY_KEY,)
    # The two workers share the CPUs out between their scan pools.
    from lockllm.server._scanpool import default_workers

    assert handed["scan_workers"] == max(1, default_workers() // 2)
    assert worker.settings.scan_workers == handed["scan_workers"]
    announced = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert "with 2 workers" in announced["message"]
    assert seen["log_config"]["formatters"]["lockllm"]["()"].endswith("JsonFormatter")
