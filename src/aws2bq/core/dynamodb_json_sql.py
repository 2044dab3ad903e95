"""DynamoDB values as plain JSON text in DuckDB SQL (descriptors removed).

For JSON columns (``M``, ``L``, multi-type attributes) and for widening an old typed value to
JSON (:func:`descriptor_json`). Numbers keep their exact text (the canonical spelling at the
top level, :mod:`aws2bq.core.number_text`), B and BS stay base64 strings, NULL becomes
``null``.
"""

from __future__ import annotations

import json

import orjson
import sqlglot.expressions as exp

from aws2bq.core.dynamodb_staged import (
    DIALECT,
    ITEM_TYPE,
    VALUE_STRUCT,
    ValueShape,
    field,
    field_at,
    lit,
    shaped_field,
)
from aws2bq.core.number_text import canonical_sql
from aws2bq.core.sql_template import fill

#: json_transform structures for nested M / L values (a JSON string holding a type).
MAP_STRUCTURE = json.dumps(ITEM_TYPE)


LIST_STRUCTURE = json.dumps(VALUE_STRUCT + "[]")


#: Nested M/L levels converted to JSON in SQL; deeper values go to the fallback function.
SQL_JSON_DEPTH = 2


#: Name of the vectorized fallback (registered by the DuckDB warehouse) for deeper values:
#: ``aws2bq_ddb_json(text VARCHAR, is_list BOOLEAN) -> VARCHAR``.
FALLBACK_FUNCTION = "aws2bq_ddb_json"


def value_json(value: exp.Expression, depth: int = 0) -> exp.Expression:
    """JSON text (VARCHAR) of one DynamoDB value struct, descriptors removed.

    Numbers keep their exact text; B and BS stay base64 strings (JSON has no bytes); NULL
    becomes ``null``. M and L are re-read with ``json_transform`` one level at a time up to
    :data:`SQL_JSON_DEPTH`, deeper values go to the vectorized fallback function.
    """
    nested_m: exp.Expression
    nested_l: exp.Expression
    if depth >= SQL_JSON_DEPTH:
        nested_m = exp.Anonymous(
            this=FALLBACK_FUNCTION,
            expressions=[fill("CAST(:x AS VARCHAR)", x=field(value, "M")), exp.false()],
        )
        nested_l = exp.Anonymous(
            this=FALLBACK_FUNCTION,
            expressions=[fill("CAST(:x AS VARCHAR)", x=field(value, "L")), exp.true()],
        )
    else:
        key = exp.to_identifier(f"e{depth}")
        entry = exp.column(key)
        member = fill(
            "CAST(to_json((:e).key) AS VARCHAR) || ':' || :body",
            e=entry,
            body=value_json(fill("(:e).value", e=entry), depth + 1),
        )
        nested_m = fill(
            "'{' || array_to_string(list_transform(map_entries(json_transform(:m, :st)), "
            ":fn), ',') || '}'",
            m=field(value, "M"),
            st=lit(MAP_STRUCTURE),
            fn=exp.Lambda(this=member, expressions=[key]),
        )
        element = value_json(entry, depth + 1)
        nested_l = fill(
            "'[' || array_to_string(list_transform(json_transform(:l, :st), :fn), ',') || ']'",
            l=field(value, "L"),
            st=lit(LIST_STRUCTURE),
            fn=exp.Lambda(this=element, expressions=[key]),
        )
    return fill(
        "CASE"
        " WHEN (:v).S IS NOT NULL THEN CAST(to_json((:v).S) AS VARCHAR)"
        " WHEN (:v).N IS NOT NULL THEN :n"
        " WHEN (:v).B IS NOT NULL THEN CAST(to_json((:v).B) AS VARCHAR)"
        " WHEN (:v).BOOL IS NOT NULL THEN CASE WHEN (:v).BOOL THEN 'true' ELSE 'false' END"
        " WHEN (:v).\"NULL\" THEN 'null'"
        " WHEN (:v).SS IS NOT NULL THEN CAST(to_json((:v).SS) AS VARCHAR)"
        " WHEN (:v).NS IS NOT NULL THEN '[' || array_to_string(:ns, ',') || ']'"
        " WHEN (:v).BS IS NOT NULL THEN CAST(to_json((:v).BS) AS VARCHAR)"
        " WHEN (:v).M IS NOT NULL THEN :m"
        " WHEN (:v).L IS NOT NULL THEN :l"
        " END",
        v=value,
        n=_json_number(field(value, "N"), depth),
        ns=_json_numbers(field(value, "NS"), depth),
        m=nested_m,
        l=nested_l,
    )


def _json_number(text: exp.Expression, depth: int) -> exp.Expression:
    """A number in a JSON column: the canonical text at the top level, so that a column
    widened to JSON from NUMERIC reads like one typed JSON from the start (issue 10.2)."""
    return canonical_sql(text, DIALECT) if depth == 0 else text


def _json_numbers(values: exp.Expression, depth: int) -> exp.Expression:
    if depth:
        return values
    x = exp.to_identifier("_aws2bq_n")
    return fill(
        "list_transform(:v, :fn)",
        v=values,
        fn=exp.Lambda(this=canonical_sql(exp.column(x), DIALECT), expressions=[x]),
    )


#: The fields of :data:`VALUE_STRUCT`, in order, with their types.
_VALUE_FIELDS: tuple[tuple[str, str], ...] = (
    ("S", "VARCHAR"), ("N", "VARCHAR"), ("B", "VARCHAR"), ("BOOL", "BOOLEAN"),
    ("NULL", "BOOLEAN"), ("M", "JSON"), ("L", "JSON"), ("SS", "VARCHAR[]"),
    ("NS", "VARCHAR[]"), ("BS", "VARCHAR[]"),
)  # fmt: skip


def descriptor_json(descriptor: str, content: exp.Expression) -> exp.Expression:
    """The JSON-column value of one DynamoDB value ``{descriptor: content}`` (DuckDB).

    What :func:`column_value` gives for a JSON column, built from a typed value instead of a
    staged one (:class:`aws2bq.core.widening.Widening` uses it for widened columns).
    """
    fields = [
        exp.PropertyEQ(
            this=exp.to_identifier(name, quoted=True),
            expression=content
            if name == descriptor
            else exp.Cast(this=exp.null(), to=exp.DataType.build(typ, dialect=DIALECT)),
        )
        for name, typ in _VALUE_FIELDS
    ]
    struct = exp.Struct(expressions=fields)
    return exp.Cast(this=value_json(struct), to=exp.DataType.build("JSON", dialect=DIALECT))


def shaped_value_json(value: exp.Expression, shape: ValueShape, depth: int = 0) -> exp.Expression:
    """JSON text (VARCHAR) of one staged value of ``shape``, descriptors removed.

    Same output as :func:`value_json` (and :func:`aws2bq.core.dynamodb_json.value_to_json`):
    numbers keep their exact text, B/BS stay base64 strings, NULL becomes ``null``.
    """
    branches: list[tuple[exp.Expression, exp.Expression]] = []
    for descriptor in shape.descriptors:
        x = shaped_field(value, shape, descriptor)
        text: exp.Expression
        if descriptor in ("S", "B", "SS", "BS"):
            text = fill("CAST(to_json(:x) AS VARCHAR)", x=x)
        elif descriptor == "N":
            text = _json_number(x, depth)
        elif descriptor == "NS":
            text = fill("'[' || array_to_string(:x, ',') || ']'", x=_json_numbers(x, depth))
        elif descriptor == "BOOL":
            text = fill("CASE WHEN :x THEN 'true' ELSE 'false' END", x=x)
        elif descriptor == "NULL":
            text = lit("null")
        elif descriptor == "M":
            parts = []
            for position, (name, member) in enumerate(shape.members, start=1):
                m = field_at(x, position)
                key = lit(orjson.dumps(name).decode() + ":")
                parts.append(
                    fill(
                        "CASE WHEN :m IS NOT NULL THEN :k || :j END",
                        m=m,
                        k=key,
                        j=shaped_value_json(m, member, depth + 1),
                    )
                )
            # concat_ws skips the NULLs of absent members.
            text = (
                fill(
                    "'{' || :c || '}'",
                    c=exp.Anonymous(this="concat_ws", expressions=[lit(","), *parts]),
                )
                if parts
                else lit("{}")
            )
        elif descriptor == "L":
            if shape.element is None:
                # Only empty lists were staged (an element would have given a shape).
                text = fill(
                    "CASE WHEN len(:x) = 0 THEN '[]' ELSE error('unexpected L element') END", x=x
                )
            else:
                var = exp.to_identifier(f"e{depth}")
                text = fill(
                    "'[' || array_to_string(list_transform(:x, :fn), ',') || ']'",
                    x=x,
                    fn=exp.Lambda(
                        this=shaped_value_json(exp.column(var), shape.element, depth + 1),
                        expressions=[var],
                    ),
                )
        else:
            raise ValueError(f"unknown DynamoDB descriptor {descriptor!r}")
        branches.append((fill(":x IS NOT NULL", x=x), text))
    if not branches:
        return exp.null()
    case = exp.Case()
    for condition, text in branches:
        case = case.when(condition, text)
    return case
