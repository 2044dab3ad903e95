"""Process-wide state of a running sandbox server: its clock, settings and injected faults.

The sandbox server is one process (moto's WSGI app plus our patches). Everything the patches
need to share lives here: a clock that tests can move forward (DynamoDB incremental exports
need windows of at least 15 minutes, and nobody wants a test that sleeps for them), the
settings that shape how exports progress, and the faults queued by the control endpoint.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass
class SandboxSettings:
    """Knobs of the sandbox, settable at start-up and through ``POST /_aws2bq/settings``."""

    #: How many Describe calls report an export as still running before it completes.
    #: 0 makes exports complete at once; tests of waiting logic raise it.
    export_polls: int = 1
    #: Rows per Parquet file in RDS exports (AWS splits large tables over several files).
    rds_rows_per_file: int = 100_000
    #: Rows per partition folder in RDS exports.
    rds_rows_per_partition: int = 250_000
    #: Tables listed per ``export_tables_info_<id>_from_<N>_to_<M>.json`` file of RDS exports.
    rds_tables_per_info_file: int = 100
    #: How RDS exports store DECIMAL(p<=38) columns: "integer" (INT32 for p<=9, INT64 for
    #: p<=18, else FIXED_LEN_BYTE_ARRAY, as Spark writes), "fixed" (always
    #: FIXED_LEN_BYTE_ARRAY) or "mixed" (alternates between the two per file, so a loader
    #: meets several physical types for one column, as AWS documents it may).
    rds_decimal_storage: str = "integer"
    #: Rows read from a source database per batch when an RDS snapshot is captured.
    rds_capture_batch_rows: int = 10_000
    #: Items per data file in DynamoDB exports before the next file is started.
    dynamodb_items_per_file: int = 10_000
    #: Number of data files ("partitions") a DynamoDB export spreads its items over at least;
    #: some of them stay empty on small tables, as on AWS.
    dynamodb_min_files: int = 4


@dataclass
class Fault:
    """An error the sandbox returns instead of running the next matching call."""

    service: str  # "dynamodb", "rds", "s3", ... ("*" for any)
    action: str  # API action name, e.g. "ExportTableToPointInTime" ("*" for any)
    code: str  # AWS error code, e.g. "ThrottlingException"
    message: str = "injected by the aws2bq sandbox"
    status: int = 400
    remaining: int = 1


class SandboxClock:
    """Wall-clock time plus an offset that tests may advance."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    @property
    def offset(self) -> float:
        return self._offset

    def time(self) -> float:
        """Seconds since the epoch, sandbox time."""
        return time.time() + self._offset

    def now(self) -> datetime:
        """The sandbox's current time, timezone-aware UTC."""
        return datetime.fromtimestamp(self.time(), tz=UTC)

    def micros(self) -> int:
        return int(self.time() * 1_000_000)


@dataclass
class SandboxState:
    """Everything shared by the patches inside one sandbox server process."""

    state_dir: Path
    clock: SandboxClock = field(default_factory=SandboxClock)
    settings: SandboxSettings = field(default_factory=SandboxSettings)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def take_fault(self, service: str, action: str) -> Fault | None:
        """Pop the first queued fault that matches this call, if any."""
        with self.lock:
            for fault in self.faults:
                if fault.service in ("*", service) and fault.action in ("*", action):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                    return fault
        return None


_STATE: SandboxState | None = None


def get_state() -> SandboxState:
    """The state of this sandbox server process (the patches call this)."""
    if _STATE is None:
        raise RuntimeError("the sandbox state is only available inside a sandbox server")
    return _STATE


def set_state(state: SandboxState) -> None:
    global _STATE
    _STATE = state
