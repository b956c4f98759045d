"""parse_proxy_metadata: the X-LockLLM-* response headers of PROTOCOL §3."""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any, Dict

import httpx
import httpx2
import pytest

from lockllm._proxy_metadata import (
    ProxyAbuse,
    ProxyCache,
    ProxyCompression,
    ProxyMetadata,
    ProxyPII,
    ProxyPolicyWarnings,
    ProxyRouting,
    ProxyScanWarning,
    decode_detail,
    parse_proxy_metadata,
)


def b64(value: Any) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


SCAN_DETAIL = {"message": "possible injection", "injection_score": 71.5}
POLICY_DETAIL = [{"policy_name": "no-finance", "violated_categories": [{"name": "advice"}]}]
ABUSE_DETAIL = {"indicators": {"bot_score": 0.9}}

FULL: Dict[str, str] = {
    "X-LockLLM-Safe": "false",
    "X-LockLLM-Scanned": "true",
    "X-LockLLM-Blocked": "false",
    "X-LockLLM-Request-ID": "req_123",
    "X-LockLLM-Label": "1",
    "X-LockLLM-Injection-Score": "71.5",
    "X-LockLLM-Confidence": "88",
    "X-LockLLM-Sensitivity": "high",
    "X-LockLLM-Scan-Mode": "combined",
    "X-LockLLM-Provider": "openai",
    "X-LockLLM-Model": "gpt-4",
    "X-LockLLM-Credits-Mode": "byok",
    "X-LockLLM-Scan-Warning": "true",
    "X-LockLLM-Scan-Detail": b64(SCAN_DETAIL),
    "X-LockLLM-Policy-Warnings": "true",
    "X-LockLLM-Warning-Count": "1",
    "X-LockLLM-Policy-Confidence": "90.5",
    "X-LockLLM-Warning-Detail": b64(POLICY_DETAIL),
    "X-LockLLM-Abuse-Detected": "true",
    "X-LockLLM-Abuse-Confidence": "66",
    "X-LockLLM-Abuse-Types": "bot_generated, rapid_requests,",
    "X-LockLLM-Abuse-Detail": b64(ABUSE_DETAIL),
    "X-LockLLM-PII-Detected": "true",
    "X-LockLLM-PII-Types": "email,phone_number",
    "X-LockLLM-PII-Count": "2",
    "X-LockLLM-PII-Action": "strip",
    "X-LockLLM-Compression-Applied": "true",
    "X-LockLLM-Compression-Method": "toon",
    "X-LockLLM-Compression-Ratio": "0.42",
    "X-LockLLM-Route-Enabled": "true",
    "X-LockLLM-Task-Type": "code",
    "X-LockLLM-Complexity": "0.7",
    "X-LockLLM-Selected-Model": "gpt-4o-mini",
    "X-LockLLM-Routing-Reason": "simple task",
    "X-LockLLM-Original-Provider": "openai",
    "X-LockLLM-Original-Model": "gpt-4",
    "X-LockLLM-Estimated-Savings": "0.01",
    "X-LockLLM-Estimated-Original-Cost": "0.03",
    "X-LockLLM-Estimated-Routed-Cost": "0.02",
    "X-LockLLM-Estimated-Input-Tokens": "120",
    "X-LockLLM-Estimated-Output-Tokens": "300",
    "X-LockLLM-Routing-Fee-Reason": "waived",
    "X-LockLLM-Routing-Fee-Reserved": "0.001",
    "X-LockLLM-Cache-Status": "HIT",
    "X-LockLLM-Cache-Age": "42",
    "X-LockLLM-Tokens-Saved": "420",
    "X-LockLLM-Cost-Saved": "0.004",
    "X-LockLLM-Credits-Reserved": "0.05",
    "X-LockLLM-Credits-Deducted": "0.04",
    "X-LockLLM-Balance-After": "9.96",
    "Content-Type": "application/json",
}


def test_full_header_set() -> None:
    meta = parse_proxy_metadata(FULL)
    assert meta.safe is False
    assert meta.scanned is True
    assert meta.blocked is False
    assert meta.request_id == "req_123"
    assert meta.label == 1
    assert meta.injection_score == 71.5
    assert meta.confidence == 88.0
    assert meta.sensitivity == "high"
    assert meta.scan_mode == "combined"
    assert meta.provider == "openai"
    assert meta.model == "gpt-4"
    assert meta.credits_mode == "byok"
    assert meta.scan_warning == ProxyScanWarning(71.5, 88.0)
    assert meta.scan_warning is not None
    assert meta.scan_warning.detail == SCAN_DETAIL
    assert meta.policy_warnings == ProxyPolicyWarnings(count=1, confidence=90.5)
    assert meta.policy_warnings is not None
    assert meta.policy_warnings.detail == POLICY_DETAIL
    assert meta.abuse == ProxyAbuse(True, 66.0, ("bot_generated", "rapid_requests"))
    assert meta.abuse is not None
    assert meta.abuse.detail == ABUSE_DETAIL
    assert meta.pii == ProxyPII(True, ("email", "phone_number"), 2, "strip")
    assert meta.compression == ProxyCompression("toon", True, 0.42)
    assert meta.routing == ProxyRouting(
        enabled=True,
        task_type="code",
        complexity=0.7,
        selected_model="gpt-4o-mini",
        reason="simple task",
        original_provider="openai",
        original_model="gpt-4",
        estimated_savings=0.01,
        estimated_original_cost=0.03,
        estimated_routed_cost=0.02,
        estimated_input_tokens=120,
        estimated_output_tokens=300,
        fee_reason="waived",
    )
    assert meta.cache == ProxyCache("HIT", 42, 420, 0.004)
    assert meta.credits_reserved == 0.05
    assert meta.credits_deducted == 0.04
    assert meta.balance_after == 9.96
    assert meta.routing_fee_reserved == 0.001
    assert "content-type" not in meta.headers
    assert meta.headers["x-lockllm-safe"] == "false"
    assert len(meta.headers) == len(FULL) - 1


def test_frozen() -> None:
    meta = parse_proxy_metadata(FULL)
    with pytest.raises(dataclasses.FrozenInstanceError):
        meta.safe = True  # type: ignore[misc]


def test_empty_headers_read_as_unknown() -> None:
    meta = parse_proxy_metadata({})
    assert meta == ProxyMetadata()
    assert meta.safe is None
    assert meta.scan_warning is None
    assert meta.headers == {}


@pytest.mark.parametrize("kind", [dict, httpx.Headers, httpx2.Headers])
def test_case_insensitive_and_any_mapping(kind: Any) -> None:
    headers = kind(
        {
            "x-lockllm-SAFE": "TRUE",
            "X-LOCKLLM-REQUEST-ID": "req_ci",
            "x-lockllm-pii-detected": "False",
        }
    )
    meta = parse_proxy_metadata(headers)
    assert meta.safe is True
    assert meta.request_id == "req_ci"
    assert meta.pii == ProxyPII(detected=False)


def test_request_id_falls_back_to_x_request_id() -> None:
    assert parse_proxy_metadata({"X-Request-Id": "req_plain"}).request_id == "req_plain"
    assert parse_proxy_metadata({"X-Scan-Mode": "normal"}).scan_mode == "normal"


MALFORMED = {
    "X-LockLLM-Safe": "maybe",
    "X-LockLLM-Label": "7",
    "X-LockLLM-Injection-Score": "high",
    "X-LockLLM-Confidence": "nan",
    "X-LockLLM-Scan-Warning": "yes",
    "X-LockLLM-Scan-Detail": "%%%not-base64%%%",
    "X-LockLLM-Warning-Count": "1.5",
    "X-LockLLM-Warning-Detail": base64.b64encode(b"not json").decode(),
    "X-LockLLM-Abuse-Detected": "1",
    "X-LockLLM-Abuse-Detail": base64.b64encode(b"\xff\xfe").decode(),
    "X-LockLLM-Abuse-Types": "",
    "X-LockLLM-PII-Count": "two",
    "X-LockLLM-Compression-Applied": "no",
    "X-LockLLM-Compression-Ratio": "inf",
    "X-LockLLM-Route-Enabled": "0",
    "X-LockLLM-Cache-Age": "",
}


def test_malformed_values_read_as_missing() -> None:
    meta = parse_proxy_metadata(MALFORMED)
    assert meta.safe is None
    assert meta.label is None
    assert meta.injection_score is None
    assert meta.confidence is None
    assert meta.scan_warning == ProxyScanWarning()
    assert meta.scan_warning is not None
    assert meta.scan_warning.detail is None
    assert meta.policy_warnings == ProxyPolicyWarnings()
    assert meta.policy_warnings is not None
    assert meta.policy_warnings.detail is None
    assert meta.abuse == ProxyAbuse(detected=True)
    assert meta.abuse is not None
    assert meta.abuse.detail is None
    assert meta.pii is None
    assert meta.compression == ProxyCompression(method=None, applied=False, ratio=None)
    assert meta.routing == ProxyRouting(enabled=False)
    assert meta.cache is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b64({"a": 1}), {"a": 1}),
        (b64({"a": 1}).rstrip("="), {"a": 1}),  # padding dropped
        (base64.urlsafe_b64encode(b'{"k": "??>>"}').decode(), {"k": "??>>"}),
        ("  " + b64([1, 2]) + " ", [1, 2]),
        (None, None),
        ("", None),
        ("!!!!", None),
        ("abc", None),
        (base64.b64encode(b"{bad").decode(), None),
    ],
)
def test_decode_detail(value: Any, expected: Any) -> None:
    assert decode_detail(value) == expected
