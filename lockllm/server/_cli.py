"""The ``lockllm serve`` sub-command: arguments and the runner (wired in ``lockllm.cli``).

Starlette and uvicorn are imported by :func:`run_serve` only, so ``lockllm --help`` works
without the ``server`` extra.
"""

from __future__ import annotations

import argparse
import errno
import logging
import socket
import sys
from typing import Any, Optional, TextIO

from ..errors import ConfigurationError
from ._settings import DEFAULT_HOST, DEFAULT_PORT, Settings

__all__ = ["add_serve_arguments", "build_settings", "run_serve"]


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``serve`` options to ``parser``."""
    parser.add_argument(
        "--host", default=None, help=f"address to bind (default {DEFAULT_HOST}: this machine only)"
    )
    parser.add_argument(
        "--port", type=int, default=None, help=f"port to listen on (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=None,
        help="settings file (JSON, or TOML on Python 3.11+); environment variables win over it",
    )
    parser.add_argument(
        "--no-auth",
        action="store_true",
        default=False,
        help="accept requests without an API key (refused unless binding a loopback address)",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="log level (default info); logs never contain prompt text or keys",
    )


def build_settings(args: argparse.Namespace, stderr: Optional[TextIO] = None) -> Settings:
    """Settings from ``args`` plus config file and environment; generates a key if none.

    A generated key is printed once to ``stderr``.
    """
    err = sys.stderr if stderr is None else stderr
    settings = Settings.load(
        config_file=getattr(args, "config", None),
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        no_auth=True if getattr(args, "no_auth", False) else None,
    )
    settings, generated = settings.with_generated_key()
    if generated is not None:
        print(
            "lockllm serve: no API keys configured (LOCKLLM_SERVER_API_KEYS); generated one "
            f"for this run:\n\n    {generated}\n\n"
            "Clients send it as 'Authorization: Bearer <key>' (set LOCKLLM_API_KEY).",
            file=err,
            flush=True,
        )
    return settings


def run_serve(args: argparse.Namespace) -> int:
    """Run the gateway until interrupted; returns the process exit status."""
    try:
        settings = build_settings(args)
    except ConfigurationError as exc:
        print(f"lockllm serve: {exc.message}", file=sys.stderr)
        return 2
    try:
        import uvicorn

        from ._app import create_app
    except ImportError:
        print(
            "lockllm serve needs the server extra: pip install 'lockllm[server]'",
            file=sys.stderr,
        )
        return 1
    level = getattr(args, "log_level", "info") or "info"
    _configure_logging(level)
    app = create_app(settings)
    problem = bind_problem(settings.host, settings.port)
    if problem is None:
        print(
            f"lockllm serve: listening on http://{_display(settings.host)}:{settings.port} "
            f"(set LOCKLLM_BASE_URL to this address)",
            file=sys.stderr,
            flush=True,
        )
        try:
            uvicorn.run(app, **uvicorn_options(settings, level))
            return 0
        except SystemExit as exc:  # uvicorn exits when it cannot bind (a lost race)
            if not exc.code:
                return 0
            problem = bind_problem(settings.host, settings.port) or "could not start the server"
    print(f"lockllm serve: error: {problem}", file=sys.stderr, flush=True)
    return 2


def bind_problem(host: str, port: int) -> Optional[str]:
    """Why ``host:port`` cannot be listened on (one line), or ``None`` if it can."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family = infos[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            sock.bind(infos[0][4])
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return f"port {port} on {host} is in use"
        return f"cannot listen on {_display(host)}:{port}: {exc.strerror or exc}"
    return None


def uvicorn_options(settings: Settings, log_level: str = "info") -> dict[str, Any]:
    """The uvicorn settings the gateway runs with (shared with the tests and benchmarks)."""
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": log_level,
        "access_log": False,  # ours (lockllm.server) leaves out query strings
        "server_header": False,  # the provider's own Server / Date headers pass through
        "date_header": False,
        "proxy_headers": False,
        "timeout_graceful_shutdown": 30,
        "lifespan": "on",
    }


def _display(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _configure_logging(level: str) -> None:
    logger = logging.getLogger("lockllm.server")
    logger.setLevel(level.upper())
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
