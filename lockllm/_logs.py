"""``LOCKLLM_LOG=debug|info``: log the ``lockllm`` logger to stderr, like ``OPENAI_LOG``.

The library logs request ids, attempt counts, statuses and delays; never the prompt text,
never the API key. Without the variable it logs nothing unless the application configures
the ``lockllm`` logger itself.
"""

from __future__ import annotations

import logging
import os

LOG_ENV = "LOCKLLM_LOG"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_FORMAT = "[%(asctime)s - %(name)s - %(levelname)s] %(message)s"


class _EnvHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The stderr handler ``LOCKLLM_LOG`` adds (one at most)."""


def setup_logging() -> None:
    """Honour ``$LOCKLLM_LOG``; called whenever a client is made (cheap, idempotent)."""
    level = _LEVELS.get(os.environ.get(LOG_ENV, "").strip().lower())
    if level is None:
        return
    logger = logging.getLogger("lockllm")
    logger.setLevel(level)
    if not any(isinstance(handler, _EnvHandler) for handler in logger.handlers):
        handler = _EnvHandler()  # stderr
        handler.setFormatter(logging.Formatter(_FORMAT))
        logger.addHandler(handler)
