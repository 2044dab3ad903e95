"""What ``aws2bq run`` / ``plan`` report: per stream (:class:`StreamResult`) and in all
(:class:`RunSummary`, whose ``exit_code`` the CLI and the Lambda adapter use)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class StreamResult:
    """What one run (or plan) did for one stream."""

    stream: str
    kind: str
    #: "ok", "failed" or "busy" (another runner is applying it: nothing done, not a failure).
    status: str = "ok"
    applied: list[dict[str, Any]] = field(default_factory=list)
    started: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    #: Plan of a files stream: the new objects a run would load, per table
    #: (``{"table", "objects": [{"key", "url", "size", …}], "bytes", "time"}``).
    would_load: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)
    error: str | None = None
    #: The failure is a configuration error (a bad setting, credentials, a warehouse path):
    #: the command exits with 2 rather than 1.
    config_error: bool = False

    def fail(self, message: str, *, config: bool = False) -> None:
        self.status = "failed"
        self.error = message if self.error is None else f"{self.error}\n{message}"
        self.config_error = self.config_error or config

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "kind": self.kind,
            "status": self.status,
            "applied": self.applied,
            "started": self.started,
            "pending": self.pending,
            "would_load": self.would_load,
            "notes": self.notes,
            "sql": self.sql,
            "error": self.error,
        }


@dataclass
class RunSummary:
    """What ``run_streams`` did (or, with ``plan_only``, would do), per stream."""

    streams: list[StreamResult]
    wait: bool
    plan_only: bool
    seconds: float = 0.0
    #: The warehouse URL and where it resolves (a DuckDB file's absolute path).
    warehouse: str = ""
    warehouse_location: str = ""

    @property
    def failed(self) -> list[str]:
        """Names of the streams that failed (the Lambda adapter and exit code read this)."""
        return [s.stream for s in self.streams if s.status == "failed"]

    @property
    def exit_code(self) -> int:
        """0 every stream ran; 2 a stream failed on a configuration error; else 1."""
        if not self.failed:
            return 0
        return 2 if any(s.config_error for s in self.streams if s.status == "failed") else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_only": self.plan_only,
            "wait": self.wait,
            "warehouse": self.warehouse,
            "warehouse_location": self.warehouse_location,
            "seconds": round(self.seconds, 3),
            "failed": self.failed,
            "streams": [s.to_dict() for s in self.streams],
        }


__all__ = ["RunSummary", "StreamResult"]
