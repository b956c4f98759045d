"""The gateway ASGI app: ``/v1/scan`` (and legacy ``/scan``), ``/v1/proxy/<provider>/…``,
``/healthz``; every answer in the LockLLM wire protocol (PROTOCOL.md).

Request flow of a proxy call: authenticate (constant time) → check the provider is
configured → read the body under the size limit → extract the text → scan locally →
block (400 ``prompt_injection_detected``) or forward with the provider key and relay the
provider's answer unchanged, plus the ``X-LockLLM-*`` headers.

Logs carry method, path (never the query), status, request id, duration and verdict:
never prompt text, never keys.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import re
import time
import uuid
from typing import Any, AsyncIterator, Dict, List, Mapping, Optional, Tuple

import anyio.to_thread
import httpcore
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._version import __version__
from . import _errors
from ._extract import extract_messages, extract_model
from ._settings import Settings
from ._upstream import (
    UpstreamError,
    UpstreamPool,
    UpstreamResponse,
    request_headers,
    response_headers,
    upstream_url,
)

__all__ = ["create_app"]

logger = logging.getLogger("lockllm.server")

SENSITIVITIES = ("low", "medium", "high")
ACTIONS = ("block", "allow_with_warning")
THREAD_SCAN_CHARS = 64 * 1024
"""Inputs longer than this are scanned in a worker thread, so the event loop keeps serving."""
DRAIN_LIMIT = 64 * 1024 * 1024
"""How much of an oversized body is read and discarded so the client can see the 413."""

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_JSON = [(b"content-type", b"application/json")]
_UNSCANNED_TYPES = ("multipart/", "application/octet-stream", "audio/", "image/", "video/")


class _Problem(Exception):
    """An error answer, raised from deep in a handler."""

    def __init__(self, status: int, payload: Dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.payload = payload


class Gateway:
    """State shared by the handlers: settings, key digests, the engine, the HTTP pool."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._digests = tuple(hashlib.sha256(k.encode("utf-8")).digest() for k in settings.api_keys)
        self._scanner: Any = None
        self.http: Optional[UpstreamPool] = None

    # -- pieces ---------------------------------------------------------------------------

    @property
    def scanner(self) -> Any:
        if self._scanner is None:
            from ..engine import LocalScanner

            self._scanner = LocalScanner()
        return self._scanner

    def client(self) -> UpstreamPool:
        if self.http is None:  # lifespan not run (e.g. a server without lifespan support)
            self.http = UpstreamPool(self.settings)
        return self.http

    def authorized(self, request: Request) -> bool:
        """True if the request carries one of the configured keys (constant-time compare)."""
        if self.settings.no_auth:
            return True
        presented: List[str] = []
        auth = request.headers.get("authorization")
        if auth and auth[:7].lower() == "bearer ":
            presented.append(auth[7:].strip())
        for name in ("x-api-key", "api-key"):
            value = request.headers.get(name)
            if value:
                presented.append(value.strip())
        found = False
        for candidate in presented:
            digest = hashlib.sha256(candidate.encode("utf-8", "surrogateescape")).digest()
            for known in self._digests:  # every key, every time: no early exit
                found |= hmac.compare_digest(digest, known)
        return found

    async def read_body(self, request: Request, request_id: str) -> bytes:
        """The request body, refused with 413 as soon as it passes the limit."""
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length", "")
        too_big = declared.isdigit() and int(declared) > limit
        chunks: List[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if too_big or size > limit:
                too_big = True
                if size > DRAIN_LIMIT:
                    break
                continue  # keep reading (and discarding) so the client gets our answer
            chunks.append(chunk)
        if too_big:
            raise _Problem(413, _errors.too_large(limit, request_id))
        return b"".join(chunks)

    async def scan_messages(self, messages: List[Dict[str, str]], sensitivity: str) -> Any:
        size = sum(len(m["content"]) for m in messages)
        if size > THREAD_SCAN_CHARS:
            return await anyio.to_thread.run_sync(self.scanner.scan_messages, messages, sensitivity)
        return self.scanner.scan_messages(messages, sensitivity)

    async def scan_text(self, text: str, sensitivity: str) -> Any:
        if len(text) > THREAD_SCAN_CHARS:
            return await anyio.to_thread.run_sync(self.scanner.scan, text, sensitivity)
        return self.scanner.scan(text, sensitivity)

    # -- endpoints ------------------------------------------------------------------------

    async def scan(self, request: Request) -> Response:
        """``POST /v1/scan`` ``{"input", "sensitivity"}``; legacy ``POST /scan`` ``{"prompt"}``."""
        request_id = _request_id(request)
        try:
            if not self.authorized(request):
                raise _Problem(401, _errors.unauthorized(request_id))
            body = _parse_json(await self.read_body(request, request_id), request_id)
            if not isinstance(body, dict):
                raise _Problem(
                    400, _errors.invalid_request("The body must be a JSON object", request_id)
                )
            text = body.get("input", body.get("prompt"))
            if not isinstance(text, str) or not text.strip():
                raise _Problem(
                    400,
                    _errors.invalid_request(
                        "'input' must be a non-empty string", request_id, "invalid_input"
                    ),
                )
            sensitivity = self._sensitivity(request, body.get("sensitivity"), request_id)
            action = _action(request, request_id)
            result = await self.scan_text(text, sensitivity)
        except _Problem as problem:
            return _json(problem.status, problem.payload, request_id)
        _note(request, result.safe)
        if not result.safe and action == "block":
            return _json(400, _errors.injection_detected(result, request_id), request_id)
        payload = result.to_dict()
        payload["request_id"] = request_id
        payload["usage"] = {"requests": 1, "input_chars": len(text)}
        if not result.safe and action == "allow_with_warning":
            payload["scan_warning"] = _scan_warning(result)
        return _json(200, payload, request_id)

    async def proxy(self, request: Request) -> Response:
        """``/v1/proxy/<provider>/<path>``: scan, then block or forward."""
        request_id = _request_id(request)
        provider = request.path_params["provider"]
        try:
            if not self.authorized(request):
                raise _Problem(401, _errors.unauthorized(request_id))
            upstream = self.settings.upstreams.get(provider)
            if upstream is None:
                names = ", ".join(self.settings.upstreams)
                raise _Problem(
                    404,
                    _errors.not_found(
                        f"Unknown provider {provider!r}; known providers: {names}", request_id
                    ),
                )
            if not upstream.url or not upstream.key:
                missing = "URL" if not upstream.url else "API key"
                env = "LOCKLLM_UPSTREAM_" + provider.upper().replace("-", "_")
                env += "_URL" if not upstream.url else "_KEY"
                raise _Problem(
                    400,
                    _errors.no_upstream(
                        f"No upstream {missing} configured for provider {provider!r}: "
                        f"set {env} or upstreams.{provider} in the gateway config",
                        provider,
                        request_id,
                    ),
                )
            sensitivity = self._sensitivity(request, None, request_id)
            action = _action(request, request_id)
            body = await self.read_body(request, request_id)
            parsed = _parse_proxy_body(request, body, request_id)
            messages = extract_messages(parsed) if parsed is not None else []
            result = await self.scan_messages(messages, sensitivity) if messages else None
        except _Problem as problem:
            return _json(problem.status, problem.payload, request_id)

        model = extract_model(parsed, request.path_params.get("path", "")) or ""
        meta = _metadata(request_id, provider, model, sensitivity, result)
        _note(request, None if result is None else result.safe)
        if result is not None and not result.safe:
            if action != "allow_with_warning":
                meta.append((b"x-lockllm-blocked", b"true"))
                return _json(400, _errors.injection_detected(result, request_id), request_id, meta)
            meta.append((b"x-lockllm-scan-warning", b"true"))
            detail = json.dumps(_scan_warning(result), separators=(",", ":")).encode()
            meta.append((b"x-lockllm-scan-detail", base64.b64encode(detail)))
        meta.append((b"x-lockllm-blocked", b"false"))
        return await self.forward(request, provider, body, meta, request_id)

    async def forward(
        self,
        request: Request,
        provider: str,
        body: bytes,
        meta: List[Tuple[bytes, bytes]],
        request_id: str,
    ) -> Response:
        upstream = self.settings.upstreams[provider]
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        prefix = f"/v1/proxy/{provider}".encode()
        path = raw_path.split(b"?", 1)[0][len(prefix) :].lstrip(b"/").decode("latin-1")
        url = upstream_url(provider, upstream, path, request.scope.get("query_string", b""))
        try:
            response, connection = await self.client().send(
                request.method, url, request_headers(request.headers.raw, upstream), body
            )
        except httpcore.TimeoutException as exc:
            logger.warning("upstream %s timed out: %s", provider, type(exc).__name__)
            return _json(
                502,
                _errors.upstream_error(
                    f"The {provider} API did not answer in time", provider, request_id
                ),
                request_id,
                meta,
            )
        except UpstreamError as exc:
            logger.warning("upstream %s unreachable: %s", provider, type(exc).__name__)
            return _json(
                502,
                _errors.upstream_error(f"Could not reach the {provider} API", provider, request_id),
                request_id,
                meta,
            )
        headers = response_headers(response.headers)
        if not any(name == b"x-request-id" for name, _ in headers):
            headers.append((b"x-request-id", request_id.encode()))
        headers.extend(meta)
        return UpstreamResponse(response, headers, self.client(), connection)

    async def healthz(self, request: Request) -> Response:
        return _json(200, {"status": "ok", "version": __version__}, _request_id(request))

    async def not_found(self, request: Request, exc: Exception) -> Response:
        request_id = _request_id(request)
        status = getattr(exc, "status_code", 404)
        if status == 405:
            payload = _errors.error_body(
                f"Method {request.method} is not allowed on {request.url.path}",
                "invalid_request_error",
                "method_not_allowed",
                request_id,
            )
        else:
            payload = _errors.not_found(f"No route for {request.url.path}", request_id)
        return _json(status, payload, request_id)

    # -- helpers --------------------------------------------------------------------------

    def _sensitivity(self, request: Request, value: Any, request_id: str) -> str:
        if value is None:
            value = request.headers.get("x-lockllm-sensitivity") or self.settings.sensitivity
        if value not in SENSITIVITIES:
            raise _Problem(
                400,
                _errors.invalid_request(
                    f"sensitivity must be one of low, medium, high; got {value!r}",
                    request_id,
                    "invalid_sensitivity",
                ),
            )
        return str(value)


def _action(request: Request, request_id: str) -> Optional[str]:
    value = request.headers.get("x-lockllm-scan-action")
    if value is None:
        return None
    value = value.strip().lower()
    if value not in ACTIONS:
        raise _Problem(
            400,
            _errors.invalid_request(
                f"X-LockLLM-Scan-Action must be block or allow_with_warning; got {value!r}",
                request_id,
                "invalid_scan_action",
            ),
        )
    return value


def _request_id(request: Request) -> str:
    state = request.scope.setdefault("lockllm", {})
    rid = state.get("request_id")
    if rid is None:
        sent = request.headers.get("x-request-id")
        rid = sent if sent and _REQUEST_ID.match(sent) else f"req_{uuid.uuid4().hex}"
        state["request_id"] = rid
    return str(rid)


def _note(request: Request, safe: Optional[bool]) -> None:
    request.scope["lockllm"]["verdict"] = (
        "unscanned" if safe is None else ("safe" if safe else "flagged")
    )


def _parse_json(body: bytes, request_id: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise _Problem(
            400, _errors.invalid_request("The body is not valid JSON", request_id, "invalid_json")
        )


def _parse_proxy_body(request: Request, body: bytes, request_id: str) -> Any:
    """The JSON body, ``None`` for an empty or a non-JSON (multipart, audio …) upload."""
    if not body.strip():
        return None
    ctype = request.headers.get("content-type", "").lower()
    if ctype.startswith(_UNSCANNED_TYPES):
        return None
    return _parse_json(body, request_id)


def _scan_warning(result: Any) -> Dict[str, Any]:
    return {
        "message": "Prompt injection detected; allowed because the scan action is "
        "allow_with_warning",
        "injection_score": result.injection,
        "confidence": result.confidence,
        "label": result.label,
    }


def _num(value: Optional[float]) -> bytes:
    return b"" if value is None else str(float(value)).encode()


def _metadata(
    request_id: str, provider: str, model: str, sensitivity: str, result: Any
) -> List[Tuple[bytes, bytes]]:
    scanned = result is not None
    safe = result.safe if scanned else True
    return [
        (b"x-lockllm-safe", b"true" if safe else b"false"),
        (b"x-lockllm-request-id", request_id.encode()),
        (b"x-lockllm-scanned", b"true" if scanned else b"false"),
        (b"x-lockllm-label", str(result.label if scanned else 0).encode()),
        (b"x-lockllm-injection-score", _num(result.injection if scanned else 0.0)),
        (b"x-lockllm-confidence", _num(result.confidence if scanned else 100.0)),
        (b"x-lockllm-sensitivity", sensitivity.encode()),
        (b"x-lockllm-provider", provider.encode()),
        (b"x-lockllm-model", model.encode("ascii", "replace")),
    ]


def _json(
    status: int,
    payload: Mapping[str, Any],
    request_id: str,
    extra: Optional[List[Tuple[bytes, bytes]]] = None,
) -> Response:
    response = Response(_errors.dumps(payload), status_code=status, media_type="application/json")
    response.raw_headers.append((b"x-request-id", request_id.encode()))
    if extra:
        response.raw_headers.extend(extra)
    return response


class _AccessLog:
    """Pure ASGI wrapper: one log line per request, with no prompt text and no keys."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            if logger.isEnabledFor(logging.INFO):
                state = scope.get("lockllm", {})
                logger.info(
                    "%s %s %d %s %.1fms verdict=%s",
                    scope["method"],
                    scope["path"],
                    status,
                    state.get("request_id", "-"),
                    (time.perf_counter() - start) * 1000,
                    state.get("verdict", "-"),
                )


def create_app(settings: Optional[Settings] = None) -> Starlette:
    """The gateway as a Starlette app (serve it with uvicorn, or any ASGI server).

    ``settings`` defaults to :meth:`Settings.load` (environment variables only). Settings
    with no API keys and without ``no_auth`` are refused: ``lockllm serve`` generates a key
    in that case; call ``settings.with_generated_key()`` to do the same.
    """
    from ..errors import ConfigurationError

    settings = Settings.load() if settings is None else settings
    settings.validate()
    if not settings.api_keys and not settings.no_auth:
        raise ConfigurationError(
            "No gateway API keys: set LOCKLLM_SERVER_API_KEYS, api_keys in the config file, "
            "or no_auth=True (loopback only)"
        )
    gateway = Gateway(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        gateway.client()
        gateway.scanner  # noqa: B018 - load the engine before the first request
        try:
            yield
        finally:
            if gateway.http is not None:
                await gateway.http.aclose()
                gateway.http = None

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    routes = [
        Route("/v1/scan", gateway.scan, methods=["POST"]),
        Route("/scan", gateway.scan, methods=["POST"]),
        Route("/healthz", gateway.healthz, methods=["GET"]),
        Route("/v1/proxy/{provider}/{path:path}", gateway.proxy, methods=methods),
        Route("/v1/proxy/{provider}", gateway.proxy, methods=methods),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: gateway.not_found, 405: gateway.not_found},
    )
    app.state.gateway = gateway
    app.add_middleware(_AccessLog)
    return app
