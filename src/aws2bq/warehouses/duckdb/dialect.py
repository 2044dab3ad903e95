"""The DuckDB dialect as data: its capabilities, change features and SQL shapes.

Read by the pure core (type decisions, apply statements) and by the DuckDB warehouse, which
declares it as its ``capabilities``. Nothing heavy is imported here (no ``duckdb``), so the
core's golden tests render DuckDB SQL without a connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

import sqlglot.expressions as exp

from aws2bq.core.capabilities import Capabilities, ChangeFeatures, DecimalRule
from aws2bq.core.naming import DUCKDB_NAMES
from aws2bq.core.schema import Kind


def row_hash(values: Sequence[exp.Expression]) -> exp.Expression:
    """``HASH(…)``: DuckDB's 64-bit hash of a list of values (NULLs and order matter)."""
    return exp.Anonymous(this="HASH", expressions=list(values))


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
    column_names=DUCKDB_NAMES,
    transactional_ddl=True,
    enforces_primary_keys=True,
)
