"""Reading a 200 scan response: every optional field, unknown fields, wrong types."""

from __future__ import annotations

from typing import Any, Dict

import pytest
from _scan_stub import Runner, scan_body

from lockllm import ScanResponse
from lockllm.types import (
    AbuseWarning,
    CompressionResult,
    Debug,
    PIIResult,
    PolicyViolation,
    RoutingInfo,
    ScanWarning,
    Usage,
    ViolatedCategory,
)

FULL = scan_body(
    safe=False,
    label=1,
    confidence=88.5,
    injection=91,
    sensitivity="high",
    request_id="req_full",
    usage={"requests": 2, "input_chars": 40},
    debug={"duration_ms": 150, "inference_ms": 120.5, "mode": "chunked"},
    policy_confidence=77.0,
    policy_warnings=[
        {
            "policy_name": "No finance",
            "violated_categories": [{"name": "finance"}, {"name": "tax", "description": "Tax"}],
            "violation_details": "asked about taxes",
        }
    ],
    scan_warning={"message": "Looks risky", "injection_score": 65, "confidence": 70, "label": 1},
    abuse_warnings={
        "detected": True,
        "confidence": 80,
        "abuse_types": ["repetition", "bot_generated"],
        "indicators": {"repetition_score": 0.8, "bot_score": 1},
        "recommendation": "throttle",
    },
    routing={
        "enabled": True,
        "task_type": "code",
        "complexity": 0.4,
        "selected_model": "gpt-4o-mini",
        "reasoning": "simple task",
        "estimated_cost": 0.0012,
    },
    pii_result={
        "detected": True,
        "entity_types": ["email"],
        "entity_count": 1,
        "redacted_input": "mail [EMAIL]",
    },
    compression_result={
        "method": "toon",
        "compressed_input": "short",
        "original_length": 100,
        "compressed_length": 50,
        "compression_ratio": 0.5,
    },
    brand_new_field={"anything": [1, 2, 3]},
    another_unknown=42,
)


def test_every_optional_field_is_parsed(runner: Runner, api: Any) -> None:
    api.post("/v1/scan").respond(200, json=FULL)
    result = runner.scan("x", "high")
    assert isinstance(result, ScanResponse)
    assert result.safe is False
    assert result.label == 1
    assert result.confidence == 88.5
    assert result.injection == 91.0
    assert result.sensitivity == "high"
    assert result.request_id == "req_full"
    assert result.usage == Usage(requests=2, input_chars=40)
    assert result.debug == Debug(duration_ms=150.0, inference_ms=120.5, mode="chunked")
    assert result.policy_confidence == 77.0
    assert result.policy_warnings == (
        PolicyViolation(
            policy_name="No finance",
            violated_categories=(ViolatedCategory("finance"), ViolatedCategory("tax", "Tax")),
            violation_details="asked about taxes",
        ),
    )
    assert result.scan_warning == ScanWarning("Looks risky", 65.0, 70.0, 1)
    assert result.abuse_warnings == AbuseWarning(
        detected=True,
        confidence=80.0,
        abuse_types=("repetition", "bot_generated"),
        indicators={"repetition_score": 0.8, "bot_score": 1.0},
        recommendation="throttle",
    )
    assert result.routing == RoutingInfo(True, "code", 0.4, "gpt-4o-mini", "simple task", 0.0012)
    assert result.pii_result == PIIResult(True, ("email",), 1, "mail [EMAIL]")
    assert result.compression_result == CompressionResult("toon", "short", 100, 50, 0.5)
    assert result.source == "api"
    assert result.categories == ()
    assert result.spans == ()
    assert result.scan_result.injection == 91.0
    assert "brand_new_field" not in result.to_dict()
    assert result.to_dict()["request_id"] == "req_full"


def test_minimal_response(runner: Runner, api: Any) -> None:
    api.post("/v1/scan").respond(200, json={"safe": True})
    result = runner.scan("x", "low")
    assert result.safe is True
    assert result.label == 0
    assert result.confidence is None
    assert result.injection is None
    assert result.sensitivity == "low"
    assert result.usage == Usage()
    assert result.debug is None
    assert result.policy_warnings == ()
    assert result.scan_warning is None
    assert result.abuse_warnings is None
    assert result.routing is None
    assert result.pii_result is None
    assert result.compression_result is None
    assert result.request_id  # falls back to the id we sent


OPTIONAL = [
    "label",
    "confidence",
    "injection",
    "sensitivity",
    "request_id",
    "usage",
    "debug",
    "policy_confidence",
    "policy_warnings",
    "scan_warning",
    "abuse_warnings",
    "routing",
    "pii_result",
    "compression_result",
]
WRONG = [None, "str", 7, -1.5, True, [], {}, [None, 1, "x", {}], {"weird": object.__name__}]


@pytest.mark.parametrize("field", OPTIONAL)
def test_each_optional_field_missing(runner: Runner, api: Any, field: str) -> None:
    body = dict(FULL)
    del body[field]
    api.post("/v1/scan").respond(200, json=body)
    result = runner.scan("x")
    assert result.safe is False


@pytest.mark.parametrize("value", WRONG, ids=repr)
@pytest.mark.parametrize("field", OPTIONAL)
def test_each_optional_field_of_the_wrong_type(
    runner: Runner, api: Any, field: str, value: Any
) -> None:
    api.post("/v1/scan").respond(200, json={**FULL, field: value})
    result = runner.scan("x", "high")
    assert result.safe is False
    assert result.label in (0, 1)
    assert result.sensitivity in ("low", "medium", "high")
    assert isinstance(result.request_id, str)
    assert result.request_id


NESTED_WRONG: Dict[str, Any] = {
    "usage": {"requests": "2", "input_chars": None},
    "debug": {"duration_ms": "x", "inference_ms": None, "mode": 3},
    "policy_warnings": [{"policy_name": 1, "violated_categories": [1, {"name": 2}, {}]}, "x"],
    "scan_warning": {"message": None, "injection_score": "high", "label": True},
    "abuse_warnings": {"detected": "maybe", "abuse_types": "bot", "indicators": {"a": "x"}},
    "routing": {"enabled": "yes", "complexity": "hard", "selected_model": 5},
    "pii_result": {"detected": 1, "entity_types": [1, "email"], "entity_count": "many"},
    "compression_result": {"method": 1, "compressed_input": 5},
}


@pytest.mark.parametrize(("field", "value"), NESTED_WRONG.items(), ids=list(NESTED_WRONG))
def test_nested_fields_of_the_wrong_type(runner: Runner, api: Any, field: str, value: Any) -> None:
    api.post("/v1/scan").respond(200, json={**FULL, field: value})
    result = runner.scan("x")
    assert result.safe is False


def test_nested_wrong_types_read_as_missing(runner: Runner, api: Any) -> None:
    api.post("/v1/scan").respond(200, json={**FULL, **NESTED_WRONG})
    result = runner.scan("x")
    assert result.usage == Usage(requests=1, input_chars=0)
    assert result.debug == Debug(duration_ms=0.0, inference_ms=0.0, mode="single")
    assert result.policy_warnings == (PolicyViolation(policy_name=""),)
    assert result.scan_warning == ScanWarning(message="")
    assert result.abuse_warnings == AbuseWarning(detected=True)
    assert result.routing == RoutingInfo(enabled=False)
    assert result.pii_result == PIIResult(detected=False, entity_types=("email",))
    assert result.compression_result is None


def test_label_follows_safe_when_missing_or_bad(runner: Runner, api: Any) -> None:
    api.post("/v1/scan").respond(200, json={"safe": True, "label": 5, "sensitivity": "extreme"})
    result = runner.scan("x", "high")
    assert result.label == 0
    assert result.sensitivity == "high"


def test_huge_numbers_read_as_missing(runner: Runner, api: Any) -> None:
    huge = "1" + "0" * 400
    body = (
        '{"safe": true, "label": 0, "confidence": ' + huge + ', "injection": 1e999, '
        '"sensitivity": "medium", "request_id": "r", "usage": {"requests": 1, "input_chars": 1},'
        ' "abuse_warnings": {"detected": true, "indicators": {"bot": ' + huge + "}}}"
    )
    api.post("/v1/scan").respond(200, content=body.encode())
    result = runner.scan("x")
    assert result.confidence is None
    assert result.injection is None
    assert result.abuse_warnings is not None
    assert result.abuse_warnings.indicators == {}


def test_a_boolean_label_is_not_a_label(runner: Runner, api: Any) -> None:
    api.post("/v1/scan").respond(200, json=scan_body(safe=False, label=True))
    result = runner.scan("x")
    assert result.label == 1
    assert type(result.label) is int


def test_categories_and_spans_from_a_self_hosted_gateway_are_read(runner: Runner, api: Any) -> None:
    spans = [
        {"start": 0, "end": 6, "category": "instruction_override", "score": 93.0},
        {"start": "x", "end": 3, "category": "bad", "score": 1.0},
        "not a span",
    ]
    body = scan_body(safe=False, label=1, categories=["instruction_override", 7], spans=spans)
    api.post("/v1/scan").respond(200, json=body)
    result = runner.scan("Ignore it")
    assert result.categories == ("instruction_override",)
    assert [(s.start, s.end, s.category) for s in result.spans] == [(0, 6, "instruction_override")]
    assert result.source == "api"
