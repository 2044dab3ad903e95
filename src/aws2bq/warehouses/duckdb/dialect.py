"""The DuckDB dialect as data: its capabilities, change features and SQL shapes.

Read by the pure core (type decisions, apply statements) and by the DuckDB warehouse, which
declares it as its ``capabilities``. Nothing heavy is imported here (no ``duckdb``), so the
core's golden tests render DuckDB SQL without a connection.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import MappingProxyType

import sqlglot.expressions as exp

from aws2bq.core.capabilities import (
    Capabilities,
    ChangeFeatures,
    DecimalRule,
    ValueSql,
)
from aws2bq.core.naming import DUCKDB_NAMES
from aws2bq.core.schema import ColumnType, Kind


def row_hash(values: Sequence[exp.Expression]) -> exp.Expression:
    """``HASH(…)``: DuckDB's 64-bit hash of a list of values (NULLs and order matter)."""
    return exp.Anonymous(this="HASH", expressions=list(values))


def map_array(
    value: exp.Expression, element: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression:
    """``list_transform(value, _aws2bq_x -> f(_aws2bq_x))``."""
    x = exp.to_identifier("_aws2bq_x")
    return exp.Anonymous(
        this="list_transform",
        expressions=[value, exp.Lambda(this=element(exp.column(x)), expressions=[x])],
    )


def to_json(value: exp.Expression) -> exp.Expression:
    """``CAST(to_json(value) AS JSON)``."""
    json = exp.Anonymous(this="to_json", expressions=[value])
    return exp.Cast(this=json, to=DUCKDB.data_type(ColumnType(Kind.JSON)))


def to_base64(value: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this="to_base64", expressions=[value])


def geometry_bytes(value: exp.Expression) -> exp.Expression:
    """DuckDB's GEOGRAPHY column already holds the WKB: the SRID goes in front."""
    srid = exp.Anonymous(this="unhex", expressions=[exp.Literal.string("E6100000")])
    return exp.DPipe(this=srid, expression=value)


def micros_timestamp(micros: exp.Expression) -> exp.Expression:
    """``to_timestamp(0) + to_microseconds(m)`` (no float on the way)."""
    epoch = exp.Anonymous(this="to_timestamp", expressions=[exp.Literal.number(0)])
    offset = exp.Anonymous(this="to_microseconds", expressions=[micros])
    return exp.Cast(
        this=exp.Add(this=epoch, expression=offset),
        to=DUCKDB.data_type(ColumnType(Kind.TIMESTAMP)),
    )


VALUES = ValueSql(
    map_array=map_array,
    to_json=to_json,
    to_base64=to_base64,
    geometry_bytes=geometry_bytes,
    # DuckDB's cast to text writes times as the sources print them.
    clock_text=None,
    micros_timestamp=micros_timestamp,
)

DUCKDB = Capabilities(
    name="duckdb",
    dialect="duckdb",
    type_names=MappingProxyType(
        {
            Kind.NULL: "VARCHAR",
            Kind.STRING: "VARCHAR",
            Kind.INT64: "BIGINT",
            Kind.NUMERIC: "DECIMAL(38, 9)",
            # DuckDB's DECIMAL stops at 38 digits in total: BIGNUMERIC values stay exact as text.
            Kind.BIGNUMERIC: "VARCHAR",
            Kind.DECIMAL_TEXT: "VARCHAR",
            Kind.BYTES: "BLOB",
            Kind.BOOL: "BOOLEAN",
            Kind.JSON: "JSON",
            Kind.FLOAT64: "DOUBLE",
            Kind.DATE: "DATE",
            Kind.DATETIME: "TIMESTAMP",
            Kind.TIMESTAMP: "TIMESTAMPTZ",
            # DECIMAL(p,s) beyond DuckDB's 38 digits: the exact text.
            Kind.DECIMAL: "VARCHAR",
            Kind.INTERVAL: "INTERVAL",
            Kind.TIME: "TIME",
            # WKB (the SRID stripped): the spatial extension cannot be loaded here.
            Kind.GEOGRAPHY: "BLOB",
        }
    ),
    # https://duckdb.org/docs/stable/sql/data_types/numeric: DECIMAL(WIDTH, SCALE), width ≤ 38.
    decimal_rules=(DecimalRule("DECIMAL({p}, {s})", 38, 38, 38),),
    array_template="{}[]",
    # https://duckdb.org/docs/stable/sql/statements/merge_into (DuckDB ≥ 1.4)
    changes=ChangeFeatures(merge=True, row_hash=row_hash, partitioning=False),
    values=VALUES,
    column_names=DUCKDB_NAMES,
    transactional_ddl=True,
    enforces_primary_keys=True,
)
