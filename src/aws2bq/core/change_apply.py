"""Apply a change set (upserts and deletes by key) in merge, soft-delete merge or history mode.

A *change set* (see the change-set contract, issue 5) is a SELECT with every non-system
column of the target schema, ``_aws2bq_op`` (``'upsert'`` / ``'delete'``) and
``_aws2bq_change_at`` (the source's change time). Full snapshots produce one with
:func:`snapshot_changes` (a diff against the table, in SQL); incremental DynamoDB exports
produce theirs from the records. :func:`change_steps` turns one into statements:

* ``merge``: one MERGE (upsert + hard delete) where the dialect has MERGE, else
  DELETE + INSERT from a materialised change set;
* ``merge`` with ``soft_delete``: the MERGE keeps deleted rows with ``_aws2bq_deleted`` and
  ``_aws2bq_deleted_at``; an upsert of a deleted key revives the row;
* ``history`` (SCD2): one row per version with ``_valid_from`` / ``_valid_to`` /
  ``_is_current`` / ``_is_deleted``; validity is the change time, never the load time. An
  upsert closes the current version (live or deletion marker) and opens a new one; a delete
  closes the live version and opens a *deletion marker* (``_is_deleted``, the last values
  kept); a re-insert after a delete closes the marker. A change not newer than the key's
  current version is ignored, so history never goes back in time.

Schema evolution (added / widened columns) is applied first (inside the transaction when
DDL is transactional, else in ``before``); no existing row, hence no history, is dropped.
How a dialect is driven is data (:class:`aws2bq.core.capabilities.ChangeFeatures`, set by
each warehouse's ``dialect`` module), never its name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any, cast

import sqlglot.expressions as exp

from aws2bq.core.apply import ApplySteps, Mode, column_comments
from aws2bq.core.capabilities import Capabilities, ChangeFeatures
from aws2bq.core.dynamodb_types import widen
from aws2bq.core.ledger import LedgerEntry, add_columns, create_ledger, insert_entry
from aws2bq.core.partition_split import PartitionSplit
from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema
from aws2bq.core.widening import Widening

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

#: The materialised change set (a temporary table, dropped in the same transaction).
CHANGES_TABLE = "_aws2bq_changes"

_BOOL = ColumnType(Kind.BOOL)
_TIMESTAMP = ColumnType(Kind.TIMESTAMP)
_TARGET = "_aws2bq_t"
_SOURCE = "_aws2bq_s"
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


def features(caps: Capabilities) -> ChangeFeatures:
    """The change features of a warehouse's dialect (its ``dialect`` module sets them)."""
    return caps.changes


@dataclass(frozen=True)
class TableLayout:
    """Partitioning / clustering of a target table (applied where the dialect has them).

    DuckDB has neither: the whole layout, expiration and filter requirement included, is
    ignored there (rows are kept whatever their age; queries need no filter).
    """

    partition_column: str | None = None
    #: ``HOUR`` / ``DAY`` / ``MONTH`` / ``YEAR``.
    granularity: str = "DAY"
    cluster_by: tuple[str, ...] = field(default=())
    #: BigQuery deletes partitions older than this many days (``partition_expiration_days``);
    #: None: kept.
    expiration_days: int | None = None
    #: Queries must filter on the partition column (``require_partition_filter``).
    require_filter: bool = False


# -- helpers ----------------------------------------------------------------------------------
def _id(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(_id(name), table=_id(table) if table else None)


def _table(name: str, dataset: str | None, alias: str | None = None) -> exp.Table:
    table = exp.table_(name, db=dataset, quoted=True)
    if alias:
        table.set("alias", exp.TableAlias(this=_id(alias)))
    return table


def _aliased(table: exp.Table, alias: str = _TARGET) -> exp.Table:
    """``table`` under ``alias``. Every generated query names the target through an alias:
    unaliased, a table named like one of its columns reads as the table's row (a STRUCT) where
    the column was meant (GoogleSQL resolves a range variable before a column; issue 12
    fault 15). aws2bq's aliases start with ``_aws2bq_``, which no column name does."""
    out = table.copy()
    out.set("alias", exp.TableAlias(this=_id(alias)))
    return out


def _and(conditions: Sequence[exp.Expression]) -> exp.Expression:
    return cast(exp.Expression, exp.and_(*conditions)) if conditions else exp.true()


def _keys_equal(keys: Sequence[str], left: str, right: str) -> exp.Expression:
    return _and([exp.EQ(this=_col(k, left), expression=_col(k, right)) for k in keys])


def _is(name: str, table: str | None, value: str) -> exp.Expression:
    return exp.EQ(this=_col(name, table), expression=exp.Literal.string(value))


def _timestamp(value: datetime, caps: Capabilities) -> exp.Expression:
    return exp.Cast(this=exp.Literal.string(value.isoformat()), to=caps.data_type(_TIMESTAMP))


def _null(ctype: ColumnType, caps: Capabilities) -> exp.Expression:
    return exp.Cast(this=exp.null(), to=caps.data_type(ctype))


def _as(expression: exp.Expression, name: str) -> exp.Alias:
    return cast(exp.Alias, exp.alias_(expression, _id(name)))


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
        raise ValueError(
            "merge and history modes need the table's key columns; the schema has "
            f"keys {list(schema.keys)} among columns {[c.source_name for c in schema.columns]}"
        )
    return names


def system_values(schema: TableSchema, entry: LedgerEntry, caps: Capabilities) -> dict[str, Any]:
    """Values of the system columns for rows written by ``entry``'s export."""
    known: dict[str, exp.Expression] = {
        "_aws2bq_export_id": exp.Literal.string(entry.export_id),
        "_aws2bq_exported_at": _timestamp(entry.exported_at, caps),
    }
    return {
        c.name: known.get(c.name, _null(c.type, caps))
        for c in schema.columns
        if c.role is Role.SYSTEM
    }


def _check_names(schema: TableSchema, mode: Mode, soft_delete: bool) -> None:
    reserved = {OP, CHANGE_AT, *(n for n, _ in mode_columns(mode, soft_delete))}
    clash = sorted(c.name for c in schema.columns if c.name in reserved)
    if clash:
        raise ValueError(
            f"column(s) {', '.join(clash)} clash with aws2bq's {mode} bookkeeping columns"
        )


# -- schema evolution -------------------------------------------------------------------------
#: Scalar kinds whose values a text column holds as the source printed them (an RDS column
#: widened to its exact text, issue 10.4): joined with STRING they give STRING, not JSON.
_TEXT_JOINS = frozenset(
    {
        Kind.DATE,
        Kind.DATETIME,
        Kind.TIMESTAMP,
        Kind.TIME,
        Kind.INTERVAL,
        Kind.BOOL,
        Kind.INT64,
        Kind.FLOAT64,
        Kind.BYTES,
    }
)


def widen_type(old: ColumnType, new: ColumnType) -> ColumnType:
    """A type holding the values of both (decimals keep their digits, else :func:`widen`).

    A scalar joined with its exact text (STRING) gives STRING, an array joined with JSON
    gives JSON: the widenings of RDS columns whose values did not fit (issue 10.4).
    """
    if old == new:
        return old
    text = ColumnType(Kind.STRING)
    for a, b in ((old, new), (new, old)):
        if a == text and not b.repeated and b.kind in _TEXT_JOINS:
            return text
        # A geometry column whose values left SRID 4326 keeps MySQL's bytes (issue 12.14).
        if a == ColumnType(Kind.BYTES) and b == ColumnType(Kind.GEOGRAPHY):
            return a
        if a.kind is Kind.JSON and not a.repeated and b.repeated:
            return a
    if (
        old.kind is Kind.DECIMAL
        and new.kind is Kind.DECIMAL
        and old.repeated == new.repeated
        and old.precision is not None
        and new.precision is not None
    ):
        scale = max(old.scale or 0, new.scale or 0)
        digits = max(old.integer_digits, new.integer_digits)
        return ColumnType(Kind.DECIMAL, old.repeated, digits + scale, scale)
    return widen(old, new)


def evolve_schema(previous: TableSchema | None, schema: TableSchema) -> TableSchema:
    """The schema a merged / history table needs after ``schema`` arrives.

    Columns the source dropped stay (NULL from now on) so no history is lost; a changed type
    becomes one holding both (:func:`widen_type`); new columns come after the old ones.
    The version is bumped when the columns change.
    """
    if previous is None:
        return schema
    new_by_name = {c.name: c for c in schema.columns}
    columns: list[Column] = []
    for old in previous.columns:
        if old.role is Role.SYSTEM:
            continue
        new = new_by_name.get(old.name)
        if new is None:
            columns.append(Column(old.name, old.type, old.source_name, Role.DATA))
        else:
            columns.append(Column(new.name, widen_type(old.type, new.type), new.source_name,
                                  new.role))  # fmt: skip
    taken = {c.name for c in columns}
    columns += [c for c in schema.columns if c.role is not Role.SYSTEM and c.name not in taken]
    key_first = [c for k in schema.keys for c in columns if c.source_name == k]
    columns = key_first + [c for c in columns if c not in key_first]
    columns += [c for c in schema.columns if c.role is Role.SYSTEM]
    same = tuple(columns) == previous.columns and previous.keys == schema.keys
    version = previous.version if same else max(previous.version, schema.version) + 1
    return TableSchema(tuple(columns), version, schema.keys)


def column_definition(
    name: str, ctype: ColumnType, caps: Capabilities, description: str | None = None
) -> exp.ColumnDef:
    """``name type [OPTIONS(description = …)]`` (the description cut to what ``caps`` takes)."""
    constraints: list[exp.Expression] = []
    if description is not None:
        options = exp.Properties(
            expressions=[exp.Property(this=exp.var("description"),
                                      value=exp.Literal.string(caps.description(description)))]
        )  # fmt: skip
        constraints.append(exp.ColumnConstraint(kind=options))
    return exp.ColumnDef(this=_id(name), kind=caps.data_type(ctype), constraints=constraints)


def evolution_steps(
    target: exp.Table,
    previous: TableSchema | None,
    schema: TableSchema,
    caps: Capabilities,
    extra: Sequence[tuple[str, ColumnType]] = (),
    widening: Widening | None = None,
    layout: TableLayout | None = None,
    existing: Mapping[str, str] | None = None,
) -> list[exp.Expression]:
    """DDL turning ``previous``'s table into ``schema``'s (columns added / widened).

    ``existing`` (column name → the warehouse's type text, when known) tells which columns
    already have their new type: a load that evolved the table and then failed before its
    transaction committed leaves the ledger's ``previous`` behind, and its conversions must
    not run twice on converted values.

    Added columns and the type changes the warehouse does in place become ``ALTER TABLE``
    (one statement where it takes several actions). When a type cannot change in place
    (BigQuery: only INT64 → NUMERIC / BIGNUMERIC / FLOAT64 and NUMERIC → BIGNUMERIC / FLOAT64,
    https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language
    #alter_column_set_data_type_statement) the table is rebuilt by ONE ``CREATE OR REPLACE
    TABLE … AS SELECT`` (atomic) that keeps what the table was created with: its partitioning
    (BigQuery refuses another partitioning spec on a replace), clustering, partition options
    and column descriptions, with every column (new ones NULL) and ``extra`` (the mode's).

    Widened columns' old values are converted by ``widening`` so they read as the typed
    SELECT of the new type would read them (issue 10.2), never re-rendered by a plain CAST.
    """
    if previous is None:
        return []
    feats = features(caps)
    widening = widening or Widening(caps)
    old = {c.name: c for c in previous.columns}
    if existing is not None:
        # Columns already of their new type count as such (see above).
        have = {n: _type_text(t) for n, t in existing.items()}
        for column in schema.columns:
            if column.name in old and have.get(column.name) == _type_text(
                caps.physical_type(column.type)
            ):
                old[column.name] = column
    changes: list[exp.Expression] = []
    rebuild = False
    for column in schema.columns:
        before = old.get(column.name)
        if before is None:
            continue
        dtype = caps.data_type(column.type)
        if caps.data_type(before.type) == dtype:
            continue
        pair = (before.type.kind, column.type.kind)
        if feats.alter_type is None:
            # In place, with the values converted as the typed SELECT would make them.
            using = widening.value(_col(column.name), before.type, column.type)
            action = exp.AlterColumn(this=_id(column.name), dtype=dtype, using=using)
        elif pair in feats.alter_type and not before.type.repeated and not column.type.repeated:
            # Only value-preserving coercions of scalars are allowed in place (INT64 → NUMERIC
            # …; GoogleSQL refuses them for an ARRAY's element type).
            action = exp.AlterColumn(this=_id(column.name), dtype=dtype)
        else:
            rebuild = True
            break
        changes.append(exp.Alter(this=target.copy(), kind="TABLE", actions=[action]))
    if rebuild:
        known = TableSchema(tuple(old.values()), previous.version, previous.keys)
        return [_rebuild(target, known, schema, caps, extra, widening, layout)]
    # Added columns in as few ALTERs as the warehouse allows (one on BigQuery: each counts
    # against the table's metadata update rate limit).
    added = [(c.name, caps.data_type(c.type)) for c in schema.columns if c.name not in old]
    adds = add_columns(target, added, caps, if_not_exists=feats.add_column_if_not_exists)
    return [*adds, *changes]


def _type_text(text: str) -> str:
    return "".join(text.upper().split())


def _rebuild(
    target: exp.Table,
    previous: TableSchema,
    schema: TableSchema,
    caps: Capabilities,
    extra: Sequence[tuple[str, ColumnType]],
    widening: Widening,
    layout: TableLayout | None,
) -> exp.Create:
    """``CREATE OR REPLACE TABLE target (columns) <layout> AS SELECT <converted> FROM target``."""
    old = {c.name: c for c in previous.columns}
    projection: list[exp.Expression] = []
    for column in schema.columns:
        before = old.get(column.name)
        if before is None:
            value: exp.Expression = _null(column.type, caps)
        else:
            value = widening.value(_col(column.name), before.type, column.type)
        projection.append(_as(value, column.name))
    projection += [_col(name) for name, _ in extra]
    definitions = [column_definition(c.name, c.type, caps, c.description) for c in schema.columns]
    definitions += [column_definition(name, ctype, caps) for name, ctype in extra]
    properties = layout_properties(
        key_clustered(layout, schema, caps), features(caps), table_types(schema, extra)
    )
    return exp.Create(
        this=exp.Schema(this=target.copy(), expressions=cast(list[Any], definitions)),
        kind="TABLE",
        replace=True,
        properties=properties,
        expression=exp.select(*projection).from_(_aliased(target)),
    )


#: Time units a partition column of each kind can be truncated to, and how (BigQuery's
#: allowed partition expressions: https://cloud.google.com/bigquery/docs/reference/
#: standard-sql/data-definition-language#partition_expression). DATE by DAY is the bare
#: column; ``DATE(x)`` of a DATE, ``TIMESTAMP_TRUNC`` of a DATETIME and ``DATE_TRUNC(x, DAY)``
#: are refused by BigQuery.
_PARTITION_UNITS: Mapping[Kind, Mapping[str, str | None]] = MappingProxyType(
    {
        Kind.DATE: {"DAY": None, "MONTH": "DATE_TRUNC", "YEAR": "DATE_TRUNC"},
        Kind.TIMESTAMP: {"HOUR": "TIMESTAMP_TRUNC", "DAY": "DATE", "MONTH": "TIMESTAMP_TRUNC",
                         "YEAR": "TIMESTAMP_TRUNC"},
        Kind.DATETIME: {"HOUR": "DATETIME_TRUNC", "DAY": "DATE", "MONTH": "DATETIME_TRUNC",
                        "YEAR": "DATETIME_TRUNC"},
    }
)  # fmt: skip


def partition_expression(column: str, ctype: ColumnType, granularity: str) -> exp.Expression:
    """The ``PARTITION BY`` expression of ``column`` (of type ``ctype``) by ``granularity``.

    Raises:
        ValueError: the column's type cannot be partitioned by time at that granularity
            (e.g. a STRING column, or HOUR on a DATE column).
    """
    unit = granularity.upper()
    units = _PARTITION_UNITS.get(ctype.kind, {}) if not ctype.repeated else {}
    if unit not in units:
        allowed = ", ".join(f"{k.value} by {'/'.join(u)}" for k, u in _PARTITION_UNITS.items())
        raise ValueError(
            f"cannot partition by column {column!r} ({ctype.kind.value}"
            f"{' array' if ctype.repeated else ''}) at {unit}: BigQuery partitions by "
            f"{allowed}"
        )
    function = units[unit]
    if function is None:
        return _col(column)
    if function == "DATE":
        return exp.Anonymous(this="DATE", expressions=[_col(column)])
    return exp.Anonymous(this=function, expressions=[_col(column), exp.var(unit)])


def layout_properties(
    layout: TableLayout | None,
    feats: ChangeFeatures,
    types: Mapping[str, ColumnType] | None = None,
) -> exp.Properties | None:
    """``PARTITION BY`` / ``CLUSTER BY`` / ``OPTIONS(partition_expiration_days,
    require_partition_filter)`` of a ``CREATE TABLE`` (None where the dialect has none).

    ``types`` are the table's column types (the partition expression depends on the column's
    type: :func:`partition_expression`).

    Raises:
        ValueError: the partition column is not among ``types`` or cannot be partitioned.
    """
    if layout is None or not feats.partitioning:
        return None
    props: list[exp.Expression] = []
    if layout.partition_column:
        known = types or {}
        if layout.partition_column not in known:
            raise ValueError(
                f"partition column {layout.partition_column!r} is not a column of the table "
                f"(columns: {', '.join(sorted(known)) or 'unknown'})"
            )
        part = partition_expression(
            layout.partition_column, known[layout.partition_column], layout.granularity
        )
        props.append(exp.PartitionedByProperty(this=part))
    if layout.cluster_by:
        props.append(exp.ClusterProperty(expressions=[_col(c) for c in layout.cluster_by]))
    if layout.partition_column:
        # https://cloud.google.com/bigquery/docs/reference/standard-sql/
        # data-definition-language#table_option_list
        if layout.expiration_days is not None:
            days = exp.Literal.number(layout.expiration_days)
            props.append(exp.Property(this=exp.var("partition_expiration_days"), value=days))
        if layout.require_filter:
            props.append(exp.Property(this=exp.var("require_partition_filter"), value=exp.true()))
    return exp.Properties(expressions=props) if props else None


def table_types(
    schema: TableSchema, extra: Sequence[tuple[str, ColumnType]] = ()
) -> dict[str, ColumnType]:
    """Column name → type of a table holding ``schema`` and the mode's ``extra`` columns."""
    return {**{c.name: c.type for c in schema.columns}, **dict(extra)}


def key_clustered(
    layout: TableLayout | None, schema: TableSchema, caps: Capabilities
) -> TableLayout | None:
    """``layout``, clustered by the table's key columns when it names no clustering (issue 12
    fault 17): merge and history statements join the target by key, and a clustered table
    lets BigQuery read only the blocks of the keys a statement filters on
    (https://cloud.google.com/bigquery/docs/clustered-tables). Keys of a kind clustering does
    not take (FLOAT64, BYTES, JSON, arrays) end the list; at most the dialect's maximum."""
    feats = features(caps)
    if not feats.cluster_kinds or (layout is not None and layout.cluster_by):
        return layout
    by_source = schema.by_source()
    columns: list[str] = []
    for key in schema.keys:
        column = by_source.get(key)
        if column is None or column.type.repeated or column.type.kind not in feats.cluster_kinds:
            break
        columns.append(column.name)
    if not columns:
        return layout
    return replace(layout or TableLayout(), cluster_by=tuple(columns[: feats.max_cluster_columns]))


def create_target(
    table: str,
    dataset: str | None,
    schema: TableSchema,
    mode: Mode,
    soft_delete: bool,
    caps: Capabilities,
    *,
    layout: TableLayout | None = None,
    exists: bool = False,
) -> exp.Create:
    """``CREATE TABLE`` of a merged / history table: schema columns then the mode's."""
    columns = [
        exp.ColumnDef(this=_id(c.name), kind=caps.data_type(c.type)) for c in schema.columns
    ] + [
        exp.ColumnDef(this=_id(n), kind=caps.data_type(t))
        for n, t in mode_columns(mode, soft_delete)
    ]
    return exp.Create(
        this=exp.Schema(this=_table(table, dataset), expressions=cast(list[Any], columns)),
        kind="TABLE",
        exists=exists,
        properties=layout_properties(
            key_clustered(layout, schema, caps),
            features(caps),
            table_types(schema, mode_columns(mode, soft_delete)),
        ),
    )


# -- the change set ---------------------------------------------------------------------------
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
        partition_by=[_col(k) for k in keys],
        order=exp.Order(
            expressions=[
                exp.Ordered(this=_col(CHANGE_AT), desc=True),
                exp.Ordered(this=_col(OP), desc=True),  # 'upsert' > 'delete'
            ]
        ),
    )
    numbered = exp.select(*[_col(n) for n in names], _as(window, _RN)).from_(
        exp.Subquery(this=changes.copy(), alias=exp.TableAlias(this=_id("_aws2bq_c")))
    )
    return (
        exp.select(*[_col(n) for n in names])
        .from_(exp.Subquery(this=numbered, alias=exp.TableAlias(this=_id("_aws2bq_n"))))
        .where(exp.EQ(this=_col(_RN), expression=exp.Literal.number(1)))
    )


def current_filter(mode: Mode, soft_delete: bool, alias: str | None = None) -> exp.Expression:
    """Rows of the target that are the key's live, current state."""
    if mode is Mode.HISTORY:
        return cast(
            exp.Expression,
            exp.and_(_col(IS_CURRENT, alias), exp.Not(this=_col(IS_DELETED, alias))),
        )
    if soft_delete:
        return exp.Not(this=_col(DELETED, alias))
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
    at = _as(_timestamp(changed_at, caps), CHANGE_AT)
    snap = exp.Subquery(this=snapshot.copy(), alias=exp.TableAlias(this=_id("_aws2bq_snap")))
    # A column the source dropped is not in the snapshot: NULL from now on.
    present = set(snapshot.named_selects)
    if "*" in present or any(isinstance(e, exp.Star) for e in snapshot.selects):
        present = {c.name for c in columns}

    widen = widening or Widening(caps)
    types = snapshot_types or {}

    def value(c: Column) -> exp.Expression:
        if c.name not in present:
            return _null(c.type, caps)
        own = types.get(c.name, c.type)
        if own != c.type:
            return widen.value(_col(c.name, "_aws2bq_snap"), own, c.type)
        return _cast(_col(c.name, "_aws2bq_snap"), c, caps)

    typed = [_as(value(c), c.name) for c in columns]
    if not table_exists:
        return exp.select(*typed, _as(exp.Literal.string(UPSERT), OP), at).from_(snap)

    def hashed(values: list[exp.Expression]) -> list[exp.Expression]:
        if not others:
            return []
        if feats.null_array_is_empty:
            values = [_empty_if_null(v, c, caps) if c.type.repeated else v
                      for v, c in zip(values, others, strict=True)]  # fmt: skip
        return [_as(feats.row_hash(values), _HASH)]

    snap_values = [value(c) for c in others]
    new = exp.select(*typed, *hashed(snap_values)).from_(snap)
    old = (
        exp.select(*[_col(c.name) for c in columns], *hashed([_col(c.name) for c in others]))
        .from_(_table(table, dataset, alias=_TARGET))
        .where(current_filter(mode, soft_delete))
    )
    s, t = "_aws2bq_new", "_aws2bq_old"
    first = keys[0]
    projection: list[exp.Expression] = [
        _as(exp.Coalesce(this=_col(k, s), expressions=[_col(k, t)]), k) for k in keys
    ]
    projection += [_as(_col(c.name, s), c.name) for c in others]
    op = exp.Case(
        ifs=[exp.If(this=exp.Is(this=_col(first, s), expression=exp.null()),
                    true=exp.Literal.string(DELETE))],
        default=exp.Literal.string(UPSERT),
    )  # fmt: skip
    conditions: list[exp.Expression] = [
        exp.Is(this=_col(first, s), expression=exp.null()),
        exp.Is(this=_col(first, t), expression=exp.null()),
    ]
    if others:
        conditions.append(exp.NEQ(this=_col(_HASH, s), expression=_col(_HASH, t)))
    return (
        exp.select(*projection, _as(op, OP), at)
        .from_(exp.Subquery(this=new, alias=exp.TableAlias(this=_id(s))))
        .join(
            exp.Subquery(this=old, alias=exp.TableAlias(this=_id(t))),
            on=_keys_equal(keys, s, t),
            join_type="FULL OUTER",
        )
        .where(exp.or_(*conditions))
    )


# -- pruning ----------------------------------------------------------------------------------
#: Most distinct keys listed as constants in a pruning filter; beyond, a range.
PRUNE_LIST_MAX = 1000


@dataclass(frozen=True)
class KeyFilter:
    """A constant condition on the target's leading key column that every key of a change
    set meets (issue 12 fault 17). On a table clustered by the key, BigQuery reads only the
    blocks a constant filter can match (a join or subquery filter prunes nothing:
    https://cloud.google.com/bigquery/docs/querying-clustered-tables), so merge and history
    statements read the changed keys' blocks instead of the whole table."""

    column: str
    #: The distinct values (at most :data:`PRUNE_LIST_MAX`), or None: use the range.
    values: tuple[exp.Expression, ...] | None
    low: exp.Expression | None = None
    high: exp.Expression | None = None

    def condition(self, alias: str | None = None) -> exp.Expression:
        column = _col(self.column, alias)
        if self.values is not None:
            return exp.In(this=column, expressions=[v.copy() for v in self.values])
        assert self.low is not None and self.high is not None
        return exp.Between(this=column, low=self.low.copy(), high=self.high.copy())


def key_bounds_select(changes: exp.Query, schema: TableSchema) -> exp.Select:
    """``SELECT MIN(k), MAX(k), COUNT(DISTINCT k)`` of the change set's leading key column."""
    key = key_names(schema)[0]
    return exp.select(
        exp.Min(this=_col(key)),
        exp.Max(this=_col(key)),
        exp.Count(this=exp.Distinct(expressions=[_col(key)])),
    ).from_(exp.Subquery(this=changes.copy(), alias=exp.TableAlias(this=_id("_aws2bq_c"))))


def key_values_select(changes: exp.Query, schema: TableSchema) -> exp.Select:
    """The change set's distinct leading-key values (at most :data:`PRUNE_LIST_MAX`)."""
    key = key_names(schema)[0]
    return (
        exp.select(_col(key))
        .distinct()
        .from_(exp.Subquery(this=changes.copy(), alias=exp.TableAlias(this=_id("_aws2bq_c"))))
        .order_by(_col(key))
        .limit(PRUNE_LIST_MAX)
    )


def _constant(value: Any) -> exp.Expression | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    return None  # other kinds are not pruned on (a literal of their exact type is needed)


def key_filter(
    schema: TableSchema, bounds: Sequence[Any], values: Sequence[Any] | None = None
) -> KeyFilter | None:
    """The pruning filter from :func:`key_bounds_select`'s row (and, when the count is at
    most :data:`PRUNE_LIST_MAX`, :func:`key_values_select`'s values); None: no pruning (an
    empty change set, or a key kind without a plain literal)."""
    low, high, count = bounds
    key = key_names(schema)[0]
    if not count or low is None or high is None:
        return None
    if values is not None and 0 < len(values) == count <= PRUNE_LIST_MAX:
        constants = [_constant(v) for v in values]
        if all(c is not None for c in constants):
            return KeyFilter(key, tuple(cast(list[exp.Expression], constants)))
    lo, hi = _constant(low), _constant(high)
    if lo is None or hi is None:
        return None
    return KeyFilter(key, None, lo, hi)


# -- apply ------------------------------------------------------------------------------------
def _insert(target: exp.Table, names: Sequence[str], rows: exp.Query) -> exp.Insert:
    return exp.insert(
        rows, cast(Any, exp.Schema(this=target.copy(), expressions=[_id(n) for n in names]))
    )


def _first_load(
    target: exp.Table,
    schema: TableSchema,
    changes: exp.Select,
    mode: Mode,
    soft_delete: bool,
    system: Mapping[str, exp.Expression],
    caps: Capabilities,
    where: exp.Expression | None = None,
) -> exp.Insert:
    """Into an empty table: every upsert is a new row (a delete of an unknown key is moot).
    ``where``: only the changes it holds (a range of :class:`PartitionSplit`)."""
    values: list[exp.Expression] = []
    names: list[str] = []
    for c in schema.columns:
        names.append(c.name)
        values.append(system[c.name].copy() if c.name in system else _col(c.name, _SOURCE))
    values += _mode_values(mode, soft_delete, caps, deleted=exp.false())
    names += [n for n, _ in mode_columns(mode, soft_delete)]
    rows = (
        exp.select(*values)
        .from_(exp.Subquery(this=changes, alias=exp.TableAlias(this=_id(_SOURCE))))
        .where(_is(OP, _SOURCE, UPSERT))
    )
    if where is not None:
        rows = rows.where(where)
    return _insert(target, names, rows)


def _mode_values(
    mode: Mode, soft_delete: bool, caps: Capabilities, *, deleted: exp.Expression
) -> list[exp.Expression]:
    """Values of the mode's bookkeeping columns for a new row written from the source row."""
    if mode is Mode.HISTORY:
        return [_col(CHANGE_AT, _SOURCE), _null(_TIMESTAMP, caps), exp.true(), deleted]
    if soft_delete:
        return [exp.false(), _null(_TIMESTAMP, caps)]
    return []


def _merge(
    target_name: str,
    dataset: str | None,
    schema: TableSchema,
    changes: exp.Select,
    soft_delete: bool,
    system: Mapping[str, exp.Expression],
    caps: Capabilities,
    prune: KeyFilter | None = None,
) -> exp.Merge:
    """One MERGE: upserts update / insert, deletes delete (or flag, with soft delete)."""
    keys = key_names(schema)
    target = _table(target_name, dataset, alias=_TARGET)
    source = exp.Subquery(this=changes, alias=exp.TableAlias(this=_id(_SOURCE)))

    def value(c: Column) -> exp.Expression:
        return system[c.name].copy() if c.name in system else _col(c.name, _SOURCE)

    updates = [
        exp.EQ(this=_col(c.name), expression=value(c)) for c in schema.columns if c.name not in keys
    ]
    insert_names = [c.name for c in schema.columns]
    insert_values = [value(c) for c in schema.columns]
    if soft_delete:
        updates += [
            exp.EQ(this=_col(DELETED), expression=exp.false()),
            exp.EQ(this=_col(DELETED_AT), expression=_null(_TIMESTAMP, caps)),
        ]
        insert_names += [DELETED, DELETED_AT]
        insert_values += [exp.false(), _null(_TIMESTAMP, caps)]
    is_delete = _is(OP, _SOURCE, DELETE)
    whens: list[exp.When] = []
    if soft_delete:
        flag = [
            exp.EQ(this=_col(DELETED), expression=exp.true()),
            exp.EQ(this=_col(DELETED_AT), expression=_col(CHANGE_AT, _SOURCE)),
            *[exp.EQ(this=_col(n), expression=v.copy()) for n, v in system.items()],
        ]
        whens.append(
            exp.When(
                matched=True,
                source=False,
                condition=exp.and_(is_delete, exp.Not(this=_col(DELETED, _TARGET))),
                then=exp.Update(expressions=flag),
            )
        )
    else:
        whens.append(exp.When(matched=True, source=False, condition=is_delete,
                              then=exp.var("DELETE")))  # fmt: skip
    whens.append(
        exp.When(
            matched=True,
            source=False,
            condition=_is(OP, _SOURCE, UPSERT),
            then=exp.Update(expressions=updates),
        )
    )
    whens.append(
        exp.When(
            matched=False,
            source=False,
            condition=_is(OP, _SOURCE, UPSERT),
            then=exp.Insert(
                this=exp.Tuple(expressions=[_id(n) for n in insert_names]),
                expression=exp.Tuple(expressions=insert_values),
            ),
        )
    )
    on = _keys_equal(keys, _TARGET, _SOURCE)
    if prune is not None:
        # Every change's key meets it: the ON clause keeps its meaning (no NOT MATCHED BY
        # SOURCE clause), and BigQuery reads only the target blocks it can match.
        on = cast(exp.Expression, exp.and_(on, prune.condition(_TARGET)))
    return exp.Merge(
        this=target,
        using=source,
        on=on,
        whens=exp.Whens(expressions=whens),
    )


def _materialise(changes: exp.Select) -> exp.Create:
    return exp.Create(
        this=exp.table_(CHANGES_TABLE, quoted=True),
        kind="TABLE",
        properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
        expression=changes,
    )


def _drop_changes() -> exp.Drop:
    return exp.Drop(this=exp.table_(CHANGES_TABLE, quoted=True), kind="TABLE", exists=True)


def _delete_insert(
    target_name: str,
    dataset: str | None,
    schema: TableSchema,
    changes: exp.Select,
    system: Mapping[str, exp.Expression],
    caps: Capabilities,
) -> list[exp.Expression]:
    """Hard-delete merge without MERGE: delete every changed key, insert the upserts."""
    keys = key_names(schema)
    target = _table(target_name, dataset)
    staged = exp.table_(CHANGES_TABLE, quoted=True)
    exists = exp.Exists(
        this=exp.select(exp.Literal.number(1))
        .from_(_table(CHANGES_TABLE, None, alias=_SOURCE))
        .where(_and([exp.EQ(this=_col(k, _SOURCE), expression=_col(k, _TARGET)) for k in keys]))
    )
    del staged
    return [
        _materialise(changes),
        exp.delete(_table(target_name, dataset, alias=_TARGET), where=exists),
        _first_load(
            target,
            schema,
            exp.select("*").from_(exp.table_(CHANGES_TABLE, quoted=True)),
            Mode.MERGE,
            False,
            system,
            caps,
        ),
        _drop_changes(),
    ]


def _history(
    target_name: str,
    dataset: str | None,
    schema: TableSchema,
    changes: exp.Select,
    system: Mapping[str, exp.Expression],
    caps: Capabilities,
    prune: KeyFilter | None = None,
) -> list[exp.Expression]:
    """SCD2: close the current versions the changes touch, then add the new versions."""
    keys = key_names(schema)
    others = [c for c in data_columns(schema) if c.name not in keys]
    cur = "_aws2bq_cur"
    ch = "_aws2bq_ch"
    # The changes that do something, with the values a deletion marker keeps (the closed
    # version's) and whether a current version exists to close.
    projection: list[exp.Expression] = [_as(_col(k, ch), k) for k in keys]
    for c in others:
        projection.append(
            _as(
                exp.Case(
                    ifs=[exp.If(this=_is(OP, ch, DELETE), true=_col(c.name, cur))],
                    default=_col(c.name, ch),
                ),
                c.name,
            )
        )
    projection += [_col(OP, ch), _col(CHANGE_AT, ch)]
    absent = exp.Is(this=_col(keys[0], cur), expression=exp.null())
    live_or_upsert = exp.or_(_is(OP, ch, UPSERT), exp.Not(this=_col(IS_DELETED, cur)))
    newer = exp.GT(this=_col(CHANGE_AT, ch), expression=_col(VALID_FROM, cur))
    current = (
        exp.select(*[_col(c.name) for c in data_columns(schema)], _col(VALID_FROM),
                   _col(IS_DELETED))
        .from_(_table(target_name, dataset, alias=_TARGET))
        .where(_col(IS_CURRENT) if prune is None
               else exp.and_(_col(IS_CURRENT), prune.condition()))
    )  # fmt: skip
    effective = (
        exp.select(*projection)
        .from_(exp.Subquery(this=changes, alias=exp.TableAlias(this=_id(ch))))
        .join(
            exp.Subquery(this=current, alias=exp.TableAlias(this=_id(cur))),
            on=_keys_equal(keys, ch, cur),
            join_type="LEFT",
        )
        .where(
            exp.or_(
                exp.and_(absent, _is(OP, ch, UPSERT)),
                exp.and_(exp.Not(this=absent), newer, live_or_upsert),
            )
        )
    )
    target = _table(target_name, dataset)
    close = exp.Update(
        this=_table(target_name, dataset, alias=_TARGET),
        expressions=[
            exp.EQ(this=_col(VALID_TO), expression=_col(CHANGE_AT, _SOURCE)),
            exp.EQ(this=_col(IS_CURRENT), expression=exp.false()),
        ],
        from_=exp.From(this=_table(CHANGES_TABLE, None, alias=_SOURCE)),
        where=exp.Where(
            this=exp.and_(
                _and([exp.EQ(this=_col(k, _TARGET), expression=_col(k, _SOURCE)) for k in keys]),
                _col(IS_CURRENT, _TARGET),
                *([prune.condition(_TARGET)] if prune is not None else []),
            )
        ),
    )
    names = [c.name for c in schema.columns] + [n for n, _ in mode_columns(Mode.HISTORY, False)]
    values: list[exp.Expression] = [
        system[c.name].copy() if c.name in system else _col(c.name, _SOURCE) for c in schema.columns
    ]
    values += _mode_values(Mode.HISTORY, False, caps, deleted=_is(OP, _SOURCE, DELETE))
    add = _insert(
        target,
        names,
        exp.select(*values).from_(_table(CHANGES_TABLE, None, alias=_SOURCE)),
    )
    return [_materialise(effective), close, add, _drop_changes()]


def change_steps(
    *,
    mode: Mode,
    soft_delete: bool,
    table: str,
    dataset: str | None,
    schema: TableSchema,
    changes: exp.Select,
    entry: LedgerEntry,
    caps: Capabilities,
    table_exists: bool,
    previous: TableSchema | None = None,
    layout: TableLayout | None = None,
    widening: Widening | None = None,
    prune: KeyFilter | None = None,
    split: PartitionSplit | None = None,
    existing: Mapping[str, str] | None = None,
) -> ApplySteps:
    """Statements applying a change set to ``table`` in ``mode``, with ``entry``'s ledger row.

    ``previous`` is the table's schema before this export (from the ledger): columns it lacks
    are added and changed types widened before the data changes. ``layout`` partitions and
    clusters the table when it is created (where the dialect can; by default by the key).
    ``prune`` (:func:`key_filter`) limits the target rows the merge / history statements read
    to those the change set's keys can match. ``split`` writes a first load by ranges of
    the partition column (a data column), each within the partitions one statement may
    modify (:mod:`aws2bq.core.partition_split`). ``existing``: the table's column types as
    the warehouse reports them (:func:`evolution_steps`). ``before`` holds the
    statements that must run outside the transaction (DDL where it is not transactional);
    ``transaction`` runs as one unit and includes the ledger row.
    """
    if mode is Mode.REPLACE:
        raise ValueError("change_steps applies merge and history modes; use replace_steps")
    if mode is Mode.HISTORY and soft_delete:
        raise ValueError("soft_delete applies to merge mode (history always keeps deletes)")
    feats = features(caps)
    _check_names(schema, mode, soft_delete)
    key_names(schema)
    target = _table(table, dataset)
    extra = mode_columns(mode, soft_delete)
    system = system_values(schema, entry, caps)
    deduped = dedup_changes(changes, schema)

    ddl: list[exp.Expression] = []
    if not table_exists:
        ddl.append(create_target(table, dataset, schema, mode, soft_delete, caps, layout=layout,
                                 exists=not caps.transactional_ddl))  # fmt: skip
        if caps.transactional_ddl:
            ddl += column_comments(target, schema)
    else:
        ddl += evolution_steps(target, previous, schema, caps, extra, widening, layout, existing)

    data: list[exp.Expression]
    if not table_exists and split is not None:
        data = [
            _first_load(target, schema, deduped.copy(), mode, soft_delete, system, caps, where)
            for where in split.conditions(_SOURCE)
        ]
    elif not table_exists:
        data = [_first_load(target, schema, deduped, mode, soft_delete, system, caps)]
    elif mode is Mode.HISTORY:
        data = _history(table, dataset, schema, deduped, system, caps, prune)
    elif feats.merge:
        data = [_merge(table, dataset, schema, deduped, soft_delete, system, caps, prune)]
    elif not soft_delete:
        data = _delete_insert(table, dataset, schema, deduped, system, caps)
    else:
        raise ValueError(f"{caps.name}: soft-delete merge needs MERGE")

    ledger = insert_entry(entry, caps, dataset)
    if caps.transactional_ddl:
        return ApplySteps(
            before=[], transaction=[*ddl, create_ledger(caps, dataset), *data, ledger]
        )
    return ApplySteps(before=[*ddl, create_ledger(caps, dataset)], transaction=[*data, ledger])


def placeholder_changes(schema: TableSchema, caps: Capabilities) -> exp.Select:
    """A stand-in change set (``SELECT … FROM _aws2bq_staging``) for plans without data."""
    columns = [_as(_cast(_col(c.name), c, caps), c.name) for c in data_columns(schema)]
    return exp.select(*columns, _col(OP), _col(CHANGE_AT)).from_(
        exp.table_("_aws2bq_staging", quoted=True)
    )
