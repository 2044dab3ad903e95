"""Change sets: the contract between a source's changes and the apply statements.

A *change set* (issue 5) is a SELECT with every non-system column of the target schema,
``_aws2bq_op`` (``'upsert'`` / ``'delete'``) and ``_aws2bq_change_at`` (the source's change
time). Full snapshots produce one with :func:`snapshot_changes` (a diff against the table,
in SQL); incremental DynamoDB exports produce theirs from the records; plans stand one in
with :func:`placeholder_changes`. :func:`dedup_changes` keeps one change per key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import cast

import sqlglot.expressions as exp

from aws2bq.core.apply import Mode
from aws2bq.core.capabilities import Capabilities
from aws2bq.core.change_features import features
from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema
from aws2bq.core.sql_parts import (
    TARGET,
    keys_equal,
    named,
    q_col,
    q_id,
    q_table,
    timestamp_literal,
    typed_null,
)
from aws2bq.core.widening import Widening
from aws2bq.errors import ContractError

#: Change-set columns (the contract).
OP = "_aws2bq_op"
CHANGE_AT = "_aws2bq_change_at"
UPSERT = "upsert"
DELETE = "delete"

#: Merge with soft delete.
DELETED = "_aws2bq_deleted"
DELETED_AT = "_aws2bq_deleted_at"

#: History (SCD2).
VALID_FROM = "_valid_from"
VALID_TO = "_valid_to"
IS_CURRENT = "_is_current"
IS_DELETED = "_is_deleted"

_BOOL = ColumnType(Kind.BOOL)
_TIMESTAMP = ColumnType(Kind.TIMESTAMP)
_HASH = "_aws2bq_hash"
_RN = "_aws2bq_rn"
#: Kinds a CAST to their own type is not valid for in every dialect (BigQuery: JSON,
#: GEOGRAPHY): such columns are taken as the typed SELECT made them.
_NO_CAST = frozenset({Kind.JSON, Kind.GEOGRAPHY})


def mode_columns(mode: Mode, soft_delete: bool) -> tuple[tuple[str, ColumnType], ...]:
    """The bookkeeping columns a mode adds to the target table, after the schema's."""
    if mode is Mode.HISTORY:
        return ((VALID_FROM, _TIMESTAMP), (VALID_TO, _TIMESTAMP), (IS_CURRENT, _BOOL),
                (IS_DELETED, _BOOL))  # fmt: skip
    if mode is Mode.MERGE and soft_delete:
        return ((DELETED, _BOOL), (DELETED_AT, _TIMESTAMP))
    return ()


def _cast(expression: exp.Expression, column: Column, caps: Capabilities) -> exp.Expression:
    if column.type.kind in _NO_CAST:
        return expression
    if column.type.repeated and not features(caps).cast_arrays:
        return expression  # already of the column's type: the only ARRAY cast BigQuery has
    return exp.Cast(this=expression, to=caps.data_type(column.type))


def _empty_if_null(value: exp.Expression, column: Column, caps: Capabilities) -> exp.Expression:
    """An array value with NULL read as the empty array of its type."""
    empty = exp.Cast(this=exp.Array(expressions=[]), to=caps.data_type(column.type))
    return exp.Coalesce(this=value, expressions=[empty])


def data_columns(schema: TableSchema) -> list[Column]:
    """Key and data columns (everything but aws2bq's system columns), in schema order."""
    return [c for c in schema.columns if c.role is not Role.SYSTEM]


def key_names(schema: TableSchema) -> list[str]:
    """Destination names of the key columns, in key order."""
    by_source = schema.by_source()
    names = [by_source[k].name for k in schema.keys if k in by_source]
    if not names or len(names) != len(schema.keys):
        raise ContractError(
            "merge and history modes need the table's key columns; the schema has "
            f"keys {list(schema.keys)} among columns {[c.source_name for c in schema.columns]}"
        )
    return names


def dedup_changes(changes: exp.Query, schema: TableSchema) -> exp.Select:
    """At most one change per key (latest ``_aws2bq_change_at``; on a tie, upserts win).

    BigQuery's MERGE fails when a target row matches several source rows; this also guards
    against a producer's duplicates. Ties sort by op then by nothing: producers must not
    give two changes of one key at one time (the contract).
    """
    keys = key_names(schema)
    names = [c.name for c in data_columns(schema)] + [OP, CHANGE_AT]
    window = exp.Window(
        this=exp.RowNumber(),
        partition_by=[q_col(k) for k in keys],
        order=exp.Order(
            expressions=[
                exp.Ordered(this=q_col(CHANGE_AT), desc=True),
                exp.Ordered(this=q_col(OP), desc=True),  # 'upsert' > 'delete'
            ]
        ),
    )
    numbered = exp.select(*[q_col(n) for n in names], named(window, _RN)).from_(
        exp.Subquery(this=changes.copy(), alias=exp.TableAlias(this=q_id("_aws2bq_c")))
    )
    return (
        exp.select(*[q_col(n) for n in names])
        .from_(exp.Subquery(this=numbered, alias=exp.TableAlias(this=q_id("_aws2bq_n"))))
        .where(exp.EQ(this=q_col(_RN), expression=exp.Literal.number(1)))
    )


def current_filter(mode: Mode, soft_delete: bool, alias: str | None = None) -> exp.Expression:
    """Rows of the target that are the key's live, current state."""
    if mode is Mode.HISTORY:
        return cast(
            exp.Expression,
            exp.and_(q_col(IS_CURRENT, alias), exp.Not(this=q_col(IS_DELETED, alias))),
        )
    if soft_delete:
        return exp.Not(this=q_col(DELETED, alias))
    return exp.true()


def snapshot_changes(
    *,
    mode: Mode,
    soft_delete: bool,
    table: str,
    dataset: str | None,
    schema: TableSchema,
    snapshot: exp.Query,
    changed_at: datetime,
    caps: Capabilities,
    table_exists: bool,
    snapshot_types: Mapping[str, ColumnType] | None = None,
    widening: Widening | None = None,
) -> exp.Select:
    """The change set of a full typed snapshot against the table's current rows, by key.

    ``snapshot_types`` gives the type a snapshot column has when it differs from the
    schema's (an RDS plan narrower than the table's widened column); such values are
    converted by ``widening`` as the table's old ones were.

    Inserts (keys new to the table), updates (the row hash over the non-key columns
    differs) and deletes (keys the snapshot lacks), all at ``changed_at`` (the snapshot
    time). History compares with current, non-deleted versions only; soft-delete merge with
    rows not flagged deleted. One FULL OUTER JOIN, evaluated inside the warehouse.
    """
    feats = features(caps)
    keys = key_names(schema)
    columns = data_columns(schema)
    others = [c for c in columns if c.name not in keys]
    at = named(timestamp_literal(changed_at, caps), CHANGE_AT)
    snap = exp.Subquery(this=snapshot.copy(), alias=exp.TableAlias(this=q_id("_aws2bq_snap")))
    # A column the source dropped is not in the snapshot: NULL from now on.
    present = set(snapshot.named_selects)
    if "*" in present or any(isinstance(e, exp.Star) for e in snapshot.selects):
        present = {c.name for c in columns}

    widen = widening or Widening(caps)
    types = snapshot_types or {}

    def value(c: Column) -> exp.Expression:
        if c.name not in present:
            return typed_null(c.type, caps)
        own = types.get(c.name, c.type)
        if own != c.type:
            return widen.value(q_col(c.name, "_aws2bq_snap"), own, c.type)
        return _cast(q_col(c.name, "_aws2bq_snap"), c, caps)

    typed = [named(value(c), c.name) for c in columns]
    if not table_exists:
        return exp.select(*typed, named(exp.Literal.string(UPSERT), OP), at).from_(snap)

    def hashed(values: list[exp.Expression]) -> list[exp.Expression]:
        if not others:
            return []
        if feats.null_array_is_empty:
            values = [_empty_if_null(v, c, caps) if c.type.repeated else v
                      for v, c in zip(values, others, strict=True)]  # fmt: skip
        return [named(feats.row_hash(values), _HASH)]

    snap_values = [value(c) for c in others]
    new = exp.select(*typed, *hashed(snap_values)).from_(snap)
    old = (
        exp.select(*[q_col(c.name) for c in columns], *hashed([q_col(c.name) for c in others]))
        .from_(q_table(table, dataset, alias=TARGET))
        .where(current_filter(mode, soft_delete))
    )
    s, t = "_aws2bq_new", "_aws2bq_old"
    first = keys[0]
    projection: list[exp.Expression] = [
        named(exp.Coalesce(this=q_col(k, s), expressions=[q_col(k, t)]), k) for k in keys
    ]
    projection += [named(q_col(c.name, s), c.name) for c in others]
    op = exp.Case(
        ifs=[exp.If(this=exp.Is(this=q_col(first, s), expression=exp.null()),
                    true=exp.Literal.string(DELETE))],
        default=exp.Literal.string(UPSERT),
    )  # fmt: skip
    conditions: list[exp.Expression] = [
        exp.Is(this=q_col(first, s), expression=exp.null()),
        exp.Is(this=q_col(first, t), expression=exp.null()),
    ]
    if others:
        conditions.append(exp.NEQ(this=q_col(_HASH, s), expression=q_col(_HASH, t)))
    return (
        exp.select(*projection, named(op, OP), at)
        .from_(exp.Subquery(this=new, alias=exp.TableAlias(this=q_id(s))))
        .join(
            exp.Subquery(this=old, alias=exp.TableAlias(this=q_id(t))),
            on=keys_equal(keys, s, t),
            join_type="FULL OUTER",
        )
        .where(exp.or_(*conditions))
    )


def placeholder_changes(schema: TableSchema, caps: Capabilities) -> exp.Select:
    """A stand-in change set (``SELECT … FROM _aws2bq_staging``) for plans without data."""
    columns = [named(_cast(q_col(c.name), c, caps), c.name) for c in data_columns(schema)]
    return exp.select(*columns, q_col(OP), q_col(CHANGE_AT)).from_(
        exp.table_("_aws2bq_staging", quoted=True)
    )
