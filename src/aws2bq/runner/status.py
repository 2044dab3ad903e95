"""``aws2bq status``: per stream, the last export applied, its lag, and whether the
warehouse's row counts still match what the ledger recorded from the export's manifest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlglot.expressions as exp

from aws2bq.config.model import Config
from aws2bq.errors import Aws2BqError, TransientError
from aws2bq.runner.ledger_view import LedgerRow, read_ledger, rows_of
from aws2bq.runner.schedule import utc
from aws2bq.warehouses import connect
from aws2bq.warehouses.base import TableRef, Warehouse


@dataclass
class TableStatus:
    """One destination table of a stream."""

    table: str
    #: Rows in the warehouse table now (None if the table is missing).
    warehouse_rows: int | None
    #: Rows the ledger recorded after the last apply.
    ledger_rows: int
    #: Items the export's manifest declared (RDS: rows staged from the Parquet files).
    manifest_items: int
    #: The mode of the last apply: only a ``replace`` leaves the table holding exactly the
    #: export's rows; merge / history / append tables keep rows across exports (history rows,
    #: soft-deleted rows, earlier objects), so their counts are not expected to be equal.
    mode: str = "replace"
    export_kind: str = "full"

    @property
    def compared(self) -> bool:
        """Whether the counts are expected to be equal (a full snapshot replacing the table)."""
        return self.mode == "replace" and self.export_kind in ("full", "snapshot")

    @property
    def matches(self) -> bool | None:
        """Warehouse, ledger and manifest counts agree (None: not compared, see ``mode``)."""
        if not self.compared:
            return None
        return self.warehouse_rows == self.ledger_rows == self.manifest_items

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "warehouse_rows": self.warehouse_rows,
            "ledger_rows": self.ledger_rows,
            "manifest_items": self.manifest_items,
            "mode": self.mode,
            "matches": self.matches,
        }


@dataclass
class StreamStatus:
    """The state of one stream in the warehouse."""

    stream: str
    kind: str
    last_export_id: str | None = None
    last_exported_at: datetime | None = None
    last_applied_at: datetime | None = None
    lag_seconds: float | None = None
    tables: list[TableStatus] = field(default_factory=list)
    note: str | None = None
    #: Exports on their way (transport "gcs"): phase (transfer → load → apply), files and
    #: bytes landed in the staging bucket, percent.
    landings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def matches(self) -> bool | None:
        """Whether every compared table's counts match (None when nothing was applied yet or
        no table's counts are compared: merge / history / append tables)."""
        verdicts = [t.matches for t in self.tables if t.matches is not None]
        return all(verdicts) if verdicts else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "kind": self.kind,
            "last_export_id": self.last_export_id,
            "last_exported_at": self.last_exported_at.isoformat()
            if self.last_exported_at
            else None,
            "last_applied_at": self.last_applied_at.isoformat() if self.last_applied_at else None,
            "lag_seconds": round(self.lag_seconds, 1) if self.lag_seconds is not None else None,
            "matches": self.matches,
            "tables": [t.to_dict() for t in self.tables],
            "note": self.note,
            "landings": self.landings,
        }


def _count(wh: Warehouse, table: str) -> int | None:
    ref = TableRef(table)
    if not wh.table_exists(ref):
        return None
    [(n,)] = wh.query(exp.select(exp.Count(this=exp.Star())).from_(ref.expression()))
    return int(n)


def _landings(wh: Warehouse, config: Config, stream: Any) -> list[Any]:
    """The stream's exports landing in the staging bucket (transport gcs / auto)."""
    from aws2bq.core.transport import TransportSpec
    from aws2bq.sources import source_of
    from aws2bq.warehouses.base import StagingBucket

    transport = config.transport_of(stream)
    if transport == "direct" or not isinstance(wh, StagingBucket):
        return []
    spec = TransportSpec.from_settings(transport, config.bigquery)
    return wh.landing_status(spec, source_of(stream).destination(stream))


def _fill(status: StreamStatus, mine: list[LedgerRow], wh: Warehouse, now: datetime) -> None:
    """The last export of ``mine`` (one stream's ledger rows) and its tables' row counts."""
    if not mine:
        status.note = "nothing applied yet"
        return
    last = max(mine, key=lambda r: (r.exported_at, r.applied_at))
    status.last_export_id = last.export_id
    status.last_exported_at = last.exported_at
    status.last_applied_at = max(r.applied_at for r in mine if r.export_id == last.export_id)
    status.lag_seconds = (now - last.exported_at).total_seconds()
    # Each table's newest row (an RDS table may have failed in the last export; a DynamoDB
    # stream has one table).
    newest: dict[str, LedgerRow] = {}
    for row in sorted(mine, key=lambda r: (r.exported_at, r.applied_at)):
        newest[row.table] = row
    for row in sorted(newest.values(), key=lambda r: r.table):
        status.tables.append(
            TableStatus(
                row.table,
                _count(wh, row.table),
                row.rows_after,
                row.manifest_items,
                mode=row.mode,
                export_kind=row.export_kind,
            )
        )


def stream_status(
    config: Config, *, streams: Sequence[str] | None = None, now: datetime | None = None
) -> list[StreamStatus]:
    """The status of each named stream (default: all) from the ledger and the warehouse."""
    now = utc(now or datetime.now(UTC))
    selected = [config.stream(n) for n in (streams or list(config.streams))]
    try:
        wh = connect(config.warehouse, config)
    except TransientError as exc:
        raise Aws2BqError(
            f"the warehouse is in use by another runner ({exc.message})",
            hint="try again when the run ends",
        ) from exc
    try:
        ledger = read_ledger(wh)
        out = []
        owned: set[int] = set()
        for stream in selected:
            status = StreamStatus(stream.name, stream.kind)
            status.landings = _landings(wh, config, stream)
            mine = rows_of(stream, ledger)
            owned.update(id(r) for r in mine)
            _fill(status, mine, wh, now)
            out.append(status)
        if streams is None:
            # Tables loaded by `aws2bq load …` (or by a stream since removed from the config):
            # shown under their ledger stream, so every table the ledger knows is accounted for.
            others: dict[tuple[str, str], list[LedgerRow]] = {}
            for row in ledger:
                if id(row) not in owned:
                    others.setdefault((row.stream, row.source), []).append(row)
            for (name, source), rows in sorted(others.items()):
                status = StreamStatus(
                    name, source, note="not in the config (loaded by aws2bq load)"
                )
                _fill(status, rows, wh, now)
                out.append(status)
        return out
    finally:
        wh.close()
