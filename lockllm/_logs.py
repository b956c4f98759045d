"""``LOCKLLM_LOG=debug|info``: log the ``lockllm`` logger to stderr, like ``OPENAI_LOG``.

The library logs request ids, attempt counts, statuses and delays; never the prompt text,
never the API key. Without the variable it logs nothing unless the application configures
the ``lockllm`` logger itself.

Every stderr handler lockllm installs (here, in ``lockllm serve``, and for uvicorn's own
loggers) is a :class:`StderrHandler`: it looks ``sys.stderr`` up when a record is written,
not when the handler is made. A handler that kept the stream of its birth would go on
writing to it after it was closed (a test runner's capture, a redirected stream swapped
back), and every record would then end in ``--- Logging error --- ValueError: I/O
operation on closed file``. A record for a closed or missing stderr is dropped.
"""

from __future__ import annotations

import logging
import os
import sys

LOG_ENV = "LOCKLLM_LOG"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_FORMAT = "[%(asctime)s - %(name)s - %(levelname)s] %(message)s"


class StderrHandler(logging.Handler):
    """Write records to the ``sys.stderr`` of the moment; drop them while it is closed."""

    terminator = "\n"

    def emit(self, record: logging.LogRecord) -> None:
        stream = sys.stderr
        if stream is None or getattr(stream, "closed", False):
            return
        try:
            stream.write(self.format(record) + self.terminator)
            stream.flush()
        except RecursionError:  # pragma: no cover - as logging.StreamHandler does
            raise
        except Exception:
            if getattr(stream, "closed", False):  # closed meanwhile (another thread)
                return
            self.handleError(record)  # e.g. a bad format string: logging's own report


class _EnvHandler(StderrHandler):
    """The stderr handler ``LOCKLLM_LOG`` adds (one at most)."""


def setup_logging() -> None:
    """Honour ``$LOCKLLM_LOG``; called whenever a client is made (cheap, idempotent)."""
    level = _LEVELS.get(os.environ.get(LOG_ENV, "").strip().lower())
    if level is None:
        return
    logger = logging.getLogger("lockllm")
    logger.setLevel(level)
    if not any(isinstance(handler, _EnvHandler) for handler in logger.handlers):
        handler = _EnvHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        logger.addHandler(handler)
