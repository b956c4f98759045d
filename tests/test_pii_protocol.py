"""PII end to end, as PROTOCOL.md defines it: ``X-LockLLM-PII-Action`` through the clients,
the local engine, the CLI and the gateway (``/v1/scan`` and the proxy, against a stub
provider on 127.0.0.1).

``block`` refuses with 403 ``pii_detected`` and forwards nothing; ``strip`` forwards only
the redacted text; ``allow_with_warning`` forwards unchanged with the ``X-LockLLM-PII-*``
headers. No error body, header or log line carries a value.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, Iterator, List

import httpx
import pytest
from _gateway import AUTH, Gateway, chat, running_gateway, send
from _scan_stub import Runner, scan_body
from _slow_engine import MARKER_PHRASE
from _upstream_stub import UpstreamStub, running_stub, stub_upstreams

from lockllm import LockLLM, PIIDetectedError, PIIResult, ScanResponse
from lockllm.cli import main
from lockllm.engine import LocalScanner
from lockllm.errors import ConfigurationError, InvalidRequestError
from lockllm.server import Settings

MARKER = "_slow_engine:marker_scanner"  # a quick engine: the PII step is the subject
EMAIL = "jane.doe@corp-mail.io"
PHONE = "+44 20 7946 0958"
TEXT = f"Please write to {EMAIL} or call {PHONE} about my order."


# -- the clients (respx) -------------------------------------------------------------------


def test_scan_sends_the_pii_action_and_reads_pii_result(runner: Runner, api: Any) -> None:
    pii = {
        "detected": True,
        "entity_types": ["email"],
        "entity_count": 1,
        "redacted_input": "mail [EMAIL_1]",
    }
    route = api.post("/v1/scan").respond(200, json=scan_body(pii_result=pii))
    result = runner.scan("mail someone", pii_action="strip")
    assert route.calls.last.request.headers["X-LockLLM-PII-Action"] == "strip"
    assert result.pii_result == PIIResult(True, ("email",), 1, "mail [EMAIL_1]")


def test_403_pii_detected_raises_pii_detected_error(runner: Runner, api: Any) -> None:
    api.post("/v1/scan").respond(
        403,
        json={
            "error": {
                "message": "PII found",
                "type": "lockllm_pii_error",
                "code": "pii_detected",
                "pii_details": {"entity_types": ["email", "phone_number"], "entity_count": 2},
            }
        },
    )
    error = runner.error("x", pii_action="block")
    assert isinstance(error, PIIDetectedError)
    assert error.status == 403
    assert error.entity_types == ("email", "phone_number")
    assert error.entity_count == 2


def test_a_bad_pii_action_is_refused_before_sending(runner: Runner, api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    error = runner.error("x", pii_action="redact")
    assert isinstance(error, InvalidRequestError)
    assert route.call_count == 0


def test_the_local_fallback_honours_the_pii_action(
    runner: Runner, api: Any, slept: List[float]
) -> None:
    api.post("/v1/scan").mock(side_effect=httpx.ConnectError("refused"))
    options = {"fallback": "local", "max_retries": 0}
    result = runner.scan(TEXT, pii_action="strip", client_kwargs=options)
    assert result.source == "local"
    assert result.pii_result is not None
    assert result.pii_result.redacted_input == (
        "Please write to [EMAIL_1] or call [PHONE_NUMBER_1] about my order."
    )
    error = runner.error(TEXT, pii_action="block", client_kwargs=options)
    assert isinstance(error, PIIDetectedError)
    assert error.entity_types == ("email", "phone_number")


# -- the local engine and the CLI ----------------------------------------------------------


def test_local_scanner_pii_actions() -> None:
    scanner = LocalScanner()
    assert scanner.scan(TEXT).pii_result is None
    warned = scanner.scan(TEXT, pii_action="allow_with_warning").pii_result
    assert warned == PIIResult(True, ("email", "phone_number"), 2, None)
    stripped = scanner.scan(TEXT, pii_action="strip").pii_result
    assert stripped is not None
    assert EMAIL not in (stripped.redacted_input or EMAIL)
    assert "write to" not in repr(stripped)  # prompt text stays out of reprs
    clean = scanner.scan("Nothing personal.", pii_action="strip").pii_result
    assert clean == PIIResult(False)
    with pytest.raises(PIIDetectedError) as info:
        scanner.scan(TEXT, pii_action="block")
    assert EMAIL not in str(info.value)
    assert info.value.code == "pii_detected"
    with pytest.raises(InvalidRequestError):
        scanner.scan(TEXT, pii_action="mask")  # type: ignore[arg-type]


def test_cli_pii_action(capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
    monkeypatch.delenv("LOCKLLM_API_KEY", raising=False)
    assert main(["scan", "--local", "--pii-action", "strip", TEXT]) == 0
    out = capsys.readouterr().out
    assert "personal data: 2 (email, phone_number)" in out
    assert "[EMAIL_1]" in out
    assert EMAIL not in out
    assert main(["scan", "--local", "--pii-action", "block", "--json", TEXT]) == 1
    record = json.loads(capsys.readouterr().out)
    assert record["pii_result"]["entity_types"] == ["email", "phone_number"]
    assert main(["scan", "--local", "--pii-action", "block", "Nothing here."]) == 0


# -- the gateway ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stub() -> Iterator[UpstreamStub]:
    with running_stub() as stub:
        yield stub


@pytest.fixture(scope="module")
def gateway(stub: UpstreamStub) -> Iterator[Gateway]:
    with running_gateway(stub_upstreams(stub), scan_factory=MARKER, scan_workers=1) as gw:
        yield gw


def _scan(gateway: Gateway, text: str, action: str = "") -> httpx.Response:
    headers = dict(AUTH)
    if action:
        headers["X-LockLLM-PII-Action"] = action
    return httpx.post(gateway.url + "/v1/scan", json={"input": text}, headers=headers, timeout=30)


def _no_values(response: httpx.Response) -> None:
    everything = response.text + json.dumps(dict(response.headers))
    assert EMAIL not in everything
    # The phone number as written (a bare "7946" can turn up in a random hex request id).
    assert "7946 0958" not in everything


def test_gateway_scan_answers_pii_result(gateway: Gateway) -> None:
    assert "pii_result" not in _scan(gateway, TEXT).json()  # no action, no default
    stripped = _scan(gateway, TEXT, "strip").json()["pii_result"]
    assert stripped == {
        "detected": True,
        "entity_types": ["email", "phone_number"],
        "entity_count": 2,
        "redacted_input": "Please write to [EMAIL_1] or call [PHONE_NUMBER_1] about my order.",
    }
    warned = _scan(gateway, TEXT, "allow_with_warning")
    assert warned.json()["pii_result"] == {
        "detected": True,
        "entity_types": ["email", "phone_number"],
        "entity_count": 2,
    }
    _no_values(warned)
    clean = _scan(gateway, "Nothing personal.", "block")
    assert clean.status_code == 200
    assert clean.json()["pii_result"]["detected"] is False


def test_gateway_scan_block_is_403_pii_detected_without_values(gateway: Gateway) -> None:
    response = _scan(gateway, TEXT, "block")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "pii_detected"
    assert error["type"] == "lockllm_pii_error"
    assert error["pii_details"] == {"entity_types": ["email", "phone_number"], "entity_count": 2}
    _no_values(response)


def test_a_blocked_injection_is_answered_before_the_pii_action(
    gateway: Gateway, stub: UpstreamStub
) -> None:
    text = f"{MARKER_PHRASE} and mail {EMAIL}"
    headers = {"X-LockLLM-PII-Action": "block", "X-LockLLM-Scan-Action": "block"}
    scanned = httpx.post(
        gateway.url + "/v1/scan", json={"input": text}, headers={**AUTH, **headers}, timeout=30
    )
    proxied, reached = send(gateway, stub, chat(text), headers=headers)
    for response in (scanned, proxied):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "prompt_injection_detected"
    assert not reached


def test_gateway_refuses_an_unknown_pii_action(gateway: Gateway, stub: UpstreamStub) -> None:
    response = _scan(gateway, TEXT, "redact")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_pii_action"
    response, reached = send(gateway, stub, chat(TEXT), headers={"X-LockLLM-PII-Action": "x"})
    assert response.status_code == 400
    assert not reached


def test_the_sdk_against_the_gateway(gateway: Gateway) -> None:
    with LockLLM(api_key=gateway.api_key, base_url=gateway.url, max_retries=0) as client:
        with pytest.raises(PIIDetectedError) as info:
            client.scan(TEXT, pii_action="block")
        assert info.value.entity_count == 2
        result = client.scan(TEXT, pii_action="strip")
    assert isinstance(result, ScanResponse)
    assert result.pii_result is not None
    assert "[EMAIL_1]" in (result.pii_result.redacted_input or "")


def _pii_headers(response: httpx.Response) -> Dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("x-lockllm-pii-")}


def test_proxy_block_forwards_nothing(gateway: Gateway, stub: UpstreamStub) -> None:
    response, reached = send(gateway, stub, chat(TEXT), headers={"X-LockLLM-PII-Action": "block"})
    assert not reached
    assert response.status_code == 403
    assert response.json()["error"]["pii_details"]["entity_count"] == 2
    assert response.headers["x-lockllm-blocked"] == "true"
    _no_values(response)


def test_proxy_strip_forwards_only_redacted_text(gateway: Gateway, stub: UpstreamStub) -> None:
    body = {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": TEXT},
            {"role": "assistant", "content": "Noted."},
            {"role": "user", "content": [{"type": "text", "text": f"Again: {EMAIL.upper()}"}]},
        ],
        "user": "end-user-42",
    }
    response, reached = send(gateway, stub, body, headers={"X-LockLLM-PII-Action": "strip"})
    assert reached
    assert response.status_code == 200
    sent = stub.requests[-1].body.decode()
    assert EMAIL not in sent.lower()
    assert "7946" not in sent
    forwarded = json.loads(sent)
    assert forwarded["model"] == "gpt-4o-mini"
    assert forwarded["messages"][0] == body["messages"][0]
    assert forwarded["messages"][1]["content"] == (
        "Please write to [EMAIL_1] or call [PHONE_NUMBER_1] about my order."
    )
    # The same value, in another message and another case: the same placeholder.
    assert forwarded["messages"][3]["content"][0]["text"] == "Again: [EMAIL_1]"
    assert forwarded["user"] == "end-user-42"
    assert _pii_headers(response) == {
        "x-lockllm-pii-detected": "true",
        "x-lockllm-pii-types": "email,phone_number",
        "x-lockllm-pii-count": "3",
        "x-lockllm-pii-action": "strip",
    }


def test_proxy_strip_anthropic_body(gateway: Gateway, stub: UpstreamStub) -> None:
    body = {
        "model": "claude-x",
        "max_tokens": 10,
        "system": f"The user's e-mail is {EMAIL}.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": TEXT}]}],
    }
    _, reached = send(
        gateway,
        stub,
        body,
        path="/v1/messages",
        provider="anthropic",
        headers={"X-LockLLM-PII-Action": "strip"},
    )
    assert reached
    forwarded = stub.requests[-1].json()
    assert forwarded["system"] == "The user's e-mail is [EMAIL_1]."
    assert forwarded["messages"][0]["content"][0]["text"].startswith("Please write to [EMAIL_1]")


def test_proxy_allow_with_warning_forwards_unchanged(gateway: Gateway, stub: UpstreamStub) -> None:
    raw = json.dumps(chat(TEXT)).encode()
    response, reached = send(
        gateway,
        stub,
        content=raw,
        headers={"X-LockLLM-PII-Action": "allow_with_warning", "Content-Type": "application/json"},
    )
    assert reached
    assert stub.requests[-1].body == raw
    assert _pii_headers(response) == {
        "x-lockllm-pii-detected": "true",
        "x-lockllm-pii-types": "email,phone_number",
        "x-lockllm-pii-count": "2",
        "x-lockllm-pii-action": "allow_with_warning",
    }


def test_proxy_without_pii_forwards_the_same_bytes(gateway: Gateway, stub: UpstreamStub) -> None:
    raw = b'{"model": "m",  "messages": [{"role": "user", "content": "Hello there"}]}'
    for action in ("strip", "block"):
        response, reached = send(
            gateway,
            stub,
            content=raw,
            headers={"X-LockLLM-PII-Action": action, "Content-Type": "application/json"},
        )
        assert reached
        assert stub.requests[-1].body == raw
        assert response.headers["x-lockllm-pii-detected"] == "false"
    response, _ = send(gateway, stub, chat(TEXT))  # no action: not read, no headers
    assert _pii_headers(response) == {}


def test_proxy_strip_refuses_a_multipart_body_it_cannot_redact(
    gateway: Gateway, stub: UpstreamStub
) -> None:
    files = {"file": ("notes.txt", TEXT.encode(), "text/plain")}
    headers = {"X-LockLLM-PII-Action": "strip"}
    response, reached = send(gateway, stub, files=files, path="/files", headers=headers)
    assert not reached
    assert response.status_code == 403
    assert "cannot be stripped" in response.json()["error"]["message"]
    _no_values(response)
    headers = {"X-LockLLM-PII-Action": "allow_with_warning"}
    response, reached = send(gateway, stub, files=files, path="/files", headers=headers)
    assert reached
    assert response.headers["x-lockllm-pii-types"] == "email,phone_number"


def test_no_log_line_carries_a_value(
    gateway: Gateway, stub: UpstreamStub, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        for action in ("strip", "block", "allow_with_warning"):
            send(gateway, stub, chat(TEXT), headers={"X-LockLLM-PII-Action": action})
            _scan(gateway, TEXT, action)
    assert not [r for r in caplog.records if EMAIL in r.getMessage()]


# -- the gateway-wide default ----------------------------------------------------------------


def test_the_gateway_default_applies_and_enforce_block_keeps_it(stub: UpstreamStub) -> None:
    upstreams = stub_upstreams(stub)
    with running_gateway(upstreams, scan_factory=MARKER, scan_workers=1, pii_action="block") as gw:
        response, reached = send(gw, stub, chat(TEXT))
        assert (response.status_code, reached) == (403, False)
        loosened, reached = send(
            gw, stub, chat(TEXT), headers={"X-LockLLM-PII-Action": "allow_with_warning"}
        )
        assert (loosened.status_code, reached) == (200, True)
    with running_gateway(
        upstreams, scan_factory=MARKER, scan_workers=1, pii_action="strip", enforce_block=True
    ) as gw:
        response, _ = send(
            gw, stub, chat(TEXT), headers={"X-LockLLM-PII-Action": "allow_with_warning"}
        )
        assert response.headers["x-lockllm-pii-action"] == "strip"
        assert EMAIL not in stub.requests[-1].body.decode()


def test_pii_action_setting_from_config_and_environment(tmp_path: Any) -> None:
    assert Settings.load(environ={}).pii_action is None
    env = {"LOCKLLM_SERVER_PII_ACTION": "Strip"}
    assert Settings.load(environ=env).pii_action == "strip"
    config = tmp_path / "gateway.json"
    config.write_text(json.dumps({"pii_action": "block"}), encoding="utf-8")
    assert Settings.load(str(config), environ={}).pii_action == "block"
    with pytest.raises(ConfigurationError, match="LOCKLLM_SERVER_PII_ACTION"):
        Settings.load(environ={"LOCKLLM_SERVER_PII_ACTION": "redact"})
    config.write_text(json.dumps({"pii_action": "mask"}), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="pii_action"):
        Settings.load(str(config), environ={})
