"""What the gateway learns about the request being handled, across its layers.

:class:`~lockllm.server._production.ProductionLayer` points :data:`REQUEST` at the
request's ``scope["lockllm"]`` dict; deeper code (the scan cache, the upstream pool) adds
to it with :func:`note`, and the layer reads it back for headers, metrics and webhooks.
Outside a request (a direct call in a test) :func:`note` does nothing.
"""

from __future__ import annotations

import contextvars
from typing import Any, Dict, Optional

__all__ = ["REQUEST", "note"]

REQUEST: contextvars.ContextVar[Optional[Dict[str, Any]]] = contextvars.ContextVar(
    "lockllm_request_state", default=None
)


def note(name: str, value: Any) -> None:
    """Record ``name = value`` for the current request (if there is one)."""
    state = REQUEST.get()
    if state is not None:
        state[name] = value
