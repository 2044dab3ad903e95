"""What AWS already holds for a stream, as the runner sees every source's exports.

Each source discovers its own exports (``aws2bq/sources/<kind>/discovery.py``) and turns
them into a :class:`KnownExport` with a normalised status (:data:`IN_PROGRESS`,
:data:`COMPLETED`, :data:`FAILED`), which is all the runner's shared steps read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws2bq.runner.schedule import utc

_NEVER = datetime.min.replace(tzinfo=UTC)
#: Normalised export states.
IN_PROGRESS, COMPLETED, FAILED = "in_progress", "completed", "failed"


@dataclass(frozen=True)
class KnownExport:
    """One export of a stream, as AWS describes it."""

    #: The id the ledger records in ``export_id`` (DynamoDB ExportId, RDS task identifier).
    export_id: str
    #: DynamoDB ExportArn / RDS ExportTaskIdentifier: what Describe calls take.
    handle: str
    kind: str  # "full" | "incremental" | "snapshot"
    status: str  # IN_PROGRESS | COMPLETED | FAILED (normalised, lower case)
    #: Export time (full), exportToTime (incremental) or snapshot time (RDS); None if unknown.
    time: datetime | None
    started: datetime | None
    #: ``s3://bucket/...`` to load from once completed.
    location: str | None
    #: Table ARN (DynamoDB) or snapshot / cluster ARN (RDS).
    source: str
    failure: str | None = None
    aws_status: str = ""
    #: Incremental exports: ExportFromTime.
    from_time: datetime | None = None

    def order_key(self) -> tuple[datetime, str]:
        when = self.time or self.started
        return (utc(when) if when else _NEVER, self.export_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "export_id": self.export_id,
            "kind": self.kind,
            "status": self.status,
            "time": self.time.isoformat() if self.time else None,
            "location": self.location,
            "source": self.source,
            "failure": self.failure,
        }


def aws_time(value: Any) -> datetime | None:
    """A time as AWS returns it (datetime from boto3, ISO text from JSON), in UTC."""
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, str) and value:
        return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    return None
