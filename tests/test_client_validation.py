"""Bad arguments are refused with InvalidRequestError before anything is sent."""

from __future__ import annotations

import math
from typing import Any, Dict, List

import httpx
import pytest
from _scan_stub import BASE, KEY, Runner, scan_body

from lockllm import (
    AsyncLockLLM,
    ConfigurationError,
    InvalidRequestError,
    LockLLM,
)

BAD_SCANS = [
    ((123,), {}),
    ((b"bytes",), {}),
    ((None,), {}),
    ((["list"],), {}),
    (("",), {}),
    (("   \n\t ",), {}),
    (("x", "extreme"), {}),
    (("x", None), {}),
    (("x", "HIGH"), {}),
    (("x",), {"sensitivity": 1}),
    (("x",), {"scan_mode": "everything"}),
    (("x",), {"scan_action": "warn"}),
    (("x",), {"policy_action": True}),
    (("x",), {"abuse_action": "BLOCK"}),
    (("x",), {"pii_action": "redact"}),
    (("x",), {"compression": "zip"}),
    (("x",), {"compression_rate": 0.2}),
    (("x",), {"compression_rate": 0.71}),
    (("x",), {"compression_rate": math.nan}),
    (("x",), {"compression_rate": math.inf}),
    (("x",), {"compression_rate": True}),
    (("x",), {"compression_rate": "0.5"}),
    (("x",), {"chunk": "true"}),
    (("x",), {"chunk": 1}),
    (("x",), {"timeout": -1}),
    (("x",), {"timeout": 0}),
    (("x",), {"timeout": math.nan}),
    (("x",), {"timeout": math.inf}),
    (("x",), {"timeout": True}),
    (("x",), {"timeout": "5"}),
    (("x",), {"headers": {"X-A": 1}}),
    (("x",), {"headers": {"X-A": None}}),
    (("x",), {"headers": {1: "a"}}),
    (("x",), {"headers": {"X-A": b"bytes"}}),
    (("x",), {"headers": [("X-A", "b")]}),
    (("x",), {"headers": "X-A: b"}),
    (("x",), {"unknown_option": 1}),
    (("x",), {"route_action": "auto"}),  # a proxy option, not a scan one
]


@pytest.mark.parametrize(("args", "kwargs"), BAD_SCANS, ids=repr)
def test_bad_scan_arguments_are_refused_before_sending(
    runner: Runner, api: Any, args: Any, kwargs: Dict[str, Any]
) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    error = runner.error(*args, **kwargs)
    assert isinstance(error, InvalidRequestError), repr(error)
    assert isinstance(error, ValueError)
    assert isinstance(error, TypeError)
    assert error.status is None
    assert route.call_count == 0
    assert api.calls.call_count == 0


def test_empty_input_message_is_clear(runner: Runner, api: Any) -> None:
    error = runner.error("  ")
    assert "empty" in str(error)


def test_unknown_option_lists_known_ones(runner: Runner, api: Any) -> None:
    error = runner.error("x", colour="red")
    assert "colour" in str(error)
    assert "scan_mode" in str(error)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timeout": -1},
        {"timeout": 0},
        {"timeout": math.nan},
        {"timeout": "10"},
        {"max_retries": -1},
        {"max_retries": True},
        {"max_retries": 1.0},
        {"max_retries": "3"},
        {"fallback": "remote"},
        {"fallback": True},
    ],
    ids=repr,
)
@pytest.mark.parametrize("cls", [LockLLM, AsyncLockLLM])
def test_bad_constructor_arguments(cls: type, kwargs: Dict[str, Any]) -> None:
    with pytest.raises(InvalidRequestError):
        cls(api_key=KEY, base_url=BASE, **kwargs)


def test_guarding_with_value_error_works(runner: Runner, api: Any) -> None:
    with pytest.raises(ValueError):
        runner.scan("")
    with pytest.raises(TypeError):
        runner.scan(123)


def test_valid_edges_are_accepted(runner: Runner, api: Any) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    runner.scan("x", compression_rate=0.3)
    runner.scan("x", compression_rate=0.7)
    runner.scan("x", compression_rate=1 / 2)
    runner.scan("x", timeout=0.001, headers={})
    runner.scan(" x ", headers=None)
    assert route.call_count == 5
    assert route.calls.last.request.content == b'{"input": " x ", "sensitivity": "medium"}'


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"cache_ttl": 60}, {"X-LockLLM-Cache-TTL": "60"}),
        ({"cache_ttl": 86400}, {"X-LockLLM-Cache-TTL": "86400"}),
        ({"cache_response": False}, {"X-LockLLM-Cache-Response": "false"}),
        ({"route_action": "auto", "sensitivity": "low"},
         {"X-LockLLM-Route-Action": "auto", "X-LockLLM-Sensitivity": "low"}),
    ],
)  # fmt: skip
def test_proxy_option_headers(options: Dict[str, Any], expected: Dict[str, str]) -> None:
    from lockllm._options import PROXY_OPTIONS, option_headers

    assert option_headers(options, PROXY_OPTIONS) == expected


@pytest.mark.parametrize("ttl", [0, -1, 86401, True, 1.5, "60"])
def test_proxy_cache_ttl_refused(ttl: Any) -> None:
    from lockllm._options import PROXY_OPTIONS, option_headers

    with pytest.raises(InvalidRequestError, match="cache_ttl"):
        option_headers({"cache_ttl": ttl}, PROXY_OPTIONS)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Foo": "a\r\nInjected: yes"},
        {"X-Foo": "line\nbreak"},
        {"X Foo": "space in the name"},
        {"X-Foo:": "colon in the name"},
        {"X-Foo": "caf\u00e9"},
        {"X-Request-Id": "a\nb"},
    ],
)
def test_unsendable_headers_are_refused_before_sending(
    runner: Runner, api: Any, slept: List[float], headers: dict[str, str]
) -> None:
    route = api.post("/v1/scan").respond(200, json=scan_body())
    error = runner.error("hello", headers=headers)
    assert isinstance(error, InvalidRequestError)
    assert route.call_count == 0
    assert slept == []


@pytest.mark.parametrize(
    "key", ["sk-abc\ndef-0123456789", "sk-ab c-0123456789", "sk-caf\u00e9-0123"]
)
def test_keys_that_cannot_be_sent_are_refused_without_echo(runner: Runner, key: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        runner.make(api_key=key)
    assert key not in str(info.value)
    assert key.split("-")[1] not in str(info.value)


def test_a_local_protocol_error_is_not_retried_and_masks_the_key(
    runner: Runner, api: Any, slept: List[float]
) -> None:
    api.post("/v1/scan").mock(side_effect=httpx.LocalProtocolError(f"bad header {KEY}"))
    error = runner.error("hello", client_kwargs={"fallback": "local"})
    assert isinstance(error, InvalidRequestError)
    assert KEY not in str(error)
    assert KEY not in error.message
    assert isinstance(error.__cause__, httpx.LocalProtocolError)
    assert slept == []  # no retry, and no fallback either: the request itself was bad
