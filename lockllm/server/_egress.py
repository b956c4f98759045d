"""How the gateway reaches providers: trusted CAs and egress proxies.

Certificates: ``LOCKLLM_UPSTREAM_CA_BUNDLE`` (a PEM file), else ``SSL_CERT_FILE``, else the
operating system's store — through ``truststore`` when it is installed (the platform
verifier, as browsers use), otherwise OpenSSL's default paths — and only when the system
has no CA certificates at all, certifi's bundle. A corporate TLS-inspecting proxy's CA or a
private provider endpoint's CA therefore works by pointing one variable at a file.

Proxies are used only when ``LOCKLLM_UPSTREAM_TRUST_ENV=true`` (a gateway holding provider
keys should not follow a stray ``HTTPS_PROXY`` by accident): then ``HTTPS_PROXY`` /
``HTTP_PROXY`` (or their lower-case forms, and ``ALL_PROXY``) name the proxy per target
scheme, and ``NO_PROXY`` lists hosts (``example.com`` also covers its subdomains, a
leading ``.`` or ``*.`` too; ``*`` means none) reached directly. HTTPS targets are
tunnelled with ``CONNECT``, so the proxy sees the host name, never the keys or bodies.
"""

from __future__ import annotations

import os
import ssl
from typing import Mapping, NamedTuple, Optional, Tuple
from urllib.parse import unquote, urlsplit

from ..errors import ConfigurationError

__all__ = [
    "NO_PROXIES",
    "Proxy",
    "ProxyConfig",
    "ca_bundle_from",
    "proxy_config_from",
    "ssl_context",
]


class Proxy(NamedTuple):
    """One proxy: its URL without credentials, and the credentials (never shown)."""

    url: str
    auth: Optional[Tuple[bytes, bytes]] = None

    def __repr__(self) -> str:
        return f"Proxy(url={self.url!r}, auth={'set' if self.auth else 'unset'})"


class ProxyConfig(NamedTuple):
    """The proxies for ``http`` and ``https`` targets and the ``NO_PROXY`` exceptions."""

    http: Optional[Proxy] = None
    https: Optional[Proxy] = None
    no_proxy: Tuple[str, ...] = ()

    def for_target(self, scheme: str, host: str) -> Optional[Proxy]:
        """The proxy for ``scheme://host``, or ``None`` to connect directly."""
        proxy = self.https if scheme == "https" else self.http
        if proxy is None:
            return None
        host = host.lower().strip("[]")
        for entry in self.no_proxy:
            if entry == "*" or host == entry or host.endswith("." + entry):
                return None
        return proxy


NO_PROXIES = ProxyConfig()
"""Every provider reached directly (the default: no environment is trusted)."""


def _env(env: Mapping[str, str], name: str) -> str:
    return (env.get(name.lower()) or env.get(name) or "").strip()


def _proxy(value: str, where: str) -> Optional[Proxy]:
    if not value:
        return None
    if "://" not in value:
        value = "http://" + value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"{where} must be an http:// or https:// proxy URL")
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"{where} has an invalid port") from None
    netloc = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    url = f"{parts.scheme}://{netloc}:{port or (443 if parts.scheme == 'https' else 80)}"
    auth = None
    if parts.username is not None:
        auth = (
            unquote(parts.username).encode("utf-8"),
            unquote(parts.password or "").encode("utf-8"),
        )
    return Proxy(url, auth)


def proxy_config_from(env: Mapping[str, str]) -> ProxyConfig:
    """The proxy settings in ``env`` (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``,
    ``NO_PROXY``; lower-case names win, as curl does)."""
    fallback = _env(env, "ALL_PROXY")
    https = _proxy(_env(env, "HTTPS_PROXY") or fallback, "HTTPS_PROXY")
    http = _proxy(_env(env, "HTTP_PROXY") or fallback, "HTTP_PROXY")
    entries = []
    for raw in _env(env, "NO_PROXY").split(","):
        entry = raw.strip().lower()
        if entry.startswith("*."):
            entry = entry[2:]
        entry = entry.lstrip(".")
        if ":" in entry and not entry.startswith("["):
            host, _, port = entry.rpartition(":")
            entry = host if port.isdigit() and ":" not in host else entry
        if entry:
            entries.append(entry.strip("[]"))
    return ProxyConfig(http, https, tuple(entries))


def ca_bundle_from(env: Mapping[str, str]) -> Optional[str]:
    """``LOCKLLM_UPSTREAM_CA_BUNDLE``, else ``SSL_CERT_FILE``, else ``None`` (the system)."""
    for name in ("LOCKLLM_UPSTREAM_CA_BUNDLE", "SSL_CERT_FILE"):
        value = env.get(name, "").strip()
        if value:
            if not os.path.isfile(value):
                raise ConfigurationError(f"{name}: no such CA bundle file {value!r}")
            return value
    return None


def _system_has_cas() -> bool:
    paths = ssl.get_default_verify_paths()
    if paths.cafile and os.path.isfile(paths.cafile):
        return True
    return bool(paths.capath and os.path.isdir(paths.capath) and os.listdir(paths.capath))


def ssl_context(ca_bundle: Optional[str]) -> ssl.SSLContext:
    """The TLS context for provider connections (see the module docstring)."""
    if ca_bundle:
        try:
            return ssl.create_default_context(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigurationError(f"cannot load the CA bundle {ca_bundle!r}: {exc}") from None
    try:
        import truststore  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        pass
    else:  # pragma: no cover - truststore is not a dependency
        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # type: ignore[no-any-return,unused-ignore]
    if _system_has_cas():
        return ssl.create_default_context()
    import certifi  # pragma: no cover - a system without CA certificates

    return ssl.create_default_context(cafile=certifi.where())  # pragma: no cover
