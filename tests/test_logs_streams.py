"""Logging never writes to a closed stream (issue 17, item 2).

A handler bound to the ``sys.stderr`` of its birth wrote to it after a test runner (or an
application) had closed and replaced it: every record then ended in ``--- Logging error
--- ValueError: I/O operation on closed file``. lockllm's handlers look ``sys.stderr`` up
per record, and drop a record while it is closed.
"""

from __future__ import annotations

import io
import logging
import logging.config
from typing import Iterator, List

import pytest

from lockllm._logs import LOG_ENV, StderrHandler, setup_logging
from lockllm.server._logs import configure_logging, uvicorn_log_config


@pytest.fixture
def restore_loggers() -> Iterator[None]:
    names = ("lockllm", "lockllm.server", "uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {}
    for name in names:
        logger = logging.getLogger(name)
        saved[name] = (list(logger.handlers), logger.level, logger.propagate)
    yield
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


def _swap(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """A fresh stream as sys.stderr (as a test runner's capture would be)."""
    first = io.StringIO()
    monkeypatch.setattr("sys.stderr", first)
    return first


def _close_and_replace(monkeypatch: pytest.MonkeyPatch, first: io.StringIO) -> io.StringIO:
    first.close()
    second = io.StringIO()
    monkeypatch.setattr("sys.stderr", second)
    return second


def test_the_gateway_log_follows_stderr_after_its_first_stream_closed(
    monkeypatch: pytest.MonkeyPatch, restore_loggers: None
) -> None:
    first = _swap(monkeypatch)
    configure_logging("info")  # made while sys.stderr is `first`
    logging.getLogger("lockllm.server").info("before")
    assert "before" in first.getvalue()
    second = _close_and_replace(monkeypatch, first)
    logging.getLogger("lockllm.server").warning("scan worker replaced")
    out = second.getvalue()
    assert "scan worker replaced" in out
    assert "Logging error" not in out
    assert "closed file" not in out


def test_uvicorn_loggers_follow_stderr_too(
    monkeypatch: pytest.MonkeyPatch, restore_loggers: None
) -> None:
    first = _swap(monkeypatch)
    logging.config.dictConfig(uvicorn_log_config("info", "json"))
    assert all(isinstance(h, StderrHandler) for h in logging.getLogger("uvicorn").handlers)
    second = _close_and_replace(monkeypatch, first)
    logging.getLogger("uvicorn.error").error("Exception in ASGI application")
    out = second.getvalue()
    assert '"message":"Exception in ASGI application"' in out
    assert "Logging error" not in out


def test_lockllm_log_follows_stderr(monkeypatch: pytest.MonkeyPatch, restore_loggers: None) -> None:
    monkeypatch.setenv(LOG_ENV, "debug")
    first = _swap(monkeypatch)
    setup_logging()
    second = _close_and_replace(monkeypatch, first)
    logging.getLogger("lockllm").debug("attempt 1")
    assert "attempt 1" in second.getvalue()
    assert "Logging error" not in second.getvalue()


def test_a_closed_stderr_drops_the_record_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    stream.close()
    monkeypatch.setattr("sys.stderr", stream)
    reports: List[logging.LogRecord] = []
    handler = StderrHandler()
    monkeypatch.setattr(handler, "handleError", reports.append)
    handler.handle(logging.makeLogRecord({"msg": "dropped", "levelno": logging.WARNING}))
    monkeypatch.setattr("sys.stderr", None)
    handler.handle(logging.makeLogRecord({"msg": "dropped", "levelno": logging.WARNING}))
    assert reports == []


def test_a_bad_record_is_still_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    reports: List[logging.LogRecord] = []
    handler = StderrHandler()
    monkeypatch.setattr(handler, "handleError", reports.append)
    handler.handle(logging.makeLogRecord({"msg": "%d items", "args": ("x",)}))
    assert len(reports) == 1  # a formatting bug is not hidden as a "closed stream"


def test_test_servers_log_through_a_stream_following_handler(
    monkeypatch: pytest.MonkeyPatch, restore_loggers: None
) -> None:
    from _gateway import serve_app
    from starlette.applications import Starlette

    first = _swap(monkeypatch)
    with serve_app(Starlette()):
        pass
    for name in ("uvicorn", "uvicorn.error"):
        for handler in logging.getLogger(name).handlers:
            assert isinstance(handler, StderrHandler), (name, handler)
    second = _close_and_replace(monkeypatch, first)
    logging.getLogger("uvicorn.error").error("after the test")
    assert "after the test" in second.getvalue()
