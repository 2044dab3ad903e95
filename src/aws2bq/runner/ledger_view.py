"""Reading the ledger for the runner: which exports each stream has applied, and when.

The loaders write the ledger (``aws2bq.core.ledger``); the runner only reads it, through
these helpers, to decide what is new. A DynamoDB stream's rows carry the destination table
as ``stream``; an RDS stream's rows are per table (``rds:<db>.<table>``) and are found by
their export location under the stream's ``s3://bucket/prefix/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlglot.expressions as exp

from aws2bq.config.model import DynamoDBStream, RdsStream
from aws2bq.core.ledger import LEDGER_TABLE, ledger_table
from aws2bq.runner.schedule import utc
from aws2bq.sources.files.config import FilesStream
from aws2bq.warehouses.base import TableRef, Warehouse

#: Default destination table names of RDS tables (MySQL: no schema level; PostgreSQL: one).
MYSQL_TEMPLATE = "{db}__{table}"
POSTGRES_TEMPLATE = "{db}__{schema}__{table}"

_COLUMNS = (
    "stream",
    "source",
    "export_id",
    "export_kind",
    "export_location",
    "exported_at",
    "rows_after",
    "manifest_items",
    "applied_at",
    "changes_json",
)


@dataclass(frozen=True)
class LedgerRow:
    """One applied export of one destination table."""

    stream: str
    source: str
    export_id: str
    export_kind: str
    export_location: str
    exported_at: datetime
    rows_after: int
    manifest_items: int
    applied_at: datetime
    changes: dict[str, Any]

    @property
    def table(self) -> str:
        """The destination table (RDS rows record it in ``changes``)."""
        return str(self.changes.get("table") or self.stream)


def select_ledger() -> exp.Select:
    """Every ledger row (metadata: one row per export and table)."""
    return exp.select(*(exp.column(c, quoted=True) for c in _COLUMNS)).from_(ledger_table())


def read_ledger(wh: Warehouse) -> list[LedgerRow]:
    """All ledger rows (none if the ledger does not exist yet)."""
    if not wh.table_exists(TableRef(LEDGER_TABLE)):
        return []
    out = []
    for row in wh.query(select_ledger()):
        values = dict(zip(_COLUMNS, row, strict=True))
        try:
            changes = json.loads(values["changes_json"] or "{}")
        except ValueError:
            changes = {}
        out.append(
            LedgerRow(
                stream=str(values["stream"]),
                source=str(values["source"]),
                export_id=str(values["export_id"]),
                export_kind=str(values["export_kind"]),
                export_location=str(values["export_location"] or ""),
                exported_at=utc(values["exported_at"]),
                rows_after=int(values["rows_after"] or 0),
                manifest_items=int(values["manifest_items"] or 0),
                applied_at=utc(values["applied_at"]),
                changes=changes if isinstance(changes, dict) else {},
            )
        )
    return out


def dynamodb_destination(stream: DynamoDBStream) -> str:
    """The destination table (and ledger stream) of a DynamoDB stream."""
    return stream.destination or stream.name


def rds_location_prefix(stream: RdsStream) -> str:
    return f"s3://{stream.export_bucket}/{stream.prefix}/"


def rows_of(
    stream: DynamoDBStream | RdsStream | FilesStream, ledger: list[LedgerRow]
) -> list[LedgerRow]:
    """The ledger rows that belong to ``stream``."""
    if isinstance(stream, FilesStream):
        return [r for r in ledger if r.stream == stream.ledger_stream()]
    if isinstance(stream, DynamoDBStream):
        name = dynamodb_destination(stream)
        return [r for r in ledger if r.source == "dynamodb" and r.stream == name]
    prefix = rds_location_prefix(stream)
    return [
        r
        for r in ledger
        if r.source == "rds" and (r.export_location.rstrip("/") + "/").startswith(prefix)
    ]
