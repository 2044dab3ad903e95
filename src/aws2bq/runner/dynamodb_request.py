"""What ``aws2bq load dynamodb`` asks for and what a load reports, shared by the full-export
and incremental-export loaders (a module of its own so that neither imports the other)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aws2bq.aws_clients import AwsTarget
from aws2bq.core.apply import Mode
from aws2bq.core.layout import TableLayout
from aws2bq.core.transport import DIRECT, TransportSpec
from aws2bq.warehouses import DEFAULT_URL, resolved_location


@dataclass(frozen=True)
class DynamoDBLoadRequest:
    """What ``aws2bq load dynamodb`` asks for."""

    export: str
    table: str
    keys: tuple[str, ...] = ()
    mode: Mode = Mode.REPLACE
    warehouse: str = DEFAULT_URL
    force: bool = False
    #: Merge mode: keep deleted items flagged (``_aws2bq_deleted``) instead of removing them.
    soft_delete: bool = False
    #: Partitioning / clustering of the table when a load creates it (BigQuery; any mode).
    layout: TableLayout | None = None
    #: How the files reach the warehouse (direct, or staged in GCS; see core.transport).
    transport: TransportSpec = DIRECT
    #: Region and profile of the AWS calls (S3 reads, DescribeTable); None: the environment's.
    aws: AwsTarget = field(default_factory=AwsTarget)


@dataclass
class LoadReport:
    """What a load did (the run summary)."""

    stream: str
    export_id: str
    export_location: str
    warehouse: str
    status: str  # "applied" | "already_applied"
    rows: int = 0
    files: int = 0
    bytes: int = 0
    columns_added: list[str] = field(default_factory=list)
    columns_widened: list[tuple[str, str, str]] = field(default_factory=list)
    schema_version: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    #: How the files got there: route, bytes moved, transfer and load jobs, seconds.
    transport: dict[str, Any] = field(default_factory=dict)

    @property
    def warehouse_location(self) -> str:
        """The DuckDB file's absolute path / the BigQuery dataset the URL names."""
        return resolved_location(self.warehouse)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "export_id": self.export_id,
            "export": self.export_location,
            "warehouse": self.warehouse,
            "warehouse_location": self.warehouse_location,
            "status": self.status,
            "rows": self.rows,
            "files": self.files,
            "bytes": self.bytes,
            "columns_added": self.columns_added,
            "columns_widened": [list(w) for w in self.columns_widened],
            "schema_version": self.schema_version,
            "seconds": round(self.seconds, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "transport": self.transport,
        }
