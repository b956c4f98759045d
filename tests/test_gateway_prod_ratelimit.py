"""Rate limits per client key: in-process, shared through a real Redis across two gateway
processes, and harmless when Redis is down."""

from __future__ import annotations

import json
import time
from typing import Iterator

import httpx
import pytest
from _gateway import Gateway, running_gateway
from _gateway_prod import AUTH, GATEWAY_KEY, free_port, serve_process
from _timing import scaled

from lockllm import LockLLM, RateLimitError
from lockllm.errors import ConfigurationError
from lockllm.server import Settings
from lockllm.server._production import key_id, presented_keys
from lockllm.server._ratelimit import LocalLimiter, Rate, parse_rate
from lockllm.server._redis import RedisLink

SAFE = "What is the capital of France?"
OTHER_KEY = "lockllm-other-client-key-abcdef0123"


def test_parse_rate() -> None:
    assert parse_rate("600/minute") == Rate(600, 60.0)
    assert parse_rate(" 5 / Seconds ") == Rate(5, 1.0)
    assert parse_rate("1000/hour") == Rate(1000, 3600.0)
    assert str(parse_rate("600/minutes")) == "600/minute"
    for bad in ("600", "0/minute", "-1/minute", "10/day", "ten/minute", "1e3/minute", 600, ""):
        with pytest.raises(ConfigurationError, match="600/minute"):
            parse_rate(bad)


def test_rate_limit_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"LOCKLLM_SERVER_RATE_LIMIT": "10/second", "LOCKLLM_SERVER_REDIS_URL": "redis://r:1/0"}
    settings = Settings.load(environ=env)
    assert settings.rate_limit == Rate(10, 1.0)
    assert settings.redis_url == "redis://r:1/0"
    assert "redis://" not in repr(settings)
    assert "10/second" in repr(settings)
    path = tmp_path / "gw.json"
    path.write_text(json.dumps({"rate_limit": "2/hour", "redis_url": "unix:///tmp/r.sock"}))
    assert Settings.load(config_file=str(path), environ={}).rate_limit == Rate(2, 3600.0)
    with pytest.raises(ConfigurationError, match="LOCKLLM_SERVER_RATE_LIMIT must look like"):
        Settings.load(environ={"LOCKLLM_SERVER_RATE_LIMIT": "lots"})
    with pytest.raises(ConfigurationError, match="redis_url must start with"):
        Settings.load(environ={"LOCKLLM_SERVER_REDIS_URL": "http://r"})


def test_gcra_allows_the_burst_then_one_per_interval() -> None:
    limiter = LocalLimiter(Rate(3, 60.0))
    assert [limiter.hit("k", now=100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.hit("k", now=100.0)
    assert wait == pytest.approx(20.0)
    assert limiter.hit("other", now=100.0) == 0.0  # per key
    assert limiter.hit("k", now=119.0) == pytest.approx(1.0)
    assert limiter.hit("k", now=120.0) == 0.0  # one earned back
    assert limiter.hit("k", now=120.0) > 0
    bounded = LocalLimiter(Rate(1, 60.0), max_keys=2)
    for name in ("a", "b", "c"):
        bounded.hit(name, now=0.0)
    assert len(bounded._tat) == 2


def test_presented_keys_and_key_ids() -> None:
    headers = [(b"Authorization", b"Bearer abc"), (b"x-api-key", b" def "), (b"api-key", b"")]
    assert presented_keys(headers) == ["abc", "def"]
    assert key_id("abc") == key_id("abc") != key_id("abd")
    assert "abc" not in key_id("abc")


@pytest.fixture
def limited() -> Iterator[Gateway]:
    with running_gateway(
        api_keys=(GATEWAY_KEY, OTHER_KEY), rate_limit=parse_rate("3/minute")
    ) as gateway:
        yield gateway


def test_in_process_limit_answers_429_in_the_protocol_shape(limited: Gateway) -> None:
    with httpx.Client(base_url=limited.url, headers=AUTH) as client:
        for _ in range(3):
            assert client.post("/v1/scan", json={"input": SAFE}).status_code == 200
        refused = client.post("/v1/scan", json={"input": SAFE}, headers={"X-Request-Id": "rl-1"})
        assert refused.status_code == 429
        # 60 s / 3, less the time taken (about nothing idle, a few seconds on a busy machine)
        low = max(0.0, 20 - scaled(5))
        assert low <= int(refused.headers["retry-after"]) <= 20
        assert low * 1000 <= int(refused.headers["retry-after-ms"]) <= 20_000
        assert refused.headers["x-request-id"] == "rl-1"
        error = refused.json()["error"]
        assert (error["type"], error["code"], error["request_id"]) == (
            "rate_limit_error",
            "rate_limited",
            "rl-1",
        )
        # Proxy routes share the key's allowance; health checks are never limited.
        assert client.post("/v1/proxy/openai/chat/completions", json={}).status_code == 429
        assert client.get("/healthz").status_code == 200
        # Another key has its own allowance; a wrong key is still a 401, not a 429.
        other = {"Authorization": f"Bearer {OTHER_KEY}"}
        assert client.post("/v1/scan", json={"input": SAFE}, headers=other).status_code == 200
        wrong = {"Authorization": "Bearer not-a-key"}
        assert client.post("/v1/scan", json={"input": SAFE}, headers=wrong).status_code == 401


def test_the_sdk_reports_the_limit_with_retry_after(limited: Gateway) -> None:
    with LockLLM(api_key=GATEWAY_KEY, base_url=limited.url, max_retries=0) as client:
        for _ in range(3):
            client.scan(SAFE)
        with pytest.raises(RateLimitError) as caught:
            client.scan(SAFE)
    assert caught.value.retry_after is not None
    assert max(0.0, 20 - scaled(5)) * 1000 <= caught.value.retry_after <= 20_000
    assert GATEWAY_KEY not in str(caught.value)


def test_the_sdk_retry_waits_and_gets_through() -> None:
    with (
        running_gateway(api_keys=(GATEWAY_KEY,), rate_limit=parse_rate("2/second")) as gateway,
        LockLLM(api_key=GATEWAY_KEY, base_url=gateway.url, max_retries=2) as client,
    ):
        started = time.monotonic()
        for _ in range(3):
            assert client.scan(SAFE).safe
        assert time.monotonic() - started < scaled(5)  # the third waited about 1 s, then passed


def test_unreachable_redis_fails_open_to_the_local_limit() -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    with running_gateway(
        api_keys=(GATEWAY_KEY,), rate_limit=parse_rate("2/minute"), redis_url=dead
    ) as gateway:
        with httpx.Client(base_url=gateway.url, headers=AUTH) as client:
            codes = [client.post("/v1/scan", json={"input": SAFE}).status_code for _ in range(3)]
        link = gateway.app.state.production.redis
    assert codes == [200, 200, 429]  # never a 500; the limit still holds in-process
    assert link.errors >= 1


def test_two_processes_share_one_limit_through_redis(redis_url: str) -> None:
    env = {
        "LOCKLLM_SERVER_API_KEYS": GATEWAY_KEY,
        "LOCKLLM_SERVER_RATE_LIMIT": "4/minute",
        "LOCKLLM_SERVER_REDIS_URL": redis_url,
    }
    with serve_process(env) as first, serve_process(env) as second:
        codes = []
        for index in range(6):
            served = first if index % 2 == 0 else second
            response = httpx.post(served.url + "/v1/scan", json={"input": SAFE}, headers=AUTH)
            codes.append(response.status_code)
            if response.status_code == 429:
                assert int(response.headers["retry-after"]) >= 1
                assert response.json()["error"]["code"] == "rate_limited"
    # Four in all, whichever process took them; then both refuse.
    assert codes == [200, 200, 200, 200, 429, 429]


def test_the_redis_link_backs_off_after_a_failure_and_logs_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    link = RedisLink("redis://127.0.0.1:1/0", 0.1)
    seen: list = []
    link.on_error.append(seen.append)
    assert link.available()
    with caplog.at_level("WARNING", logger="lockllm.server"):
        link.failed(OSError("refused"), "rate limits")
        link.failed(OSError("refused"), "rate limits")
    assert not link.available()  # backing off: callers use their in-process state
    assert link._backoff == 4.0  # 1 s, then 2 s, doubling up to 30 s
    assert seen == ["rate limits", "rate limits"]
    assert link.errors == 2
    assert len([r for r in caplog.records if "redis unavailable" in r.getMessage()]) == 1
    assert "127.0.0.1:1" not in caplog.text  # the URL (it may hold a password) is never logged
    assert "redis://" not in repr(link)
    link.succeeded()
    assert link._backoff == 1.0
