"""The circuit breaker of ``fallback="local"``: an outage is remembered.

While the service is down, the first scans try it (with their retries) and fall back; once
the breaker opens, scans are answered by the local engine at once; after the cool-down one
trial request goes to the service, and its answer closes or re-opens the breaker. The
tests count HTTP requests, never wall-clock time, and drive the cool-down with an injected
clock. Every client scenario runs on the sync client and the async one under asyncio and
trio (the ``runner`` fixture).
"""

from __future__ import annotations

import itertools
import logging
import threading
from typing import Any, Awaitable, Callable, Dict, List

import anyio
import httpx
import pytest
from _scan_stub import BASE, KEY, Runner, SilentServer, closed_port, error_body, scan_body

from lockllm import (
    APIError,
    AsyncLockLLM,
    AuthenticationError,
    CircuitBreaker,
    InvalidRequestError,
    LockLLM,
    NetworkError,
    PromptInjectionError,
    RateLimitError,
    ScanResponse,
)
from lockllm._breaker import Ticket
from lockllm._config import DEFAULT_BREAKER_COOLDOWN, DEFAULT_BREAKER_THRESHOLD
from lockllm._protocol import ProtocolStateError, ScanCall

PROMPT = "my card number is 4111 1111 1111 1111, what's the weather?"
"""A prompt whose text must never reach a log line."""


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


Scan = Callable[..., Awaitable[Any]]
Scenario = Callable[[Scan, Any], Awaitable[Any]]


def drive(runner: Runner, scenario: Scenario, **client_kwargs: Any) -> Any:
    """Run ``await scenario(scan, client)`` on one client of the runner's kind.

    ``scan(...)`` is the client's ``scan`` (awaited for the async client); it returns the
    result or raises. The sync client runs inside a plain event loop, called directly.
    """
    client_kwargs.setdefault("fallback", "local")
    if not runner.is_async:

        async def go_sync() -> Any:
            with runner.make(**client_kwargs) as client:

                async def scan(*args: Any, **kwargs: Any) -> Any:
                    return client.scan(*args, **kwargs)

                return await scenario(scan, client)

        return anyio.run(go_sync)

    async def go_async() -> Any:
        async with runner.make(**client_kwargs) as client:
            return await scenario(client.scan, client)

    return runner.run_async(go_async)


def breaker_messages(caplog: pytest.LogCaptureFixture) -> List[str]:
    return [
        f"{r.levelname} {r.getMessage()}"
        for r in caplog.records
        if r.name == "lockllm" and r.levelno >= logging.INFO and "circuit breaker" in r.getMessage()
    ]


def open_now(breaker: CircuitBreaker) -> None:
    """Open ``breaker`` as a failed scan would (without sending anything)."""
    ticket, _ = breaker.admit()
    breaker.record(ticket, "failure", breaker.failure_threshold)
    assert breaker.state == "open"


FAILURES = [
    pytest.param(httpx.ConnectError("refused"), id="connect"),
    pytest.param(httpx.ReadTimeout("slow"), id="timeout"),
    pytest.param(httpx.Response(500, json=error_body(message="oops")), id="500"),
    pytest.param(httpx.Response(502, text="<html>bad gateway</html>"), id="502"),
    pytest.param(httpx.Response(503, text="down"), id="503"),
    pytest.param(httpx.Response(504), id="504"),
]


def failing(api: Any, failure: Any) -> Any:
    route = api.post("/v1/scan")
    if isinstance(failure, httpx.Response):
        return route.mock(return_value=failure)
    return route.mock(side_effect=failure)


# --------------------------------------------------------------------------- opening


@pytest.mark.parametrize("failure", FAILURES)
def test_a_failed_scan_opens_it_and_later_scans_are_not_sent(
    runner: Runner, api: Any, slept: List[float], failure: Any
) -> None:
    route = failing(api, failure)

    async def scenario(scan: Scan, client: Any) -> None:
        first = await scan("hello there")
        assert first.source == "local"
        assert route.call_count == 4  # the first try and max_retries=3 retries
        assert client.circuit_breaker.state == "open"
        for _ in range(5):
            result = await scan(PROMPT)
            assert isinstance(result, ScanResponse)
            assert result.source == "local"
        assert route.call_count == 4  # nothing more was sent

    drive(runner, scenario)
    assert len(slept) == 3  # only the first scan waited between retries


def test_defaults() -> None:
    breaker = CircuitBreaker()
    assert breaker.failure_threshold == DEFAULT_BREAKER_THRESHOLD == 3
    assert breaker.cooldown == DEFAULT_BREAKER_COOLDOWN == 30.0
    assert breaker.state == "closed"
    assert repr(breaker) == "CircuitBreaker(state='closed', failure_threshold=3, cooldown=30.0)"


def test_the_threshold_counts_failed_requests_in_a_row(
    runner: Runner, api: Any, slept: List[float]
) -> None:
    route = api.post("/v1/scan")
    down = httpx.ConnectError("refused")

    async def scenario(scan: Scan, client: Any) -> None:
        breaker = client.circuit_breaker
        route.mock(side_effect=down)
        await scan("one")
        await scan("two")
        assert breaker.state == "closed"  # two failed requests of three
        route.mock(side_effect=None, return_value=httpx.Response(200, json=scan_body()))
        assert (await scan("three")).source == "api"  # an answer starts the count again
        route.mock(side_effect=down)
        await scan("four")
        await scan("five")
        assert breaker.state == "closed"
        assert (await scan("six")).source == "local"
        assert breaker.state == "open"
        assert route.call_count == 6
        assert (await scan("seven")).source == "local"
        assert route.call_count == 6

    drive(runner, scenario, max_retries=0)


# --------------------------------------------------------------------------- half-open


def test_after_the_cooldown_one_trial_closes_it(
    runner: Runner, api: Any, slept: List[float]
) -> None:
    clock = Clock()
    breaker = CircuitBreaker(cooldown=20, clock=clock)
    route = api.post("/v1/scan").mock(side_effect=httpx.ConnectError("refused"))

    async def scenario(scan: Scan, client: Any) -> None:
        await scan("hello")
        assert route.call_count == 4
        clock.advance(19.9)
        assert (await scan("hello")).source == "local"
        assert route.call_count == 4  # still cooling down
        clock.advance(0.1)
        route.mock(side_effect=None, return_value=httpx.Response(200, json=scan_body()))
        trial = await scan("hello")
        assert trial.source == "api"
        assert route.call_count == 5
        assert breaker.state == "closed"
        for _ in range(3):
            assert (await scan("hello")).source == "api"
        assert route.call_count == 8

    drive(runner, scenario, circuit_breaker=breaker)


def test_a_failed_trial_opens_it_again(runner: Runner, api: Any, slept: List[float]) -> None:
    clock = Clock()
    breaker = CircuitBreaker(cooldown=30, clock=clock)
    route = api.post("/v1/scan").mock(return_value=httpx.Response(503, text="down"))

    async def scenario(scan: Scan, client: Any) -> None:
        await scan("hello")
        assert route.call_count == 4
        retries_waited = len(slept)
        clock.advance(30)
        trial = await scan("hello")
        assert trial.source == "local"
        assert route.call_count == 5  # one request: a trial is never retried
        assert len(slept) == retries_waited
        assert breaker.state == "open"
        clock.advance(29)
        assert (await scan("hello")).source == "local"
        assert route.call_count == 5
        clock.advance(1)
        await scan("hello")
        assert route.call_count == 6

    drive(runner, scenario, circuit_breaker=breaker)


def test_while_a_trial_is_out_other_scans_are_answered_locally() -> None:
    clock = Clock()
    breaker = CircuitBreaker(clock=clock)
    open_now(breaker)
    clock.advance(30)
    trial, change = breaker.admit()
    assert trial.trial
    assert trial.send
    assert change is not None
    assert change.state == "half_open"
    assert breaker.state == "half_open"
    waiting, change = breaker.admit()
    assert not waiting.send
    assert change is None
    assert breaker.record(waiting, "success") is None  # a local answer changes nothing
    closed = breaker.record(trial, "success")
    assert closed is not None
    assert closed.state == "closed"
    assert breaker.state == "closed"


# --------------------------------------------------------------------------- not failures


@pytest.mark.parametrize(
    ("status", "payload", "cls"),
    [
        (401, error_body(message="bad key", type="authentication_error"), AuthenticationError),
        (429, error_body(message="slow down", type="rate_limit_error"), RateLimitError),
        (
            400,
            error_body(
                message="blocked", type="lockllm_security_error", code="prompt_injection_detected"
            ),
            PromptInjectionError,
        ),
        (404, error_body(message="nope"), APIError),
    ],
    ids=["401", "429", "400", "404"],
)
def test_an_answer_with_a_4xx_never_opens_it(
    runner: Runner, api: Any, slept: List[float], status: int, payload: Any, cls: type
) -> None:
    route = api.post("/v1/scan").respond(status, json=payload)

    async def scenario(scan: Scan, client: Any) -> None:
        for _ in range(4):
            with pytest.raises(cls):
                await scan("hello")
        assert client.circuit_breaker.state == "closed"
        assert route.call_count == 4  # every scan was sent

    drive(runner, scenario, max_retries=0, circuit_breaker=CircuitBreaker(failure_threshold=1))


def test_a_4xx_answer_resets_the_count(runner: Runner, api: Any, slept: List[float]) -> None:
    route = api.post("/v1/scan")

    async def scenario(scan: Scan, client: Any) -> None:
        route.mock(side_effect=httpx.ConnectError("refused"))
        await scan("one")
        route.mock(side_effect=None, return_value=httpx.Response(401, json=error_body()))
        with pytest.raises(AuthenticationError):
            await scan("two")
        route.mock(side_effect=httpx.ConnectError("refused"))
        await scan("three")
        assert client.circuit_breaker.state == "closed"

    drive(runner, scenario, max_retries=0, circuit_breaker=CircuitBreaker(failure_threshold=2))


def test_a_trial_answered_with_a_4xx_closes_it(
    runner: Runner, api: Any, slept: List[float]
) -> None:
    # The service answered: it is reachable, and the error is the caller's to see.
    clock = Clock()
    breaker = CircuitBreaker(clock=clock)
    open_now(breaker)
    clock.advance(30)
    route = api.post("/v1/scan").respond(401, json=error_body(type="authentication_error"))

    async def scenario(scan: Scan, client: Any) -> None:
        with pytest.raises(AuthenticationError):
            await scan("hello")
        assert breaker.state == "closed"
        assert route.call_count == 1

    drive(runner, scenario, circuit_breaker=breaker)


def test_a_trial_that_could_not_be_sent_leaves_the_next_scan_as_trial(
    runner: Runner, api: Any, slept: List[float]
) -> None:
    clock = Clock()
    breaker = CircuitBreaker(clock=clock)
    open_now(breaker)
    clock.advance(30)
    route = api.post("/v1/scan").mock(side_effect=httpx.LocalProtocolError("bad request"))

    async def scenario(scan: Scan, client: Any) -> None:
        with pytest.raises(InvalidRequestError):
            await scan("hello")
        assert breaker.state == "half_open"
        route.mock(side_effect=None, return_value=httpx.Response(200, json=scan_body()))
        assert (await scan("hello")).source == "api"
        assert breaker.state == "closed"
        assert route.call_count == 2

    drive(runner, scenario, circuit_breaker=breaker)


def test_a_trial_interrupted_by_an_exception_frees_the_trial(
    runner: Runner, api: Any, slept: List[float]
) -> None:
    clock = Clock()
    breaker = CircuitBreaker(clock=clock)
    open_now(breaker)
    clock.advance(30)
    route = api.post("/v1/scan").mock(side_effect=RuntimeError("the transport broke"))

    async def scenario(scan: Scan, client: Any) -> None:
        with pytest.raises(RuntimeError):
            await scan("hello")
        route.mock(side_effect=None, return_value=httpx.Response(200, json=scan_body()))
        assert (await scan("hello")).source == "api"
        assert route.call_count == 2

    drive(runner, scenario, circuit_breaker=breaker)
    assert breaker.state == "closed"


@pytest.mark.anyio
async def test_a_cancelled_trial_frees_the_trial(fast_ssl: None) -> None:
    clock = Clock()
    breaker = CircuitBreaker(clock=clock)
    open_now(breaker)
    clock.advance(30)
    sent: List[str] = []

    async def count(request: httpx.Request) -> None:
        sent.append(request.url.path)

    with SilentServer() as server:
        http = httpx.AsyncClient(event_hooks={"request": [count]})
        async with (
            http,
            AsyncLockLLM(
                api_key=KEY,
                base_url=server.url,
                fallback="local",
                circuit_breaker=breaker,
                http_client=http,
            ) as client,
        ):
            for expected in (1, 2):  # each cancelled trial leaves the next scan a trial
                with anyio.move_on_after(0.3):
                    await client.scan("hello")
                assert len(sent) == expected
                assert breaker.state == "half_open"


# --------------------------------------------------------------------------- logging


def test_each_change_is_logged_once_without_secrets(
    runner: Runner, api: Any, slept: List[float], caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    breaker = CircuitBreaker(cooldown=10, clock=clock)
    route = api.post("/v1/scan").mock(return_value=httpx.Response(503, text="down"))

    async def scenario(scan: Scan, client: Any) -> None:
        for _ in range(4):  # opens, then three local answers
            await scan(PROMPT)
        clock.advance(10)
        for _ in range(3):  # a failed trial, then two local answers
            await scan(PROMPT)
        clock.advance(10)
        route.mock(return_value=httpx.Response(200, json=scan_body()))
        for _ in range(3):  # a trial that closes it, then two answers from the service
            await scan(PROMPT)

    with caplog.at_level(logging.DEBUG, logger="lockllm"):
        drive(runner, scenario, circuit_breaker=breaker)
    assert route.call_count == 4 + 1 + 3
    url = BASE.split("://")[1]
    assert breaker_messages(caplog) == [
        f"WARNING LockLLM circuit breaker open: 4 request(s) in a row to {BASE} failed "
        "(APIError 503); scans are answered by the local engine for the next 10s",
        f"INFO LockLLM circuit breaker half-open: one trial scan goes to {BASE}",
        f"WARNING LockLLM circuit breaker open again: the trial scan to {BASE} failed "
        "(APIError 503); scans are answered by the local engine for the next 10s",
        f"INFO LockLLM circuit breaker half-open: one trial scan goes to {BASE}",
        f"INFO LockLLM circuit breaker closed: {BASE} answered the trial scan; scans go to "
        "the service again",
    ]
    assert url in breaker_messages(caplog)[0]
    for record in caplog.records:
        text = record.getMessage()
        assert KEY not in text
        assert KEY[-4:] not in text
        # The card number as written (a bare "4111" also turns up in random hex request ids).
        assert "4111 1111" not in text
        assert "weather" not in text


def test_a_network_failure_is_named_without_a_status(
    api: Any, slept: List[float], caplog: pytest.LogCaptureFixture, fast_ssl: None
) -> None:
    api.post("/v1/scan").mock(side_effect=httpx.ConnectError("refused"))
    with (
        caplog.at_level(logging.WARNING, logger="lockllm"),
        LockLLM(
            api_key=KEY, base_url="https://user:pw@api.lockllm.test", fallback="local"
        ) as client,
    ):
        client.scan("hello")
    (message,) = breaker_messages(caplog)
    assert "(NetworkError)" in message
    assert "***@api.lockllm.test" in message
    assert "pw" not in message.replace("***", "")


# --------------------------------------------------------------------------- configuration


def test_without_fallback_there_is_no_breaker(runner: Runner, api: Any, slept: List[float]) -> None:
    route = api.post("/v1/scan").mock(side_effect=httpx.ConnectError("refused"))

    async def scenario(scan: Scan, client: Any) -> None:
        assert client.circuit_breaker is None
        for _ in range(3):
            with pytest.raises(NetworkError):
                await scan("hello")
        assert route.call_count == 3  # every scan tried the service, as documented

    drive(runner, scenario, fallback=None, max_retries=0)


def test_circuit_breaker_false_sends_every_scan(
    runner: Runner, api: Any, slept: List[float]
) -> None:
    route = api.post("/v1/scan").mock(side_effect=httpx.ConnectError("refused"))

    async def scenario(scan: Scan, client: Any) -> None:
        assert client.circuit_breaker is None
        for _ in range(5):
            assert (await scan("hello")).source == "local"
        assert route.call_count == 5

    drive(runner, scenario, max_retries=0, circuit_breaker=False)


@pytest.mark.parametrize("value", ["yes", 1, 0, 3.0, object()])
def test_a_bad_circuit_breaker_argument_is_refused(value: Any) -> None:
    with pytest.raises(InvalidRequestError, match="circuit_breaker must be True, False or"):
        LockLLM(api_key=KEY, fallback="local", circuit_breaker=value)


@pytest.mark.parametrize("value", [0, -1, True, 1.5, "3", None])
def test_a_bad_threshold_is_refused(value: Any) -> None:
    with pytest.raises(InvalidRequestError, match="failure_threshold must be a whole number"):
        CircuitBreaker(failure_threshold=value)


@pytest.mark.parametrize("value", [0, -1.0, True, float("nan"), float("inf"), "30", None])
def test_a_bad_cooldown_is_refused(value: Any) -> None:
    with pytest.raises(InvalidRequestError, match="cooldown must be a positive number"):
        CircuitBreaker(cooldown=value)


def test_a_bad_clock_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="clock must be a function"):
        CircuitBreaker(clock=5)  # type: ignore[arg-type]


def test_one_breaker_shared_by_a_sync_and_an_async_client(
    api: Any, slept: List[float], fast_ssl: None
) -> None:
    breaker = CircuitBreaker(failure_threshold=1)
    route = api.post("/v1/scan").mock(side_effect=httpx.ConnectError("refused"))
    with LockLLM(api_key=KEY, base_url=BASE, fallback="local", circuit_breaker=breaker) as sync:
        sync.scan("hello")
        assert sync.circuit_breaker is breaker
    assert route.call_count == 4

    async def go() -> Any:
        async with AsyncLockLLM(
            api_key=KEY, base_url=BASE, fallback="local", circuit_breaker=breaker
        ) as client:
            return await client.scan("hello")

    assert anyio.run(go).source == "local"
    assert route.call_count == 4


def test_with_options_shares_the_breaker_of_the_same_service(fast_ssl: None) -> None:
    with LockLLM(api_key=KEY, base_url=BASE, fallback="local") as client:
        breaker = client.circuit_breaker
        assert breaker is not None
        assert client.with_options(timeout=5).circuit_breaker is breaker
        assert client.with_options(base_url=BASE + "/").circuit_breaker is breaker
        other = client.with_options(base_url="https://other.example").circuit_breaker
        assert other is not None
        assert other is not breaker
        assert (other.failure_threshold, other.cooldown) == (3, 30.0)
        assert client.with_options(circuit_breaker=False).circuit_breaker is None
        mine = CircuitBreaker(failure_threshold=5)
        assert client.with_options(circuit_breaker=mine).circuit_breaker is mine
        # Without the fallback the breaker is kept, unused, for a copy that turns it on.
        plain = client.with_options(fallback=None)
        assert plain.circuit_breaker is None
        assert plain.with_options(fallback="local").circuit_breaker is breaker
    with LockLLM(api_key=KEY, base_url=BASE, fallback="local", circuit_breaker=False) as off:
        assert off.with_options(base_url="https://other.example").circuit_breaker is None


def test_raw_responses_bypass_the_breaker(api: Any, slept: List[float], fast_ssl: None) -> None:
    breaker = CircuitBreaker()
    open_now(breaker)
    route = api.post("/v1/scan").mock(side_effect=httpx.ConnectError("refused"))
    with LockLLM(
        api_key=KEY, base_url=BASE, fallback="local", max_retries=0, circuit_breaker=breaker
    ) as client:
        with pytest.raises(NetworkError):
            client.with_raw_response.scan("hello")  # raw: no fallback, always sent
        assert route.call_count == 1
        assert client.scan("hello").source == "local"
        assert route.call_count == 1


def test_bad_input_is_refused_before_the_breaker_is_asked(
    runner: Runner, api: Any, slept: List[float]
) -> None:
    clock = Clock()
    breaker = CircuitBreaker(clock=clock)
    open_now(breaker)
    clock.advance(30)
    route = api.post("/v1/scan").respond(200, json=scan_body())

    async def scenario(scan: Scan, client: Any) -> None:
        with pytest.raises(InvalidRequestError):
            await scan("   ")
        assert breaker.state == "open"  # no trial was taken by the refused call
        assert (await scan("hello")).source == "api"

    drive(runner, scenario, circuit_breaker=breaker)
    assert route.call_count == 1


# --------------------------------------------------------------------------- a real port


def test_a_real_closed_port(runner: Runner, slept: List[float]) -> None:
    sent: List[str] = []
    url = f"http://127.0.0.1:{closed_port()}"
    if runner.is_async:

        async def hook(request: httpx.Request) -> None:
            sent.append(request.url.path)

        http: Any = httpx.AsyncClient(event_hooks={"request": [hook]})
    else:
        http = httpx.Client(event_hooks={"request": [lambda request: sent.append("x")]})

    async def scenario(scan: Scan, client: Any) -> None:
        try:
            results = [await scan("What's the capital of France?") for _ in range(4)]
        finally:
            close = http.aclose() if runner.is_async else None
            if close is not None:
                await close
            else:
                http.close()
        assert [r.source for r in results] == ["local"] * 4
        assert len(sent) == 4  # the first scan's four tries; then none

    drive(runner, scenario, base_url=url, http_client=http)


# --------------------------------------------------------------------------- threads


def test_the_sync_client_under_concurrent_calls(
    api: Any, slept: List[float], caplog: pytest.LogCaptureFixture, fast_ssl: None
) -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, clock=clock)
    route = api.post("/v1/scan").mock(side_effect=httpx.ConnectError("refused"))
    threads = 8
    results: List[Any] = []
    lock = threading.Lock()

    def work(client: LockLLM, scans: int, start: threading.Barrier) -> None:
        start.wait(timeout=60)
        for _ in range(scans):
            result = client.scan("hello")
            with lock:
                results.append(result)

    def run_threads(client: LockLLM, scans: int) -> None:
        start = threading.Barrier(threads)
        pool = [threading.Thread(target=work, args=(client, scans, start)) for _ in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join(timeout=120)
            assert not thread.is_alive()

    with (
        caplog.at_level(logging.INFO, logger="lockllm"),
        LockLLM(
            api_key=KEY, base_url=BASE, fallback="local", max_retries=0, circuit_breaker=breaker
        ) as client,
    ):
        client.scan("warm the engine up")  # opens the breaker (one failed request)
        assert route.call_count == 1
        run_threads(client, 25)
        assert route.call_count == 1
        assert len(results) == threads * 25
        assert {r.source for r in results} == {"local"}

        # After the cool-down, the threads race for the trial: exactly one gets it, and it
        # stays out (its answer held back) until every other thread answered locally.
        clock.advance(30)
        release = threading.Event()

        def slow_answer(request: httpx.Request) -> httpx.Response:
            assert release.wait(timeout=120)
            return httpx.Response(200, json=scan_body())

        route.mock(side_effect=slow_answer)
        results.clear()
        start = threading.Barrier(threads)
        pool = [threading.Thread(target=work, args=(client, 1, start)) for _ in range(threads)]
        for thread in pool:
            thread.start()
        for _ in range(1200):  # all but the trial answer locally, without waiting for it
            with lock:
                if len(results) == threads - 1:
                    break
            release.wait(0.1)
        with lock:
            assert len(results) == threads - 1
            assert {r.source for r in results} == {"local"}
        release.set()
        for thread in pool:
            thread.join(timeout=120)
            assert not thread.is_alive()
        assert route.call_count == 2
        assert sorted(r.source for r in results) == ["api"] + ["local"] * (threads - 1)
        assert breaker.state == "closed"
    levels = [m.split(" ", 1)[0] for m in breaker_messages(caplog)]
    assert levels == ["WARNING", "INFO", "INFO"]  # opened, half-open, closed: once each


def test_the_breaker_under_threads() -> None:
    """Admissions and reports from many threads: one trial at a time, changes in order."""
    ticks = itertools.count()
    breaker = CircuitBreaker(failure_threshold=2, cooldown=5, clock=lambda: float(next(ticks)))
    counts: Dict[str, int] = {"open": 0, "reopened": 0, "half_open": 0, "closed": 0}
    trials_out = [0]
    lock = threading.Lock()
    problems: List[str] = []

    def note(change: Any) -> None:
        if change is None:
            return
        key = "reopened" if change.reopened else change.state
        with lock:
            counts[key] += 1

    def work(seed: int) -> None:
        verdicts = ["failure", "failure", "success", "neutral", "failure"]
        for step in range(2000):
            ticket, change = breaker.admit()
            note(change)
            if ticket.trial:
                with lock:
                    trials_out[0] += 1
                    if trials_out[0] > 1:
                        problems.append("two trials out at once")
            verdict: Any = verdicts[(seed + step) % len(verdicts)]
            if ticket.trial:
                with lock:
                    trials_out[0] -= 1
            note(breaker.record(ticket, verdict, 1))

    pool = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=300)
        assert not thread.is_alive()
    assert problems == []
    assert counts["open"] > 0
    assert counts["closed"] > 0
    final = breaker.state
    assert counts["open"] == counts["closed"] + (final != "closed")
    assert counts["half_open"] == counts["reopened"] + counts["closed"] + (final == "half_open")


# --------------------------------------------------------------------------- the pieces


def test_reports_about_old_or_settled_tickets_change_nothing() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, clock=clock)
    early, _ = breaker.admit()
    late, _ = breaker.admit()
    opened = breaker.record(early, "failure", 1)
    assert opened is not None
    assert opened.state == "open"
    assert opened.failures == 1
    assert not opened.reopened
    assert breaker.record(early, "success") is None  # reported twice: ignored
    assert breaker.record(late, "success") is None  # sent before it opened: old news
    assert breaker.state == "open"
    clock.advance(30)
    trial, _ = breaker.admit()
    assert breaker.record(trial, "success") is not None
    stale, _ = breaker.admit()
    # A scan admitted in this closed period can still open it; one from before cannot.
    assert breaker.record(late, "failure", 5) is None
    assert breaker.state == "closed"
    assert breaker.record(stale, "failure", 1) is not None
    assert breaker.state == "open"


def test_a_neutral_report_from_a_closed_breaker_changes_nothing() -> None:
    breaker = CircuitBreaker(failure_threshold=1)
    ticket, _ = breaker.admit()
    assert breaker.record(ticket, "neutral") is None
    assert breaker.state == "closed"


def test_an_unknown_verdict_is_a_bug() -> None:
    breaker = CircuitBreaker()
    ticket, _ = breaker.admit()
    with pytest.raises(ValueError, match="verdict must be"):
        breaker.record(ticket, "maybe")  # type: ignore[arg-type]


def test_reprs() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown=2.5, clock=clock)
    ticket, _ = breaker.admit()
    assert repr(ticket) == "<Ticket send>"
    change = breaker.record(ticket, "failure")
    assert repr(change) == "Transition(state='open', failures=1, reopened=False, cooldown=2.5)"
    local, _ = breaker.admit()
    assert repr(local) == "<Ticket local>"
    copy = breaker.copy()
    assert copy.state == "closed"
    assert (copy.failure_threshold, copy.cooldown) == (1, 2.5)
    assert isinstance(local, Ticket)


def test_the_protocol_steps_for_the_breaker() -> None:
    from lockllm._config import ClientConfig

    call = ScanCall(ClientConfig(api_key=KEY), "hello", "medium", {})
    call.without_retries()
    call.sent()
    with pytest.raises(ProtocolStateError):
        call.skip()
    with pytest.raises(ProtocolStateError):
        call.without_retries()
    outcome = call.on_transport_error(httpx.ConnectError("x"), kind="connection")
    assert outcome.kind == "failed"  # max_retries=3, but this call sends once
    assert call.verdict(outcome) == "failure"

    skipped = ScanCall(ClientConfig(api_key=KEY), "hello", "medium", {})
    skipped.skip()
    assert skipped.finished
    assert skipped.attempts == 0

    unsendable = ScanCall(ClientConfig(api_key=KEY), "hello", "medium", {})
    unsendable.sent()
    failed = unsendable.on_transport_error(ValueError("bad"), kind="unsendable")
    assert unsendable.verdict(failed) == "neutral"
