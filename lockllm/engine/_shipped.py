"""Data files shipped inside the package (weights, language model), parsed on first use."""

from __future__ import annotations

import threading
from importlib import resources
from typing import Callable, Generic, Optional, TypeVar

__all__ = ["Shipped"]

T = TypeVar("T")


class Shipped(Generic[T]):
    """The file ``name`` of this package, parsed by ``parse`` once (thread-safe), on the
    first ``get()``: ``import lockllm`` and building a scanner read nothing."""

    def __init__(self, name: str, parse: Callable[[str], T]) -> None:
        self._name = name
        self._parse = parse
        self._lock = threading.Lock()
        self._value: Optional[T] = None

    @property
    def loaded(self) -> bool:
        """Whether the file has been read."""
        return self._value is not None

    def get(self) -> T:
        """The parsed file, read on the first call."""
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    raw = resources.files(__package__).joinpath(self._name).read_text("utf-8")
                    self._value = self._parse(raw)
                value = self._value
        return value
