"""The sans-I/O core, driven directly: no server, no httpx client, no event loop.

``ScanCall`` is a state machine (ready → sent → receiving → done, or → waiting → sent …);
its outcomes are exactly one of ``Done``, ``Failed`` or ``Retry``; the one ``BodyReader``
both clients feed enforces the size cap and the attempt deadline.
"""

from __future__ import annotations

import ast
import pathlib
from typing import Any, Dict, List

import pytest

from lockllm import (
    APIError,
    APITimeoutError,
    AuthenticationError,
    InvalidRequestError,
    InvalidResponseError,
    LockLLMError,
    NetworkError,
    PromptInjectionError,
    ResponseTooLargeError,
)
from lockllm import errors as lockllm_errors
from lockllm._config import ClientConfig
from lockllm._protocol import (
    MAX_RETRY_AFTER,
    RETRYABLE_STATUSES,
    Done,
    Failed,
    ProtocolStateError,
    Retry,
    ScanCall,
)
from lockllm._vocabulary import ERRORS
from lockllm.types import ScanResponse

KEY = "sk-core-0123456789abcdefSECRET"
OK = b'{"safe": true, "label": 0, "confidence": 90, "injection": 1, "request_id": "srv"}'


class Headers(Dict[str, str]):
    """A case-insensitive mapping, as the protocol expects (httpx's is one)."""

    def __init__(self, **items: str) -> None:
        super().__init__({k.lower().replace("_", "-"): v for k, v in items.items()})

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)


class Clock:
    """A hand-driven ``time.monotonic``."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make_call(
    max_retries: int = 3,
    budget: Any = None,
    clock: Any = None,
    limit: int = 4 * 1024 * 1024,
) -> ScanCall:
    config = ClientConfig(api_key=KEY, max_retries=max_retries, max_response_bytes=limit)
    if clock is None:
        return ScanCall(config, "hello", "low", {}, None, budget)
    return ScanCall(config, "hello", "low", {}, None, budget, clock=clock)


# -- the core imports no I/O library ----------------------------------------------------


def test_the_protocol_module_imports_no_httpx() -> None:
    import lockllm._protocol as protocol

    tree = ast.parse(pathlib.Path(protocol.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"httpx", "httpx2", "asyncio", "anyio", "trio", "socket"}


# -- outcomes: a tagged union that cannot be built empty or wrong ------------------------


def test_outcomes_cannot_be_built_empty() -> None:
    for kind in (Done, Failed, Retry):
        with pytest.raises(TypeError):
            kind()  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (Done, None),
        (Done, {"safe": True}),
        (Failed, None),
        (Failed, ValueError("x")),
        (Retry, None),
        (Retry, -1.0),
        (Retry, float("nan")),
        (Retry, True),
    ],
)
def test_outcomes_refuse_the_wrong_payload(kind: Any, value: Any) -> None:
    with pytest.raises(TypeError):
        kind(value)


def test_outcomes_hold_one_thing_each() -> None:
    retry = Retry(2)
    assert retry.delay == 2.0
    assert repr(retry) == "Retry(delay=2.0)"
    failed = Failed(APIError("x"))
    assert isinstance(failed.error, APIError)
    assert not hasattr(failed, "result")
    assert not hasattr(retry, "error")


# -- the state machine: misuse raises ---------------------------------------------------


def test_a_response_before_sent_raises() -> None:
    call = make_call(max_retries=0)
    with pytest.raises(ProtocolStateError):
        call.on_response(503, Headers(), b"")


def test_forgetting_sent_cannot_retry_past_max_retries() -> None:
    call = make_call(max_retries=0)
    call.sent()
    outcome = call.on_response(503, Headers(), b"")
    assert isinstance(outcome, Failed)
    with pytest.raises(ProtocolStateError):  # the call is over: no second answer
        call.on_response(503, Headers(), b"")
    with pytest.raises(ProtocolStateError):
        call.sent()


def test_sent_twice_without_an_answer_raises() -> None:
    call = make_call()
    call.sent()
    with pytest.raises(ProtocolStateError):
        call.sent()


def test_a_transport_error_before_sent_raises() -> None:
    call = make_call()
    with pytest.raises(ProtocolStateError):
        call.on_transport_error(OSError("x"), kind="connection")


def test_a_retry_must_be_sent_again_before_the_next_answer() -> None:
    call = make_call(max_retries=2)
    call.sent()
    assert isinstance(call.on_response(503, Headers(), b""), Retry)
    with pytest.raises(ProtocolStateError):
        call.on_response(200, Headers(), OK)
    call.sent()
    outcome = call.on_response(200, Headers(), OK)
    assert isinstance(outcome, Done)
    assert call.finished


def test_finish_twice_raises() -> None:
    call = make_call()
    call.sent()
    reader = call.receive(200, Headers())
    reader.feed(OK)
    assert isinstance(reader.finish(), Done)
    with pytest.raises(ProtocolStateError):
        reader.finish()


def test_local_result_only_after_the_call_failed() -> None:
    local = ScanResponse(
        safe=True, label=0, confidence=90.0, injection=1.0, sensitivity="low", request_id="l"
    )
    call = make_call(max_retries=0)
    with pytest.raises(ProtocolStateError):
        call.local_result(local)
    call.sent()
    call.on_transport_error(OSError("refused"), kind="connection")
    assert call.local_result(local).request_id == call.request_id


# -- decisions --------------------------------------------------------------------------


def test_attempts_are_counted_and_the_last_503_fails() -> None:
    call = make_call(max_retries=1)
    assert call.attempts == 0
    call.sent()
    outcome = call.on_response(503, Headers(retry_after="1"), b"")
    assert isinstance(outcome, Retry)
    assert outcome.delay == 1.0
    call.sent()
    assert call.attempts == 2
    outcome = call.on_response(503, Headers(), b"")
    assert isinstance(outcome, Failed)
    assert isinstance(outcome.error, APIError)
    assert outcome.error.status == 503


def test_success_prefers_the_body_request_id_then_the_header_then_ours() -> None:
    for content, headers, expected in [
        (b'{"safe": true}', Headers(x_request_id="hdr"), "hdr"),
        (b'{"safe": true, "request_id": "body"}', Headers(x_request_id="hdr"), "body"),
        (b'{"safe": false}', Headers(), None),
    ]:
        call = make_call()
        call.sent()
        outcome = call.on_response(200, headers, content)
        assert isinstance(outcome, Done)
        assert outcome.result.request_id == (expected or call.request_id)
        assert outcome.result.sensitivity == "low"  # the level asked for, when not echoed


def test_2xx_other_than_200() -> None:
    call = make_call()
    call.sent()
    assert isinstance(call.on_response(201, Headers(), b'{"safe": true}'), Done)
    call = make_call()
    call.sent()
    outcome = call.on_response(204, Headers(), b"")
    assert isinstance(outcome, Failed)
    assert isinstance(outcome.error, InvalidResponseError)
    assert outcome.error.status == 204


def test_an_error_body_is_classified_without_a_server() -> None:
    call = make_call(max_retries=5)
    call.sent()
    body = (
        b'{"error": {"message": "blocked", "type": "lockllm_security_error",'
        b' "code": "prompt_injection_detected", "scan_result": {"safe": false, "label": 1}}}'
    )
    outcome = call.on_response(400, Headers(), body)
    assert isinstance(outcome, Failed)
    assert isinstance(outcome.error, PromptInjectionError)
    assert outcome.error.scan_result.label == 1
    assert call.attempts == 1  # a 400 is never retried


def test_401_is_final() -> None:
    call = make_call(max_retries=5)
    call.sent()
    outcome = call.on_response(401, Headers(), b'{"error": {"code": "unauthorized"}}')
    assert isinstance(outcome, Failed)
    assert isinstance(outcome.error, AuthenticationError)


@pytest.mark.parametrize(
    ("kind", "cls"), [("timeout", APITimeoutError), ("connection", NetworkError)]
)
def test_transport_failures_retry_then_fail(kind: Any, cls: type) -> None:
    call = make_call(max_retries=1)
    call.sent()
    assert isinstance(call.on_transport_error(OSError("boom"), kind=kind), Retry)
    call.sent()
    outcome = call.on_transport_error(OSError("boom"), kind=kind)
    assert isinstance(outcome, Failed)
    assert type(outcome.error) is cls
    assert outcome.error.status == 0
    assert call.wants_fallback(outcome.error)


def test_an_unsendable_request_is_never_retried_and_masks_the_key() -> None:
    call = make_call(max_retries=3)
    call.sent()
    outcome = call.on_transport_error(ValueError(f"bad header {KEY}"), kind="unsendable")
    assert isinstance(outcome, Failed)
    assert isinstance(outcome.error, InvalidRequestError)
    assert KEY not in str(outcome.error)
    assert "***" in str(outcome.error)


def test_wants_fallback() -> None:
    call = make_call()
    assert call.wants_fallback(NetworkError("x"))
    assert call.wants_fallback(APITimeoutError("x"))
    assert call.wants_fallback(APIError("x", status=503))
    assert not call.wants_fallback(APIError("x", status=404))
    assert not call.wants_fallback(AuthenticationError("x", status=401))
    assert not call.wants_fallback(LockLLMError("x"))
    assert not call.wants_fallback(ResponseTooLargeError("x", status=200))


# -- the body reader: size cap and deadline ---------------------------------------------


def test_the_body_is_collected_from_chunks() -> None:
    call = make_call()
    call.sent()
    reader = call.receive(200, Headers())
    for piece in (OK[:10], OK[10:20], OK[20:]):
        assert reader.feed(piece)
    assert reader.content == OK
    outcome = reader.finish()
    assert isinstance(outcome, Done)
    assert outcome.result.request_id == "srv"


def test_a_body_past_the_cap_stops_reading_and_is_a_typed_error() -> None:
    call = make_call(limit=100, max_retries=3)
    call.sent()
    reader = call.receive(200, Headers())
    fed = 0
    while reader.feed(b"x" * 30):
        fed += 1
    assert fed == 3  # 90 bytes taken, the chunk that would pass 100 refused
    assert not reader.wants_more
    assert not reader.feed(b"x")  # stays stopped
    outcome = reader.finish()
    assert isinstance(outcome, Failed)
    assert isinstance(outcome.error, ResponseTooLargeError)
    assert isinstance(outcome.error, InvalidResponseError)
    assert "100 bytes" in str(outcome.error)
    assert call.attempts == 1  # not retried


def test_a_declared_length_past_the_cap_is_refused_before_reading() -> None:
    call = make_call(limit=1000)
    call.sent()
    reader = call.receive(200, Headers(content_length="5000000"))
    assert not reader.wants_more
    assert isinstance(reader.finish(), Failed)


def test_the_cap_applies_to_error_bodies_too() -> None:
    call = make_call(limit=10, max_retries=0)
    call.sent()
    outcome = call.on_response(500, Headers(), b"<html>" + b"x" * 100)
    assert isinstance(outcome, Failed)
    assert isinstance(outcome.error, ResponseTooLargeError)
    assert outcome.error.status == 500


def test_a_body_exactly_at_the_cap_is_read() -> None:
    call = make_call(limit=len(OK))
    call.sent()
    assert isinstance(call.on_response(200, Headers(), OK), Done)


def test_a_trickle_past_the_deadline_times_out_and_retries() -> None:
    clock = Clock()
    call = make_call(budget=5.0, clock=clock, max_retries=1)
    call.sent()
    reader = call.receive(200, Headers())
    assert reader.feed(OK[:5])
    clock.now += 4.0
    assert reader.feed(OK[5:10])
    clock.now += 2.0  # 6 s after the attempt started
    assert not reader.feed(OK[10:])
    assert isinstance(reader.finish(), Retry)
    call.sent()  # the deadline restarts with the attempt
    reader = call.receive(200, Headers())
    clock.now += 100.0
    assert reader.feed(OK)  # a body in one piece is never thrown away
    assert isinstance(reader.finish(), Done)


def test_the_last_attempt_past_its_deadline_is_a_timeout_error() -> None:
    clock = Clock()
    call = make_call(budget=1.0, clock=clock, max_retries=0)
    call.sent()
    reader = call.receive(200, Headers())
    reader.feed(b"{")
    clock.now += 2.0
    assert not reader.feed(b"}")
    outcome = reader.finish()
    assert isinstance(outcome, Failed)
    assert isinstance(outcome.error, APITimeoutError)
    assert "did not complete within the timeout" in str(outcome.error)


def test_without_a_budget_there_is_no_deadline() -> None:
    clock = Clock()
    call = make_call(budget=None, clock=clock)
    call.sent()
    reader = call.receive(200, Headers())
    reader.feed(OK[:3])
    clock.now += 10_000
    assert reader.feed(OK[3:])
    assert isinstance(reader.finish(), Done)


# -- echoed keys are masked -------------------------------------------------------------


def _texts(value: Any) -> List[str]:
    return [str(value), repr(value)]


def test_an_echoed_key_is_masked_in_a_result() -> None:
    call = make_call()
    call.sent()
    body = (
        b'{"safe": true, "request_id": "req-' + KEY.encode() + b'", "policy_warnings": '
        b'[{"policy_name": "' + KEY.encode() + b'"}]}'
    )
    outcome = call.on_response(200, Headers(x_request_id=KEY), body)
    assert isinstance(outcome, Done)
    result: ScanResponse = outcome.result
    assert all(KEY not in text for text in _texts(result))
    assert result.request_id == "req-***"


def test_an_echoed_key_in_the_header_request_id_is_masked() -> None:
    call = make_call()
    call.sent()
    outcome = call.on_response(200, Headers(x_request_id=f"id {KEY}"), b'{"safe": true}')
    assert isinstance(outcome, Done)
    assert outcome.result.request_id == "id ***"


@pytest.mark.parametrize(
    "body",
    [
        b'{"error": {"message": "m", "code": "' + KEY.encode() + b'"}}',
        b'{"error": {"message": "m", "type": "' + KEY.encode() + b'"}}',
        b'{"error": {"message": "m", "request_id": "' + KEY.encode() + b'"}}',
        b'{"error": "' + KEY.encode() + b'"}',
    ],
)
def test_an_echoed_key_is_masked_in_errors(body: bytes) -> None:
    call = make_call(max_retries=0)
    call.sent()
    outcome = call.on_response(400, Headers(x_request_id=KEY), body)
    assert isinstance(outcome, Failed)
    error = outcome.error
    texts = [*_texts(error), error.code or "", error.type, error.request_id or "", error.body or ""]
    assert all(KEY not in text for text in texts)
    assert error.status_code == 400


def test_an_echoed_key_in_the_header_alone_is_masked() -> None:
    call = make_call(max_retries=0)
    call.sent()
    outcome = call.on_response(404, Headers(x_request_id=f"x{KEY}x"), b"not found")
    assert isinstance(outcome, Failed)
    assert outcome.error.request_id == "x***x"
    assert KEY not in str(outcome.error)


def test_a_key_hidden_behind_json_escapes_is_masked_in_a_result() -> None:
    escaped = KEY.replace("S", "\\u0053").encode()  # JSON decodes it back to the key
    call = make_call()
    call.sent()
    body = (
        b'{"safe": true, "request_id": "' + escaped + b'", "policy_warnings": [{"policy_name": "p '
    )
    body += escaped + b'"}]}'
    outcome = call.on_response(200, Headers(), body)
    assert isinstance(outcome, Done)
    assert KEY not in repr(outcome.result)
    assert outcome.result.request_id == "***"


def test_a_key_hidden_behind_json_escapes_is_masked_in_an_error() -> None:
    escaped = KEY.replace("S", "\\u0053").encode()
    call = make_call(max_retries=0)
    call.sent()
    body = b'{"error": {"message": "bad ' + escaped + b'", "code": "' + escaped + b'"}}'
    outcome = call.on_response(401, Headers(), body)
    assert isinstance(outcome, Failed)
    assert KEY not in str(outcome.error)
    assert outcome.error.code == "***"


# -- retry decisions, error classes and parsing, all without a server -------------------


@pytest.mark.parametrize("status", sorted(RETRYABLE_STATUSES))
def test_each_retryable_status_retries_until_max_retries(status: int) -> None:
    call = make_call(max_retries=2)
    kinds = []
    while not call.finished:
        call.sent()
        kinds.append(type(call.on_response(status, Headers(), b"")).__name__)
    assert kinds == ["Retry", "Retry", "Failed"]
    assert call.attempts == 3


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 405, 410, 413, 422, 501, 505])
def test_other_statuses_fail_at_once(status: int) -> None:
    call = make_call(max_retries=5)
    call.sent()
    outcome = call.on_response(status, Headers(), b"")
    assert isinstance(outcome, Failed)
    assert outcome.error.status_code == status


@pytest.mark.parametrize(
    ("headers", "delay"),
    [
        (Headers(retry_after="7"), 7.0),
        (Headers(retry_after="0"), 0.0),
        (Headers(retry_after="7", retry_after_ms="250"), 0.25),
        (Headers(retry_after="100000"), MAX_RETRY_AFTER),
        (Headers(retry_after="-3"), 0.0),
    ],
)
def test_the_server_decides_the_wait(headers: Headers, delay: float) -> None:
    call = make_call()
    call.sent()
    outcome = call.on_response(429, headers, b"")
    assert isinstance(outcome, Retry)
    assert outcome.delay == delay


def test_without_a_header_the_wait_is_jittered_backoff() -> None:
    call = make_call(max_retries=4)
    for number in range(1, 5):
        call.sent()
        outcome = call.on_response(503, Headers(retry_after="soon"), b"")
        assert isinstance(outcome, Retry)
        ceiling = 2.0 ** (number - 1)
        assert 0.75 * ceiling <= outcome.delay <= ceiling


@pytest.mark.parametrize("kind", ERRORS, ids=lambda k: k.class_name)
def test_each_error_kind_through_the_core(kind: Any) -> None:
    import json

    call = make_call(max_retries=0)
    call.sent()
    body = {"error": {"message": "m", "type": kind.type, "code": kind.codes[0], "request_id": "e"}}
    outcome = call.on_response(kind.status or 400, Headers(), json.dumps(body).encode())
    assert isinstance(outcome, Failed)
    assert type(outcome.error) is getattr(lockllm_errors, kind.class_name)
    assert outcome.error.request_id == "e"
    assert outcome.error.code == kind.codes[0]


def test_a_full_response_is_parsed_by_the_core() -> None:
    import json

    body = {
        "safe": False,
        "label": 1,
        "confidence": 97.5,
        "injection": 96,
        "sensitivity": "high",
        "request_id": "req_full",
        "usage": {"requests": 2, "input_chars": 40},
        "debug": {"duration_ms": 12, "inference_ms": 9, "mode": "chunked"},
        "policy_warnings": [{"policy_name": "no-medical", "violated_categories": [{"name": "x"}]}],
        "pii_result": {"detected": True, "entity_types": ["email"], "entity_count": 1},
        "unknown_future_field": {"ignored": True},
    }
    call = make_call()
    call.sent()
    outcome = call.on_response(200, Headers(), json.dumps(body).encode())
    assert isinstance(outcome, Done)
    result = outcome.result
    assert (result.safe, result.label, result.sensitivity) == (False, 1, "high")
    assert (result.confidence, result.injection) == (97.5, 96.0)
    assert result.usage.requests == 2
    assert result.debug is not None
    assert result.debug.mode == "chunked"
    assert result.policy_warnings[0].policy_name == "no-medical"
    assert result.pii_result is not None
    assert result.pii_result.entity_types == ("email",)


@pytest.mark.parametrize("content", [b"", b"<html>", b"[1, 2]", b'{"safe": "yes"}', b"{" * 100000])
def test_a_2xx_without_a_scan_result_is_an_invalid_response(content: bytes) -> None:
    call = make_call()
    call.sent()
    outcome = call.on_response(200, Headers(), content)
    assert isinstance(outcome, Failed)
    assert type(outcome.error) is InvalidResponseError
    assert outcome.error.status == 200


def test_each_outcome_carries_its_tag() -> None:
    assert Retry(1).kind == "retry"
    assert Failed(APIError("x")).kind == "failed"
    call = make_call()
    call.sent()
    outcome = call.on_response(200, Headers(), OK)
    assert outcome.kind == "done"
    assert isinstance(outcome, Done)
