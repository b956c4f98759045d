"""The native Cohere SDK: ``cohere.ClientV2`` / ``cohere.AsyncClientV2`` at the proxy URL.

Imported only when ``create_cohere_client`` / ``create_async_cohere_client`` is called.

The Cohere SDK has no hook where status errors are made, so the wrapper gives it an
``httpx`` client with a response hook: an error response whose body is a LockLLM error
is raised there, as an error that is both the LockLLM class and the Cohere class for
that status (``cohere.BadRequestError`` …, or ``cohere.core.ApiError``). Provider errors
pass through to the SDK untouched. A caller's own ``httpx_client`` is not modified (see
:func:`build`). Because the hook raises before the SDK's own retry
loop sees the response, LockLLM 429 and 5xx answers are not retried by the Cohere SDK:
read ``retry_after`` on the error instead.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Mapping, Optional

import cohere
import httpx
from cohere.core.api_error import ApiError

from ..errors import InvalidRequestError
from ._errors import is_lockllm_body, with_lockllm_error

__all__ = ["build", "cohere_error_class", "lockllm_error"]

DEFAULT_TIMEOUT = 300.0  # what the Cohere SDK uses when it makes its own httpx client

_STATUS_CLASSES: Mapping[int, str] = {
    400: "BadRequestError",
    401: "UnauthorizedError",
    403: "ForbiddenError",
    404: "NotFoundError",
    422: "UnprocessableEntityError",
    429: "TooManyRequestsError",
    498: "InvalidTokenError",
    499: "ClientClosedRequestError",
    500: "InternalServerError",
    501: "NotImplementedError",
    503: "ServiceUnavailableError",
    504: "GatewayTimeoutError",
}


def cohere_error_class(status: int) -> Callable[..., ApiError]:
    """The Cohere SDK's error class for ``status`` (``ApiError`` when it has none)."""
    name = _STATUS_CLASSES.get(status)
    if name is None:
        return lambda body, headers: ApiError(status_code=status, headers=headers, body=body)
    cls: Callable[..., ApiError] = getattr(cohere.errors, name)
    return cls


def lockllm_error(response: httpx.Response, secret: str) -> Optional[Exception]:
    """The dual error for ``response`` (an error, already read) if it is LockLLM's.

    ``None`` for a provider's error, and whenever building the dual error fails: the
    Cohere SDK then handles the response as usual.
    """
    try:
        content = response.content
        if not is_lockllm_body(content, response.headers):
            return None
        status = response.status_code
        sdk_error = cohere_error_class(status)(
            body=json.loads(content), headers=dict(response.headers)
        )
    except Exception:
        return None
    merged = with_lockllm_error(sdk_error, status, response.headers, content, secret)
    return None if merged is sdk_error else merged


def _sync_client(given: httpx.Client, headers: Mapping[str, str], hook: Any) -> httpx.Client:
    """A new client sending through ``given``'s transports, with its settings copied."""
    client = httpx.Client(
        transport=given._transport,
        headers=_merged_headers(given.headers, headers),
        event_hooks=_hooks(given.event_hooks, hook),
        **_settings(given),
    )
    client._mounts = dict(given._mounts)
    return client


def _async_client(
    given: httpx.AsyncClient, headers: Mapping[str, str], hook: Any
) -> httpx.AsyncClient:
    """The ``httpx.AsyncClient`` twin of :func:`_sync_client`."""
    client = httpx.AsyncClient(
        transport=given._transport,
        headers=_merged_headers(given.headers, headers),
        event_hooks=_hooks(given.event_hooks, hook),
        **_settings(given),
    )
    client._mounts = dict(given._mounts)
    return client


def _merged_headers(given: httpx.Headers, ours: Mapping[str, str]) -> httpx.Headers:
    merged = given.copy()
    merged.update(ours)
    return merged


def _hooks(given: Mapping[str, List[Any]], hook: Any) -> Dict[str, List[Any]]:
    return {
        "request": list(given.get("request", [])),
        "response": [*given.get("response", []), hook],
    }


def _settings(given: httpx.Client | httpx.AsyncClient) -> Dict[str, Any]:
    return {
        "auth": given.auth,
        "params": given.params,
        "cookies": given.cookies,
        "timeout": given.timeout,
        "follow_redirects": given.follow_redirects,
        "max_redirects": given.max_redirects,
        "base_url": given.base_url,
        "trust_env": given.trust_env,
        "default_encoding": getattr(given, "_default_encoding", "utf-8"),
    }


def build(
    is_async: bool, api_key: str, base_url: str, headers: Mapping[str, str], kwargs: Dict[str, Any]
) -> cohere.ClientV2 | cohere.AsyncClientV2:
    """Make the client, with ``headers`` and the LockLLM error hook on its httpx client.

    A caller's ``httpx_client=`` is never modified: the Cohere client gets a new httpx
    client that sends through the caller's transports (so its connection pool and proxy
    mounts are shared) with a copy of its settings (headers, hooks, auth, params,
    cookies, timeout, redirects, base URL), plus our headers and hook. The caller's own
    requests on its client are untouched, and calling the factory again adds nothing to
    it. Closing the caller's client closes the shared transports.
    """
    given = kwargs.pop("httpx_client", None)
    if given is None:
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
    if is_async:
        if given is not None and not isinstance(given, httpx.AsyncClient):
            raise InvalidRequestError("httpx_client must be an httpx.AsyncClient")

        async def async_hook(response: httpx.Response) -> None:
            if response.status_code >= 400:
                await response.aread()
                error = lockllm_error(response, api_key)
                if error is not None:
                    raise error

        if given is None:
            async_client = httpx.AsyncClient(
                follow_redirects=True, headers=headers, event_hooks={"response": [async_hook]}
            )
        else:
            async_client = _async_client(given, headers, async_hook)
        return cohere.AsyncClientV2(
            api_key=api_key, base_url=base_url, httpx_client=async_client, **kwargs
        )
    if given is not None and not isinstance(given, httpx.Client):
        raise InvalidRequestError("httpx_client must be an httpx.Client")

    def hook(response: httpx.Response) -> None:
        if response.status_code >= 400:
            response.read()
            error = lockllm_error(response, api_key)
            if error is not None:
                raise error

    if given is None:
        sync_client = httpx.Client(
            follow_redirects=True, headers=headers, event_hooks={"response": [hook]}
        )
    else:
        sync_client = _sync_client(given, headers, hook)
    return cohere.ClientV2(api_key=api_key, base_url=base_url, httpx_client=sync_client, **kwargs)
