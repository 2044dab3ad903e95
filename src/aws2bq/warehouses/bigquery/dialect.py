"""The BigQuery dialect as data (capabilities, change features) and the SQL text aws2bq sends
to BigQuery: sqlglot's ``bigquery`` dialect, identifiers quoted as GoogleSQL's lexical rules
say.

:data:`BIGQUERY` holds the SQL-shaping facts the pure core reads (the endpoint's abilities,
cloud or emulator, are ``aws2bq.warehouses.bigquery.capabilities``). Nothing heavy is imported
here (no Google SDK), so the core's golden tests render GoogleSQL without a client.

A quoted identifier "has the same escape sequences as string literals"
(https://cloud.google.com/bigquery/docs/reference/standard-sql/lexical#quoted_identifiers,
#escape_sequences): a backtick inside it is ``\\```, a backslash ``\\\\``. sqlglot 30 doubles
the backtick (``a``b`` — a syntax error in GoogleSQL) and writes a backslash as it is (read
back as the start of an escape: ``a\\b`` is ``a`` + backspace). Everything else renders as
sqlglot renders it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from types import MappingProxyType
from typing import Any

import sqlglot.expressions as exp
from sqlglot.dialects.bigquery import BigQuery

from aws2bq.core.capabilities import (
    Capabilities,
    ChangeFeatures,
    DecimalRule,
    ValueSql,
)
from aws2bq.core.naming import BIGQUERY_NAMES
from aws2bq.core.schema import Kind

#: Characters a quoted identifier cannot hold as they are.
_NEEDS_ESCAPE = re.compile(r"[`\\\x00-\x1f\x7f]")
_ESCAPES = {"`": "\\`", "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quote_identifier(name: str) -> str:
    """``name`` as a GoogleSQL quoted identifier (backticks, escapes where needed)."""

    def escape(match: re.Match[str]) -> str:
        char = match.group(0)
        return _ESCAPES.get(char) or f"\\x{ord(char):02x}"

    return f"`{_NEEDS_ESCAPE.sub(escape, name)}`"


#: sqlglot types ``Dialect.Generator`` as a class variable: subclassed through ``Any``.
_Generator: Any = BigQuery.Generator


class Aws2bqBigQuery(BigQuery):
    """sqlglot's BigQuery dialect with :func:`quote_identifier` for identifiers."""

    class Generator(_Generator):  # type: ignore[misc]
        def identifier_sql(self, expression: exp.Identifier) -> str:
            if _NEEDS_ESCAPE.search(expression.name):
                return quote_identifier(expression.name)
            return str(super().identifier_sql(expression))


DIALECT = Aws2bqBigQuery()


def render(statement: exp.Expression) -> str:
    """The GoogleSQL text of ``statement``."""
    return DIALECT.generate(statement)


def row_hash(values: Sequence[exp.Expression]) -> exp.Expression:
    """``FARM_FINGERPRINT(TO_JSON_STRING(STRUCT(…)))``: a 64-bit fingerprint of the values."""
    fields = [
        exp.PropertyEQ(this=exp.to_identifier(f"c{i}"), expression=v) for i, v in enumerate(values)
    ]
    text = exp.Anonymous(this="TO_JSON_STRING", expressions=[exp.Struct(expressions=fields)])
    return exp.Anonymous(this="FARM_FINGERPRINT", expressions=[text])


# https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language
# #alter_column_set_data_type_statement: only these coercions are allowed in place.
CHANGES = ChangeFeatures(
    merge=True,
    row_hash=row_hash,
    partitioning=True,
    # https://cloud.google.com/bigquery/docs/clustered-tables#cluster_column_types
    # and #limitations (up to four columns).
    cluster_kinds=frozenset(
        {
            Kind.BIGNUMERIC,
            Kind.BOOL,
            Kind.DATE,
            Kind.DATETIME,
            Kind.GEOGRAPHY,
            Kind.INT64,
            Kind.NUMERIC,
            Kind.STRING,
            Kind.TIMESTAMP,
            Kind.DECIMAL,
            Kind.DECIMAL_TEXT,
        }
    ),
    max_cluster_columns=4,
    cast_arrays=False,
    # https://cloud.google.com/bigquery/docs/reference/standard-sql/data-types
    # #array_nulls: "BigQuery translates a NULL ARRAY into an empty ARRAY".
    null_array_is_empty=True,
    alter_type=frozenset(
        {
            (Kind.INT64, Kind.NUMERIC),
            (Kind.INT64, Kind.BIGNUMERIC),
            (Kind.INT64, Kind.FLOAT64),
            (Kind.NUMERIC, Kind.BIGNUMERIC),
            (Kind.NUMERIC, Kind.FLOAT64),
        }
    ),
)


def map_array(
    value: exp.Expression, element: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression:
    """``ARRAY(SELECT f(x) FROM UNNEST(value) AS x WITH OFFSET AS o ORDER BY o)``."""
    x = exp.to_identifier("_aws2bq_x")
    offset = exp.to_identifier("_aws2bq_o")
    converted = element(exp.column(x))
    select = (
        exp.select(converted)
        .from_(exp.Unnest(expressions=[value], alias=exp.TableAlias(columns=[x]), offset=offset))
        .order_by(exp.column(offset))
    )
    if not isinstance(converted, exp.Cast):
        # A stored array has no NULL element and a conversion keeps a value non-NULL; the
        # filter says so where it is not plain (BigQuery refuses arrays with NULL
        # elements: https://cloud.google.com/bigquery/docs/reference/standard-sql/
        # data-types#array_nulls).
        select = select.where(exp.Not(this=exp.Is(this=converted.copy(), expression=exp.null())))
    return exp.Array(expressions=[select])


def to_json(value: exp.Expression) -> exp.Expression:
    """``TO_JSON(value, stringify_wide_numbers => TRUE)``.

    BigQuery's TO_JSON fails on a NUMERIC / BIGNUMERIC a JSON number cannot hold exactly and
    writes INT64 beyond 2^53 as a number readers round: such numbers become strings
    (https://cloud.google.com/bigquery/docs/reference/standard-sql/json_functions#to_json).
    """
    wide = exp.Kwarg(this=exp.var("stringify_wide_numbers"), expression=exp.true())
    return exp.Anonymous(this="TO_JSON", expressions=[value, wide])


def to_base64(value: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this="TO_BASE64", expressions=[value])


def geometry_bytes(value: exp.Expression) -> exp.Expression:
    """The SRID, then ``ST_ASBINARY`` (the WKB) of the GEOGRAPHY."""
    srid = exp.Anonymous(this="FROM_HEX", expressions=[exp.Literal.string("e6100000")])
    wkb = exp.Anonymous(this="ST_ASBINARY", expressions=[value])
    return exp.Concat(expressions=[srid, wkb])


def clock_text(value: exp.Expression, kind: Kind) -> exp.Expression:
    """A DATETIME / TIME as PostgreSQL and MySQL print it, built from its parts (BigQuery's
    cast to text always writes the fraction)."""
    fmt = "FORMAT_DATETIME" if kind is Kind.DATETIME else "FORMAT_TIME"
    pattern = "%Y-%m-%d %H:%M:%S" if kind is Kind.DATETIME else "%H:%M:%S"
    whole = exp.Anonymous(this=fmt, expressions=[exp.Literal.string(pattern), value])
    micros = exp.Extract(this=exp.var("MICROSECOND"), expression=value)
    fraction = exp.Anonymous(
        this="RTRIM",
        expressions=[
            exp.Anonymous(this="FORMAT", expressions=[exp.Literal.string("%06d"), micros]),
            exp.Literal.string("0"),
        ],
    )
    tail = exp.If(
        this=exp.GT(this=micros.copy(), expression=exp.Literal.number(0)),
        true=exp.DPipe(this=exp.Literal.string("."), expression=fraction),
        false=exp.Literal.string(""),
    )
    return exp.DPipe(this=whole, expression=tail)


def micros_timestamp(micros: exp.Expression) -> exp.Expression:
    """``TIMESTAMP_MICROS(m)``."""
    return exp.Anonymous(this="TIMESTAMP_MICROS", expressions=[micros])


VALUES = ValueSql(
    map_array=map_array,
    to_json=to_json,
    to_base64=to_base64,
    geometry_bytes=geometry_bytes,
    clock_text=clock_text,
    micros_timestamp=micros_timestamp,
)

BIGQUERY = Capabilities(
    name="bigquery",
    dialect="bigquery",
    type_names=MappingProxyType(
        {
            Kind.NULL: "STRING",
            Kind.STRING: "STRING",
            Kind.INT64: "INT64",
            Kind.NUMERIC: "NUMERIC",
            Kind.BIGNUMERIC: "BIGNUMERIC",
            Kind.DECIMAL_TEXT: "STRING",
            Kind.BYTES: "BYTES",
            Kind.BOOL: "BOOL",
            Kind.JSON: "JSON",
            Kind.FLOAT64: "FLOAT64",
            Kind.DATE: "DATE",
            Kind.DATETIME: "DATETIME",
            Kind.TIMESTAMP: "TIMESTAMP",
            Kind.DECIMAL: "STRING",
            Kind.INTERVAL: "INTERVAL",
            Kind.TIME: "TIME",
            Kind.GEOGRAPHY: "GEOGRAPHY",
        }
    ),
    # NUMERIC: 29 integer digits + 9 decimals; BIGNUMERIC: 38 + 38 (export-formats.md §3,
    # decimalTargetTypes); design.md's MySQL table.
    decimal_rules=(
        DecimalRule("NUMERIC", 76, 29, 9),
        DecimalRule("BIGNUMERIC", 76, 38, 38),
    ),
    array_template="ARRAY<{}>",
    changes=CHANGES,
    values=VALUES,
    column_names=BIGQUERY_NAMES,
    # https://cloud.google.com/bigquery/docs/schemas#column_descriptions (1,024 characters).
    max_description_length=1024,
    # https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language
    # #alter_table_add_column_statement: "ADD COLUMN … [, ADD COLUMN …]".
    multi_action_alter=True,
    transactional_ddl=False,
    array_null_elements=False,
)
