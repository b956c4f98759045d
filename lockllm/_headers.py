"""Reading the ``Retry-After`` family of response headers."""

from __future__ import annotations

import email.utils
import time
from typing import Mapping, Optional

from ._parse import as_float


def retry_after_seconds(
    headers: Mapping[str, str], *, now: Optional[float] = None
) -> Optional[float]:
    """How long the server asked us to wait, in seconds, or ``None`` when it did not say.

    ``retry-after-ms`` (milliseconds) wins over ``Retry-After``, which is either a number of
    seconds or an HTTP date. A date in the past, or a negative number, means "now" (0).
    Unparseable values read as ``None``. ``headers`` must be case-insensitive.
    """
    millis = as_float(headers.get("retry-after-ms"), text=True)
    if millis is not None:
        return max(millis / 1000.0, 0.0)
    raw = headers.get("retry-after")
    if raw is None:
        return None
    seconds = as_float(raw, text=True)
    if seconds is not None:
        return max(seconds, 0.0)
    try:
        moment = email.utils.parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError):
        return None
    current = time.time() if now is None else now
    return max(moment.timestamp() - current, 0.0)
