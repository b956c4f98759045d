"""Typed use of the scan client, checked with ``mypy --strict`` by test_client_typing.py.

Never run: it only has to type-check.
"""

from __future__ import annotations

from typing import Optional

import httpx

from lockllm import AsyncLockLLM, LockLLM, LockLLMError, RawResponse, ScanResponse


def sync_usage() -> bool:
    client = LockLLM(timeout=httpx.Timeout(5.0, connect=2.0), default_headers={"X-Team": "a"})
    faster: LockLLM = client.with_options(timeout=3, max_retries=0)
    other: LockLLM = client.with_options(timeout=httpx.Timeout(1.0), fallback="local")
    raw: RawResponse = faster.with_raw_response.scan("hello", "high", scan_action="block")
    status: int = raw.status_code
    remaining: Optional[str] = raw.headers.get("x-ratelimit-remaining")
    request_id: str = raw.request_id
    http_response: httpx.Response = raw.http_response
    result: ScanResponse = raw.parse()
    per_call: ScanResponse = other.scan("text", timeout=httpx.Timeout(2.0))
    try:
        client.scan("text", timeout=4.5)
    except LockLLMError as error:
        code: Optional[int] = error.status_code
        response: Optional[httpx.Response] = error.response
        body: Optional[str] = error.body
        print(code, response, body)
    print(status, remaining, request_id, http_response)
    return result.safe and per_call.safe


async def async_usage() -> bool:
    async with AsyncLockLLM(timeout=httpx.Timeout(5.0)) as client:
        copy: AsyncLockLLM = client.with_options(max_retries=1, default_headers={"X-B": "1"})
        raw: RawResponse = await copy.with_raw_response.scan("hello")
        result: ScanResponse = raw.parse()
        again: ScanResponse = await client.scan("x", timeout=httpx.Timeout(1.0, read=3.0))
        return result.safe and again.safe
