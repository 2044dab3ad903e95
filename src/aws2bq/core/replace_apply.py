"""Replace mode: make a table equal to its typed rows and record the ledger row, atomically.

With transactional DDL (DuckDB) the new table is built under a temporary name and swapped in
inside the transaction; without it (BigQuery) the existing table evolves first and the rows
are replaced by DML inside the transaction. Built on :mod:`aws2bq.core.apply` (the shared
steps), :mod:`aws2bq.core.layout` and :mod:`aws2bq.core.schema_evolution`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, cast

import sqlglot.expressions as exp

from aws2bq.core.apply import NEW_SUFFIX, ApplySteps, column_comments, table_expression
from aws2bq.core.capabilities import Capabilities
from aws2bq.core.change_features import features
from aws2bq.core.layout import TableLayout, key_clustered, layout_properties, table_types
from aws2bq.core.ledger import LedgerEntry, create_ledger, insert_entry
from aws2bq.core.partition_split import PartitionSplit
from aws2bq.core.schema import TableSchema
from aws2bq.core.schema_evolution import evolution_steps, evolve_schema
from aws2bq.core.widening import Widening


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
    previous: TableSchema | None = None,
    widening: Widening | None = None,
    split: PartitionSplit | None = None,
    existing: Mapping[str, str] | None = None,
) -> ApplySteps:
    """Make ``table`` equal to ``typed_rows`` and record ``entry``, atomically.

    ``layout`` partitions / clusters the table where it is created (where the dialect can;
    ignored elsewhere, e.g. DuckDB). ``previous`` is the table's schema so far (from the
    ledger): where DDL is not transactional (BigQuery) the existing table evolves to hold
    both it and ``schema`` before the rows are swapped (issue 12 fault 1: columns added,
    types widened in place or by an atomic rebuild, :func:`~aws2bq.core.schema_evolution.
    evolution_steps`); the rows of a narrower new type are converted by ``widening`` and
    the ledger records the table's schema. With transactional DDL the table is rebuilt from
    ``typed_rows`` and swapped in within the transaction. ``split`` (BigQuery) deletes and
    inserts by ranges of the partition column, each within the partitions one statement
    may modify (:mod:`aws2bq.core.partition_split`). ``existing``: the table's column types
    as the warehouse reports them (a rerun after a failed load does not convert twice).
    """
    properties = layout_properties(
        key_clustered(layout, schema, caps), features(caps), table_types(schema)
    )
    target = table_expression(table, dataset)
    ledger: list[exp.Expression] = [
        create_ledger(caps, dataset),
        insert_entry(entry, caps, dataset),
    ]
    if caps.transactional_ddl:
        new = table_expression(table + NEW_SUFFIX, dataset)
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

    # Without transactional DDL: create / evolve the table first (readers still see the old
    # rows, converted where a type widened), then swap the rows with DML in the transaction.
    before: list[exp.Expression]
    rows: exp.Query = typed_rows
    if table_exists and previous is not None:
        held = evolve_schema(previous, schema)
        before = evolution_steps(target, previous, held, caps, (), widening, layout, existing)
        rows = _converted(typed_rows, schema, held, widening or Widening(caps))
        if held.columns != schema.columns:
            # A column the source dropped stays (NULL), a type stays wide: the ledger says so.
            entry = replace(entry, schema=held)
    else:
        columns = [
            exp.ColumnDef(this=exp.to_identifier(c.name, quoted=True), kind=caps.data_type(c.type))
            for c in schema.columns
        ]
        before = [
            exp.Create(
                this=exp.Schema(this=target.copy(), expressions=columns),
                kind="TABLE",
                exists=True,
                properties=properties,
            )
        ]
    before.append(create_ledger(caps, dataset))
    names = [exp.to_identifier(c.name, quoted=True) for c in schema.columns]

    def insert(query: exp.Query) -> exp.Insert:
        columns = exp.Schema(this=target.copy(), expressions=[n.copy() for n in names])
        return exp.insert(query, cast(Any, columns))

    transaction: list[exp.Expression]
    if split is None:
        transaction = [exp.delete(target.copy(), where=exp.true()), insert(rows)]
    else:
        # Every row is in exactly one range; all ranges run in the same transaction.
        source = exp.Subquery(this=rows, alias=exp.TableAlias(this=exp.to_identifier("_aws2bq_p")))
        transaction = [exp.delete(target.copy(), where=c) for c in split.conditions()]
        transaction += [
            insert(exp.select("*").from_(source.copy()).where(c))
            for c in split.conditions("_aws2bq_p")
        ]
    transaction.append(insert_entry(entry, caps, dataset))
    return ApplySteps(before=before, transaction=transaction)


def _converted(
    rows: exp.Query, schema: TableSchema, held: TableSchema, widening: Widening
) -> exp.Query:
    """``rows`` (typed as ``schema``) with each column whose type the table ``held`` widened
    converted to it; ``rows`` itself when none is."""
    wider = {c.name: c.type for c in held.columns}
    if all(wider.get(c.name, c.type) == c.type for c in schema.columns):
        return rows
    projection: list[exp.Expression] = []
    for c in schema.columns:
        value: exp.Expression = exp.column(exp.to_identifier(c.name, quoted=True))
        if wider.get(c.name, c.type) != c.type:
            value = widening.value(value, c.type, wider[c.name])
        projection.append(
            cast(exp.Expression, exp.alias_(value, exp.to_identifier(c.name, quoted=True)))
        )
    source = exp.Subquery(this=rows, alias=exp.TableAlias(this=exp.to_identifier("_aws2bq_r")))
    return exp.select(*projection).from_(source)
