"""Answers for a request body that did not arrive: too slowly (408) or not at all (499).

The request *head* has a deadline (``header_timeout``, ``_limits``); the body has
``body_timeout`` (``LOCKLLM_SERVER_BODY_TIMEOUT``, default 30 s) for the whole of it,
counted from the moment the gateway starts reading it. A client that drips a body a byte
at a time would otherwise hold a connection (and a share of ``max_connections``) for as
long as it likes. Past the deadline the answer is 408 ``request_timeout`` with
``Connection: close``, and nothing is forwarded.

A client that closes its connection before its body is read gets 499
``client_closed_request`` (nginx's number): it is logged and counted as the client's
doing, not as a gateway failure (500).
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from . import _errors

__all__ = ["CLIENT_CLOSED", "CLOSE", "client_closed", "too_slow"]

CLIENT_CLOSED = 499
CLOSE: List[Tuple[bytes, bytes]] = [(b"connection", b"close")]


def too_slow(timeout: float, request_id: str) -> Dict[str, Any]:
    """The 408 body: the request body did not arrive within ``timeout`` seconds."""
    return _errors.error_body(
        f"The request body did not arrive within the gateway's limit of {timeout:g} s "
        "(LOCKLLM_SERVER_BODY_TIMEOUT); the request was not forwarded",
        "invalid_request_error",
        "request_timeout",
        request_id,
    )


def client_closed(request_id: str) -> Dict[str, Any]:
    """The 499 body (for the logs and metrics: nobody is left to read it)."""
    return _errors.error_body(
        "The client closed the connection before its request was read",
        "invalid_request_error",
        "client_closed_request",
        request_id,
    )
