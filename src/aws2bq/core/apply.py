"""Statements that apply typed rows to a destination table, with its ledger row, atomically.

Mode is data (:class:`Mode`); the shape of the statements follows the warehouse's
capabilities: with transactional DDL the new table is built under a temporary name and
swapped in inside the transaction; without it (BigQuery), the schema is prepared first and
the rows are replaced by DML inside the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

import sqlglot.expressions as exp

from aws2bq.core.capabilities import Capabilities
from aws2bq.core.ledger import LedgerEntry, create_ledger, insert_entry
from aws2bq.core.schema import TableSchema

if TYPE_CHECKING:
    from aws2bq.core.change_apply import TableLayout

#: Suffix of the table a replace builds before swapping it in.
NEW_SUFFIX = "__aws2bq_new"


class Mode(StrEnum):
    """How an export changes the destination table."""

    REPLACE = "replace"
    MERGE = "merge"
    HISTORY = "history"


@dataclass(frozen=True)
class ApplySteps:
    """``before`` run one by one (each safe alone); ``transaction`` runs as one unit;
    ``after`` (clean-up of what ``before`` staged) once the transaction is over, committed
    or not, best effort."""

    before: list[exp.Expression] = field(default_factory=list)
    transaction: list[exp.Expression] = field(default_factory=list)
    after: list[exp.Expression] = field(default_factory=list)

    def all(self) -> list[exp.Expression]:
        return [*self.before, *self.transaction]


def _table(name: str, dataset: str | None) -> exp.Table:
    return exp.table_(name, db=dataset, quoted=True)


def column_comments(table: exp.Table, schema: TableSchema) -> list[exp.Expression]:
    """``COMMENT ON COLUMN`` for every column: the description keeps the source name."""
    out: list[exp.Expression] = []
    for column in schema.columns:
        target = exp.Column(
            this=exp.to_identifier(column.name, quoted=True),
            table=table.this.copy(),
            db=table.args["db"].copy() if table.args.get("db") else None,
        )
        out.append(
            exp.Comment(
                this=target, kind="COLUMN", expression=exp.Literal.string(column.description)
            )
        )
    return out


def replace_steps(
    *,
    table: str,
    dataset: str | None,
    schema: TableSchema,
    typed_rows: exp.Select,
    entry: LedgerEntry,
    caps: Capabilities,
    table_exists: bool,
    layout: TableLayout | None = None,
) -> ApplySteps:
    """Make ``table`` equal to ``typed_rows`` and record ``entry``, atomically.

    ``layout`` partitions / clusters the table where it is created (where the dialect can;
    ignored elsewhere, e.g. DuckDB).
    """
    # change_apply builds on this module: imported here, not at the top.
    from aws2bq.core.change_apply import features, key_clustered, layout_properties

    properties = layout_properties(key_clustered(layout, schema, caps), features(caps))
    target = _table(table, dataset)
    ledger: list[exp.Expression] = [
        create_ledger(caps, dataset),
        insert_entry(entry, caps, dataset),
    ]
    if caps.transactional_ddl:
        new = _table(table + NEW_SUFFIX, dataset)
        steps: list[exp.Expression] = [
            exp.Drop(this=new.copy(), kind="TABLE", exists=True),
            exp.Create(this=new.copy(), kind="TABLE", expression=typed_rows, properties=properties),
            *column_comments(new, schema),
        ]
        if table_exists:
            steps.append(exp.Drop(this=target.copy(), kind="TABLE"))
        steps.append(
            exp.Alter(
                this=new.copy(),
                kind="TABLE",
                actions=[exp.AlterRename(this=exp.table_(table, quoted=True))],
            )
        )
        return ApplySteps(before=[], transaction=[*steps, *ledger])

    # Without transactional DDL: create/prepare the table first (readers still see the old
    # rows), then swap the rows with DML in the transaction.
    columns = [
        exp.ColumnDef(this=exp.to_identifier(c.name, quoted=True), kind=caps.data_type(c.type))
        for c in schema.columns
    ]
    before: list[exp.Expression] = [
        exp.Create(
            this=exp.Schema(this=target.copy(), expressions=columns),
            kind="TABLE",
            exists=True,
            properties=properties,
        ),
        create_ledger(caps, dataset),
    ]
    names = [exp.to_identifier(c.name, quoted=True) for c in schema.columns]
    transaction: list[exp.Expression] = [
        exp.delete(target.copy(), where=exp.true()),
        exp.insert(typed_rows, cast(Any, exp.Schema(this=target.copy(), expressions=names))),
        insert_entry(entry, caps, dataset),
    ]
    return ApplySteps(before=before, transaction=transaction)
