"""Egress: a CA bundle made in the test reaches the upstream TLS handshake, an HTTPS proxy
(a CONNECT stub on 127.0.0.1) carries provider calls when the environment is trusted, and
upstream connections are capped."""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path
from typing import Iterator, List, Tuple

import httpx
import pytest
from _gateway import running_gateway, serve_app
from _gateway_prod import AUTH, GATEWAY_KEY
from _timing import scaled
from _upstream_stub import UpstreamStub, build_stub_app

from lockllm.errors import ConfigurationError
from lockllm.server import Settings
from lockllm.server._egress import Proxy, proxy_config_from, ssl_context

UPSTREAM_KEY = "sk-upstream-egress-SECRET"
CHAT = {"model": "gpt-test", "messages": [{"role": "user", "content": "Say hi"}]}


# -- a test CA and a server certificate for 127.0.0.1 (openssl CLI) -------------------------


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("pki")
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl(
        "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=lockllm test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-addext", "subjectKeyIdentifier=hash",
        cwd=where,
    )  # fmt: skip
    _openssl(
        "req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1",
        cwd=where,
    )  # fmt: skip
    (where / "ext.cnf").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "authorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n"
    )
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf",
        cwd=where,
    )  # fmt: skip
    return where


@pytest.fixture(scope="module")
def tls_stub(pki: Path) -> Iterator[UpstreamStub]:
    stub = UpstreamStub()
    app = build_stub_app(stub)
    with serve_app(
        app, ssl_certfile=str(pki / "server.pem"), ssl_keyfile=str(pki / "server.key")
    ) as url:
        stub.url = url.replace("http://", "https://")
        yield stub


# -- a CONNECT proxy on 127.0.0.1 ---------------------------------------------------------------


class ConnectProxy:
    """Tunnels ``CONNECT host:port`` and records each request head it was sent."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.heads: List[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                client.close()
                return
            head += chunk
        self.heads.append(head)
        method, target = head.split(b" ", 2)[:2]
        if method != b"CONNECT":
            client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
            client.close()
            return
        host, _, port = target.decode().rpartition(":")
        upstream = socket.create_connection((host, int(port)), timeout=10)
        client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        for one, other in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pipe, args=(one, other), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def proxy() -> Iterator[ConnectProxy]:
    server = ConnectProxy()
    yield server
    server.close()


# -- settings -----------------------------------------------------------------------------------


def test_proxy_settings_only_with_trust_env() -> None:
    env = {"HTTPS_PROXY": "http://user:p%40ss@proxy.corp:3128", "NO_PROXY": ".internal,localhost"}
    assert Settings.load(environ=env).upstream_proxy.https is None  # not trusted by default
    trusted = Settings.load(environ={**env, "LOCKLLM_UPSTREAM_TRUST_ENV": "true"})
    config = trusted.upstream_proxy
    assert config.https == Proxy("http://proxy.corp:3128", (b"user", b"p@ss"))
    assert config.http is None
    assert "p@ss" not in repr(config)
    assert "p%40ss" not in repr(trusted)
    assert config.for_target("https", "api.openai.com") == config.https
    assert config.for_target("https", "llm.internal") is None
    assert config.for_target("https", "a.b.internal") is None
    assert config.for_target("https", "localhost") is None
    assert config.for_target("http", "api.openai.com") is None
    everything = proxy_config_from({"all_proxy": "proxy:8080", "no_proxy": "*"})
    assert everything.http == Proxy("http://proxy:8080")
    assert everything.for_target("https", "x.com") is None
    lower_wins = proxy_config_from({"https_proxy": "http://a:1", "HTTPS_PROXY": "http://b:2"})
    assert lower_wins.https == Proxy("http://a:1")
    with pytest.raises(ConfigurationError, match="HTTPS_PROXY"):
        proxy_config_from({"HTTPS_PROXY": "socks5://proxy:1080"})
    with pytest.raises(ConfigurationError, match="TRUST_ENV"):
        Settings.load(environ={"LOCKLLM_UPSTREAM_TRUST_ENV": "maybe"})


def test_ca_bundle_settings(pki: Path) -> None:
    ca = str(pki / "ca.pem")
    assert Settings.load(environ={"SSL_CERT_FILE": ca}).upstream_ca_bundle == ca
    both = {"SSL_CERT_FILE": "/nonexistent", "LOCKLLM_UPSTREAM_CA_BUNDLE": ca}
    assert Settings.load(environ=both).upstream_ca_bundle == ca
    assert Settings.load(environ={}).upstream_ca_bundle is None
    with pytest.raises(ConfigurationError, match="no such CA bundle"):
        Settings.load(environ={"LOCKLLM_UPSTREAM_CA_BUNDLE": str(pki / "missing.pem")})
    with pytest.raises(ConfigurationError, match="cannot load the CA bundle"):
        ssl_context(str(pki / "ext.cnf"))
    system = ssl_context(None)
    assert system.verify_mode == ssl.CERT_REQUIRED
    assert system.check_hostname
    cap = Settings.load(environ={"LOCKLLM_UPSTREAM_MAX_CONNECTIONS": "3"})
    assert cap.upstream_max_connections == 3


# -- the settings reach the upstream connection ----------------------------------------------


def _post(url: str) -> httpx.Response:
    return httpx.post(url + "/chat/completions", json=CHAT, headers=AUTH, timeout=20)


def test_the_ca_bundle_reaches_the_upstream_handshake(pki: Path, tls_stub: UpstreamStub) -> None:
    upstreams = {"openai": (tls_stub.url + "/v1", UPSTREAM_KEY)}
    with running_gateway(upstreams, api_keys=(GATEWAY_KEY,)) as plain:
        refused = _post(plain.proxy_url("openai"))  # the system store does not know our CA
    assert refused.status_code == 502
    tls_stub.requests.clear()
    with running_gateway(
        upstreams, api_keys=(GATEWAY_KEY,), upstream_ca_bundle=str(pki / "ca.pem")
    ) as gateway:
        answered = _post(gateway.proxy_url("openai"))
    assert answered.status_code == 200
    assert answered.json()["choices"][0]["message"]["content"]
    assert len(tls_stub.requests) == 1
    assert tls_stub.requests[0].headers["authorization"] == f"Bearer {UPSTREAM_KEY}"


def test_calls_go_through_the_proxy_when_the_environment_is_trusted(
    pki: Path, tls_stub: UpstreamStub, proxy: ConnectProxy
) -> None:
    upstreams = {"openai": (tls_stub.url + "/v1", UPSTREAM_KEY)}
    target = tls_stub.url.split("//", 1)[1]
    env = {"HTTPS_PROXY": proxy.url.replace("http://", "http://scout:tiger@")}
    with running_gateway(
        upstreams,
        api_keys=(GATEWAY_KEY,),
        upstream_ca_bundle=str(pki / "ca.pem"),
        upstream_trust_env=True,
        upstream_proxy=proxy_config_from(env),
    ) as gateway:
        answered = _post(gateway.proxy_url("openai"))
        again = _post(gateway.proxy_url("openai"))
    assert (answered.status_code, again.status_code) == (200, 200)
    assert proxy.heads, "the proxy saw nothing"
    head = proxy.heads[0]
    assert head.startswith(f"CONNECT {target} HTTP/1.1".encode())
    assert b"Proxy-Authorization: Basic c2NvdXQ6dGlnZXI=" in head  # scout:tiger
    for seen in proxy.heads:  # the tunnel hides the request: no key, no body for the proxy
        assert UPSTREAM_KEY.encode() not in seen
        assert GATEWAY_KEY.encode() not in seen
        assert b"Say hi" not in seen


def test_no_proxy_hosts_are_reached_directly(
    pki: Path, tls_stub: UpstreamStub, proxy: ConnectProxy
) -> None:
    upstreams = {"openai": (tls_stub.url + "/v1", UPSTREAM_KEY)}
    env = {"HTTPS_PROXY": proxy.url, "NO_PROXY": "localhost,127.0.0.1"}
    with running_gateway(
        upstreams,
        api_keys=(GATEWAY_KEY,),
        upstream_ca_bundle=str(pki / "ca.pem"),
        upstream_trust_env=True,
        upstream_proxy=proxy_config_from(env),
    ) as gateway:
        assert _post(gateway.proxy_url("openai")).status_code == 200
    assert proxy.heads == []


def test_upstream_connections_are_capped() -> None:
    stub = UpstreamStub()
    stub.gate = threading.Event()
    with serve_app(build_stub_app(stub)) as url:
        upstreams = {"openai": (url + "/v1", UPSTREAM_KEY)}
        with (
            running_gateway(
                upstreams, api_keys=(GATEWAY_KEY,), upstream_max_connections=1, connect_timeout=0.5
            ) as gateway,
            httpx.Client(timeout=20) as client,
        ):
            endpoint = gateway.proxy_url("openai") + "/chat/completions"
            body = {**CHAT, "stream": True}
            with client.stream("POST", endpoint, json=body, headers=AUTH) as streaming:
                assert streaming.status_code == 200
                chunks = streaming.iter_raw()
                next(chunks)  # the first piece: the one connection is now busy
                started = time.monotonic()
                waited = httpx.post(endpoint, json=CHAT, headers=AUTH, timeout=20)
                elapsed = time.monotonic() - started
                assert waited.status_code == 502
                assert 0.4 <= elapsed < scaled(5)
                stub.gate.set()
                rest: Tuple[bytes, ...] = tuple(chunks)
                assert b"[DONE]" in b"".join(rest)
            assert httpx.post(endpoint, json=CHAT, headers=AUTH, timeout=20).status_code == 200
