"""The progress-reporting seam: what sources and warehouses call while moving bytes and rows.

The runner provides the implementation (rich bars on a terminal, JSON lines otherwise); the
library code only calls these methods, from any thread.
"""

from __future__ import annotations

from typing import Any, Protocol


class Progress(Protocol):
    """Receives progress from long operations. Implementations must be thread-safe."""

    def start(self, phase: str, *, files: int = 0, bytes: int = 0, rows: int = 0) -> None:
        """A phase (``download``, ``stage``, ``type``, ``apply``) begins with these totals."""

    def advance(self, phase: str, *, files: int = 0, bytes: int = 0, rows: int = 0) -> None:
        """Some work of ``phase`` is done."""

    def event(self, message: str, **fields: Any) -> None:
        """Something worth a log line happened."""


class NullProgress:
    """A Progress that reports nothing."""

    def start(self, phase: str, *, files: int = 0, bytes: int = 0, rows: int = 0) -> None:
        return None

    def advance(self, phase: str, *, files: int = 0, bytes: int = 0, rows: int = 0) -> None:
        return None

    def event(self, message: str, **fields: Any) -> None:
        return None
