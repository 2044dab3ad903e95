"""Statements that apply typed rows to a destination table, with its ledger row, atomically.

Mode is data (:class:`Mode`); the shape of the statements follows the warehouse's
capabilities: with transactional DDL the new table is built under a temporary name and
swapped in inside the transaction; without it (BigQuery), the schema is prepared first and
the rows are replaced by DML inside the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import sqlglot.expressions as exp

from aws2bq.core.schema import TableSchema

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


def table_expression(name: str, dataset: str | None) -> exp.Table:
    """``dataset.name`` as a quoted table expression."""
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
