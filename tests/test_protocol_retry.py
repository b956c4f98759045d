"""Retry rules: which failures are retried, how many times, and how long the client waits."""

from __future__ import annotations

import email.utils
import time
from typing import Any, Dict, List

import httpx
import pytest
from _scan_stub import Runner, error_body, scan_body

from lockllm import (
    APIError,
    APITimeoutError,
    AuthenticationError,
    NetworkError,
    RateLimitError,
    UpstreamError,
)
from lockllm._headers import retry_after_seconds
from lockllm._protocol import (
    MAX_BACKOFF,
    MAX_RETRY_AFTER,
    RETRYABLE_STATUSES,
    backoff_delay,
    retry_delay,
    worst_case_seconds,
)

RETRYABLE = sorted(RETRYABLE_STATUSES)


def test_retryable_statuses_are_the_documented_ones() -> None:
    assert RETRYABLE == [408, 409, 429, 500, 502, 503, 504]


@pytest.mark.parametrize(("max_retries", "requests"), [(0, 1), (1, 2), (None, 4), (5, 6)])
def test_attempt_counts_on_persistent_503(
    runner: Runner, api: Any, slept: List[float], max_retries: Any, requests: int
) -> None:
    route = api.post("/v1/scan").respond(503, content=b"busy")
    kwargs = {} if max_retries is None else {"max_retries": max_retries}
    error = runner.error("x", client_kwargs=kwargs)
    assert type(error) is APIError
    assert error.status == 503
    assert route.call_count == requests
    assert len(slept) == requests - 1


@pytest.mark.parametrize("status", RETRYABLE)
def test_each_retryable_status_is_retried(
    runner: Runner, api: Any, slept: List[float], status: int
) -> None:
    route = api.post("/v1/scan")
    route.side_effect = [
        httpx.Response(status, content=b"later"),
        httpx.Response(200, json=scan_body()),
    ]
    result = runner.scan("x", client_kwargs={"max_retries": 2})
    assert result.safe is True
    assert route.call_count == 2
    assert len(slept) == 1


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 422])
def test_non_retryable_statuses_are_not_retried(
    runner: Runner, api: Any, slept: List[float], status: int
) -> None:
    route = api.post("/v1/scan").respond(status, json=error_body(message="no", type="t"))
    error = runner.error("x")
    assert error.status == status
    assert route.call_count == 1
    assert slept == []


def test_invalid_200_is_not_retried(runner: Runner, api: Any, slept: List[float]) -> None:
    route = api.post("/v1/scan").respond(200, content=b"<html>")
    runner.error("x")
    assert route.call_count == 1


def test_success_after_retries(runner: Runner, api: Any, slept: List[float]) -> None:
    route = api.post("/v1/scan")
    route.side_effect = [
        httpx.ConnectError("refused"),
        httpx.Response(503),
        httpx.ReadTimeout("slow"),
        httpx.Response(200, json=scan_body(safe=False, label=1)),
    ]
    result = runner.scan("x")
    assert result.safe is False
    assert route.call_count == 4
    assert len(slept) == 3


def test_same_request_id_on_every_attempt(runner: Runner, api: Any) -> None:
    route = api.post("/v1/scan").respond(503)
    runner.error("x")
    ids = {c.request.headers["X-Request-Id"] for c in route.calls}
    assert route.call_count == 4
    assert len(ids) == 1
    bodies = {c.request.content for c in route.calls}
    assert len(bodies) == 1


def test_different_request_ids_across_calls(runner: Runner, api: Any) -> None:
    route = api.post("/v1/scan").respond(503)
    runner.scans([(("x",), {}), (("x",), {})])
    ids = [c.request.headers["X-Request-Id"] for c in route.calls]
    assert len(ids) == 8
    assert len(set(ids[:4])) == 1
    assert len(set(ids[4:])) == 1
    assert ids[0] != ids[4]


# --------------------------------------------------------------------------- Retry-After


@pytest.mark.parametrize(
    ("headers", "delay"),
    [
        ({"Retry-After": "0"}, 0.0),
        ({"Retry-After": "3"}, 3.0),
        ({"Retry-After": "2.5"}, 2.5),
        ({"Retry-After": " 4 "}, 4.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "0"}, 0.0),
        ({"retry-after-ms": "20", "Retry-After": "9"}, 0.02),
        ({"Retry-After": "-5"}, 0.0),
        ({"retry-after-ms": "-5"}, 0.0),
        ({"Retry-After": "3600"}, MAX_RETRY_AFTER),
        ({"retry-after-ms": "999999999"}, MAX_RETRY_AFTER),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),  # a date in the past
    ],
)
@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(
    runner: Runner, api: Any, slept: List[float], headers: Dict[str, str], delay: float, status: int
) -> None:
    route = api.post("/v1/scan")
    route.side_effect = [
        httpx.Response(status, headers=headers),
        httpx.Response(200, json=scan_body()),
    ]
    runner.scan("x")
    assert slept == [pytest.approx(delay)]


def test_retry_after_http_date(runner: Runner, api: Any, slept: List[float]) -> None:
    date = email.utils.formatdate(time.time() + 20, usegmt=True)
    route = api.post("/v1/scan")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": date}),
        httpx.Response(200, json=scan_body()),
    ]
    runner.scan("x")
    (delay,) = slept
    assert 17.0 <= delay <= 20.5


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "soon"},
        {"Retry-After": ""},
        {"Retry-After": "nan"},
        {"Retry-After": "inf"},
        {"retry-after-ms": "abc"},
        {"Retry-After": "Mon, 99 Foo 20xx"},
    ],
)
def test_garbage_retry_after_falls_back_to_backoff(
    runner: Runner, api: Any, slept: List[float], headers: Dict[str, str]
) -> None:
    route = api.post("/v1/scan")
    route.side_effect = [
        httpx.Response(429, headers=headers),
        httpx.Response(200, json=scan_body()),
    ]
    runner.scan("x")
    (delay,) = slept
    assert 0.75 <= delay <= 1.0


def test_rate_limit_after_retries_carries_retry_after(
    runner: Runner, api: Any, slept: List[float]
) -> None:
    body = error_body(message="slow", type="rate_limit_error", code="rate_limited")
    route = api.post("/v1/scan").respond(429, json=body, headers={"Retry-After": "2"})
    error = runner.error("x", client_kwargs={"max_retries": 2})
    assert type(error) is RateLimitError
    assert error.retry_after == 2000
    assert route.call_count == 3
    assert slept == [2.0, 2.0]


# --------------------------------------------------------------------------- backoff


def test_backoff_grows_and_caps_with_jitter(runner: Runner, api: Any, slept: List[float]) -> None:
    api.post("/v1/scan").respond(500)
    runner.error("x", client_kwargs={"max_retries": 8})
    assert len(slept) == 8
    for n, delay in enumerate(slept, start=1):
        base = min(2.0 ** (n - 1), MAX_BACKOFF)
        assert 0.75 * base <= delay <= base, (n, delay)
    assert max(slept) <= 30.0


class _Rng:
    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


@pytest.mark.parametrize(
    ("n", "expected"), [(1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (6, 30.0), (40, 30.0)]
)
def test_backoff_delay_bounds(n: int, expected: float) -> None:
    assert backoff_delay(n, _Rng(0.0)) == expected
    assert backoff_delay(n, _Rng(0.999999)) == pytest.approx(expected * 0.75, rel=1e-5)
    assert expected * 0.75 <= backoff_delay(n) <= expected


def test_retry_delay_prefers_header_then_backoff() -> None:
    assert retry_delay(3, httpx.Headers({"Retry-After": "5"})) == 5.0
    assert retry_delay(3, httpx.Headers({"Retry-After": "500"})) == MAX_RETRY_AFTER
    assert 3.0 <= retry_delay(3, httpx.Headers()) <= 4.0
    assert 3.0 <= retry_delay(3, None) <= 4.0


def test_retry_after_seconds_with_fixed_clock() -> None:
    headers = httpx.Headers({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    moment = email.utils.parsedate_to_datetime("Wed, 21 Oct 2015 07:27:50 GMT").timestamp()
    assert retry_after_seconds(headers, now=moment) == pytest.approx(10.0)
    assert retry_after_seconds(httpx.Headers()) is None


def test_worst_case_seconds() -> None:
    assert worst_case_seconds(1.0, 0) == 3.0
    assert worst_case_seconds(2.0, 3) == 4 * 3 * 2.0 + 3 * MAX_RETRY_AFTER


# --------------------------------------------------------------------------- transport errors


@pytest.mark.parametrize(
    ("exc", "cls", "code"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), NetworkError, "connection_error"),
        (httpx.ReadError("reset by peer"), NetworkError, "connection_error"),
        (httpx.RemoteProtocolError("server hung up"), NetworkError, "connection_error"),
        (httpx.ReadTimeout("read timed out"), APITimeoutError, "timeout"),
        (httpx.ConnectTimeout("connect timed out"), APITimeoutError, "timeout"),
        (httpx.WriteTimeout("write timed out"), APITimeoutError, "timeout"),
        (httpx.PoolTimeout("pool"), APITimeoutError, "timeout"),
    ],
)
def test_transport_errors_retried_then_raised(
    runner: Runner, api: Any, slept: List[float], exc: Exception, cls: type, code: str
) -> None:
    route = api.post("/v1/scan").mock(side_effect=exc)
    error = runner.error("x", client_kwargs={"max_retries": 2})
    assert type(error) is cls
    assert error.status == 0
    assert error.code == code
    assert error.__cause__ is exc
    assert error.request_id == route.calls.last.request.headers["X-Request-Id"]
    assert route.call_count == 3
    assert len(slept) == 2
    assert 0.75 <= slept[0] <= 1.0
    assert 1.5 <= slept[1] <= 2.0
    assert "3 attempt(s)" in error.message


def test_connect_error_without_retries(runner: Runner, api: Any, slept: List[float]) -> None:
    route = api.post("/v1/scan").mock(side_effect=httpx.ConnectError("refused"))
    error = runner.error("x", client_kwargs={"max_retries": 0})
    assert type(error) is NetworkError
    assert route.call_count == 1
    assert slept == []


def test_auth_error_is_final_even_mid_retry(runner: Runner, api: Any, slept: List[float]) -> None:
    route = api.post("/v1/scan")
    route.side_effect = [
        httpx.Response(503),
        httpx.Response(401, json=error_body(message="bad", type="authentication_error")),
        httpx.Response(200, json=scan_body()),
    ]
    error = runner.error("x")
    assert type(error) is AuthenticationError
    assert route.call_count == 2


def test_upstream_502_after_retries(runner: Runner, api: Any, slept: List[float]) -> None:
    api.post("/v1/scan").respond(502, json=error_body(message="m", type="upstream_error"))
    error = runner.error("x", client_kwargs={"max_retries": 1})
    assert type(error) is UpstreamError
    assert len(slept) == 1


def test_huge_retry_after_on_the_last_429_is_capped(runner: Runner, api: Any) -> None:
    api.post("/v1/scan").respond(
        429, json=error_body(type="rate_limit_error"), headers={"Retry-After": "1e306"}
    )
    error = runner.error("x", client_kwargs={"max_retries": 0})
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 86_400_000
