"""Log output of ``lockllm serve``: plain text or one JSON object a line.

Both formats carry the same records (the access log leaves out query strings, prompt
text and keys; see ``_app``). Whatever a record holds, control characters never reach
the output raw: JSON escapes them (``\\u001b``), and the text format shows them as
``\\x1b``-style escapes, so a request path cannot forge a log line or drive a terminal.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any, Dict

from .._logs import StderrHandler

__all__ = ["JsonFormatter", "TextFormatter", "configure_logging", "uvicorn_log_config"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s"
LOGGERS = ("lockllm.server", "uvicorn", "uvicorn.error")


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


class TextFormatter(logging.Formatter):
    """``time level logger[pid]: message`` with control characters escaped."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return _CONTROL.sub(_escape, super().format(record))


ACCESS_FORMAT = "%s %s %d %s %.1fms verdict=%s%s"
"""The access log's line (``_app._AccessLog``); its values become JSON fields too."""
ACCESS_FIELDS = ("method", "path", "status", "request_id", "duration_ms", "verdict")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``time``, ``level``, ``logger``, ``pid``, ``message``, and
    for an access-log line its ``method``, ``path``, ``status``, ``request_id``,
    ``duration_ms``, ``verdict`` (and ``aborted``) as fields of their own.

    An exception is reduced to its type name: a traceback could quote request data.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: Dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        args = record.args
        if record.msg == ACCESS_FORMAT and isinstance(args, tuple) and len(args) == 7:
            entry.update(zip(ACCESS_FIELDS, args[:6]))
            duration = args[4]
            if isinstance(duration, (int, float)):
                entry["duration_ms"] = round(float(duration), 1)
            if args[6]:
                entry["aborted"] = True
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
        # ensure_ascii: every control and non-ASCII character is a \\u escape.
        return json.dumps(entry, ensure_ascii=True, separators=(",", ":"))


def _formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure_logging(level: str, log_format: str = "text") -> None:
    """Send the ``lockllm.server`` logger to stderr in ``log_format`` (once per process)."""
    logger = logging.getLogger("lockllm.server")
    logger.setLevel(level.upper())
    for handler in logger.handlers:
        if getattr(handler, "_lockllm", False):
            handler.setFormatter(_formatter(log_format))
            return
    handler = StderrHandler()  # sys.stderr looked up per record: never a closed stream
    handler._lockllm = True  # type: ignore[attr-defined]
    handler.setFormatter(_formatter(log_format))
    logger.addHandler(handler)


def uvicorn_log_config(level: str, log_format: str = "text") -> Dict[str, Any]:
    """A ``logging.config`` dict for uvicorn's own loggers, in the same format as ours
    (through a :class:`~lockllm._logs.StderrHandler`, like ours)."""
    factory = f"{__name__}.{'JsonFormatter' if log_format == 'json' else 'TextFormatter'}"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"lockllm": {"()": factory}},
        "handlers": {
            "stderr": {"class": f"{StderrHandler.__module__}.StderrHandler", "formatter": "lockllm"}
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
