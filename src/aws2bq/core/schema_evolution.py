"""Schema evolution: how a table's schema moves from one load to the next, and its DDL.

ONE rule for every source and mode, :func:`evolve_schema`: a changed type becomes one
holding both (the source's type join: :func:`widen_type` for RDS columns, :func:`widen` for
DynamoDB attributes, whose contract turns mixed types into JSON), a column the source
dropped stays (NULL from now on) unless the load replaces the table where DDL is
transactional (``keep_dropped=False``), new columns come after the old ones, keys first,
system columns last, and the version goes up when the columns change — not when a column
only ever NULL so far takes its first real type (:func:`next_version`).
:func:`evolution_steps` is the DDL (``ALTER TABLE`` where the warehouse can change a type in
place, else one atomic rebuild).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import sqlglot.expressions as exp

from aws2bq.core.capabilities import Capabilities
from aws2bq.core.change_features import features
from aws2bq.core.layout import TableLayout, key_clustered, layout_properties, table_types
from aws2bq.core.ledger import add_columns
from aws2bq.core.schema import JSON_TYPE, NUMBER_LADDER, Column, ColumnType, Kind, Role, TableSchema
from aws2bq.core.sql_parts import aliased, named, q_col, q_id, typed_null
from aws2bq.core.widening import Widening

#: How two types of one column join: the narrowest type holding the values of both.
TypeJoin = Callable[[ColumnType, ColumnType], ColumnType]


def widen(old: ColumnType, new: ColumnType) -> ColumnType:
    """The narrowest type holding every value of both ``old`` and ``new`` (a lattice join).

    Numbers climb :data:`~aws2bq.core.schema.NUMBER_LADDER`; a NULL-only type takes the
    other; anything else becomes JSON (DynamoDB: one attribute seen with several types).
    """
    if old == new:
        return old
    if old.kind is Kind.NULL and not old.repeated:
        return new
    if new.kind is Kind.NULL and not new.repeated:
        return old
    if old.repeated == new.repeated and old.kind in NUMBER_LADDER and new.kind in NUMBER_LADDER:
        wider = max(NUMBER_LADDER.index(old.kind), NUMBER_LADDER.index(new.kind))
        return ColumnType(NUMBER_LADDER[wider], repeated=old.repeated)
    return JSON_TYPE


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


def _same_columns(previous: Sequence[Column], columns: Sequence[Column]) -> bool:
    """Equal, but for columns only ever NULL so far that now have a real type (no value of
    theirs changes, so that is no new version)."""
    if len(previous) != len(columns):
        return False
    for old, new in zip(previous, columns, strict=True):
        if old.type.kind is Kind.NULL:
            old = Column(old.name, new.type, old.source_name, old.role)
        if old != new:
            return False
    return True


def next_version(previous: TableSchema | None, schema: TableSchema) -> TableSchema:
    """``schema``'s columns with the version after ``previous`` (the same if the columns are)."""
    if previous is None:
        return schema
    same = _same_columns(previous.columns, schema.columns) and previous.keys == schema.keys
    version = previous.version if same else max(previous.version, schema.version) + 1
    return TableSchema(schema.columns, version, schema.keys)


def evolve_schema(
    previous: TableSchema | None,
    schema: TableSchema,
    *,
    join: TypeJoin = widen_type,
    keep_dropped: bool = True,
) -> TableSchema:
    """The schema of the table after ``schema`` (this load's) arrives: the module's rule.

    ``previous`` is the table's schema so far (None: the first load, ``schema`` as is).
    Columns match by name; a changed type becomes ``join(old, new)``. With ``keep_dropped``
    a column the source dropped stays (a key keeps its role); without, the table has this
    load's columns only (a replace rebuilding the table).
    """
    if previous is None:
        return schema
    if not keep_dropped:
        return next_version(previous, schema)
    new_by_name = {c.name: c for c in schema.columns}
    columns: list[Column] = []
    for old in previous.columns:
        if old.role is Role.SYSTEM:
            continue
        new = new_by_name.get(old.name)
        if new is None:
            role = Role.KEY if old.source_name in schema.keys else Role.DATA
            columns.append(Column(old.name, old.type, old.source_name, role))
        else:
            columns.append(Column(new.name, join(old.type, new.type), new.source_name, new.role))
    taken = {c.name for c in columns}
    columns += [c for c in schema.columns if c.role is not Role.SYSTEM and c.name not in taken]
    key_first = [c for k in schema.keys for c in columns if c.source_name == k]
    columns = key_first + [c for c in columns if c not in key_first]
    columns += [c for c in schema.columns if c.role is Role.SYSTEM]
    return next_version(previous, TableSchema(tuple(columns), schema.version, schema.keys))


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
    return exp.ColumnDef(this=q_id(name), kind=caps.data_type(ctype), constraints=constraints)


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
            using = widening.value(q_col(column.name), before.type, column.type)
            action = exp.AlterColumn(this=q_id(column.name), dtype=dtype, using=using)
        elif pair in feats.alter_type and not before.type.repeated and not column.type.repeated:
            # Only value-preserving coercions of scalars are allowed in place (INT64 → NUMERIC
            # …; GoogleSQL refuses them for an ARRAY's element type).
            action = exp.AlterColumn(this=q_id(column.name), dtype=dtype)
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
            value: exp.Expression = typed_null(column.type, caps)
        else:
            value = widening.value(q_col(column.name), before.type, column.type)
        projection.append(named(value, column.name))
    projection += [q_col(name) for name, _ in extra]
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
        expression=exp.select(*projection).from_(aliased(target)),
    )
