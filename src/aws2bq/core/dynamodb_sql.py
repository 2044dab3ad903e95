"""The typed SELECT over staged DynamoDB items (DuckDB SQL): one typed row per item.

Numbers stay text until their type is decided; they are converted with exact casts
(``DECIMAL``), never through floating point. The staged shapes and value accessors are in
:mod:`aws2bq.core.dynamodb_staged`, the profile in :mod:`aws2bq.core.dynamodb_profile_sql`,
the JSON conversion in :mod:`aws2bq.core.dynamodb_json_sql`.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlglot.expressions as exp

from aws2bq.core.capabilities import Capabilities
from aws2bq.core.dynamodb_json_sql import (
    shaped_value_json,
    value_json,
)
from aws2bq.core.dynamodb_staged import (
    DIALECT,
    ValueShape,
    alias,
    attribute,
    field,
    shaped_field,
)
from aws2bq.core.number_text import canonical_sql, plain_number_text
from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema
from aws2bq.core.sql_template import fill

# ValueShape is imported from here by the Arrow stager (warehouses/duckdb/arrow_stage.py).
__all__ = [
    "ValueShape",
    "column_value",
    "file_counts_select",
    "shaped_column_value",
    "shaped_typed_select",
    "typed_select",
]


def _number_cast(text: exp.Expression, kind: Kind, caps: Capabilities) -> exp.Expression:
    target = caps.data_type(ColumnType(kind))
    if kind in (Kind.INT64, Kind.NUMERIC):
        # The profile proved every value fits the type. A direct cast of the plain text: a
        # cast through DECIMAL(38, 0) was a third of the typed SELECT's time.
        return exp.Cast(this=plain_number_text(text), to=target)
    # BIGNUMERIC / DECIMAL_TEXT: DuckDB keeps the exact text, spelled canonically so that a
    # column widened from NUMERIC holds the same text (issue 10.2).
    return canonical_sql(text, DIALECT)


def _sorted_set(values: exp.Expression) -> exp.Expression:
    """A DynamoDB set's typed elements in ascending order (NULL stays NULL).

    Sets are unordered (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/
    HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.SetTypes): two exports may list
    the same set differently, which must not read as a change (issue 12 fault 3)."""
    return exp.Anonymous(this="list_sort", expressions=[values])


def column_value(value: exp.Expression, column: Column, caps: Capabilities) -> exp.Expression:
    """The typed value of one column from its attribute's descriptor struct."""
    ctype = column.type
    kind = ctype.kind
    if kind is Kind.NULL:
        return exp.Cast(this=exp.null(), to=caps.data_type(ctype))
    if kind is Kind.JSON:
        # NULL (absent or {"NULL": true}) stays SQL NULL; everything else plain JSON.
        return fill(
            'CASE WHEN (:v)."NULL" THEN NULL ELSE CAST(:j AS JSON) END',
            v=value,
            j=value_json(value),
        )
    if ctype.repeated:
        if kind in (Kind.INT64, Kind.NUMERIC, Kind.BIGNUMERIC, Kind.DECIMAL_TEXT):
            x = exp.to_identifier("x")
            return _sorted_set(
                fill(
                    "list_transform((:v).NS, :fn)",
                    v=value,
                    fn=exp.Lambda(this=_number_cast(exp.column(x), kind, caps), expressions=[x]),
                )
            )
        if kind is Kind.STRING:
            return _sorted_set(field(value, "SS"))
        if kind is Kind.BYTES:
            x = exp.to_identifier("x")
            return _sorted_set(
                fill(
                    "list_transform((:v).BS, :fn)",
                    v=value,
                    fn=exp.Lambda(this=fill("from_base64(x)"), expressions=[x]),
                )
            )
        raise ValueError(f"no DynamoDB set maps to {ctype}")
    if kind in (Kind.INT64, Kind.NUMERIC, Kind.BIGNUMERIC, Kind.DECIMAL_TEXT):
        return _number_cast(field(value, "N"), kind, caps)
    if kind is Kind.STRING:
        return field(value, "S")
    if kind is Kind.BYTES:
        return fill("from_base64((:v).B)", v=value)
    if kind is Kind.BOOL:
        return field(value, "BOOL")
    raise ValueError(f"no DynamoDB attribute maps to {ctype}")


def typed_select(
    stage: exp.Table,
    schema: TableSchema,
    system_values: Mapping[str, exp.Expression],
    caps: Capabilities,
    item_column: str = "Item",
) -> exp.Select:
    """SELECT one typed row per staged item, columns in schema order, named and cast."""
    item = exp.column(item_column, quoted=True)
    projections: list[exp.Expression] = []
    for column in schema.columns:
        value: exp.Expression
        if column.role is Role.SYSTEM:
            value = exp.Cast(this=system_values[column.name], to=caps.data_type(column.type))
        else:
            value = column_value(attribute(item, column.source_name), column, caps)
        projections.append(alias(value, column.name, quoted=True))
    return exp.select(*projections).from_(stage)


def file_counts_select(stage: exp.Table, file_column: str = "filename") -> exp.Select:
    """``SELECT filename, count(*)`` per staged file."""
    f = exp.column(file_column, quoted=True)
    return (
        exp.select(f, alias(exp.Count(this=exp.Star()), "rows", quoted=True))
        .from_(stage)
        .group_by(f)
    )


def shaped_column_value(
    value: exp.Expression | None, shape: ValueShape | None, column: Column, caps: Capabilities
) -> exp.Expression:
    """The typed value of one column from its staged attribute column (None: not staged)."""
    ctype = column.type
    target = caps.data_type(ctype)
    if value is None or shape is None or ctype.kind is Kind.NULL:
        return exp.Cast(this=exp.null(), to=target)
    kind = ctype.kind
    if kind is Kind.JSON:
        body = exp.Cast(this=shaped_value_json(value, shape), to=target)
        if shape.has("NULL"):
            return fill(
                "CASE WHEN :n THEN NULL ELSE :j END",
                n=shaped_field(value, shape, "NULL"),
                j=body,
            )
        return body
    numbers = (Kind.INT64, Kind.NUMERIC, Kind.BIGNUMERIC, Kind.DECIMAL_TEXT)
    descriptor = {
        Kind.STRING: "SS" if ctype.repeated else "S",
        Kind.BYTES: "BS" if ctype.repeated else "B",
        Kind.BOOL: "BOOL",
    }.get(kind, "NS" if ctype.repeated else "N")
    if kind not in numbers and kind not in (Kind.STRING, Kind.BYTES, Kind.BOOL):
        raise ValueError(f"no DynamoDB attribute maps to {ctype}")
    if not shape.has(descriptor):
        return exp.Cast(this=exp.null(), to=target)
    x = shaped_field(value, shape, descriptor)
    if ctype.repeated and kind in numbers:
        var = exp.to_identifier("x")
        return _sorted_set(
            fill(
                "list_transform(:v, :fn)",
                v=x,
                fn=exp.Lambda(this=_number_cast(exp.column(var), kind, caps), expressions=[var]),
            )
        )
    if kind in numbers:
        return _number_cast(x, kind, caps)
    if kind is Kind.BYTES:
        if ctype.repeated:
            return _sorted_set(fill("list_transform(:v, x -> from_base64(x))", v=x))
        return fill("from_base64(:v)", v=x)
    if ctype.repeated:
        return _sorted_set(exp.Cast(this=x, to=target))
    return exp.Cast(this=x, to=target)


def shaped_typed_select(
    stage: exp.Table,
    columns: Mapping[str, tuple[str, ValueShape]],
    schema: TableSchema,
    system_values: Mapping[str, exp.Expression],
    caps: Capabilities,
    keys: Mapping[str, tuple[str, ValueShape]] | None = None,
) -> exp.Select:
    """SELECT one typed row per staged item; ``columns``: attribute → (staged column, shape).

    ``keys`` (incremental records: the ``Keys`` attributes, same form) give a key column its
    value where ``columns`` has none (a delete has no NewImage).
    """
    projections: list[exp.Expression] = []
    for column in schema.columns:
        value: exp.Expression
        if column.role is Role.SYSTEM:
            value = exp.Cast(this=system_values[column.name], to=caps.data_type(column.type))
        else:
            value = _staged_value(columns.get(column.source_name), column, caps)
            key = (keys or {}).get(column.source_name) if column.role is Role.KEY else None
            if key is not None:
                fallback = _staged_value(key, column, caps)
                value = (
                    exp.Coalesce(this=value, expressions=[fallback])
                    if column.source_name in columns
                    else fallback
                )
        projections.append(alias(value, column.name, quoted=True))
    return exp.select(*projections).from_(stage)


def _staged_value(
    staged: tuple[str, ValueShape] | None, column: Column, caps: Capabilities
) -> exp.Expression:
    return shaped_column_value(
        exp.column(staged[0], quoted=True) if staged else None,
        staged[1] if staged else None,
        column,
        caps,
    )
