"""Gateway settings: defaults, then a config file, then environment variables, then flags.

Nothing here imports Starlette or uvicorn, so ``lockllm serve --help`` and the settings
tests run without the ``server`` extra.

Config file (JSON; TOML too when the name ends in ``.toml`` and Python has ``tomllib``,
i.e. 3.11+)::

    {
      "host": "127.0.0.1", "port": 8080,
      "api_keys": ["key-for-app-1", "key-for-app-2"],
      "max_body_bytes": 4194304, "connect_timeout": 10, "read_timeout": 600,
      "upstreams": {"openai": {"url": "https://api.openai.com/v1", "key": "sk-..."}}
    }

Environment (wins over the file): every variable is listed, with its meaning, in
:data:`ENVIRONMENT` (which ``lockllm serve --help`` prints).
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import secrets
from dataclasses import dataclass, field, replace
from typing import Any, Dict, Mapping, NamedTuple, Optional, Tuple

from .._providers import PROVIDERS
from .._vocabulary import PII_ACTIONS, SENSITIVITIES
from ..errors import ConfigurationError
from . import _engine, _guard_settings
from ._egress import NO_PROXIES, ProxyConfig, ca_bundle_from, proxy_config_from
from ._ratelimit import Rate, parse_rate
from ._webhooks import WebhookSpec, parse_webhooks

__all__ = [
    "DEFAULT_UPSTREAMS",
    "Settings",
    "Upstream",
    "UpstreamSpec",
    "generate_api_key",
    "is_loopback",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 600.0

DEFAULT_REDIS_TIMEOUT = 0.25
DEFAULT_CACHE_TTL = 300.0
DEFAULT_CACHE_SIZE = 10_000
DEFAULT_UPSTREAM_CONNECTIONS = 512
DEFAULT_WORKERS = 1
DEFAULT_SCAN_TIMEOUT = 10.0
DEFAULT_HEADER_TIMEOUT = 5.0
DEFAULT_BODY_TIMEOUT = 30.0
DEFAULT_MAX_CONNECTIONS = 1000
MAX_WORKERS = 64
LOG_FORMATS = ("text", "json")

API_KEYS_ENV = "LOCKLLM_SERVER_API_KEYS"

ENVIRONMENT: Tuple[Tuple[str, str], ...] = (
    ("LOCKLLM_SERVER_API_KEYS", "client keys, comma-separated (config: api_keys)"),
    ("LOCKLLM_SERVER_HOST", f"address to bind (config: host; default {DEFAULT_HOST})"),
    ("LOCKLLM_SERVER_PORT", f"port (config: port; default {DEFAULT_PORT})"),
    ("LOCKLLM_SERVER_WORKERS", "worker processes (config: workers; default 1)"),
    ("LOCKLLM_SERVER_LOG_FORMAT", "text or json (config: log_format; default text)"),
    ("LOCKLLM_SERVER_RATE_LIMIT", "requests per key, e.g. 600/minute (config: rate_limit)"),
    ("LOCKLLM_SERVER_REDIS_URL", "share rate limits and cache: redis://host:6379/0 (redis_url)"),
    ("LOCKLLM_SERVER_REDIS_TIMEOUT", "Redis connect/read timeout, s (redis_timeout; 0.25)"),
    ("LOCKLLM_SERVER_CACHE_TTL", "scan cache lifetime, s; 0 turns it off (cache_ttl; 300)"),
    ("LOCKLLM_SERVER_CACHE_SIZE", "scan cache entries per process (cache_size; 10000)"),
    ("LOCKLLM_SERVER_CACHE_SECRET", "HMAC secret of cache keys; share it to share the cache"),
    ("LOCKLLM_SERVER_METRICS", "false: no Prometheus metrics at /metrics (metrics; true)"),
    ("LOCKLLM_SERVER_METRICS_TOKEN", "Bearer token /metrics requires (metrics_token; none)"),
    ("LOCKLLM_SERVER_WEBHOOK_URLS", "webhook receivers, comma-separated (config: webhooks)"),
    ("LOCKLLM_SERVER_WEBHOOK_SECRET", "HMAC secret signing webhooks (webhook_secret; required)"),
    ("LOCKLLM_SERVER_MAX_BODY_BYTES", "request body limit (config: max_body_bytes; 4 MiB)"),
    ("LOCKLLM_SERVER_CONNECT_TIMEOUT", "upstream connect timeout, s (connect_timeout; 10)"),
    ("LOCKLLM_SERVER_READ_TIMEOUT", "upstream read timeout, s (config: read_timeout; 600)"),
    ("LOCKLLM_SERVER_SCAN_TIMEOUT", "scan budget per request, s; 503 past it (scan_timeout; 10)"),
    ("LOCKLLM_SERVER_SCAN_WORKERS", "scan processes (config: scan_workers; default one per CPU)"),
    ("LOCKLLM_SERVER_HEADER_TIMEOUT", "close if no request head in time, s (header_timeout; 5)"),
    ("LOCKLLM_SERVER_BODY_TIMEOUT", "408 if the body is not in within, s (body_timeout; 30)"),
    ("LOCKLLM_SERVER_MAX_CONNECTIONS", "open connections at most (max_connections; 1000)"),
    ("LOCKLLM_SERVER_ENFORCE_BLOCK", "true: clients cannot downgrade a block (enforce_block)"),
    ("LOCKLLM_SERVER_FORWARD_UNSCANNABLE", "true: forward what cannot be scanned (default false)"),
    ("LOCKLLM_SERVER_PII_ACTION", "strip, block or allow_with_warning by default (pii_action)"),
    ("LOCKLLM_SERVER_POLICIES", "per-key policies file, JSON or TOML (config: policies)"),
    (
        "LOCKLLM_UPSTREAM_TRUST_ENV",
        "true: use HTTPS_PROXY/HTTP_PROXY/NO_PROXY (upstream_trust_env)",
    ),
    ("HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY", "egress proxies (with TRUST_ENV=true only)"),
    (
        "LOCKLLM_UPSTREAM_CA_BUNDLE",
        "CA bundle for providers (upstream_ca_bundle; else SSL_CERT_FILE)",
    ),
    ("SSL_CERT_FILE", "CA bundle when LOCKLLM_UPSTREAM_CA_BUNDLE is unset (else the system store)"),
    ("LOCKLLM_UPSTREAM_MAX_CONNECTIONS", "concurrent provider connections (512)"),
    *_engine.ENVIRONMENT,
    *_guard_settings.ENVIRONMENT,
    ("LOCKLLM_UPSTREAM_<PROVIDER>_URL", "provider base URL (config: upstreams.<p>.url)"),
    ("LOCKLLM_UPSTREAM_<PROVIDER>_KEY", "provider API key (config: upstreams.<p>.key)"),
)
"""Every environment variable ``lockllm serve`` reads, with a one-line description."""

CONFIG_ONLY: Tuple[Tuple[str, str], ...] = (
    (
        "sensitivity",
        "the sensitivity of a request that names none (X-LockLLM-Sensitivity, or the scan "
        "body's sensitivity): low, medium or high (default medium)",
    ),
    ("no_auth", "true: accept requests without a key, on a loopback address only (--no-auth)"),
    (
        "upstreams",
        "per provider: url (its API base) and key (the provider key the gateway sends), "
        "e.g. upstreams.azure.url",
    ),
)
"""The config-file keys no environment variable sets, with a one-line description
(``lockllm serve --help`` prints them after :data:`ENVIRONMENT`; the configuration
reference is generated from both)."""


class UpstreamSpec(NamedTuple):
    """How the gateway reaches one provider by default."""

    url: Optional[str]  # the public API base; None when it must be configured
    auth: str  # "bearer", "anthropic" (x-api-key) or "azure" (api-key)


DEFAULT_UPSTREAMS: Mapping[str, UpstreamSpec] = {
    p.name: UpstreamSpec(p.upstream, p.auth) for p in PROVIDERS
}
"""Each provider's public API base and auth style, from the provider table (_vocabulary);
``None`` where each deployment has its own base (azure, bedrock, vertex-ai)."""


@dataclass(frozen=True)
class Upstream:
    """Where one provider is reached, and with which key (never shown in ``repr``)."""

    url: Optional[str]
    key: Optional[str] = field(default=None, repr=False)
    auth: str = "bearer"

    def __repr__(self) -> str:
        key = "set" if self.key else "unset"
        return f"Upstream(url={self.url!r}, key={key}, auth={self.auth!r})"


def _default_upstreams() -> Dict[str, Upstream]:
    return {name: Upstream(spec.url, None, spec.auth) for name, spec in DEFAULT_UPSTREAMS.items()}


@dataclass(frozen=True)
class Settings:
    """Everything the gateway runs with. Build it with :meth:`load`, or directly in tests.

    ``api_keys`` are the LockLLM keys clients may present; with none, ``lockllm serve``
    generates one at start-up unless ``no_auth`` (allowed on loopback only).
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    api_keys: Tuple[str, ...] = field(default=(), repr=False)
    no_auth: bool = False
    upstreams: Mapping[str, Upstream] = field(default_factory=_default_upstreams)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    sensitivity: str = "medium"
    workers: int = DEFAULT_WORKERS
    log_format: str = "text"
    # Production (issue 11): rate limits, Redis.
    rate_limit: Optional[Rate] = None
    redis_url: Optional[str] = field(default=None, repr=False)
    redis_timeout: float = DEFAULT_REDIS_TIMEOUT
    cache_ttl: float = DEFAULT_CACHE_TTL
    cache_size: int = DEFAULT_CACHE_SIZE
    cache_secret: Optional[str] = field(default=None, repr=False)
    metrics: bool = True
    metrics_token: Optional[str] = field(default=None, repr=False)
    webhooks: Tuple[WebhookSpec, ...] = ()
    webhook_secret: Optional[str] = field(default=None, repr=False)
    upstream_trust_env: bool = False
    upstream_proxy: ProxyConfig = NO_PROXIES
    upstream_ca_bundle: Optional[str] = None
    upstream_max_connections: int = DEFAULT_UPSTREAM_CONNECTIONS
    # Hardening (issue 10): scan budget and pool, connection limits, block and document policy.
    scan_timeout: float = DEFAULT_SCAN_TIMEOUT
    scan_workers: Optional[int] = None  # None: one per CPU
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    enforce_block: bool = False
    forward_unscannable: bool = False
    pii_action: Optional[str] = None  # X-LockLLM-PII-Action when a request sends none
    # The local engine (issue 9): LocalScanner(threshold=, allow=, model=OnnxClassifier(dir)).
    threshold: Optional[float] = None
    allow: Tuple[str, ...] = ()
    model: Optional[str] = None
    transformer: Optional[bool] = None  # False: rules only; None: the tier where installed
    # Per-key policies (issue 19): the policies file (``_policies``).
    policies: Optional[str] = None
    # The response guard (issue 18): off, audit, redact or block (``_guard_settings``).
    response_guard: str = _guard_settings.DEFAULT_MODE
    response_guard_window: int = _guard_settings.DEFAULT_WINDOW
    response_guard_allow_hosts: Tuple[str, ...] = ()
    response_guard_canary: bool = False

    def __repr__(self) -> str:
        return (
            f"Settings(host={self.host!r}, port={self.port!r}, api_keys=<{len(self.api_keys)}>, "
            f"no_auth={self.no_auth!r}, max_body_bytes={self.max_body_bytes!r}, "
            f"connect_timeout={self.connect_timeout!r}, read_timeout={self.read_timeout!r}, "
            f"workers={self.workers!r}, log_format={self.log_format!r}, "
            f"rate_limit={str(self.rate_limit) if self.rate_limit else None!r}, "
            f"redis={'set' if self.redis_url else 'unset'}, cache_ttl={self.cache_ttl!r}, "
            f"webhooks=<{len(self.webhooks)}>, upstream_trust_env={self.upstream_trust_env!r}, "
            f"upstream_ca_bundle={self.upstream_ca_bundle!r})"
        )

    @classmethod
    def load(
        cls,
        config_file: Optional[str] = None,
        environ: Optional[Mapping[str, str]] = None,
        **overrides: Any,
    ) -> Settings:
        """Defaults, then ``config_file``, then ``environ`` (default ``os.environ``), then
        ``overrides`` (command-line flags; ``None`` values are ignored)."""
        env = os.environ if environ is None else environ
        values: Dict[str, Any] = {}
        upstreams = _default_upstreams()
        if config_file:
            data = _read_config(config_file)
            values.update(_from_config(data, config_file))
            _apply_upstreams(upstreams, data.get("upstreams"), config_file)
        values.update(_from_env(env))
        for name in upstreams:
            prefix = "LOCKLLM_UPSTREAM_" + name.upper().replace("-", "_")
            url = env.get(prefix + "_URL", "").strip()
            key = env.get(prefix + "_KEY", "").strip()
            current = upstreams[name]
            upstreams[name] = replace(
                current,
                url=_check_url(url, prefix + "_URL") if url else current.url,
                key=key or current.key,
            )
        egress = _egress_from_env(env)
        if "upstream_ca_bundle" in values and not env.get("LOCKLLM_UPSTREAM_CA_BUNDLE"):
            egress.pop("upstream_ca_bundle", None)  # the file's bundle wins over SSL_CERT_FILE
        values.update(egress)
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values.get("upstream_trust_env"):
            values["upstream_proxy"] = proxy_config_from(env)
        settings = cls(upstreams=upstreams, **values)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Refuse settings the gateway cannot run safely with."""
        if self.no_auth and not is_loopback(self.host):
            raise ConfigurationError(
                f"--no-auth is allowed only on a loopback address (127.0.0.1, ::1); "
                f"refusing to serve {self.host!r} without authentication"
            )
        if not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise ConfigurationError(f"port must be 0..65535; got {self.port!r}")
        if any(not k for k in self.api_keys):
            raise ConfigurationError("api_keys must not contain empty keys")
        if self.max_body_bytes < 1:
            raise ConfigurationError("max_body_bytes must be at least 1")
        if self.sensitivity not in SENSITIVITIES:
            raise ConfigurationError(
                f"sensitivity must be one of {', '.join(SENSITIVITIES)}; got {self.sensitivity!r}"
            )
        if self.pii_action is not None:
            _pii_action(self.pii_action, "pii_action")
        if not isinstance(self.workers, int) or not 1 <= self.workers <= MAX_WORKERS:
            raise ConfigurationError(f"workers must be 1..{MAX_WORKERS}; got {self.workers!r}")
        if self.log_format not in LOG_FORMATS:
            raise ConfigurationError(f"log_format must be text or json; got {self.log_format!r}")
        if self.rate_limit is not None and not isinstance(self.rate_limit, Rate):
            raise ConfigurationError("rate_limit must be a Rate (use parse_rate('600/minute'))")
        if self.cache_ttl < 0 or self.cache_size < 0:
            raise ConfigurationError("cache_ttl and cache_size must be 0 (off) or more")
        if self.cache_secret is not None and len(self.cache_secret) < 16:
            raise ConfigurationError("cache_secret must be at least 16 characters")
        if not isinstance(self.upstream_max_connections, int) or self.upstream_max_connections < 1:
            raise ConfigurationError("upstream_max_connections must be at least 1")
        if self.webhooks and (not self.webhook_secret or len(self.webhook_secret) < 16):
            raise ConfigurationError(
                "webhooks are signed: set LOCKLLM_SERVER_WEBHOOK_SECRET (webhook_secret), "
                "at least 16 characters"
            )
        _engine.check(self.threshold, self.allow, self.model, self.transformer)
        _guard_settings.check(self.response_guard, self.response_guard_window)
        if self.redis_url is not None and not self.redis_url.startswith(_REDIS_SCHEMES):
            raise ConfigurationError(
                "redis_url must start with redis://, rediss:// or unix:// "
                "(LOCKLLM_SERVER_REDIS_URL)"
            )

    def engine_options(self) -> Dict[str, Any]:
        """The engine options that differ from the defaults (JSON-ready; for the workers)."""
        return _engine.options(self.threshold, self.allow, self.model, self.transformer)

    def with_generated_key(self) -> Tuple[Settings, Optional[str]]:
        """These settings with a fresh API key when none is configured (and auth is on)."""
        if self.api_keys or self.no_auth:
            return self, None
        key = generate_api_key()
        return replace(self, api_keys=(key,)), key


def generate_api_key() -> str:
    """A new random gateway key."""
    return "lockllm-local-" + secrets.token_urlsafe(32)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


CONFIG_FORMATS = "a config file is JSON, or TOML when its name ends in .toml (Python 3.11+)"


def _read_config(path: str) -> Dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ConfigurationError(f"cannot read config file {path!r}: {exc.strerror}") from None
    lowered = path.lower()
    if lowered.endswith((".yaml", ".yml")):
        raise ConfigurationError(
            f"config file {path!r} looks like YAML, which the gateway does not read: "
            f"{CONFIG_FORMATS}"
        )
    try:
        if lowered.endswith(".toml"):
            try:
                import tomllib  # type: ignore[import-not-found,unused-ignore]
            except ImportError:  # pragma: no cover - Python < 3.11
                raise ConfigurationError(
                    "TOML config files need Python 3.11+; use a JSON file instead"
                ) from None
            data: Any = tomllib.loads(raw.decode("utf-8"))
        else:
            data = json.loads(raw)
    except ValueError as exc:  # json.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeError
        kind = "TOML" if lowered.endswith(".toml") else "JSON"
        raise ConfigurationError(
            f"config file {path!r} is not valid {kind} ({exc}); {CONFIG_FORMATS}"
        ) from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"config file {path!r} must hold an object at the top level")
    return data


_NUMBERS = {
    "max_body_bytes": int,
    "port": int,
    "connect_timeout": float,
    "read_timeout": float,
    "workers": int,
    "scan_timeout": float,
    "scan_workers": int,
    "header_timeout": float,
    "body_timeout": float,
    "max_connections": int,
    "redis_timeout": float,
    "cache_ttl": float,
    "cache_size": int,
    "upstream_max_connections": int,
}
_ZERO_OK = frozenset({"port", "cache_ttl", "cache_size"})
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
_FLAGS = ("enforce_block", "forward_unscannable", "metrics")


def _number(name: str, value: Any, kind: Any, where: str) -> Any:
    if isinstance(value, str):
        try:
            value = kind(value.strip())
        except ValueError:
            raise ConfigurationError(f"{where}: {name} must be a number; got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(f"{where}: {name} must be a number; got {value!r}")
    if kind is int and value != int(value):
        raise ConfigurationError(f"{where}: {name} must be a whole number; got {value!r}")
    if not math.isfinite(value) or value < 0 or (value == 0 and name not in _ZERO_OK):
        raise ConfigurationError(f"{where}: {name} must be positive; got {value!r}")
    return kind(value)


def _from_config(data: Mapping[str, Any], where: str) -> Dict[str, Any]:
    known = {"host", "port", "api_keys", "max_body_bytes", "connect_timeout", "read_timeout"}
    known |= {"sensitivity", "upstreams", "workers", "log_format", "rate_limit", "redis_url"}
    known |= {"cache_secret", "metrics_token", "webhooks", "webhook_secret", "pii_action"}
    known |= {"upstream_trust_env", "upstream_ca_bundle", "policies"}
    known |= set(_NUMBERS) | set(_FLAGS) | _engine.KEYS | _guard_settings.KEYS
    unknown = set(data) - known
    if unknown:
        raise ConfigurationError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}")
    values: Dict[str, Any] = {}
    for name, kind in _NUMBERS.items():
        if name in data:
            values[name] = _number(name, data[name], kind, where)
    for name in _FLAGS:
        if name in data:
            if not isinstance(data[name], bool):
                raise ConfigurationError(f"{where}: {name} must be true or false")
            values[name] = data[name]
    strings = ("host", "sensitivity", "log_format", "redis_url", "cache_secret", "metrics_token")
    for name in (*strings, "webhook_secret", "policies"):
        if name in data:
            if not isinstance(data[name], str):
                raise ConfigurationError(f"{where}: {name} must be a string")
            values[name] = data[name]
    if "rate_limit" in data:
        values["rate_limit"] = parse_rate(data["rate_limit"], f"{where}: rate_limit")
    if "pii_action" in data:
        values["pii_action"] = _pii_action(data["pii_action"], f"{where}: pii_action")
    if "webhooks" in data:
        values["webhooks"] = parse_webhooks(None, data["webhooks"], where)
    if "upstream_trust_env" in data:
        if not isinstance(data["upstream_trust_env"], bool):
            raise ConfigurationError(f"{where}: upstream_trust_env must be true or false")
        values["upstream_trust_env"] = data["upstream_trust_env"]
    if "upstream_ca_bundle" in data:
        bundle = data["upstream_ca_bundle"]
        if not isinstance(bundle, str) or not os.path.isfile(bundle):
            raise ConfigurationError(f"{where}: upstream_ca_bundle must name a PEM file")
        values["upstream_ca_bundle"] = bundle
    values.update(_engine.from_config(data, where))
    values.update(_guard_settings.from_config(data, where))
    if "api_keys" in data:
        keys = data["api_keys"]
        if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
            raise ConfigurationError(f"{where}: api_keys must be a list of non-empty strings")
        values["api_keys"] = tuple(keys)
    return values


def _from_env(env: Mapping[str, str]) -> Dict[str, Any]:
    values: Dict[str, Any] = {}
    keys = [k.strip() for k in env.get(API_KEYS_ENV, "").split(",") if k.strip()]
    if keys:
        values["api_keys"] = tuple(keys)
    for name, kind in _NUMBERS.items():
        raw = env.get("LOCKLLM_SERVER_" + name.upper(), "").strip()
        if raw:
            values[name] = _number(name, raw, kind, "LOCKLLM_SERVER_" + name.upper())
    for name in _FLAGS:
        raw = env.get("LOCKLLM_SERVER_" + name.upper(), "").strip().lower()
        if raw:
            if raw not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                raise ConfigurationError(f"LOCKLLM_SERVER_{name.upper()} must be true or false")
            values[name] = raw in ("true", "1", "yes", "on")
    strings = ("host", "log_format", "redis_url", "cache_secret", "metrics_token")
    for name in (*strings, "webhook_secret", "policies"):
        raw = env.get("LOCKLLM_SERVER_" + name.upper(), "").strip()
        if raw:
            values[name] = raw.lower() if name == "log_format" else raw
    raw = env.get("LOCKLLM_SERVER_RATE_LIMIT", "").strip()
    if raw:
        values["rate_limit"] = parse_rate(raw, "LOCKLLM_SERVER_RATE_LIMIT")
    raw = env.get("LOCKLLM_SERVER_PII_ACTION", "").strip().lower()
    if raw:
        values["pii_action"] = _pii_action(raw, "LOCKLLM_SERVER_PII_ACTION")
    raw = env.get("LOCKLLM_SERVER_WEBHOOK_URLS", "").strip()
    if raw:  # replaces the config file's list
        values["webhooks"] = parse_webhooks(raw, None, "LOCKLLM_SERVER_WEBHOOK_URLS")
    values.update(_engine.from_env(env))
    values.update(_guard_settings.from_env(env))
    return values


def _pii_action(value: Any, where: str) -> str:
    if value not in PII_ACTIONS:
        raise ConfigurationError(f"{where} must be one of {', '.join(PII_ACTIONS)}; got {value!r}")
    return str(value)


def _egress_from_env(env: Mapping[str, str]) -> Dict[str, Any]:
    """The ``LOCKLLM_UPSTREAM_*`` egress settings (and ``SSL_CERT_FILE``) in ``env``."""
    values: Dict[str, Any] = {}
    trust = env.get("LOCKLLM_UPSTREAM_TRUST_ENV", "").strip().lower()
    if trust:
        if trust not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            raise ConfigurationError("LOCKLLM_UPSTREAM_TRUST_ENV must be true or false")
        values["upstream_trust_env"] = trust in ("true", "1", "yes", "on")
    bundle = ca_bundle_from(env)
    if bundle:
        values["upstream_ca_bundle"] = bundle
    cap = env.get("LOCKLLM_UPSTREAM_MAX_CONNECTIONS", "").strip()
    if cap:
        values["upstream_max_connections"] = _number(
            "upstream_max_connections", cap, int, "LOCKLLM_UPSTREAM_MAX_CONNECTIONS"
        )
    return values


def _check_url(url: str, where: str) -> str:
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"{where}: upstream URL must start with http:// or https://")
    return url


def _apply_upstreams(upstreams: Dict[str, Upstream], data: Any, where: str) -> None:
    if data is None:
        return
    if not isinstance(data, dict):
        raise ConfigurationError(f"{where}: upstreams must be an object keyed by provider")
    for raw_name, entry in data.items():
        name = str(raw_name).lower().replace("_", "-")
        if name not in upstreams:
            raise ConfigurationError(f"{where}: unknown provider {raw_name!r} in upstreams")
        if not isinstance(entry, dict) or set(entry) - {"url", "key"}:
            raise ConfigurationError(f"{where}: upstreams.{raw_name} takes only 'url' and 'key'")
        url, key = entry.get("url"), entry.get("key")
        if url is not None and not isinstance(url, str):
            raise ConfigurationError(f"{where}: upstreams.{raw_name}.url must be a string")
        if key is not None and not isinstance(key, str):
            raise ConfigurationError(f"{where}: upstreams.{raw_name}.key must be a string")
        current = upstreams[name]
        upstreams[name] = replace(
            current,
            url=_check_url(url, f"{where}: upstreams.{raw_name}.url") if url else current.url,
            key=key or current.key,
        )
