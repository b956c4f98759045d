"""Helpers for the wrapper tests: provider SDK clients on an httpx2 MockTransport, calls in
both SDK styles, the LockLLM error cases and the dual-error check.

Not a test module: the wrapper test modules import it (never each other)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any, Callable, Dict, List, Optional

import httpx2
from _proxy_stub import (
    anthropic_message,
    blocked_body,
    openai_completion,
)

import lockllm.errors as le
import lockllm.wrappers as wrappers
from lockllm._providers import PROVIDERS
from lockllm.wrappers import _errors

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


KEY = "llm_test_key_0123456789"


BASE = "https://proxy.test"


PROVIDER_NAMES = [p.name for p in PROVIDERS]


def factory(name: str, is_async: bool) -> Callable[..., Any]:
    prefix = "create_async_" if is_async else "create_"
    fn: Callable[..., Any] = getattr(wrappers, prefix + name.replace("-", "_"))
    return fn


def sdk_path(name: str) -> str:
    return "/v1/messages" if name == "anthropic" else "/chat/completions"


class Recorder:
    """A MockTransport handler that records requests and plays a queued answer."""

    def __init__(self, response: Optional[Callable[[Any], Any]] = None) -> None:
        self.requests: List[Any] = []
        self.response = response

    def __call__(self, request: Any) -> Any:
        self.requests.append(request)
        assert self.response is not None
        return self.response(request)


def ok_response(name: str) -> Callable[[httpx2.Request], httpx2.Response]:
    body = anthropic_message() if name == "anthropic" else openai_completion()
    return lambda request: httpx2.Response(200, json=body)


def error_response(
    status: int, body: Any, headers: Optional[Dict[str, str]] = None
) -> Callable[[httpx2.Request], httpx2.Response]:
    return lambda request: httpx2.Response(status, json=body, headers=headers)


def make_client(name: str, is_async: bool, recorder: Recorder, **kwargs: Any) -> Any:
    transport = httpx2.MockTransport(recorder)
    http_client = (
        httpx2.AsyncClient(transport=transport) if is_async else httpx2.Client(transport=transport)
    )
    kwargs.setdefault("max_retries", 0)
    return factory(name, is_async)(KEY, http_client=http_client, **kwargs)


def call_sync(client: Any, name: str, text: str = "Hello!", **extra: Any) -> Any:
    if name == "anthropic":
        return client.messages.create(
            model="claude-3-5-sonnet-20241022",
            max_tokens=16,
            messages=[{"role": "user", "content": text}],
            **extra,
        )
    return client.chat.completions.create(
        model="gpt-4", messages=[{"role": "user", "content": text}], **extra
    )


async def call_async(client: Any, name: str, text: str = "Hello!", **extra: Any) -> Any:
    if name == "anthropic":
        return await client.messages.create(
            model="claude-3-5-sonnet-20241022",
            max_tokens=16,
            messages=[{"role": "user", "content": text}],
            **extra,
        )
    return await client.chat.completions.create(
        model="gpt-4", messages=[{"role": "user", "content": text}], **extra
    )


LOCKLLM_CASES = [
    # status, body, headers, LockLLM class, openai class, anthropic class
    (
        400,
        blocked_body("req_blk"),
        {},
        le.PromptInjectionError,
        "BadRequestError",
        "BadRequestError",
    ),
    (
        401,
        {"error": {"message": "bad key", "type": "authentication_error", "code": "unauthorized"}},
        {"X-Request-Id": "req_401"},
        le.AuthenticationError,
        "AuthenticationError",
        "AuthenticationError",
    ),
    (
        429,
        {"error": {"message": "slow down", "type": "rate_limit_error", "code": "rate_limited"}},
        {"Retry-After": "3"},
        le.RateLimitError,
        "RateLimitError",
        "RateLimitError",
    ),
    (
        502,
        {
            "error": {
                "message": "provider failed",
                "type": "upstream_error",
                "code": "provider_error",
                "provider": "openai",
                "upstream_status": 503,
            }
        },
        {},
        le.UpstreamError,
        "InternalServerError",
        "InternalServerError",
    ),
    (
        403,
        {
            "error": {
                "message": "policy",
                "type": "lockllm_policy_error",
                "code": "policy_violation",
                "violated_policies": [{"policy_name": "no-finance"}],
            }
        },
        {},
        le.PolicyViolationError,
        "PermissionDeniedError",
        "PermissionDeniedError",
    ),
    (
        402,
        {"error": {"message": "no credits", "type": "lockllm_balance_error"}},
        {},
        le.InsufficientCreditsError,
        "APIStatusError",
        "PaymentRequiredError",
    ),
    (
        400,
        {
            "error": {
                "message": "add a key",
                "type": "configuration_error",
                "code": "no_upstream_key",
            }
        },
        {},
        le.ConfigurationError,
        "BadRequestError",
        "BadRequestError",
    ),
]


def check_dual(
    error: BaseException, lockllm_cls: type, sdk_cls: type, status: int, body: Any
) -> None:
    assert isinstance(error, lockllm_cls)
    assert isinstance(error, le.LockLLMError)
    assert isinstance(error, sdk_cls)
    assert type(error) is _errors.dual_class(lockllm_cls, sdk_cls)
    # the SDK's side
    assert error.status_code == status  # type: ignore[attr-defined]
    assert error.response.status_code == status  # type: ignore[attr-defined]
    assert isinstance(error.body, dict)  # type: ignore[attr-defined]
    # LockLLM's side
    assert error.status == status
    assert error.message == body["error"]["message"]
    assert error.body_excerpt  # type: ignore[attr-defined]
    assert error.message in str(error)


def run_python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": ROOT, "LOCKLLM_API_KEY": KEY}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
