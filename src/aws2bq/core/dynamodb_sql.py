"""SQL over DynamoDB items staged as ``Item MAP(VARCHAR, <descriptor struct>)`` (DuckDB shape).

The staging table holds one row per exported item: ``Item`` maps each attribute name to a
struct with one field per DynamoDB descriptor (``S``, ``N``, … ``BS``), exactly one of them
non-NULL; nested ``M`` / ``L`` values are kept as JSON text. DuckDB's JSON reader fills that
shape natively (each line parsed once, in parallel), so this module only builds the SQL that
profiles and types it — as sqlglot expressions from constant templates with placeholders; no
attribute name or value is ever formatted into SQL text.

Numbers stay text until their type is decided; they are converted with exact casts
(``DECIMAL``), never through floating point.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import orjson
import sqlglot.expressions as exp

from aws2bq.core.capabilities import Capabilities
from aws2bq.core.dynamodb_types import DESCRIPTORS, AttributeStats, NumberStats
from aws2bq.core.number_sql import digit_counts, duckdb_captures, duckdb_struct
from aws2bq.core.number_text import canonical_sql
from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema
from aws2bq.core.sql_template import fill

DIALECT = "duckdb"

#: The struct one attribute value is staged as.
VALUE_STRUCT = (
    'STRUCT(S VARCHAR, N VARCHAR, B VARCHAR, BOOL BOOLEAN, "NULL" BOOLEAN, M JSON, L JSON, '
    "SS VARCHAR[], NS VARCHAR[], BS VARCHAR[])"
)
#: The staged type of a whole item (the ``Item`` column).
ITEM_TYPE = "MAP(VARCHAR, " + VALUE_STRUCT + ")"
#: json_transform structures for nested M / L values (a JSON string holding a type).
MAP_STRUCTURE = json.dumps(ITEM_TYPE)
LIST_STRUCTURE = json.dumps(VALUE_STRUCT + "[]")

#: Nested M/L levels converted to JSON in SQL; deeper values go to the fallback function.
SQL_JSON_DEPTH = 2
#: Name of the vectorized fallback (registered by the DuckDB warehouse) for deeper values:
#: ``aws2bq_ddb_json(text VARCHAR, is_list BOOLEAN) -> VARCHAR``.
FALLBACK_FUNCTION = "aws2bq_ddb_json"

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def _parse(template: str, **values: exp.Expression) -> exp.Expression:
    """Parse a constant DuckDB template and fill its ``:name`` placeholders."""
    return fill(template, **values)


def _alias(value: exp.Expression, name: str, quoted: bool = True) -> exp.Expression:
    return cast(exp.Expression, exp.alias_(value, name, quoted=quoted))


def lit(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def field(value: exp.Expression, descriptor: str) -> exp.Expression:
    """``value.<descriptor>`` (struct field access, quoted)."""
    return exp.Dot(this=exp.Paren(this=value), expression=ident(descriptor))


def attribute(item: exp.Expression, name: str) -> exp.Expression:
    """``item['name']``: the descriptor struct of one attribute (NULL if absent)."""
    return exp.Bracket(this=item, expressions=[lit(name)])


# -- numbers ----------------------------------------------------------------------------------
def number_regexp(text: exp.Expression) -> exp.Expression:
    """``regexp_extract`` of a number's text into a struct (sign, i, f, e)."""
    return duckdb_struct(text)


def number_parts(
    text: exp.Expression, parts: exp.Expression | None = None
) -> tuple[exp.Expression, exp.Expression, exp.Expression]:
    """SQL for (integer digits, scale, fits int64) of a DynamoDB number's text (DuckDB).

    The digit arithmetic is :func:`aws2bq.core.number_sql.digit_counts`: ``0.0012`` → (0, 4),
    ``1.50`` → (1, 1), ``1.5E+3`` → (4, 0).
    """
    if parts is None:
        parts = number_regexp(text)
    counts = digit_counts(duckdb_captures(parts))
    # NULL (an absent attribute, a {"NULL": true} value) is no evidence: every statistic of
    # it is NULL, which aggregates skip (issue 10.1).
    fits = _parse(
        "CASE WHEN :t IS NULL THEN NULL WHEN :s = 0 AND :n <= 19 "
        "THEN coalesce(try_cast(:t AS DECIMAL(38, 0)) BETWEEN :lo AND :hi, FALSE) "
        "ELSE FALSE END",
        s=counts.scale,
        n=counts.integer_digits,
        t=text,
        lo=exp.Literal.number(INT64_MIN),
        hi=exp.Literal.number(INT64_MAX),
    )
    return counts.integer_digits, counts.scale, fits


# -- profile ----------------------------------------------------------------------------------
PROFILE_COLUMNS: tuple[str, ...] = (
    "attribute",
    *(f"count_{d}" for d in DESCRIPTORS),
    "n_count",
    "n_int_digits",
    "n_scale",
    "n_all_int64",
    "ns_count",
    "ns_int_digits",
    "ns_scale",
    "ns_all_int64",
)


def _number_aggregates(
    text: exp.Expression, parts: exp.Expression, prefix: str
) -> list[exp.Expression]:
    int_digits, scale, fits = number_parts(text, parts)
    return [
        _alias(_parse("count(:t)", t=text), prefix + "count", quoted=True),
        _alias(_parse("max(:x)", x=int_digits), prefix + "int_digits", quoted=True),
        _alias(_parse("max(:x)", x=scale), prefix + "scale", quoted=True),
        _alias(_parse("bool_and(:x)", x=fits), prefix + "all_int64", quoted=True),
    ]


def profile_select(stage: exp.Table, item_column: str = "Item") -> exp.Select:
    """One query: per attribute, counts per descriptor and number statistics (N and NS).

    Rows have the columns of :data:`PROFILE_COLUMNS`; parse them with :func:`read_profile`.
    """
    item = exp.column(item_column, quoted=True)
    entries = _parse(
        "SELECT k, v, :np AS np FROM (SELECT e.key AS k, e.value AS v "
        "FROM (SELECT unnest(map_entries(:item)) AS e FROM :stage))",
        item=item,
        stage=stage,
        np=number_regexp(field(exp.column("v"), "N")),
    )
    v = exp.column("v", quoted=True)
    k = exp.column("k", quoted=True)
    counts = [
        _alias(_parse("count(:x)", x=field(v, d)), f"count_{d}", quoted=True) for d in DESCRIPTORS
    ]
    per_attribute = (
        exp.select(
            _alias(k, "attribute", quoted=True),
            *counts,
            *_number_aggregates(field(v, "N"), exp.column("np"), "n_"),
        )
        .from_("entries")
        .group_by(k)
    )
    set_elements = _parse(
        "SELECT k, x, :np AS np FROM (SELECT k, unnest((v).NS) AS x FROM entries "
        "WHERE (v).NS IS NOT NULL)",
        np=number_regexp(exp.column("x")),
    )
    per_set = (
        exp.select(
            _alias(k, "attribute", quoted=True),
            *_number_aggregates(exp.column("x", quoted=True), exp.column("np"), "ns_"),
        )
        .from_("set_elements")
        .group_by(k)
    )
    a = exp.column
    select = (
        exp.select(
            a("attribute", "a", quoted=True),
            *(a(f"count_{d}", "a", quoted=True) for d in DESCRIPTORS),
            *(a(f"n_{s}", "a", quoted=True) for s in ("count", "int_digits", "scale", "all_int64")),
            *(
                a(f"ns_{s}", "s", quoted=True)
                for s in ("count", "int_digits", "scale", "all_int64")
            ),
        )
        .from_(_alias(exp.to_table("per_attribute"), "a"))
        .join(
            _alias(exp.to_table("per_set"), "s"),
            on=exp.EQ(
                this=a("attribute", "a", quoted=True), expression=a("attribute", "s", quoted=True)
            ),
            join_type="LEFT",
        )
        .order_by(a("attribute", "a", quoted=True))
        .with_("entries", as_=entries)
        .with_("set_elements", as_=set_elements)
        .with_("per_attribute", as_=per_attribute)
        .with_("per_set", as_=per_set)
    )
    return select


def read_profile(rows: Sequence[Sequence[object]]) -> dict[str, AttributeStats]:
    """Turn the rows of :func:`profile_select` into statistics per attribute."""
    out: dict[str, AttributeStats] = {}
    nd = len(DESCRIPTORS)
    for row in rows:
        name = str(row[0])
        counts = {d: int(str(row[1 + i] or 0)) for i, d in enumerate(DESCRIPTORS)}
        n = _number_stats(row[1 + nd : 5 + nd])
        ns = _number_stats(row[5 + nd : 9 + nd])
        out[name] = AttributeStats(name, {d: c for d, c in counts.items() if c}, n, ns)
    return out


def _number_stats(values: Sequence[object]) -> NumberStats | None:
    count = int(str(values[0] or 0))
    if not count:
        return None
    return NumberStats(count, int(str(values[1])), int(str(values[2])), bool(values[3]))


# -- values → plain JSON ----------------------------------------------------------------------
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
            expressions=[_parse("CAST(:x AS VARCHAR)", x=field(value, "M")), exp.false()],
        )
        nested_l = exp.Anonymous(
            this=FALLBACK_FUNCTION,
            expressions=[_parse("CAST(:x AS VARCHAR)", x=field(value, "L")), exp.true()],
        )
    else:
        key = exp.to_identifier(f"e{depth}")
        entry = exp.column(key)
        member = _parse(
            "CAST(to_json((:e).key) AS VARCHAR) || ':' || :body",
            e=entry,
            body=value_json(_parse("(:e).value", e=entry), depth + 1),
        )
        nested_m = _parse(
            "'{' || array_to_string(list_transform(map_entries(json_transform(:m, :st)), "
            ":fn), ',') || '}'",
            m=field(value, "M"),
            st=lit(MAP_STRUCTURE),
            fn=exp.Lambda(this=member, expressions=[key]),
        )
        element = value_json(entry, depth + 1)
        nested_l = _parse(
            "'[' || array_to_string(list_transform(json_transform(:l, :st), :fn), ',') || ']'",
            l=field(value, "L"),
            st=lit(LIST_STRUCTURE),
            fn=exp.Lambda(this=element, expressions=[key]),
        )
    return _parse(
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
    return _parse(
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


# -- typed rows -------------------------------------------------------------------------------
def _number_cast(text: exp.Expression, kind: Kind, caps: Capabilities) -> exp.Expression:
    target = caps.data_type(ColumnType(kind))
    if kind is Kind.INT64:
        # Via DECIMAL(38, 0): exact, accepts exponent notation, and (unlike a direct cast to
        # BIGINT) never rounds — the profile already proved every value is an integer.
        return exp.Cast(this=_parse("CAST(:t AS DECIMAL(38, 0))", t=text), to=target)
    if kind is Kind.NUMERIC:
        return exp.Cast(this=text, to=target)
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
        return _parse(
            'CASE WHEN (:v)."NULL" THEN NULL ELSE CAST(:j AS JSON) END',
            v=value,
            j=value_json(value),
        )
    if ctype.repeated:
        if kind in (Kind.INT64, Kind.NUMERIC, Kind.BIGNUMERIC, Kind.DECIMAL_TEXT):
            x = exp.to_identifier("x")
            return _sorted_set(
                _parse(
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
                _parse(
                    "list_transform((:v).BS, :fn)",
                    v=value,
                    fn=exp.Lambda(this=_parse("from_base64(x)"), expressions=[x]),
                )
            )
        raise ValueError(f"no DynamoDB set maps to {ctype}")
    if kind in (Kind.INT64, Kind.NUMERIC, Kind.BIGNUMERIC, Kind.DECIMAL_TEXT):
        return _number_cast(field(value, "N"), kind, caps)
    if kind is Kind.STRING:
        return field(value, "S")
    if kind is Kind.BYTES:
        return _parse("from_base64((:v).B)", v=value)
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
        projections.append(_alias(value, column.name, quoted=True))
    return exp.select(*projections).from_(stage)


def file_counts_select(stage: exp.Table, file_column: str = "filename") -> exp.Select:
    """``SELECT filename, count(*)`` per staged file."""
    f = exp.column(file_column, quoted=True)
    return (
        exp.select(f, _alias(exp.Count(this=exp.Star()), "rows", quoted=True))
        .from_(stage)
        .group_by(f)
    )


# -- column-shaped staging ---------------------------------------------------------------------
# A faster staging shape (DuckDB's Arrow stager): one column per top-level attribute, each a
# struct holding only the descriptors seen for it; nested M values are structs of their members
# and L values lists of element structs, recursively. The shape of every value is known from
# the staged schema, so the descriptor removal of M/L is generated SQL (no JSON re-parsing, no
# fallback function); the profile is computed on the Arrow chunks while they are parsed
# (aws2bq.warehouses.duckdb.arrow_profile).


@dataclass(frozen=True)
class ValueShape:
    """The staged type of a DynamoDB value: its descriptors (struct fields, in order).

    ``members`` (M: member name → shape, in struct field order) and ``element`` (L: the shape
    of every element; None if only empty lists were seen) describe nested values.
    """

    descriptors: tuple[str, ...]
    members: tuple[tuple[str, ValueShape], ...] = ()
    element: ValueShape | None = None

    def has(self, descriptor: str) -> bool:
        return descriptor in self.descriptors


def _at(value: exp.Expression, position: int) -> exp.Expression:
    """``struct_extract_at(value, position)`` (1-based): no struct field name in the SQL."""
    return exp.Anonymous(
        this="struct_extract_at", expressions=[value, exp.Literal.number(position)]
    )


def shaped_field(value: exp.Expression, shape: ValueShape, descriptor: str) -> exp.Expression:
    """The ``descriptor`` field of a staged value of ``shape`` (NULL if the shape has none)."""
    if descriptor not in shape.descriptors:
        return exp.null()
    return _at(value, shape.descriptors.index(descriptor) + 1)


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
            text = _parse("CAST(to_json(:x) AS VARCHAR)", x=x)
        elif descriptor == "N":
            text = _json_number(x, depth)
        elif descriptor == "NS":
            text = _parse("'[' || array_to_string(:x, ',') || ']'", x=_json_numbers(x, depth))
        elif descriptor == "BOOL":
            text = _parse("CASE WHEN :x THEN 'true' ELSE 'false' END", x=x)
        elif descriptor == "NULL":
            text = lit("null")
        elif descriptor == "M":
            parts = []
            for position, (name, member) in enumerate(shape.members, start=1):
                m = _at(x, position)
                key = lit(orjson.dumps(name).decode() + ":")
                parts.append(
                    _parse(
                        "CASE WHEN :m IS NOT NULL THEN :k || :j END",
                        m=m,
                        k=key,
                        j=shaped_value_json(m, member, depth + 1),
                    )
                )
            # concat_ws skips the NULLs of absent members.
            text = (
                _parse(
                    "'{' || :c || '}'",
                    c=exp.Anonymous(this="concat_ws", expressions=[lit(","), *parts]),
                )
                if parts
                else lit("{}")
            )
        elif descriptor == "L":
            if shape.element is None:
                # Only empty lists were staged (an element would have given a shape).
                text = _parse(
                    "CASE WHEN len(:x) = 0 THEN '[]' ELSE error('unexpected L element') END", x=x
                )
            else:
                var = exp.to_identifier(f"e{depth}")
                text = _parse(
                    "'[' || array_to_string(list_transform(:x, :fn), ',') || ']'",
                    x=x,
                    fn=exp.Lambda(
                        this=shaped_value_json(exp.column(var), shape.element, depth + 1),
                        expressions=[var],
                    ),
                )
        else:
            raise ValueError(f"unknown DynamoDB descriptor {descriptor!r}")
        branches.append((_parse(":x IS NOT NULL", x=x), text))
    if not branches:
        return exp.null()
    case = exp.Case()
    for condition, text in branches:
        case = case.when(condition, text)
    return case


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
            return _parse(
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
            _parse(
                "list_transform(:v, :fn)",
                v=x,
                fn=exp.Lambda(this=_number_cast(exp.column(var), kind, caps), expressions=[var]),
            )
        )
    if kind in numbers:
        return _number_cast(x, kind, caps)
    if kind is Kind.BYTES:
        if ctype.repeated:
            return _sorted_set(_parse("list_transform(:v, x -> from_base64(x))", v=x))
        return _parse("from_base64(:v)", v=x)
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
        projections.append(_alias(value, column.name, quoted=True))
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
