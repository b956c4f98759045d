"""The API key is never shown; prompts are never logged."""

from __future__ import annotations

import logging
import pickle
import subprocess
import sys
import textwrap
from typing import Any, List

import httpx
import pytest
from _scan_stub import KEY, Runner

from lockllm import (
    LockLLMError,
)

PROMPT = "my secret prompt: the launch code is 0000"


def _texts(error: LockLLMError) -> List[str]:
    return [
        str(error),
        repr(error),
        error.message,
        str(error.body),
        str(error.args),
        str(vars(error)),
        repr(pickle.loads(pickle.dumps(error))),
    ]


def test_client_and_config_reprs_hide_the_key(runner: Runner) -> None:
    client = runner.make()
    for text in (repr(client), str(client), repr(client.config), str(client.config)):
        assert KEY not in text
        assert KEY[:-4] not in text
    assert "api_key" in repr(client.config)


ECHOES = [
    (401, {"error": {"message": f"Invalid API key: {KEY}", "type": "authentication_error"}}),
    (401, {"error": "unauthorized", "message": f"Key {KEY} is revoked"}),
    (403, {"error": {"message": f"key={KEY}", "code": "pii_detected"}}),
    (400, {"error": {"message": f"Bearer {KEY}", "type": "whatever"}}),
    (500, f"<html>debug: Authorization: Bearer {KEY}</html>"),
    (200, f"<html>Authorization: Bearer {KEY}</html>"),
    (404, {"detail": f"no route for key {KEY}"}),
]


@pytest.mark.parametrize(("status", "payload"), ECHOES)
def test_errors_hide_an_echoed_key(runner: Runner, api: Any, status: int, payload: Any) -> None:
    if isinstance(payload, str):
        api.post("/v1/scan").respond(status, text=payload)
    else:
        api.post("/v1/scan").respond(status, json=payload)
    error = runner.error(PROMPT, client_kwargs={"max_retries": 0})
    assert isinstance(error, LockLLMError)
    for text in _texts(error):
        assert KEY not in text
    assert "***" in str(error.body)


def test_network_errors_hide_the_key(runner: Runner, api: Any) -> None:
    api.post("/v1/scan").mock(side_effect=httpx.ConnectError("refused"))
    error = runner.error(PROMPT, client_kwargs={"max_retries": 1})
    for text in _texts(error):
        assert KEY not in text
        assert PROMPT not in text


def test_logs_hold_neither_key_nor_prompt(
    runner: Runner, api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    route = api.post("/v1/scan")
    route.side_effect = [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.Response(503, text=f"echo {KEY} {PROMPT}"),
        httpx.Response(503, text=f"echo {KEY} {PROMPT}", headers={"Retry-After": "1"}),
    ]
    with caplog.at_level(logging.DEBUG, logger="lockllm"):
        runner.error(PROMPT)
    records = [r for r in caplog.records if r.name.startswith("lockllm")]
    assert len(records) >= 4  # three retries and the failure are logged
    for record in records:
        text = record.getMessage() + repr(record.args) + str(record.__dict__)
        assert KEY not in text
        assert PROMPT not in text
        assert "launch code" not in text


def test_successful_scan_logs_no_prompt(
    runner: Runner, api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    api.post("/v1/scan").respond(200, json={"safe": True})
    with caplog.at_level(logging.DEBUG):
        runner.scan(PROMPT)
    for record in caplog.records:
        if record.name.startswith("lockllm"):
            assert PROMPT not in record.getMessage()
            assert KEY not in record.getMessage()


def test_a_caught_failure_prints_nothing_when_logging_is_unconfigured(tmp_path: Any) -> None:
    # A library must not write to the application's stderr: without a NullHandler on the
    # "lockllm" logger, Python's last-resort handler prints every WARNING record.
    script = textwrap.dedent(
        """
        import httpx, respx
        from lockllm import LockLLM, LockLLMError
        with respx.mock(base_url="https://api.lockllm.test") as api:
            api.post("/v1/scan").respond(404)
            try:
                LockLLM(api_key="k", base_url="https://api.lockllm.test").scan("hi")
            except LockLLMError:
                print("caught")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.strip() == "caught"
    assert done.stderr == ""


def test_a_key_at_the_excerpt_edge_is_masked_whole(runner: Runner, api: Any) -> None:
    api.post("/v1/scan").respond(500, content=(" " * 780 + KEY).encode())
    error = runner.error("x", client_kwargs={"max_retries": 0})
    for part in (KEY[:12], KEY[-12:]):
        assert part not in str(error)
        assert part not in (error.body or "")


def test_credentials_in_the_base_url_are_not_shown(runner: Runner) -> None:
    client = runner.make(base_url="https://user:hunter2@lockllm.test/api")
    assert "hunter2" not in repr(client)
    assert "hunter2" not in repr(client.config)
    assert "lockllm.test/api" in repr(client)
