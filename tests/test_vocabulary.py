"""One protocol vocabulary: the Literal types, the option checks, the error mapping, the
wrappers' markers, the providers, the CLI and the gateway all agree with ``_vocabulary``."""

from __future__ import annotations

import json
import typing
from typing import Any, Dict

import httpx
import pytest

import lockllm.errors as errors
import lockllm.types as types
from lockllm import _vocabulary as vocabulary
from lockllm._options import PROXY_OPTIONS, SCAN_OPTIONS
from lockllm._providers import PROVIDERS, get_all_proxy_urls
from lockllm.wrappers import _errors as wrapper_errors


@pytest.mark.parametrize(
    ("literal", "words"),
    [
        (types.Sensitivity, vocabulary.SENSITIVITIES),
        (types.ScanMode, vocabulary.SCAN_MODES),
        (types.Action, vocabulary.ACTIONS),
        (types.PIIAction, vocabulary.PII_ACTIONS),
        (types.CompressionMethod, vocabulary.COMPRESSION_METHODS),
        (types.RouteAction, vocabulary.ROUTE_ACTIONS),
        (types.ScanSource, vocabulary.SCAN_SOURCES),
        (types.ProviderName, tuple(p.name for p in vocabulary.PROVIDERS)),
    ],
)
def test_literal_types_match_the_vocabulary(literal: Any, words: Any) -> None:
    assert typing.get_args(literal) == tuple(words)


def _hints(cls: Any) -> Dict[str, Any]:
    return typing.get_type_hints(cls, localns={"httpx": httpx, **vars(types)})


def test_the_option_typeddicts_match_the_vocabulary() -> None:
    scan = {o.name for o in vocabulary.OPTIONS if o.scan}
    assert set(_hints(types.ScanOptions)) == scan | {"headers", "timeout"}
    proxy = _hints(types.ProxyOptions)
    assert set(proxy) == {o.name for o in vocabulary.OPTIONS}
    for option in vocabulary.OPTIONS:
        hint = proxy[option.name]
        if option.kind == "choice":
            assert typing.get_args(hint) == option.choices, option.name
        else:
            expected = {"bool": bool, "rate": float, "ttl": int}[option.kind]
            assert hint is expected, option.name


def test_option_checks_are_derived_from_the_vocabulary() -> None:
    assert set(PROXY_OPTIONS) == {o.name for o in vocabulary.OPTIONS}
    assert set(SCAN_OPTIONS) == {o.name for o in vocabulary.OPTIONS if o.scan}
    from lockllm._options import option_headers

    for option in vocabulary.OPTIONS:
        assert PROXY_OPTIONS[option.name][0] == option.header
        for choice in option.choices:
            assert option_headers({option.name: choice}, PROXY_OPTIONS) == {option.header: choice}
        if option.choices:
            with pytest.raises(errors.InvalidRequestError):
                option_headers({option.name: "not-a-choice"}, PROXY_OPTIONS)


def test_every_error_row_names_a_lockllm_error_class() -> None:
    for kind in vocabulary.ERRORS:
        cls = getattr(errors, kind.class_name)
        assert issubclass(cls, errors.LockLLMError)
        assert cls.default_type == kind.type
        assert kind.class_name in errors.__all__


def _classify(status: int, **fields: Any) -> errors.LockLLMError:
    body = json.dumps({"error": {"message": "m", **fields}}).encode()
    return errors.error_from_response(status, httpx.Headers(), body)


DETAIL_ATTRIBUTES = {
    "scan_result": "scan_result",
    "retry_after": "retry_after",
    "provider": "provider",
    "upstream_status": "upstream_status",
    "violated_policies": "violated_policies",
    "abuse_details": "abuse_details",
    "pii_details": "pii_details",
    "current_balance": "current_balance",
    "estimated_cost": "estimated_cost",
}


@pytest.mark.parametrize("kind", vocabulary.ERRORS, ids=lambda k: k.class_name)
def test_the_error_mapping_follows_the_table(kind: vocabulary.ErrorKind) -> None:
    cls = getattr(errors, kind.class_name)
    status = kind.status or 400
    for code in kind.codes:
        assert type(_classify(status, code=code)) is cls, code
        assert type(_classify(500, code=code, type="something_else")) is cls, code
    for word in (kind.type, *kind.aliases):
        assert type(_classify(status, type=word)) is cls, word
    if kind.by_status:
        bare = errors.error_from_response(status, httpx.Headers(), b"<html>oops</html>")
        assert type(bare) is cls
    error = _classify(status, type=kind.type, code=kind.codes[0])
    for detail in kind.details:
        assert hasattr(error, DETAIL_ATTRIBUTES[detail]), detail


def test_statuses_not_in_the_table_are_api_errors() -> None:
    table = {k.status for k in vocabulary.ERRORS if k.by_status}
    for status in (400, 403, 404, 418, 500, 503):
        assert status not in table
        bare = errors.error_from_response(status, httpx.Headers(), b"")
        assert type(bare) is errors.APIError


def test_the_wrappers_markers_are_the_vocabularys() -> None:
    assert wrapper_errors._LOCKLLM_MARKERS == vocabulary.LOCKLLM_ERROR_MARKERS
    every = {w for k in vocabulary.ERRORS for w in (k.type, *k.codes, *k.aliases)}
    assert every - vocabulary.GENERIC_ERROR_TYPES == vocabulary.LOCKLLM_ERROR_MARKERS
    for word in vocabulary.LOCKLLM_ERROR_MARKERS:
        body = json.dumps({"error": {"type": word}}).encode()
        assert wrapper_errors.is_lockllm_body(body, httpx.Headers())
    for word in vocabulary.GENERIC_ERROR_TYPES:  # Anthropic's own errors use these
        body = json.dumps({"error": {"type": word}}).encode()
        assert not wrapper_errors.is_lockllm_body(body, httpx.Headers())


def test_the_provider_table_is_the_vocabularys() -> None:
    assert PROVIDERS is vocabulary.PROVIDERS
    assert list(get_all_proxy_urls("https://x.test")) == [p.name for p in vocabulary.PROVIDERS]
    assert {p.family for p in PROVIDERS} == {"openai", "anthropic"}
    assert {p.auth for p in PROVIDERS} == {"bearer", "anthropic", "azure"}
    for spec in PROVIDERS:
        assert spec.upstream is None or spec.upstream.startswith("https://")


def test_the_cli_choices_are_the_vocabularys() -> None:
    from lockllm.cli import build_parser

    parser = build_parser()
    scan = parser._subparsers._group_actions[0].choices["scan"]  # type: ignore[union-attr]
    (sensitivity,) = [a for a in scan._actions if "--sensitivity" in a.option_strings]
    assert tuple(sensitivity.choices) == vocabulary.SENSITIVITIES
    assert sensitivity.default == vocabulary.DEFAULT_SENSITIVITY


def test_the_protocol_statuses_are_the_vocabularys() -> None:
    from lockllm import _protocol

    assert _protocol.RETRYABLE_STATUSES is vocabulary.RETRYABLE_STATUSES
    assert _protocol.FALLBACK_STATUSES <= _protocol.RETRYABLE_STATUSES
    assert _protocol.SCAN_PATH == vocabulary.SCAN_PATH


# -- the gateway speaks the same words --------------------------------------------------


@pytest.fixture
def server() -> Any:
    pytest.importorskip("starlette")
    from lockllm import server

    return server


def test_the_gateways_upstreams_match_the_provider_table(server: Any) -> None:
    from lockllm.server._settings import DEFAULT_UPSTREAMS

    assert list(DEFAULT_UPSTREAMS) == [p.name for p in vocabulary.PROVIDERS]
    for spec in vocabulary.PROVIDERS:
        assert DEFAULT_UPSTREAMS[spec.name].url == spec.upstream
        assert DEFAULT_UPSTREAMS[spec.name].auth == spec.auth


def test_the_gateways_error_bodies_use_the_error_table(server: Any) -> None:
    from lockllm.server import _errors as gateway

    result = types.ScanResponse(
        safe=False, label=1, confidence=99.0, injection=99.0, sensitivity="high", request_id="r"
    )
    bodies = {
        "AuthenticationError": gateway.unauthorized("r"),
        "PromptInjectionError": gateway.injection_detected(result, "r"),
        "ConfigurationError": gateway.no_upstream("no key", "openai", "r"),
        "UpstreamError": gateway.upstream_error("down", "openai", "r", 500),
        "RateLimitError": gateway.rate_limited("slow down", "r"),
    }
    for class_name, body in bodies.items():
        kind = vocabulary.ERRORS_BY_CLASS[class_name]
        assert body["error"]["type"] == kind.type
        assert body["error"]["code"] in kind.codes
        classified = errors.error_from_response(
            kind.status or 400, httpx.Headers(), json.dumps(body).encode()
        )
        assert type(classified).__name__ == class_name


def test_the_gateway_validates_the_vocabularys_levels_and_actions(server: Any) -> None:
    from lockllm.server import _app

    assert tuple(_app.SENSITIVITIES) == vocabulary.SENSITIVITIES
    assert tuple(_app.ACTIONS) == vocabulary.ACTIONS


def test_the_engines_levels_are_the_vocabularys() -> None:
    from lockllm.engine import _score

    assert tuple(_score.LEVELS) == vocabulary.SENSITIVITIES


def test_the_gateways_scan_inspection_levels_are_the_vocabularys(server: Any) -> None:
    from lockllm.server import _inspect

    assert tuple(_inspect.SENSITIVITIES) == vocabulary.SENSITIVITIES
