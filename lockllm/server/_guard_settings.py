"""The response guard's settings: ``response_guard`` (``off`` | ``audit`` | ``redact`` |
``block``), ``response_guard_window``, ``response_guard_allow_hosts`` and
``response_guard_canary``, from the config file or ``LOCKLLM_SERVER_RESPONSE_GUARD*``.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Tuple

from ..errors import ConfigurationError

__all__ = ["DEFAULT_MODE", "DEFAULT_WINDOW", "ENVIRONMENT", "KEYS", "MODES", "check"]
__all__ += ["from_config", "from_env"]

MODES = ("off", "audit", "redact", "block")
DEFAULT_MODE = "audit"
DEFAULT_WINDOW = 400
"""Characters of each streamed text held back (redact and block modes) and re-read with
the next piece: a match up to this long is caught whole however the stream is chunked."""
MAX_WINDOW = 8192
KEYS = frozenset(
    {"response_guard", "response_guard_window", "response_guard_allow_hosts"}
    | {"response_guard_canary"}
)
ENVIRONMENT: Tuple[Tuple[str, str], ...] = (
    ("LOCKLLM_SERVER_RESPONSE_GUARD", "off, audit, redact or block (response_guard; audit)"),
    ("LOCKLLM_SERVER_RESPONSE_GUARD_WINDOW", "stream chars held back (response_guard_window)"),
    (
        "LOCKLLM_SERVER_RESPONSE_GUARD_ALLOW_HOSTS",
        "hosts URLs may carry chat text to, comma-separated",
    ),
    ("LOCKLLM_SERVER_RESPONSE_GUARD_CANARY", "true: plant a canary in system prompts"),
)
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def _mode(value: Any, where: str) -> str:
    if not isinstance(value, str) or value.strip().lower() not in MODES:
        raise ConfigurationError(f"{where}: response_guard must be one of {', '.join(MODES)}")
    return value.strip().lower()


def _window(value: Any, where: str) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 64 <= value <= MAX_WINDOW:
        raise ConfigurationError(
            f"{where}: response_guard_window must be a whole number from 64 to {MAX_WINDOW}"
        )
    return value


def _hosts(value: Any, where: str) -> Tuple[str, ...]:
    if isinstance(value, str):
        value = [h for h in value.split(",") if h.strip()]
    if not isinstance(value, list) or not all(isinstance(h, str) and h.strip() for h in value):
        raise ConfigurationError(f"{where}: response_guard_allow_hosts must be a list of hosts")
    return tuple(h.strip().lower() for h in value)


def from_config(data: Mapping[str, Any], where: str) -> Dict[str, Any]:
    """The guard settings in a config file's mapping."""
    values: Dict[str, Any] = {}
    if "response_guard" in data:
        values["response_guard"] = _mode(data["response_guard"], where)
    if "response_guard_window" in data:
        values["response_guard_window"] = _window(data["response_guard_window"], where)
    if "response_guard_allow_hosts" in data:
        values["response_guard_allow_hosts"] = _hosts(data["response_guard_allow_hosts"], where)
    if "response_guard_canary" in data:
        if not isinstance(data["response_guard_canary"], bool):
            raise ConfigurationError(f"{where}: response_guard_canary must be true or false")
        values["response_guard_canary"] = data["response_guard_canary"]
    return values


def from_env(env: Mapping[str, str]) -> Dict[str, Any]:
    """The guard settings in the environment (they win over the config file)."""
    values: Dict[str, Any] = {}
    name = "LOCKLLM_SERVER_RESPONSE_GUARD"
    if env.get(name, "").strip():
        values["response_guard"] = _mode(env[name], name)
    if env.get(name + "_WINDOW", "").strip():
        values["response_guard_window"] = _window(env[name + "_WINDOW"], name + "_WINDOW")
    if env.get(name + "_ALLOW_HOSTS", "").strip():
        values["response_guard_allow_hosts"] = _hosts(
            env[name + "_ALLOW_HOSTS"], name + "_ALLOW_HOSTS"
        )
    raw = env.get(name + "_CANARY", "").strip().lower()
    if raw:
        if raw not in _TRUE + _FALSE:
            raise ConfigurationError(f"{name}_CANARY must be true or false")
        values["response_guard_canary"] = raw in _TRUE
    return values


def check(mode: Any, window: Any) -> None:
    """Refuse guard settings given directly (not through a file or the environment)."""
    _mode(mode, "settings")
    _window(window, "settings")
