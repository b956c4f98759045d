"""A circuit breaker for ``fallback="local"``, without I/O: it remembers an outage.

The clients ask it before each scan whether to send the request (``admit()``), and tell it
how the scan ended (``record()``). It is a small state machine::

    closed ──failure_threshold failed requests in a row──► open
      ▲                                                    │ cooldown seconds pass,
      │ trial succeeds                                     ▼ then the next scan
      └──────────────────────────────────────────────── half_open (one trial request)
                                trial fails: open again ◄──┘

* **closed**: scans go to the service. A scan that failed the way the local fallback
  answers (a connection error or timeout, or 500/502/503/504, after its retries) adds the
  requests it sent to a count of failures in a row; any answer from the service (a result,
  or an error with an HTTP status such as 401 or 429) sets the count back to zero. At
  ``failure_threshold`` the breaker opens.
* **open**: scans are answered by the local engine at once, nothing is sent.
* **half_open**: once ``cooldown`` seconds have passed, the next scan is the trial: it is
  sent once, without retries, while every other scan is still answered locally. A success
  (any answer from the service) closes the breaker; a failure opens it for another
  ``cooldown``.

Nothing here sleeps, logs or touches the network: ``admit()`` and ``record()`` return a
``Transition`` whenever the state changes, exactly once per change, and the client logs
it. One lock guards the state, held for a few assignments and never across I/O or an
``await``, so one breaker serves threads and event loops alike (and may be shared by a
sync and an async client talking to the same service).
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Callable, Literal, Optional, Tuple

from ._config import DEFAULT_BREAKER_COOLDOWN, DEFAULT_BREAKER_THRESHOLD
from .errors import InvalidRequestError

__all__ = ["BreakerState", "CircuitBreaker", "Ticket", "Transition", "Verdict"]

BreakerState = Literal["closed", "open", "half_open"]
"""Where a ``CircuitBreaker`` stands: sending, answering locally, or trying the service."""

Verdict = Literal["success", "failure", "neutral"]
"""How a scan ended, for the breaker: the service answered, it failed as the fallback
counts failures, or the scan says nothing about the service (e.g. it was cancelled)."""

_SEND, _TRIAL, _LOCAL = "send", "trial", "local"


class Ticket:
    """One scan's admission: whether to send it, and what to report back.

    ``send`` is false when the breaker is open: answer locally, send nothing. ``trial`` is
    true for the one scan sent while half-open; it must be sent once, without retries.
    """

    __slots__ = ("_epoch", "_kind", "_settled")

    def __init__(self, kind: str, epoch: int) -> None:
        self._kind = kind
        self._epoch = epoch
        self._settled = kind == _LOCAL  # a local answer has nothing to report

    @property
    def send(self) -> bool:
        """Whether this scan goes to the service."""
        return self._kind != _LOCAL

    @property
    def trial(self) -> bool:
        """Whether this scan is the half-open trial (one request, no retries)."""
        return self._kind == _TRIAL

    def __repr__(self) -> str:
        return f"<Ticket {self._kind}>"


class Transition:
    """A change of state, returned once by the ``admit()`` or ``record()`` that caused it.

    ``state`` is the new state; ``failures`` the failed requests in a row that opened the
    breaker (0 for other changes); ``reopened`` says an open state follows a failed trial;
    ``cooldown`` the seconds until the next trial.
    """

    __slots__ = ("cooldown", "failures", "reopened", "state")

    def __init__(self, state: BreakerState, failures: int, reopened: bool, cooldown: float) -> None:
        self.state = state
        self.failures = failures
        self.reopened = reopened
        self.cooldown = cooldown

    def __repr__(self) -> str:
        return (
            f"Transition(state={self.state!r}, failures={self.failures!r}, "
            f"reopened={self.reopened!r}, cooldown={self.cooldown!r})"
        )


def _check_threshold(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequestError(
            f"failure_threshold must be a whole number of failed requests >= 1; got {value!r}"
        )
    return value


def _check_cooldown(value: Any) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidRequestError(f"cooldown must be a positive number of seconds; got {value!r}")
    return float(value)


class CircuitBreaker:
    """Remembers that the LockLLM service is down, for clients with ``fallback="local"``.

    After ``failure_threshold`` failed requests in a row (default 3; retries count, so with
    the default ``max_retries=3`` the first scan that fails opens it), scans are answered
    by the local engine at once for ``cooldown`` seconds (default 30). Then one scan is
    sent as a trial, once and without retries: if the service answers, the breaker closes;
    if not, it stays open for another ``cooldown``. Failures are what the fallback answers:
    connection errors, timeouts, 500/502/503/504; an answer such as 401 or 429 is not one.

    Pass one to ``LockLLM(fallback="local", circuit_breaker=CircuitBreaker(...))`` to
    change the settings, or the same one to several clients of one service to share what
    they learn. ``clock`` (seconds, monotonic) is for tests. Thread-safe.
    """

    __slots__ = (
        "_clock",
        "_epoch",
        "_failures",
        "_lock",
        "_opened_at",
        "_state",
        "_trial",
        "cooldown",
        "failure_threshold",
    )

    def __init__(
        self,
        failure_threshold: int = DEFAULT_BREAKER_THRESHOLD,
        cooldown: float = DEFAULT_BREAKER_COOLDOWN,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not callable(clock):
            raise InvalidRequestError("clock must be a function returning seconds")
        self.failure_threshold = _check_threshold(failure_threshold)
        self.cooldown = _check_cooldown(cooldown)
        self._clock = clock
        self._lock = threading.Lock()
        self._state: BreakerState = "closed"
        self._epoch = 0  # which closed period a "send" ticket was admitted in
        self._failures = 0
        self._opened_at = 0.0
        self._trial: Optional[Ticket] = None

    @property
    def state(self) -> BreakerState:
        """``"closed"``, ``"open"`` or ``"half_open"`` (an open breaker whose cool-down
        has passed turns half-open on the next scan)."""
        return self._state

    def copy(self) -> CircuitBreaker:
        """A new, closed breaker with the same settings."""
        return CircuitBreaker(self.failure_threshold, self.cooldown, clock=self._clock)

    def admit(self) -> Tuple[Ticket, Optional[Transition]]:
        """May the next scan go to the service? The ticket says; report it to ``record()``.

        The transition is the move to half-open when this scan is the first trial.
        """
        with self._lock:
            if self._state == "closed":
                return Ticket(_SEND, self._epoch), None
            change = None
            if self._state == "open":
                if self._clock() - self._opened_at < self.cooldown:
                    return Ticket(_LOCAL, self._epoch), None
                self._state = "half_open"
                change = Transition("half_open", 0, False, self.cooldown)
            elif self._trial is not None:  # half-open, a trial in flight: wait for it
                return Ticket(_LOCAL, self._epoch), None
            self._trial = Ticket(_TRIAL, self._epoch)
            return self._trial, change

    def record(self, ticket: Ticket, verdict: Verdict, requests: int = 1) -> Optional[Transition]:
        """How an admitted scan ended; ``requests`` is how many it sent (retries included).

        Reporting a ticket twice does nothing the second time, so a client may report
        ``"neutral"`` from a ``finally`` after it already reported the real verdict.
        """
        if verdict not in ("success", "failure", "neutral"):
            raise ValueError(f"verdict must be 'success', 'failure' or 'neutral'; got {verdict!r}")
        with self._lock:
            if ticket._settled:
                return None
            ticket._settled = True
            if ticket._kind == _TRIAL:
                return self._end_trial(ticket, verdict)
            if self._state != "closed" or ticket._epoch != self._epoch or verdict == "neutral":
                return None  # sent before the breaker last opened: old news
            if verdict == "success":
                self._failures = 0
                return None
            self._failures += max(requests, 1)
            if self._failures < self.failure_threshold:
                return None
            failures, self._failures = self._failures, 0
            return self._open(failures, reopened=False)

    def _end_trial(self, ticket: Ticket, verdict: Verdict) -> Optional[Transition]:
        # Only one trial is out at a time, and it is settled once: this is that trial.
        self._trial = None
        if verdict == "neutral":
            return None  # cancelled or unsendable: the next scan is the trial
        if verdict == "failure":
            return self._open(1, reopened=True)
        self._state = "closed"
        self._epoch += 1
        return Transition("closed", 0, False, self.cooldown)

    def _open(self, failures: int, *, reopened: bool) -> Transition:
        self._state = "open"
        self._opened_at = self._clock()
        return Transition("open", failures, reopened, self.cooldown)

    def __repr__(self) -> str:
        return (
            f"CircuitBreaker(state={self._state!r}, failure_threshold={self.failure_threshold!r},"
            f" cooldown={self.cooldown!r})"
        )
