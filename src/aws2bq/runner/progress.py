"""Progress and logs: rich progress bars on a terminal, JSON lines otherwise (and on Lambda)."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import IO, Any

import orjson

from aws2bq.core.progress import NullProgress, Progress

__all__ = ["JsonLinesProgress", "NullProgress", "RichProgress", "make_progress"]


class JsonLinesProgress:
    """One JSON object per line on a stream: phase starts, events, and a heartbeat at most
    every ``interval`` seconds per phase (so logs stay readable on big exports)."""

    def __init__(self, stream: IO[str] | None = None, *, interval: float = 5.0) -> None:
        self.stream = stream or sys.stderr
        self.interval = interval
        self._lock = threading.Lock()
        self._totals: dict[str, dict[str, int]] = {}
        self._done: dict[str, dict[str, int]] = {}
        self._last: dict[str, float] = {}

    def _emit(self, record: dict[str, Any]) -> None:
        record = {"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **record}
        line = orjson.dumps(record, default=str).decode()
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()

    def start(self, phase: str, *, files: int = 0, bytes: int = 0, rows: int = 0) -> None:
        with self._lock:
            self._totals[phase] = {"files": files, "bytes": bytes, "rows": rows}
            self._done[phase] = {"files": 0, "bytes": 0, "rows": 0}
            self._last[phase] = time.monotonic()
        self._emit({"event": "phase", "phase": phase, "total": self._totals[phase]})

    def advance(self, phase: str, *, files: int = 0, bytes: int = 0, rows: int = 0) -> None:
        with self._lock:
            done = self._done.setdefault(phase, {"files": 0, "bytes": 0, "rows": 0})
            done["files"] += files
            done["bytes"] += bytes
            done["rows"] += rows
            now = time.monotonic()
            due = now - self._last.get(phase, 0.0) >= self.interval
            if due:
                self._last[phase] = now
            snapshot = dict(done)
        if due:
            self._emit(
                {
                    "event": "progress",
                    "phase": phase,
                    "done": snapshot,
                    "total": self._totals.get(phase),
                }
            )

    def event(self, message: str, **fields: Any) -> None:
        self._emit({"event": "log", "message": message, **fields})


class RichProgress:
    """Progress bars (files, bytes, rows) on a terminal."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TaskID,
            TextColumn,
            TimeElapsedColumn,
        )

        self.console = Console(stderr=True)
        self._bars = Progress(
            TextColumn("{task.description:<18}"),
            BarColumn(),
            TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
            DownloadColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self._tasks: dict[tuple[str, str], TaskID] = {}
        self._lock = threading.Lock()
        self._bars.start()

    def start(self, phase: str, *, files: int = 0, bytes: int = 0, rows: int = 0) -> None:
        with self._lock:
            for unit, total in (("files", files), ("bytes", bytes), ("rows", rows)):
                if total:
                    self._tasks[(phase, unit)] = self._bars.add_task(f"{phase} {unit}", total=total)

    def advance(self, phase: str, *, files: int = 0, bytes: int = 0, rows: int = 0) -> None:
        with self._lock:
            for unit, n in (("files", files), ("bytes", bytes), ("rows", rows)):
                task = self._tasks.get((phase, unit))
                if n and task is not None:
                    self._bars.advance(task, n)

    def event(self, message: str, **fields: Any) -> None:
        details = " ".join(f"{k}={v}" for k, v in fields.items())
        self.console.log(f"{message} {details}".strip())

    def stop(self) -> None:
        self._bars.stop()


def make_progress(*, quiet: bool = False) -> Progress:
    """Rich bars on a terminal; JSON lines when not a TTY or under AWS Lambda."""
    if quiet:
        return NullProgress()
    if sys.stderr.isatty() and not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return RichProgress()
    return JsonLinesProgress()
