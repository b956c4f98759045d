"""Time budgets for the tests, derived from a measured base instead of an idle machine.

CI runs on small, busy machines (2 CPUs shared with other jobs): there, starting a gateway
scan worker can take ten times what it takes on an idle laptop, and a test that allowed
"1.5 s, plus a little" failed for the machine, not for the code. So:

* :func:`base` is how long this machine takes *now* to start a scan worker with the real
  engine and scan ``"hi"`` in it, measured once per test process (about 0.3–2 s idle);
* :func:`slowdown` is that base over :data:`IDLE_BASE` (never below 1);
* :func:`scaled` stretches a bound that holds on an idle machine by the slowdown;
* :func:`generous` is the scan budget for tests whose subject is not the budget: long
  enough that no load makes a benign scan miss it (and still finite, so a hang fails).
"""

from __future__ import annotations

import functools
import pickle
import time

IDLE_BASE = 0.5
"""Seconds :func:`base` takes on an idle 2-CPU machine (a worker start dominates it)."""


@functools.cache
def base() -> float:
    """Seconds to start a scan worker (real engine) and scan one short text, measured now."""
    from lockllm.server._scanpool import DEFAULT_FACTORY, _Worker
    from lockllm.server._scanworker import read_frame

    started = time.monotonic()
    worker = _Worker(DEFAULT_FACTORY)
    try:
        payload = pickle.dumps(("scan", "hi", "medium"), pickle.HIGHEST_PROTOCOL)
        worker.stdin.write(len(payload).to_bytes(4, "big") + payload)
        if read_frame(worker.stdout) is None:
            raise RuntimeError("the measuring scan worker died")
        return time.monotonic() - started
    finally:
        worker.kill()


def slowdown() -> float:
    """How many times slower than idle this machine is now (at least 1)."""
    return max(1.0, base() / IDLE_BASE)


def scaled(seconds: float) -> float:
    """``seconds`` (a bound that holds on an idle machine) stretched by :func:`slowdown`."""
    return seconds * slowdown()


def generous() -> float:
    """A scan budget no benign scan misses on a loaded machine: 60 s, or 40 bases."""
    return max(60.0, 40 * base())
