"""The ``lockllm serve`` sub-command: arguments and the runner (wired in ``lockllm.cli``).

Starlette and uvicorn are imported by :func:`run_serve` only, so ``lockllm --help`` works
without the ``server`` extra.

With ``--workers N`` (N > 1) uvicorn's supervisor starts N processes sharing one listening
socket; each builds its app with :func:`worker_app` from the settings the parent resolved
(passed down in the ``LOCKLLM_SERVE_WORKER`` environment variable of the children), so
every worker writes lockllm's own access log in the chosen format.

No keys configured: on a terminal (stdin and stderr both TTYs) a key is generated and
shown once; anywhere else (a service manager, a container, a pipe into a log collector)
``lockllm serve`` refuses to start with a one-line reason, so a fresh secret is never
written into a log.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import errno
import json
import logging
import os
import shutil
import socket
import sys
import tempfile
from typing import Any, Dict, Iterator, Optional, TextIO

from ..errors import ConfigurationError
from ._logs import JsonFormatter, configure_logging, uvicorn_log_config
from ._metrics import MULTIPROC_ENV
from ._scanpool import default_workers
from ._settings import (
    API_KEYS_ENV,
    CONFIG_FORMATS,
    CONFIG_ONLY,
    DEFAULT_HOST,
    DEFAULT_PORT,
    ENVIRONMENT,
    Settings,
)

__all__ = [
    "NoTerminalError",
    "add_serve_arguments",
    "build_settings",
    "environment_help",
    "http_protocol",
    "run_serve",
    "worker_app",
]

logger = logging.getLogger("lockllm.server")

WORKER_ENV = "LOCKLLM_SERVE_WORKER"
"""Carries the parent's resolved command line to ``--workers`` children (JSON)."""


class NoTerminalError(ConfigurationError):
    """No API keys are configured and there is no terminal to show a generated one."""


def environment_help() -> str:
    """The ``serve --help`` epilog: every environment variable the gateway reads, then the
    config-file keys that have none."""
    width = max(len(name) for name, _ in ENVIRONMENT)
    lines = [f"  {name:<{width}}  {text}" for name, text in ENVIRONMENT]
    keys = [f"  {name:<{width}}  {text}" for name, text in CONFIG_ONLY]
    return (
        "environment variables (command-line flags win over them, they win over --config):\n"
        + "\n".join(lines)
        + f"\n\nconfig-file keys without a variable; {CONFIG_FORMATS}:\n"
        + "\n".join(keys)
    )


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``serve`` options to ``parser`` (and the environment list to its help)."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = environment_help()
    parser.add_argument(
        "--host",
        default=None,
        help=f"address to bind (default {DEFAULT_HOST}: this machine only; LOCKLLM_SERVER_HOST)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"port to listen on (default {DEFAULT_PORT}; LOCKLLM_SERVER_PORT)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes sharing the port (default 1; LOCKLLM_SERVER_WORKERS)",
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
    parser.add_argument(
        "--log-format",
        default=None,
        choices=["text", "json"],
        help="text lines, or one JSON object a line (default text; LOCKLLM_SERVER_LOG_FORMAT)",
    )


def _overrides(args: argparse.Namespace) -> Dict[str, Any]:
    return {
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "workers": getattr(args, "workers", None),
        "log_format": getattr(args, "log_format", None),
        "no_auth": True if getattr(args, "no_auth", False) else None,
    }


def build_settings(
    args: argparse.Namespace, stderr: Optional[TextIO] = None, *, generate_key: bool = True
) -> Settings:
    """Settings from ``args`` plus config file and environment.

    With no keys configured: a generated key is printed once to ``stderr`` when
    ``generate_key`` is true; otherwise :class:`NoTerminalError` is raised.
    """
    err = sys.stderr if stderr is None else stderr
    settings = Settings.load(config_file=getattr(args, "config", None), **_overrides(args))
    if not settings.api_keys and not settings.no_auth and not generate_key:
        raise NoTerminalError(
            f"no API keys configured and no terminal to show a generated one: set {API_KEYS_ENV}"
            " (or api_keys in --config), or use --no-auth on a loopback address"
        )
    settings, generated = settings.with_generated_key()
    if generated is not None:
        print(
            f"lockllm serve: no API keys configured ({API_KEYS_ENV}); generated one "
            f"for this run:\n\n    {generated}\n\n"
            "Clients send it as 'Authorization: Bearer <key>' (set LOCKLLM_API_KEY).",
            file=err,
            flush=True,
        )
    return settings


def _interactive() -> bool:
    try:
        return sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def run_serve(args: argparse.Namespace) -> int:
    """Run the gateway until interrupted; returns the process exit status."""
    try:
        settings = build_settings(args, generate_key=_interactive())
    except ConfigurationError as exc:
        print(f"lockllm serve: {exc.message}", file=sys.stderr)
        return 2
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError:  # only a missing extra is reported as one (not a bug of ours)
        from .._install import install_hint

        print(f"lockllm serve needs the server extra: {install_hint('server')}", file=sys.stderr)
        return 1
    from ._app import create_app

    level = getattr(args, "log_level", "info") or "info"
    configure_logging(level, settings.log_format)
    problem = bind_problem(settings.host, settings.port)
    if problem is None:
        _announce(
            settings,
            f"lockllm serve: listening on http://{_display(settings.host)}:{settings.port} "
            f"with {settings.workers} worker{'s' if settings.workers > 1 else ''} "
            "(set LOCKLLM_BASE_URL to this address)",
        )
        options = uvicorn_options(settings, level)
        options["log_config"] = uvicorn_log_config(level, settings.log_format)
        try:
            if settings.workers > 1:
                _hand_down(args, settings, level)
                with _metrics_dir(settings):
                    uvicorn.run(
                        f"{__name__}:worker_app", factory=True, workers=settings.workers, **options
                    )
            else:
                uvicorn.run(create_app(settings), **options)
            return 0
        except SystemExit as exc:  # uvicorn exits when it cannot bind (a lost race)
            if not exc.code:
                return 0
            problem = bind_problem(settings.host, settings.port) or "could not start the server"
    print(f"lockllm serve: error: {problem}", file=sys.stderr, flush=True)
    return 2


def _hand_down(args: argparse.Namespace, settings: Settings, level: str) -> None:
    """Put what the workers need in the environment they inherit."""
    state = {
        "config": getattr(args, "config", None),
        "host": settings.host,
        "port": settings.port,
        "no_auth": settings.no_auth,
        "log_level": level,
        "log_format": settings.log_format,
        # The CPUs are shared out between the workers' scan pools (one pool each), so
        # ``--workers N`` does not start N scan processes per CPU.
        "scan_workers": settings.scan_workers or max(1, default_workers() // settings.workers),
    }
    os.environ[WORKER_ENV] = json.dumps(state)
    if settings.api_keys and not os.environ.get(API_KEYS_ENV, "").strip():
        # A key generated for this run (or one from --config): the workers must agree.
        os.environ[API_KEYS_ENV] = ",".join(settings.api_keys)


@contextlib.contextmanager
def _metrics_dir(settings: Settings) -> Iterator[None]:
    """A fresh ``PROMETHEUS_MULTIPROC_DIR`` for the workers' metrics, removed afterwards
    (unless the operator set one: theirs is used and kept)."""
    if not settings.metrics or os.environ.get(MULTIPROC_ENV):
        yield
        return
    before = os.environ.get(MULTIPROC_ENV)
    path = tempfile.mkdtemp(prefix="lockllm-metrics-")
    os.environ[MULTIPROC_ENV] = path
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(MULTIPROC_ENV, None)
        else:
            os.environ[MULTIPROC_ENV] = before
        shutil.rmtree(path, ignore_errors=True)


def worker_app() -> Any:
    """The app of one ``--workers`` process (a uvicorn factory)."""
    from ._app import create_app

    state = json.loads(os.environ.get(WORKER_ENV, "{}"))
    settings = Settings.load(
        config_file=state.get("config"),
        host=state.get("host"),
        port=state.get("port"),
        no_auth=True if state.get("no_auth") else None,
        workers=1,
        log_format=state.get("log_format"),
    )
    if state.get("scan_workers"):
        settings = dataclasses.replace(settings, scan_workers=int(state["scan_workers"]))
    configure_logging(state.get("log_level", "info"), settings.log_format)
    return create_app(settings)


def _announce(settings: Settings, message: str) -> None:
    """The start-up line, in the log format (shown whatever the log level)."""
    if settings.log_format == "json":
        record = logging.LogRecord(
            "lockllm.server", logging.INFO, __file__, 0, message.split(": ", 1)[1], None, None
        )
        message = JsonFormatter().format(record)
    print(message, file=sys.stderr, flush=True)


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
        # Request-head timeout and connection cap (GATEWAY-HARDEN, see _limits); idle
        # keep-alive connections closed after 5 s.
        "http": http_protocol(),
        "timeout_keep_alive": 5,
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


def http_protocol() -> Any:
    """The HTTP protocol class the gateway runs under uvicorn: httptools' parser (in C)
    where httptools is installed (``_fastproto``), else h11's; both with the connection
    limits of ``_limits``. Imports uvicorn: only when it is used."""
    try:
        from ._fastproto import LockLLMHttpToolsProtocol
    except ImportError:
        from ._limits import LockLLMH11Protocol

        return LockLLMH11Protocol
    return LockLLMHttpToolsProtocol


def _display(host: str) -> str:
    return f"[{host}]" if ":" in host else host
