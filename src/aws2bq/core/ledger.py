"""The ledger: one row per export applied to a destination table, in the destination itself.

Written in the same transaction as the data (see :mod:`aws2bq.core.apply`), so the ledger and
the table never disagree. It also stores the logical schema of the table after each export:
the next load's "previous schema" comes from here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlglot.expressions as exp

from aws2bq.core.capabilities import Capabilities
from aws2bq.core.schema import ColumnType, Kind, TableSchema

LEDGER_TABLE = "_aws2bq_ledger"

#: (column, logical type); the ledger's own schema.
LEDGER_COLUMNS: tuple[tuple[str, ColumnType], ...] = (
    ("stream", ColumnType(Kind.STRING)),
    ("source", ColumnType(Kind.STRING)),
    ("export_id", ColumnType(Kind.STRING)),
    ("export_arn", ColumnType(Kind.STRING)),
    ("export_kind", ColumnType(Kind.STRING)),
    ("export_location", ColumnType(Kind.STRING)),
    ("exported_at", ColumnType(Kind.TIMESTAMP)),
    ("mode", ColumnType(Kind.STRING)),
    ("files", ColumnType(Kind.INT64)),
    ("manifest_items", ColumnType(Kind.INT64)),
    ("rows_after", ColumnType(Kind.INT64)),
    ("bytes", ColumnType(Kind.INT64)),
    ("schema_version", ColumnType(Kind.INT64)),
    ("schema_json", ColumnType(Kind.STRING)),
    ("changes_json", ColumnType(Kind.STRING)),
    ("applied_at", ColumnType(Kind.TIMESTAMP)),
    ("duration_seconds", ColumnType(Kind.FLOAT64)),
    ("aws2bq_version", ColumnType(Kind.STRING)),
    # Added for incremental exports (issue 5); ledgers written by earlier versions lack them
    # until :func:`upgrade_ledger` adds them, and their old rows read as NULL.
    ("export_from", ColumnType(Kind.TIMESTAMP)),
    ("export_to", ColumnType(Kind.TIMESTAMP)),
)

#: Columns added after the first release: inserted only when set, added by upgrade_ledger().
OPTIONAL_LEDGER_COLUMNS: tuple[str, ...] = ("export_from", "export_to")


@dataclass(frozen=True)
class LedgerEntry:
    """One applied export."""

    stream: str
    source: str
    export_id: str
    export_arn: str
    export_kind: str
    export_location: str
    exported_at: datetime
    mode: str
    files: int
    manifest_items: int
    rows_after: int
    bytes: int
    schema: TableSchema
    changes: dict[str, Any]
    applied_at: datetime
    duration_seconds: float
    aws2bq_version: str
    #: Incremental exports: the window ``[exportFromTime, exportToTime)``; ``exported_at`` is
    #: then ``exportToTime`` (the point in time the table reflects after the apply).
    export_from: datetime | None = None
    export_to: datetime | None = None

    def values(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "source": self.source,
            "export_id": self.export_id,
            "export_arn": self.export_arn,
            "export_kind": self.export_kind,
            "export_location": self.export_location,
            "exported_at": self.exported_at,
            "mode": self.mode,
            "files": self.files,
            "manifest_items": self.manifest_items,
            "rows_after": self.rows_after,
            "bytes": self.bytes,
            "schema_version": self.schema.version,
            "schema_json": json.dumps(self.schema.to_dict(), ensure_ascii=False),
            "changes_json": json.dumps(self.changes, ensure_ascii=False, sort_keys=True),
            "applied_at": self.applied_at,
            "duration_seconds": self.duration_seconds,
            "aws2bq_version": self.aws2bq_version,
            "export_from": self.export_from,
            "export_to": self.export_to,
        }


@dataclass(frozen=True)
class LedgerRow:
    """One applied export of one destination table, as the runner reads it back
    (:func:`aws2bq.runner.ledger_view.read_ledger`)."""

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
    #: The apply mode (``replace``, ``merge``, ``history``; files: ``append`` / ``merge``).
    mode: str = "replace"

    @property
    def table(self) -> str:
        """The destination table (RDS rows record it in ``changes``)."""
        return str(self.changes.get("table") or self.stream)


def ledger_table(dataset: str | None = None) -> exp.Table:
    return exp.table_(LEDGER_TABLE, db=dataset, quoted=True)


def create_ledger(caps: Capabilities, dataset: str | None = None) -> exp.Create:
    """``CREATE TABLE IF NOT EXISTS _aws2bq_ledger (…)`` with a key on (stream, export_id)."""
    columns: list[exp.Expression] = [
        exp.ColumnDef(this=exp.to_identifier(name, quoted=True), kind=caps.data_type(ctype))
        for name, ctype in LEDGER_COLUMNS
    ]
    if caps.enforces_primary_keys:
        columns.append(
            exp.PrimaryKey(
                expressions=[
                    exp.to_identifier("stream", quoted=True),
                    exp.to_identifier("export_id", quoted=True),
                ]
            )
        )
    return exp.Create(
        this=exp.Schema(this=ledger_table(dataset), expressions=columns),
        kind="TABLE",
        exists=True,
    )


def add_columns(
    table: exp.Table,
    columns: Sequence[tuple[str, exp.DataType]],
    caps: Capabilities,
    *,
    if_not_exists: bool = True,
) -> list[exp.Expression]:
    """``ALTER TABLE … ADD COLUMN …`` for ``columns``: ONE statement with every column where the
    warehouse allows several actions (BigQuery: each ALTER is a table metadata update, 5 per
    10 s per table: https://cloud.google.com/bigquery/quotas#standard_tables), else one each."""
    actions = [
        exp.ColumnDef(this=exp.to_identifier(name, quoted=True), kind=dtype, exists=if_not_exists)
        for name, dtype in columns
    ]
    groups = [actions] if caps.multi_action_alter else [[a] for a in actions]
    return [
        exp.Alter(this=table.copy(), kind="TABLE", actions=list(group)) for group in groups if group
    ]


def upgrade_ledger(
    caps: Capabilities, dataset: str | None = None, existing: Sequence[str] | None = None
) -> list[exp.Expression]:
    """``ALTER TABLE _aws2bq_ledger ADD COLUMN IF NOT EXISTS …`` for the columns added after the
    first release that ``existing`` (the ledger's columns now) lacks; none when it has them
    all (no DDL on every run). ``existing=None``: all of them (unknown ledger). Run after
    :func:`create_ledger`, outside a BigQuery transaction (DDL)."""
    types = dict(LEDGER_COLUMNS)
    have = {c.lower() for c in existing} if existing is not None else set()
    missing = [n for n in OPTIONAL_LEDGER_COLUMNS if n.lower() not in have]
    return add_columns(
        ledger_table(dataset), [(n, caps.data_type(types[n])) for n in missing], caps
    )


def _literal(value: Any, ctype: ColumnType, caps: Capabilities) -> exp.Expression:
    if value is None:
        return exp.Cast(this=exp.null(), to=caps.data_type(ctype))
    if isinstance(value, datetime):
        return exp.Cast(this=exp.Literal.string(value.isoformat()), to=caps.data_type(ctype))
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Cast(this=exp.Literal.number(value), to=caps.data_type(ctype))
    return exp.Literal.string(str(value))


def insert_entry(entry: LedgerEntry, caps: Capabilities, dataset: str | None = None) -> exp.Insert:
    """``INSERT INTO _aws2bq_ledger (…) VALUES (…)`` for one entry (values as literals).

    The optional columns (:data:`OPTIONAL_LEDGER_COLUMNS`) are named only when set, so an
    entry without them still inserts into a ledger created by an earlier version.
    """
    values = entry.values()
    columns = [
        (n, t)
        for n, t in LEDGER_COLUMNS
        if n not in OPTIONAL_LEDGER_COLUMNS or values[n] is not None
    ]
    row = exp.Tuple(expressions=[_literal(values[n], t, caps) for n, t in columns])
    return exp.insert(
        exp.Values(expressions=[row]),
        cast(
            Any,
            exp.Schema(
                this=ledger_table(dataset),
                expressions=[exp.to_identifier(n, quoted=True) for n, _ in columns],
            ),
        ),
    )


def select_history(stream: str, dataset: str | None = None, *, changes: bool = False) -> exp.Select:
    """Applied exports of one stream, newest export first: ``export_id``, ``exported_at``,
    ``schema_json``, ``rows_after``, ``applied_at`` (then ``changes_json`` and ``mode`` with
    ``changes``: what a source recorded of the export, e.g. the objects a files load applied,
    and the mode it was applied in)."""
    col = exp.column
    names = ["export_id", "exported_at", "schema_json", "rows_after", "applied_at"]
    if changes:
        names += ["changes_json", "mode"]
    return (
        exp.select(*(col(n, quoted=True) for n in names))
        .from_(ledger_table(dataset))
        .where(exp.EQ(this=col("stream", quoted=True), expression=exp.Literal.string(stream)))
        .order_by(
            exp.Ordered(this=col("exported_at", quoted=True), desc=True),
            exp.Ordered(this=col("applied_at", quoted=True), desc=True),
        )
    )
