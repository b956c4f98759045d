"""Validation of scan and proxy options, and their ``X-LockLLM-*`` request headers.

The options, their headers and the values they accept are rows of
``_vocabulary.OPTIONS``; this module turns each row into a check. ``scan()`` and the
wrappers' ``proxy_options=`` both go through :func:`option_headers`, so a bad value is
refused the same way everywhere, before anything is sent.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Dict, Mapping, Tuple, cast

from ._vocabulary import COMPRESSION_RATE_RANGE, MAX_CACHE_TTL, OPTIONS, SENSITIVITIES, Option
from .errors import InvalidRequestError
from .types import Sensitivity

_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")


def _choice(*allowed: str) -> Callable[[str, Any], str]:
    def check(name: str, value: Any) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise InvalidRequestError(
                f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}"
            )
        return value

    return check


def _boolean(name: str, value: Any) -> str:
    if not isinstance(value, bool):
        raise InvalidRequestError(f"{name} must be True or False; got {value!r}")
    return "true" if value else "false"


def _compression_rate(name: str, value: Any) -> str:
    low, high = COMPRESSION_RATE_RANGE
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise InvalidRequestError(f"{name} must be a number from {low} to {high}; got {value!r}")
    return repr(float(value))


def _cache_ttl(name: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_CACHE_TTL:
        raise InvalidRequestError(
            f"{name} must be a whole number of seconds from 1 to {MAX_CACHE_TTL}; got {value!r}"
        )
    return str(value)


_Rule = Tuple[str, Callable[[str, Any], str]]
_check_sensitivity = _choice(*SENSITIVITIES)
_CHECKS: Mapping[str, Callable[[Option], Callable[[str, Any], str]]] = {
    "choice": lambda option: _choice(*option.choices),
    "bool": lambda option: _boolean,
    "rate": lambda option: _compression_rate,
    "ttl": lambda option: _cache_ttl,
}

PROXY_OPTIONS: Mapping[str, _Rule] = {
    option.name: (option.header, _CHECKS[option.kind](option)) for option in OPTIONS
}
"""Options the wrappers accept in ``proxy_options=``."""

SCAN_OPTIONS: Mapping[str, _Rule] = {
    option.name: PROXY_OPTIONS[option.name] for option in OPTIONS if option.scan
}
"""Options ``scan()`` accepts as keyword arguments, beyond ``sensitivity``."""


def check_sensitivity(value: Any) -> Sensitivity:
    """Return ``value`` if it is a known sensitivity, else raise ``InvalidRequestError``."""
    return cast(Sensitivity, _check_sensitivity("sensitivity", value))


def option_headers(
    options: Mapping[str, Any], rules: Mapping[str, _Rule] = SCAN_OPTIONS
) -> Dict[str, str]:
    """Validate ``options`` against ``rules`` and return their request headers.

    ``None`` values are left out, so callers can pass every option through unchanged.
    An unknown option name is refused with the list of known ones.
    """
    headers: Dict[str, str] = {}
    for name, value in options.items():
        rule = rules.get(name)
        if rule is None:
            raise InvalidRequestError(
                f"unknown option {name!r}; known options: {', '.join(sorted(rules))}"
            )
        if value is None:
            continue
        header, check = rule
        headers[header] = check(name, value)
    return headers


def check_header(name: Any, value: Any) -> None:
    """Refuse a header that cannot be sent as is: a bad name, or a value with line breaks."""
    if not isinstance(name, str) or not isinstance(value, str):
        raise InvalidRequestError("headers must map str names to str values")
    if not _HEADER_NAME.fullmatch(name):
        raise InvalidRequestError(f"{name!r} is not a valid HTTP header name")
    if not _HEADER_VALUE.fullmatch(value):
        raise InvalidRequestError(
            f"the value of header {name!r} must be printable ASCII with no line breaks"
        )
