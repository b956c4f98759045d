"""``lockllm serve``: a self-hosted gateway that speaks the LockLLM protocol on the local engine.

Point any LockLLM client at it with one setting, ``LOCKLLM_BASE_URL=http://127.0.0.1:8080``:
``/v1/scan`` answers scans, ``/v1/proxy/<provider>/…`` scans and forwards provider calls
with keys that stay in the gateway. Needs the ``server`` extra (Starlette and uvicorn),
which is imported only when :func:`create_app` is first used.

>>> from lockllm.server import Settings, create_app
>>> app = create_app(Settings.load())  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._settings import DEFAULT_UPSTREAMS, Settings, Upstream
from ._signature import sign_webhook, verify_webhook_signature

if TYPE_CHECKING:
    from ._app import create_app

__all__ = [
    "DEFAULT_UPSTREAMS",
    "Settings",
    "Upstream",
    "create_app",
    "sign_webhook",
    "verify_webhook_signature",
]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from ._app import create_app

        return create_app
    raise AttributeError(f"module 'lockllm.server' has no attribute {name!r}")
