"""Append: add typed rows to a table (created or evolved first) with the ledger row, atomically.

For a source whose unit is new rows rather than a snapshot or a change set (S3 log files:
each new object's rows are added once; the ledger row records the object). No key is
needed. The table is created on the first load and evolved (columns added, types widened:
:func:`aws2bq.core.schema_evolution.evolution_steps`) on later ones; with transactional DDL
that happens inside the transaction, else before it (each step safe alone), as in
:func:`aws2bq.core.change_apply.change_steps`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import sqlglot.expressions as exp

from aws2bq.core.apply import ApplySteps, Mode, column_comments, table_expression
from aws2bq.core.capabilities import Capabilities
from aws2bq.core.change_apply import create_target
from aws2bq.core.layout import TableLayout
from aws2bq.core.ledger import LedgerEntry, create_ledger, insert_entry
from aws2bq.core.schema import TableSchema
from aws2bq.core.schema_evolution import evolution_steps
from aws2bq.core.sql_parts import q_col, q_id
from aws2bq.core.widening import Widening


def append_steps(
    *,
    table: str,
    dataset: str | None,
    schema: TableSchema,
    rows: exp.Query,
    entry: LedgerEntry,
    caps: Capabilities,
    table_exists: bool,
    previous: TableSchema | None = None,
    layout: TableLayout | None = None,
    widening: Widening | None = None,
    existing: Mapping[str, str] | None = None,
) -> ApplySteps:
    """Statements adding ``rows`` (typed as ``schema``) to ``table`` and recording ``entry``.

    ``previous`` is the table's schema before this load (from the ledger; the DDL adds the
    columns it lacks and widens changed types); ``existing`` the table's column types as the
    warehouse reports them (a rerun does not convert twice). A column of ``schema`` that
    ``rows`` does not name (one the source stopped writing) is left NULL; ``rows`` carry the
    system columns as the typed SELECTs make them.
    """
    target = table_expression(table, dataset)
    ddl: list[exp.Expression] = []
    if not table_exists:
        ddl.append(create_target(table, dataset, schema, Mode.MERGE, False, caps, layout=layout,
                                 exists=not caps.transactional_ddl))  # fmt: skip
        if caps.transactional_ddl:
            ddl += column_comments(target, schema)
    else:
        ddl += evolution_steps(target, previous, schema, caps, (), widening, layout, existing)
    present = set(rows.named_selects)
    names = [c.name for c in schema.columns if c.name in present]
    source = exp.Subquery(this=rows, alias=exp.TableAlias(this=q_id("_aws2bq_r")))
    insert = exp.insert(
        exp.select(*[q_col(n, "_aws2bq_r") for n in names]).from_(source),
        cast(Any, exp.Schema(this=target.copy(), expressions=[q_id(n) for n in names])),
    )
    ledger = insert_entry(entry, caps, dataset)
    if caps.transactional_ddl:
        return ApplySteps(transaction=[*ddl, create_ledger(caps, dataset), insert, ledger])
    return ApplySteps(before=[*ddl, create_ledger(caps, dataset)], transaction=[insert, ledger])
