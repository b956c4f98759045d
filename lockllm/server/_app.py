"""The gateway ASGI app: ``/v1/scan`` (and legacy ``/scan``), ``/v1/proxy/<provider>/…``,
``/healthz``; every answer in the LockLLM wire protocol (PROTOCOL.md).

Request flow of a proxy call: authenticate (constant time) → check the provider is
configured → read the body under the size limit → extract the text → scan locally →
block (400 ``prompt_injection_detected``) or forward with the provider key and relay the
provider's answer unchanged, plus the ``X-LockLLM-*`` headers.

Authentication: the gateway key is accepted as ``Authorization: Bearer <key>``,
``x-api-key: <key>`` or ``api-key: <key>`` (the header the Azure OpenAI SDKs send), and
compared in constant time. None of these headers is forwarded; the provider key is added
instead.

What is scanned (see ``_inspect`` and ``_extract``): a proxied body is parsed as JSON
first, whatever its ``Content-Type`` says (a duplicate key anywhere is refused, 400
``duplicate_key``); every key and every string value in it is scanned, text split across
parts, messages or items is scanned joined too, and encoded documents (``data:`` URLs,
base64 files, PDFs) are decoded and scanned. Only images, audio and video are left out;
content that cannot be scanned is refused (415 ``unscannable_content``) unless
``forward_unscannable``. ``multipart/form-data`` bodies are parsed strictly (400
``invalid_multipart``), every field and text file scanned. Compressed bodies (415), two
``Content-Encoding`` or ``Content-Type`` headers, and other non-JSON bodies are refused.
With ``enforce_block`` a client's ``X-LockLLM-Scan-Action: allow_with_warning`` cannot
downgrade a block.

Availability: reading and scanning a body run in worker processes (``_scanpool``) under
the request's ``scan_timeout``; past it the answer is 503 ``scan_error`` /
``scan_timeout`` and nothing is forwarded, while the event loop goes on serving. Under
uvicorn, ``_limits`` closes connections that do not complete a request head within
``header_timeout`` and refuses connections past ``max_connections``.

Paths: ``/v1/proxy/<provider>/<path>`` forwards ``<path>`` still percent-encoded, under
the provider's base URL. A provider name must be spelled plainly (``open%61i`` is an
unknown provider); a path with a ``;``, a ``#``, a control character, or a ``.`` / ``..``
segment in any encoding (``%2e``, ``%252e``, around ``\\`` or an encoded ``/``) is
answered 404 and never forwarded (``_paths``), so a path-scoped base URL (Azure
``/openai/v1``, Vertex, Gemini) cannot be escaped. A provider's answer is relayed with
the provider key and the client's key masked (``_mask``).

``no_auth`` mode (loopback only) has no key to stop a web page in the user's browser, so
it checks the browser's headers instead: the ``Host`` must be a loopback name
(``127.0.0.1`` or any loopback IP, ``[::1]``, ``localhost``, with an optional port),
which defeats DNS rebinding, and a request with an ``Origin`` that is not a loopback
``http(s)`` origin (including ``Origin: null``) is refused, which stops cross-site
``POST`` requests. Both answer 403 ``permission_error`` (``forbidden_host`` /
``forbidden_origin``).

Logs carry method, path (never the query; control characters escaped), status, request
id, duration and verdict: never prompt text, never keys (configured keys in a path are
masked). A response that broke off before its end is logged as status 500 with
``aborted``, or 499 when the client disconnected; a body that does not arrive within
``body_timeout`` is answered 408 (``_bodytimeout``).
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
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
import httpcore
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._version import __version__
from .._vocabulary import ACTIONS as VOCABULARY_ACTIONS
from .._vocabulary import SENSITIVITIES as VOCABULARY_SENSITIVITIES
from . import _bodytimeout, _errors
from ._extract import extract_model
from ._guard_response import prepare as prepare_guard
from ._limits import STATE_KEY as LIMITS_KEY
from ._limits import connection_cap, install_repeat_filter
from ._litellm import PATH as LITELLM_PATH
from ._litellm import GuardrailRequestError
from ._litellm import answer as litellm_answer
from ._litellm import chat_body as litellm_chat_body
from ._mask import MaskedResponse
from ._maskforms import all_forms, mask_text, without_secrets
from ._paths import check_proxy_path, log_safe
from ._piistep import PIIRefusal, proxy_body, requested_action, scan_input
from ._policies import Plan, PolicyRefusal, PolicyStore, settings_for, watching
from ._production import Production, add_production
from ._scanpool import DEFAULT_FACTORY, ScanFailed, ScanPool, ScanTimeout, default_workers
from ._settings import Settings, is_loopback
from ._tracing import add_tracing, guarded, upstream_span
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

SENSITIVITIES = VOCABULARY_SENSITIVITIES  # the protocol's levels and actions (_vocabulary)
ACTIONS = VOCABULARY_ACTIONS
DRAIN_LIMIT = 64 * 1024 * 1024
"""How much of an oversized body is read and discarded so the client can see the 413."""

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_JSON = [(b"content-type", b"application/json")]
_HEADER_UNSAFE = re.compile(r"[^\x20-\x7e]")
MAX_HEADER_TEXT = 256


class _Problem(Exception):
    """An error answer, raised from deep in a handler."""

    def __init__(
        self,
        status: int,
        payload: Dict[str, Any],
        headers: Optional[List[Tuple[bytes, bytes]]] = None,
    ) -> None:
        super().__init__(status)
        self.status = status
        self.payload = payload
        self.headers = headers


class Gateway:
    """State shared by the handlers: settings, key digests, the engine, the HTTP pool."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._digests = tuple(hashlib.sha256(k.encode("utf-8")).digest() for k in settings.api_keys)
        self.http: Optional[UpstreamPool] = None
        self.production = Production(settings)  # rate limits, scan cache … (GATEWAY-PROD)
        self.scans: Optional[ScanPool] = None
        self.scan_factory = DEFAULT_FACTORY
        """``module:function`` building each scan worker's engine (tests plant slow ones)."""
        self.policies: Optional[PolicyStore] = None  # per-key policies (``_policies``)
        if settings.policies:
            self.policies = PolicyStore(
                settings.policies,
                providers=tuple(settings.upstreams),
                webhook_secret=settings.webhook_secret,
                metrics=self.production.metrics,
                redis=self.production.redis,
                engine=settings.engine_options(),
            )

    # -- pieces ---------------------------------------------------------------------------

    def pool(self) -> ScanPool:
        if self.scans is None:  # started by the lifespan, or on first use without one
            workers = self.settings.scan_workers or default_workers()
            engine = self.settings.engine_options()
            self.scans = ScanPool(workers, self.scan_factory, json.dumps(engine) if engine else "")
        return self.scans

    async def run_scan(self, method: str, argument: Any, sensitivity: str, request_id: str) -> Any:
        """A scan in a worker process within the request's budget; 503 past it."""
        try:
            return await self.production.scan(  # through the scan cache (GATEWAY-PROD)
                (method, argument),
                sensitivity,
                lambda: self.pool().run(method, argument, sensitivity, self.settings.scan_timeout),
                self.settings.engine_options(),  # part of the cache key
            )
        except ScanTimeout as exc:
            budget = f"{self.settings.scan_timeout:g} s"
            if exc.busy:  # saturated, not this input's fault: worth a retry
                message = f"Every scan worker stayed busy for the gateway's budget of {budget}"
                code = "scan_busy"
            else:
                message = f"The scan did not finish within the gateway's budget of {budget}"
                code = "scan_timeout"
            raise _Problem(
                503,
                _errors.scan_unavailable(
                    message + "; the request was not forwarded", code, request_id
                ),
                [(b"retry-after", b"1")] if exc.busy else None,
            ) from None
        except ScanFailed as exc:
            raise _Problem(
                503,
                _errors.scan_unavailable(
                    f"The scan failed ({exc}); the request was not forwarded",
                    "scan_failed",
                    request_id,
                ),
            ) from None

    async def scan_planned(
        self, plan: Optional[Plan], method: str, argument: Any, sensitivity: str, request_id: str
    ) -> Any:
        """``run_scan`` under the key's policy (``plan``); an outcome the engine refused as
        input (``"problem"``) is raised as its 4xx answer."""
        if plan is not None:
            method, argument = "policy", plan.argument(method, argument)
        outcome = await self.run_scan(method, argument, sensitivity, request_id)
        if outcome[0] == "problem":
            _, status, code, message = outcome
            raise _Problem(status, _errors.invalid_request(message, request_id, code))
        return outcome

    def client(self) -> UpstreamPool:
        if self.http is None:  # lifespan not run (e.g. a server without lifespan support)
            self.http = UpstreamPool(self.settings)
        return self.http

    def admit(self, request: Request, request_id: str) -> None:
        """Raise 401 without a valid key; in ``no_auth`` mode, 403 for a non-local browser."""
        if not self.settings.no_auth:
            if not self.authorized(request):
                raise _Problem(401, _errors.unauthorized(request_id))
            return
        if not _loopback_host(request.headers.get("host", "")):
            raise _Problem(
                403,
                _errors.forbidden(
                    "Without API keys (no_auth) the gateway answers requests for a loopback "
                    "Host (127.0.0.1, [::1], localhost) only",
                    "forbidden_host",
                    request_id,
                ),
            )
        origin = request.headers.get("origin")
        if origin is not None and not _loopback_origin(origin):
            raise _Problem(
                403,
                _errors.forbidden(
                    "Without API keys (no_auth) the gateway refuses requests from web pages "
                    "not served from this machine (Origin)",
                    "forbidden_origin",
                    request_id,
                ),
            )

    def authorized(self, request: Request) -> bool:
        """True if the request carries one of the configured keys (constant-time compare)."""
        found = False
        for candidate in _presented(request, 0):
            digest = hashlib.sha256(candidate.encode("utf-8", "surrogateescape")).digest()
            for known in self._digests:  # every key, every time: no early exit
                found |= hmac.compare_digest(digest, known)
        return found

    async def plan(
        self, request: Request, provider: Optional[str], request_id: str
    ) -> Optional[Plan]:
        """The request's per-key policy plan (``_policies``); ``None`` without policies."""
        if self.policies is None:
            return None
        valid = [
            k
            for k in _presented(request, 0)
            if hashlib.sha256(k.encode("utf-8", "surrogateescape")).digest() in self._digests
        ]
        return await self.policies.begin(
            request.headers, valid, self.settings, provider, request_id, request.scope["lockllm"]
        )

    def amended(self, request: Request) -> Any:
        """The settings as the request's policy amends them (PII action, response guard)."""
        return settings_for(request.scope.get("lockllm", {}), self.settings)

    def judge(
        self, plan: Optional[Plan], hits: Any, request_id: str
    ) -> Tuple[List[Dict[str, Any]], List[Tuple[bytes, bytes]]]:
        """Custom-rule hits under the plan: 403 ``policy_violation``, or the warnings."""
        if plan is None or self.policies is None:
            return [], []
        return self.policies.judge(plan, hits, request_id)

    async def read_body(self, request: Request, request_id: str) -> bytes:
        """The request body, refused with 413 as soon as it passes the limit."""
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length", "")
        too_big = declared.isdigit() and int(declared) > limit
        chunks: List[bytes] = []
        size = 0
        try:
            with anyio.fail_after(self.settings.body_timeout):  # a dripped body: 408
                async for chunk in request.stream():
                    size += len(chunk)
                    if too_big or size > limit:
                        too_big = True
                        if size > DRAIN_LIMIT:
                            break
                        continue  # keep reading (and discarding) so the client gets our answer
                    chunks.append(chunk)
        except TimeoutError:
            timeout = self.settings.body_timeout
            raise _Problem(
                408, _bodytimeout.too_slow(timeout, request_id), _bodytimeout.CLOSE
            ) from None
        except ClientDisconnect:
            raise _Problem(
                _bodytimeout.CLIENT_CLOSED, _bodytimeout.client_closed(request_id)
            ) from None
        if too_big:
            raise _Problem(413, _errors.too_large(limit, request_id))
        return b"".join(chunks)

    # -- endpoints ------------------------------------------------------------------------

    async def scan(self, request: Request) -> Response:
        """``POST /v1/scan`` ``{"input", "sensitivity"}``; legacy ``POST /scan`` ``{"prompt"}``."""
        request_id = _request_id(request)
        try:
            self.admit(request, request_id)
            body = await self.read_body(request, request_id)
            action = _action(request, request_id)
            pii = requested_action(request.headers, self.settings, request_id)
            # Parsed (strictly: no duplicate keys) and checked in the worker too, so a
            # pathological body costs the worker's time budget, not the event loop's.
            level = request.headers.get("x-lockllm-sensitivity") or self.settings.sensitivity
            plan = await self.plan(request, None, request_id)
            if plan is not None:
                level, action = plan.sensitivity, plan.scan_action
                pii = requested_action(request.headers, self.amended(request), request_id)
            outcome = await self.scan_planned(
                plan, "scan_request", {"body": body}, level, request_id
            )
            _, result, input_chars = outcome[:3]
            warned = self.judge(plan, outcome[3] if plan else (), request_id)[0]
        except (_Problem, PolicyRefusal, PIIRefusal) as problem:
            return _json(problem.status, problem.payload, request_id, problem.headers)
        _note(request, result.safe)
        if self.policies is not None and plan is not None:
            self.policies.decided(plan, result, bool(warned), request_id)
        if not result.safe and action == "block":
            return _json(400, _errors.injection_detected(result, request_id), request_id)
        try:  # the PII action (_piistep): pii_result, or 403 pii_detected under block
            pii_result = await scan_input(body, pii, request_id) if pii else None
        except PIIRefusal as refusal:
            return _json(refusal.status, refusal.payload, request_id)
        payload = result.to_dict()
        payload["request_id"] = request_id
        payload["usage"] = {"requests": 1, "input_chars": input_chars}
        if pii_result is not None:
            payload["pii_result"] = pii_result
        if warned:
            payload["policy_warnings"] = warned
        if not result.safe and action == "allow_with_warning":
            payload["scan_warning"] = _scan_warning(result)
        return _json(200, payload, request_id)

    async def proxy(self, request: Request) -> Response:
        """``/v1/proxy/<provider>/<path>``: scan, then block or forward."""
        request_id = _request_id(request)
        provider = request.path_params["provider"]
        try:
            self.admit(request, request_id)
            path = _provider_path(request, provider, request_id)
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
                        missing_url=not upstream.url,
                    ),
                )
            sensitivity = self._sensitivity(request, None, request_id)
            action = _action(request, request_id)
            pii = requested_action(request.headers, self.settings, request_id)
            if self.settings.enforce_block:
                action = "block"  # the operator's choice: no client header can downgrade it
            plan = await self.plan(request, provider, request_id)
            if plan is not None:
                sensitivity, action = plan.sensitivity, plan.scan_action
                pii = requested_action(request.headers, self.amended(request), request_id)
            body = await self.read_body(request, request_id)
            result, model, hits = None, None, ()
            query = request.scope.get("query_string", b"")
            if body.strip() or query.strip(b"&= "):  # query values may reach the model
                call = {
                    "body": body,
                    "ctype": _check_body_headers(request, request_id),
                    "forward_unscannable": self.settings.forward_unscannable,
                    "query": query,
                }
                outcome = await self.scan_planned(plan, "inspect", call, sensitivity, request_id)
                _, result, model, _media = outcome[:4]
                hits = outcome[4] if plan is not None else ()
            warned = self.judge(plan, hits, request_id)
        except (_Problem, PolicyRefusal, PIIRefusal) as problem:
            return _json(problem.status, problem.payload, request_id, problem.headers)

        path_model = extract_model(None, request.path_params.get("path", ""))
        model = _header_text(model or path_model or "")
        meta = _metadata(request_id, provider, model, sensitivity, result)
        _note(request, None if result is None else result.safe)
        meta.extend(warned[1])  # custom-rule warnings (policy_action allow_with_warning)
        if self.policies is not None and plan is not None:
            self.policies.decided(plan, result, bool(warned[0]), request_id)
        if result is not None and not result.safe and action != "audit":
            if action != "allow_with_warning":
                meta.append((b"x-lockllm-blocked", b"true"))
                return _json(400, _errors.injection_detected(result, request_id), request_id, meta)
            meta.append((b"x-lockllm-scan-warning", b"true"))
            detail = json.dumps(_scan_warning(result), separators=(",", ":")).encode()
            meta.append((b"x-lockllm-scan-detail", base64.b64encode(detail)))
        if pii is not None:  # X-LockLLM-PII-Action (_piistep): 403, a redacted body, headers
            try:
                query = request.scope.get("query_string", b"")
                body, query = await proxy_body(body, pii, meta, request_id, query)
                request.scope["query_string"] = query  # forwarded as stripped (_query)
            except PIIRefusal as refusal:
                return _json(refusal.status, refusal.payload, request_id, refusal.headers)
        meta.append((b"x-lockllm-blocked", b"false"))
        return await self.forward(request, provider, path, body, meta, request_id)

    async def forward(
        self,
        request: Request,
        provider: str,
        path: str,
        body: bytes,
        meta: List[Tuple[bytes, bytes]],
        request_id: str,
    ) -> Response:
        upstream = self.settings.upstreams[provider]
        url = upstream_url(provider, upstream, path, request.scope.get("query_string", b""))
        # The client's key goes nowhere but here, whatever header it was put in.
        raw = without_secrets(request.headers.raw, all_forms(_presented(request, 8)))
        # The response guard (``_guard_response``) reads the answer; it may plant a canary.
        settings = self.amended(request)  # the request's policy may set the guard's mode
        body, guard = prepare_guard(
            settings, request.headers, body, path, provider, request_id, self.production
        )
        guarded(request.scope, guard)  # for the response guard's span (``_tracing``)
        model = dict(meta).get(b"x-lockllm-model", b"").decode("ascii", "replace")
        try:
            with upstream_span(request.method, url, provider, model, path) as span:
                response, connection = await self.client().send(
                    request.method, url, request_headers(raw, upstream, guard is not None), body
                )
                if span is not None:
                    span.set_attribute("http.response.status_code", response.status)
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
        # The guard reads large pieces of the answer in a thread (``_guard_offload``).
        answer = response if guard is None else guard.upstream(response)
        relay = UpstreamResponse(answer, headers, self.client(), connection, guard)
        # A provider that echoes its key (or ours) must not hand it to the caller.
        return MaskedResponse(relay, (upstream.key or "", *_presented(request, 8)))  # type: ignore[return-value]

    async def litellm_guardrail(self, request: Request) -> Response:
        """LiteLLM's Generic Guardrail API: ``POST /beta/litellm_basic_guardrail_api``
        (``_litellm``): the texts scanned role-aware, under the key's policy."""
        request_id = _request_id(request)
        try:
            self.admit(request, request_id)
            raw = await self.read_body(request, request_id)
            try:
                body = litellm_chat_body(json.loads(raw))
            except (ValueError, RecursionError) as exc:
                message = str(exc) if isinstance(exc, GuardrailRequestError) else "Not JSON"
                raise _Problem(400, _errors.invalid_request(message, request_id)) from None
            plan = await self.plan(request, None, request_id)
            level = plan.sensitivity if plan else self._sensitivity(request, None, request_id)
            call = {"body": body, "ctype": "application/json", "forward_unscannable": True}
            outcome = await self.scan_planned(
                plan, "inspect", dict(call, query=b""), level, request_id
            )
            result = outcome[1]
            blocking = plan is not None and plan.policy_action == "block"
            violations = plan.violations(outcome[4]) if plan is not None and blocking else []
        except (_Problem, PolicyRefusal) as problem:
            return _json(problem.status, problem.payload, request_id, problem.headers)
        _note(request, None if result is None else result.safe)
        if self.policies is not None and plan is not None:
            self.policies.decided(plan, result, False, request_id)
        action = (plan.scan_action if plan is not None else None) or "block"
        return _json(200, litellm_answer(result, action, violations), request_id)

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


def _provider_path(request: Request, provider: str, request_id: str) -> str:
    """The raw (percent-encoded) path after ``/v1/proxy/<provider>/``, checked (``_paths``)."""
    raw = request.scope.get("raw_path") or request.url.path.encode("utf-8")
    problem, rest = check_proxy_path(raw.split(b"?", 1)[0], provider)
    if problem is not None:
        raise _Problem(404, _errors.not_found(problem, request_id))
    return rest


def _check_body_headers(request: Request, request_id: str) -> str:
    """The body's one ``Content-Type`` (may be empty); 400 for two, 415 for an encoding."""
    ctypes = request.headers.getlist("content-type")
    if len(ctypes) > 1:
        raise _Problem(
            400, _errors.invalid_request("More than one Content-Type header", request_id)
        )
    encodings = request.headers.getlist("content-encoding")
    tokens = [t.strip().lower() for value in encodings for t in value.split(",")]
    if len(encodings) > 1 or any(t not in ("", "identity") for t in tokens):
        raise _Problem(
            415,
            _errors.invalid_request(
                "Compressed request bodies cannot be scanned (and more than one "
                "Content-Encoding header is ambiguous): send them uncompressed",
                request_id,
                "unsupported_content_encoding",
            ),
        )
    return ctypes[0] if ctypes else ""


def _presented(request: Request, shortest: int = 8) -> List[str]:
    """The key(s) the client sent (to check, and to mask in whatever is relayed back;
    masking leaves out strings shorter than ``shortest``)."""
    presented: List[str] = []
    auth = request.headers.get("authorization")
    if auth and auth[:7].lower() == "bearer ":
        presented.append(auth[7:].strip())
    for name in ("x-api-key", "api-key"):
        value = request.headers.get(name)
        if value:
            presented.append(value.strip())
    return [p for p in presented if len(p) >= shortest]


def _header_text(value: str) -> str:
    """Client text made safe for a response header: printable ASCII, at most 256 chars."""
    return _HEADER_UNSAFE.sub("?", value[: MAX_HEADER_TEXT * 4])[:MAX_HEADER_TEXT].strip()


def _loopback_host(host: str) -> bool:
    """True for a ``Host`` header naming a loopback address, with an optional port."""
    host = host.strip().lower()
    if host.startswith("["):
        name, bracket, port = host[1:].partition("]")
        if not bracket:
            return False
        port = port[1:] if port.startswith(":") else port
    else:
        name, _, port = host.partition(":")
    return (port == "" or port.isdigit()) and bool(name) and is_loopback(name)


def _loopback_origin(origin: str) -> bool:
    """True for an ``Origin`` of a page served from this machine (http or https)."""
    try:
        parts = urlsplit(origin.strip())
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and is_loopback(parts.hostname or "")


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
        (b"x-lockllm-model", _header_text(model).encode("ascii")),
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

    def __init__(self, app: ASGIApp, secrets: Tuple[str, ...] = ()) -> None:
        self.app = app
        self.forms = all_forms(s for s in secrets if len(s) >= 8)  # keys masked in paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        finished = False
        gone = False  # the client disconnected: its doing (499), not a gateway failure

        async def watch_receive() -> Message:
            nonlocal gone
            message = await receive()
            gone = gone or message["type"] == "http.disconnect"
            return message

        async def send_status(message: Message) -> None:
            nonlocal status, finished
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                finished = True  # the last chunk went out: the response is complete

        try:
            await self.app(scope, watch_receive, send_status)
        finally:
            if logger.isEnabledFor(logging.INFO):
                state = scope.get("lockllm", {})
                logger.info(
                    "%s %s %d %s %.1fms verdict=%s%s",
                    log_safe(scope["method"]),
                    log_safe(mask_text(scope["path"], self.forms)),
                    status if finished else (_bodytimeout.CLIENT_CLOSED if gone else 500),
                    state.get("request_id", "-"),
                    (time.perf_counter() - start) * 1000,
                    state.get("verdict", "-"),
                    ("" if finished else f" aborted (status {status} sent)")
                    + (f" policy={state['policy']}" if state.get("policy") else ""),
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
    async def lifespan(app: Starlette) -> AsyncIterator[Dict[str, Any]]:
        gateway.client()
        install_repeat_filter()  # an EMFILE accept storm logs a handful of lines, not MBs
        pool = gateway.pool()
        await anyio.to_thread.run_sync(pool.start)  # the scan workers, before any request
        try:
            # Lifespan state: read by the connection limits of ``_limits`` (under uvicorn).
            cap = connection_cap(settings.max_connections)
            async with watching(gateway.policies):  # policies reload on SIGHUP, file change
                yield {LIMITS_KEY: (settings.header_timeout, cap)}
        finally:
            if gateway.policies is not None:
                await gateway.policies.aclose()
            await pool.aclose()
            gateway.scans = None
            if gateway.http is not None:
                await gateway.http.aclose()
                gateway.http = None

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    routes = [
        Route("/v1/scan", gateway.scan, methods=["POST"]),
        Route("/scan", gateway.scan, methods=["POST"]),
        Route("/healthz", gateway.healthz, methods=["GET"]),
        Route(LITELLM_PATH, gateway.litellm_guardrail, methods=["POST"]),  # ``_litellm``
        Route("/v1/proxy/{provider}/{path:path}", gateway.proxy, methods=methods),
        Route("/v1/proxy/{provider}", gateway.proxy, methods=methods),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: gateway.not_found, 405: gateway.not_found},
    )
    app.state.gateway = gateway
    add_production(app, gateway.production)  # GATEWAY-PROD's layer, inside the access log
    upstream_keys = tuple(u.key for u in settings.upstreams.values() if u.key)
    app.add_middleware(_AccessLog, secrets=(*settings.api_keys, *upstream_keys))
    add_tracing(app, tuple(settings.upstreams))  # OpenTelemetry, outermost (``_tracing``)
    return app
