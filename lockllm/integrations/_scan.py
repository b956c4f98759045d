"""What the integrations share: scanning a few role-tagged texts with whichever scanner
the user chose (``LockLLM``, ``AsyncLockLLM`` or the local engine), from async code, and
a verdict's summary without any of the text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple, Union, cast

from ..errors import InvalidRequestError

if TYPE_CHECKING:
    from .._client import AsyncLockLLM, LockLLM
    from ..engine import LocalScanner
    from ..types import ScanResponse, Sensitivity

    Scanner = Union[LockLLM, AsyncLockLLM, LocalScanner]

__all__ = ["ROLES", "check_scanner", "scan_texts", "scan_texts_sync", "verdict_info"]

ROLES = ("user", "system", "assistant", "tool", "document")
"""Where a text comes from (the engine's sources)."""


def check_scanner(scanner: Optional[Any]) -> Any:
    """``scanner`` itself if it is a ``LockLLM``, ``AsyncLockLLM`` or ``LocalScanner``;
    a new ``LocalScanner`` for ``None``; ``InvalidRequestError`` otherwise."""
    from .._client import AsyncLockLLM, LockLLM

    if scanner is None:
        from ..engine import LocalScanner

        return LocalScanner()
    if isinstance(scanner, (LockLLM, AsyncLockLLM)):
        return scanner
    from ..engine import LocalScanner

    if isinstance(scanner, LocalScanner):
        return scanner
    raise InvalidRequestError(
        "scanner must be a lockllm.LockLLM, lockllm.AsyncLockLLM or "
        f"lockllm.engine.LocalScanner; got {type(scanner).__name__}"
    )


async def scan_texts(
    scanner: Any, texts: Sequence[Tuple[str, str]], sensitivity: str
) -> Optional[ScanResponse]:
    """Scan ``(role, text)`` pairs; ``None`` when there is no text. The local engine reads
    them as a role-aware transcript; the service gets them joined into one input."""
    import anyio.to_thread

    from .._client import AsyncLockLLM, LockLLM

    kept = [(role, text) for role, text in texts if text.strip()]
    if not kept:
        return None
    level = cast("Sensitivity", sensitivity)
    joined = "\n\n".join(t for _, t in kept)
    if isinstance(scanner, AsyncLockLLM):
        return await scanner.scan(joined, level)
    if isinstance(scanner, LockLLM):
        client: LockLLM = scanner
        return await anyio.to_thread.run_sync(lambda: client.scan(joined, level))
    messages = [{"role": role, "content": text} for role, text in kept]
    found: ScanResponse = await anyio.to_thread.run_sync(
        lambda: scanner.scan_messages(messages, level)
    )
    return found


def scan_texts_sync(
    scanner: Any, texts: Sequence[Tuple[str, str]], sensitivity: str
) -> Optional[ScanResponse]:
    """:func:`scan_texts` for synchronous code (``LockLLM`` or ``LocalScanner``; an
    ``AsyncLockLLM`` needs the async path)."""
    from .._client import AsyncLockLLM, LockLLM

    kept = [(role, text) for role, text in texts if text.strip()]
    if not kept:
        return None
    level = cast("Sensitivity", sensitivity)
    if isinstance(scanner, AsyncLockLLM):
        raise InvalidRequestError(
            "an AsyncLockLLM scans in async runs only (ainvoke, astream); pass a LockLLM or "
            "a LocalScanner for synchronous ones"
        )
    if isinstance(scanner, LockLLM):
        return scanner.scan("\n\n".join(t for _, t in kept), level)
    messages = [{"role": role, "content": text} for role, text in kept]
    found: ScanResponse = scanner.scan_messages(messages, level)
    return found


def verdict_info(result: Any) -> Dict[str, Any]:
    """A verdict's summary for a framework's logs: scores, categories, rule ids, offsets,
    request id; never the text."""
    spans: List[Any] = list(getattr(result, "spans", ()) or ())
    return {
        "safe": bool(result.safe),
        "injection": result.injection,
        "confidence": result.confidence,
        "sensitivity": result.sensitivity,
        "categories": list(getattr(result, "categories", ()) or ()),
        "rule_ids": sorted({str(s.rule) for s in spans if getattr(s, "rule", "")}),
        "spans": [(int(s.start), int(s.end)) for s in spans],
        "request_id": result.request_id,
        "source": getattr(result, "source", "api"),
    }
