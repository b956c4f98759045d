"""HTTP error responses become the right LockLLMError subclass (PROTOCOL.md §2)."""

from __future__ import annotations

import email.utils
import json
import pickle
import time
from typing import Any, Dict

import httpx
import pytest
from _scan_stub import KEY, Runner, error_body

from lockllm import (
    AbuseDetectedError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    InsufficientCreditsError,
    InvalidRequestError,
    InvalidResponseError,
    LockLLMError,
    NetworkError,
    PIIDetectedError,
    PolicyViolationError,
    PromptInjectionError,
    RateLimitError,
    UpstreamError,
)
from lockllm.errors import error_from_response
from lockllm.types import PIIResult, ScanResult

NO_RETRY = {"max_retries": 0}


def fail(runner: Runner, api: Any, status: int, payload: Any = None, **kw: Any) -> Any:
    """Answer every scan with ``status`` and return the error the client raised."""
    if payload is None or isinstance(payload, (bytes, str)):
        api.post("/v1/scan").respond(status, content=payload or b"", **kw)
    else:
        api.post("/v1/scan").respond(status, json=payload, **kw)
    error = runner.error("some prompt", client_kwargs=NO_RETRY)
    assert isinstance(error, LockLLMError), repr(error)
    return error


# --------------------------------------------------------------------------- the table

TABLE = [
    (
        400,
        {
            "message": "Malicious prompt detected",
            "type": "lockllm_security_error",
            "code": "prompt_injection_detected",
            "request_id": "req_1",
            "scan_result": {
                "safe": False,
                "label": 1,
                "confidence": 98.5,
                "injection": 97.0,
                "sensitivity": "high",
            },
        },
        PromptInjectionError,
    ),
    (
        401,
        {
            "message": "Invalid API key",
            "type": "authentication_error",
            "code": "unauthorized",
            "request_id": "req_1",
        },
        AuthenticationError,
    ),
    (
        429,
        {
            "message": "Too many",
            "type": "rate_limit_error",
            "code": "rate_limited",
            "request_id": "req_1",
        },
        RateLimitError,
    ),
    (
        502,
        {
            "message": "Provider failed",
            "type": "upstream_error",
            "code": "provider_error",
            "request_id": "req_1",
            "provider": "openai",
            "upstream_status": 503,
        },
        UpstreamError,
    ),
    (
        400,
        {
            "message": "No upstream key",
            "type": "configuration_error",
            "code": "no_upstream_key",
            "request_id": "req_1",
        },
        ConfigurationError,
    ),
    (
        403,
        {
            "message": "Policy violated",
            "type": "lockllm_policy_error",
            "code": "policy_violation",
            "request_id": "req_1",
            "violated_policies": [
                {
                    "policy_name": "No medical advice",
                    "violated_categories": [{"name": "medical", "description": "Medical"}],
                    "violation_details": "asked for a dose",
                }
            ],
        },
        PolicyViolationError,
    ),
    (
        400,
        {
            "message": "Abuse",
            "type": "lockllm_abuse_error",
            "code": "abuse_detected",
            "request_id": "req_1",
            "abuse_details": {
                "detected": True,
                "confidence": 88.0,
                "abuse_types": ["bot_generated"],
                "indicators": {"bot_score": 0.9},
                "recommendation": "slow down",
            },
        },
        AbuseDetectedError,
    ),
    (
        403,
        {
            "message": "PII found",
            "type": "lockllm_pii_error",
            "code": "pii_detected",
            "request_id": "req_1",
            "pii_details": {"entity_types": ["email", "phone_number"], "entity_count": 3},
        },
        PIIDetectedError,
    ),
    (
        402,
        {
            "message": "Top up",
            "type": "lockllm_balance_error",
            "code": "insufficient_credits",
            "request_id": "req_1",
            "current_balance": 0.25,
            "estimated_cost": 1.5,
        },
        InsufficientCreditsError,
    ),
]


@pytest.mark.parametrize(("status", "fields", "cls"), TABLE, ids=[c.__name__ for *_, c in TABLE])
def test_error_table(
    runner: Runner, api: Any, status: int, fields: Dict[str, Any], cls: type
) -> None:
    error = fail(runner, api, status, error_body(**fields))
    assert type(error) is cls
    assert error.message == fields["message"]
    assert error.type == fields["type"]
    assert error.code == fields["code"]
    assert error.status == status
    assert error.request_id == "req_1"
    assert fields["message"] in str(error)
    assert "status=" in str(error)
    assert error.body  # a short excerpt of what the server said


def test_prompt_injection_scan_result(runner: Runner, api: Any) -> None:
    error = fail(runner, api, 400, error_body(**TABLE[0][1]))
    assert error.scan_result == ScanResult(
        safe=False, label=1, confidence=98.5, injection=97.0, sensitivity="high"
    )


def test_upstream_details(runner: Runner, api: Any) -> None:
    error = fail(runner, api, 502, error_body(**TABLE[3][1]))
    assert error.provider == "openai"
    assert error.upstream_status == 503


@pytest.mark.parametrize(("raw", "parsed"), [("503", 503), ("5x", None), (True, None), (5.0, None)])
def test_upstream_status_forms(runner: Runner, api: Any, raw: Any, parsed: Any) -> None:
    error = fail(
        runner, api, 502, error_body(message="m", type="upstream_error", upstream_status=raw)
    )
    assert error.upstream_status == parsed


def test_policy_details(runner: Runner, api: Any) -> None:
    error = fail(runner, api, 403, error_body(**TABLE[5][1]))
    (policy,) = error.violated_policies
    assert policy.policy_name == "No medical advice"
    assert policy.violated_categories[0].name == "medical"
    assert policy.violated_categories[0].description == "Medical"
    assert policy.violation_details == "asked for a dose"


def test_abuse_details(runner: Runner, api: Any) -> None:
    error = fail(runner, api, 400, error_body(**TABLE[6][1]))
    details = error.abuse_details
    assert details.detected is True
    assert details.confidence == 88.0
    assert details.abuse_types == ("bot_generated",)
    assert details.indicators == {"bot_score": 0.9}
    assert details.recommendation == "slow down"


def test_pii_details(runner: Runner, api: Any) -> None:
    error = fail(runner, api, 403, error_body(**TABLE[7][1]))
    assert error.pii_details == PIIResult(
        detected=True, entity_types=("email", "phone_number"), entity_count=3
    )
    assert error.entity_types == ("email", "phone_number")
    assert error.entity_count == 3


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "lockllm_balance_error", "code": "something_new"},
        {"type": "x", "code": "insufficient_credits"},
        {"type": "x", "code": "no_balance"},
        {"type": "x", "code": "insufficient_routing_credits"},
        {"type": "x", "code": "balance_check_failed"},
        {"type": "x", "code": "credits_unavailable"},
    ],
)
def test_insufficient_credits(runner: Runner, api: Any, fields: Dict[str, Any]) -> None:
    error = fail(
        runner,
        api,
        402,
        error_body(message="m", current_balance=1, estimated_cost=2.5, **fields),
    )
    assert type(error) is InsufficientCreditsError
    assert error.code == fields["code"]
    assert error.current_balance == 1.0
    assert error.estimated_cost == 2.5


@pytest.mark.parametrize(
    ("headers", "expected_ms"),
    [
        ({"Retry-After": "7"}, 7000),
        ({"Retry-After": "1.5"}, 1500),
        ({"Retry-After": "0"}, 0),
        ({"retry-after-ms": "250"}, 250),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 250),
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_rate_limit_retry_after(
    runner: Runner, api: Any, headers: Dict[str, str], expected_ms: Any
) -> None:
    body = error_body(message="slow", type="rate_limit_error", code="rate_limited")
    error = fail(runner, api, 429, body, headers=headers)
    assert type(error) is RateLimitError
    assert error.retry_after == expected_ms


def test_rate_limit_retry_after_http_date(runner: Runner, api: Any) -> None:
    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    body = error_body(message="slow", type="rate_limit_error")
    error = fail(runner, api, 429, body, headers={"Retry-After": date})
    assert 27_000 <= error.retry_after <= 31_000


def test_flat_error_form(runner: Runner, api: Any) -> None:
    error = fail(runner, api, 401, {"error": "unauthorized", "message": "Bad key"})
    assert type(error) is AuthenticationError
    assert error.message == "Bad key"
    assert error.code == "unauthorized"


def test_flat_form_prompt_injection(runner: Runner, api: Any) -> None:
    error = fail(runner, api, 400, {"error": "prompt_injection_detected", "message": "no"})
    assert type(error) is PromptInjectionError
    assert error.scan_result.safe is False


@pytest.mark.parametrize(
    ("status", "cls"),
    [(400, APIError), (404, APIError), (422, APIError), (401, AuthenticationError),
     (402, InsufficientCreditsError), (429, RateLimitError), (502, UpstreamError),
     (500, APIError), (418, APIError)],
)  # fmt: skip
def test_unknown_error_type_falls_back_on_status(
    runner: Runner, api: Any, status: int, cls: type
) -> None:
    error = fail(runner, api, status, error_body(message="odd", type="brand_new", code="new"))
    assert type(error) is cls
    assert (error.message, error.type, error.code, error.status) == (
        "odd",
        "brand_new",
        "new",
        status,
    )


def test_error_without_message_gets_one(runner: Runner, api: Any) -> None:
    error = fail(runner, api, 400, {"error": {}})
    assert type(error) is APIError
    assert error.message == "HTTP 400 from LockLLM"
    assert error.type == "api_error"


def test_server_request_id_header_wins_over_ours(runner: Runner, api: Any) -> None:
    error = fail(runner, api, 404, b"nope", headers={"X-Request-Id": "srv-9"})
    assert error.request_id == "srv-9"


def test_our_request_id_when_server_sends_none(runner: Runner, api: Any) -> None:
    api.post("/v1/scan").respond(404, content=b"nope")
    error = runner.error("x", client_kwargs=NO_RETRY)
    sent = api.calls.last.request.headers["X-Request-Id"]
    assert error.request_id == sent


# --------------------------------------------------------------------------- malformed


@pytest.mark.parametrize(
    ("status", "content", "cls"),
    [
        (500, b"<html><body><h1>500 Internal Server Error</h1></body></html>", APIError),
        (200, b"", InvalidResponseError),
        (200, b'{"safe": true, "label": 0, "confid', InvalidResponseError),
        (200, b"[1, 2, 3]", InvalidResponseError),
        (200, b'{"label": 0, "confidence": 90}', InvalidResponseError),
        (200, b'{"safe": "yes"}', InvalidResponseError),
        (200, b"null", InvalidResponseError),
        (200, b"\xff\xfe\x00garbage", InvalidResponseError),
        (401, b"<html>Unauthorized</html>", AuthenticationError),
        (429, b"Too Many Requests", RateLimitError),
        (502, b"<html>Bad Gateway</html>", UpstreamError),
        (503, b"", APIError),
        (400, b"[]", APIError),
        (403, b'{"error": 5}', APIError),
    ],
)
def test_malformed_bodies(runner: Runner, api: Any, status: int, content: bytes, cls: type) -> None:
    error = fail(runner, api, status, content, headers={"Content-Type": "text/html"})
    assert type(error) is cls
    assert error.status == status
    assert error.body == content.decode("utf-8", "replace").strip()[:200] or content == b""
    assert not isinstance(error, (json.JSONDecodeError, KeyError, httpx.HTTPError))


def test_long_body_is_cut_to_a_short_excerpt(runner: Runner, api: Any) -> None:
    error = fail(runner, api, 500, b"<p>" + b"x" * 50_000 + b"</p>")
    assert len(error.body) <= 200
    assert len(str(error)) < 400


def test_gzip_garbage_is_a_lockllm_error(runner: Runner, api: Any) -> None:
    # A body httpx cannot decode must not leak an httpx.DecodingError.
    api.post("/v1/scan").mock(
        side_effect=lambda request: httpx.Response(
            200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip")
        )
    )
    with pytest.raises(LockLLMError):
        runner.scan("x", client_kwargs=NO_RETRY)


# --------------------------------------------------------------------------- the classes


def test_hierarchy() -> None:
    for cls in (
        AuthenticationError, RateLimitError, PromptInjectionError, PolicyViolationError,
        AbuseDetectedError, PIIDetectedError, InsufficientCreditsError, UpstreamError,
        ConfigurationError, APIError, InvalidResponseError, InvalidRequestError, NetworkError,
    ):  # fmt: skip
        assert issubclass(cls, LockLLMError)
    assert issubclass(APITimeoutError, NetworkError)
    assert issubclass(InvalidRequestError, ValueError)
    assert issubclass(InvalidRequestError, TypeError)
    assert NetworkError("x").status == 0
    assert APITimeoutError("x").type == "timeout_error"
    assert LockLLMError("plain").type == "lockllm_error"
    assert str(LockLLMError("plain")) == "plain"


PICKLE_CASES = [(s, f) for s, f, _ in TABLE] + [
    (404, {"message": "m", "type": "t"}),
    (500, {"message": "m"}),
]


@pytest.mark.parametrize(("status", "fields"), PICKLE_CASES)
def test_errors_pickle_round_trip(status: int, fields: Dict[str, Any]) -> None:
    error = error_from_response(
        status,
        httpx.Headers({"Retry-After": "3"}),
        json.dumps(error_body(**fields)).encode(),
        request_id="r1",
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert copy.__dict__ == error.__dict__
    assert str(copy) == str(error)
    assert copy.args == error.args


@pytest.mark.parametrize(
    "error",
    [
        NetworkError("down", code="connection_error", request_id="r"),
        APITimeoutError("slow", code="timeout"),
        InvalidRequestError("bad"),
        InvalidResponseError("bad", status=200, body="x"),
        RateLimitError("slow", retry_after=1000, status=429),
        LockLLMError("closed", type="client_closed"),
    ],
)
def test_local_errors_pickle_round_trip(error: LockLLMError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert copy.__dict__ == error.__dict__


def test_error_from_response_masks_the_secret_in_body() -> None:
    error = error_from_response(
        500, httpx.Headers(), f"oops key={KEY}".encode(), request_id="r", secret=KEY
    )
    assert KEY not in error.body
    assert "***" in error.body


@pytest.mark.parametrize("status", [200, 500])
def test_deeply_nested_json_is_a_lockllm_error(runner: Runner, api: Any, status: int) -> None:
    api.post("/v1/scan").respond(status, content=b"[" * 100_000)
    error = runner.error("x", client_kwargs={"max_retries": 0})
    assert isinstance(error, LockLLMError)
    assert error.status == status
    if status == 200:
        assert isinstance(error, InvalidResponseError)


def test_the_code_decides_before_the_type(runner: Runner, api: Any) -> None:
    body = error_body(
        type="lockllm_security_error", code="pii_detected", pii_details={"entity_count": 2}
    )
    api.post("/v1/scan").respond(403, json=body)
    error = runner.error("x")
    assert isinstance(error, PIIDetectedError)
    assert not isinstance(error, PromptInjectionError)
    assert error.entity_count == 2


def test_a_type_alone_still_classifies(runner: Runner, api: Any) -> None:
    body = {"error": {"message": "nope", "type": "lockllm_policy_error"}}
    api.post("/v1/scan").respond(403, json=body)
    assert isinstance(runner.error("x"), PolicyViolationError)
