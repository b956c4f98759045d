"""The native Cohere SDK: ``cohere.ClientV2`` / ``cohere.AsyncClientV2`` at the proxy URL.

Imported only when ``create_cohere_client`` / ``create_async_cohere_client`` is called.

The Cohere SDK has no hook where status errors are made, so the wrapper gives it an
``httpx`` client with a response hook: an error response whose body is a LockLLM error
is raised there, as an error that is both the LockLLM class and the Cohere class for
that status (``cohere.BadRequestError`` …, or ``cohere.core.ApiError``). Provider errors
pass through to the SDK untouched. Because the hook raises before the SDK's own retry
loop sees the response, LockLLM 429 and 5xx answers are not retried by the Cohere SDK:
read ``retry_after`` on the error instead.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Mapping

import cohere
import httpx
from cohere.core.api_error import ApiError

from ..errors import InvalidRequestError, error_from_response
from ._errors import is_lockllm_body, merge

__all__ = ["build", "cohere_error_class"]

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


def _raise_if_lockllm(response: httpx.Response, secret: str) -> None:
    """Raise the dual error when ``response`` (an error, already read) is LockLLM's."""
    if not is_lockllm_body(response.content, response.headers):
        return
    status = response.status_code
    sdk_error = cohere_error_class(status)(body=response.json(), headers=dict(response.headers))
    raise merge(
        error_from_response(status, response.headers, response.content, secret=secret), sdk_error
    )


def build(
    is_async: bool, api_key: str, base_url: str, headers: Mapping[str, str], kwargs: Dict[str, Any]
) -> cohere.ClientV2 | cohere.AsyncClientV2:
    """Make the client, with ``headers`` and the LockLLM error hook on its httpx client.

    A caller's ``httpx_client=`` is used as given, with the headers and the hook added.
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
                _raise_if_lockllm(response, api_key)

        async_client = given if given is not None else httpx.AsyncClient(follow_redirects=True)
        async_client.event_hooks["response"].append(async_hook)
        async_client.headers.update(headers)
        return cohere.AsyncClientV2(
            api_key=api_key, base_url=base_url, httpx_client=async_client, **kwargs
        )
    if given is not None and not isinstance(given, httpx.Client):
        raise InvalidRequestError("httpx_client must be an httpx.Client")

    def hook(response: httpx.Response) -> None:
        if response.status_code >= 400:
            response.read()
            _raise_if_lockllm(response, api_key)

    sync_client = given if given is not None else httpx.Client(follow_redirects=True)
    sync_client.event_hooks["response"].append(hook)
    sync_client.headers.update(headers)
    return cohere.ClientV2(api_key=api_key, base_url=base_url, httpx_client=sync_client, **kwargs)
