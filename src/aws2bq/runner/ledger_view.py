"""Reading the ledger for the runner: which exports each stream has applied, and when.

The loaders write the ledger (``aws2bq.core.ledger``); the runner only reads it, through
these helpers, to decide what is new. Which rows are a stream's is its source's
:class:`~aws2bq.sources.base.StreamIdentity` (DynamoDB: the destination table in ``stream``;
RDS: per-table rows found by their export location under the stream's
``s3://bucket/prefix/``); :func:`rows_of` is the one view run, plan and status read.
"""

from __future__ import annotations

import json
from typing import Any

import sqlglot.expressions as exp

from aws2bq.core.ledger import LEDGER_TABLE, LedgerRow, ledger_table
from aws2bq.runner.schedule import utc
from aws2bq.warehouses.base import TableRef, Warehouse

__all__ = ["LedgerRow", "read_ledger", "rows_of", "select_ledger"]

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
    "mode",
)


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
                mode=str(values["mode"] or "replace"),
            )
        )
    return out


def rows_of(stream: Any, ledger: list[LedgerRow]) -> list[LedgerRow]:
    """The ledger rows that belong to ``stream`` (by its source's identity of it)."""
    from aws2bq.sources import source_of

    identity = source_of(stream).identity(stream)
    return [r for r in ledger if identity.owns(r)]
