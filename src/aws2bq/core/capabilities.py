"""What a warehouse can do, as data: the type decision and SQL generation read these, never a
warehouse's name.

The two known warehouses' capabilities live here (not in the warehouse packages) so the pure
core and its golden tests can render SQL for both without importing a warehouse client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import sqlglot.expressions as exp

from aws2bq.core.schema import ColumnType, Kind


@dataclass(frozen=True)
class Capabilities:
    """The facts about a warehouse that change generated SQL or type decisions."""

    #: Short name used in URLs and messages (``duckdb``, ``bigquery``).
    name: str
    #: The sqlglot dialect SQL is rendered in.
    dialect: str
    #: Physical SQL type (in ``dialect``) for each logical kind.
    type_names: Mapping[Kind, str]
    #: Template for a repeated column; ``{}`` is the element type.
    array_template: str
    #: Longest column name accepted.
    max_column_name_length: int = 300
    #: Whether CREATE/DROP/ALTER ... RENAME may run inside a transaction with DML (DuckDB yes;
    #: BigQuery multi-statement transactions allow DML only).
    transactional_ddl: bool = True
    #: Whether the warehouse has a BIGNUMERIC-like exact type with 38+38 digits.
    has_bignumeric: bool = False
    #: Type of timestamps with a time zone (``_aws2bq_exported_at``).
    timestamp_type: str = "TIMESTAMPTZ"
    #: Whether PRIMARY KEY constraints are enforced (the ledger relies on it when True).
    enforces_primary_keys: bool = False
    #: Extra notes (e.g. emulator gaps), free form, for messages only.
    notes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def physical_type(self, ctype: ColumnType) -> str:
        """The physical SQL type text of a logical type in this warehouse."""
        element = self.type_names[ctype.kind]
        return self.array_template.format(element) if ctype.repeated else element

    def data_type(self, ctype: ColumnType) -> exp.DataType:
        """The physical type as a sqlglot expression (for CAST and CREATE TABLE)."""
        return exp.DataType.build(self.physical_type(ctype), dialect=self.dialect)


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
        }
    ),
    array_template="{}[]",
    max_column_name_length=300,
    transactional_ddl=True,
    has_bignumeric=False,
    timestamp_type="TIMESTAMPTZ",
    enforces_primary_keys=True,
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
        }
    ),
    array_template="ARRAY<{}>",
    max_column_name_length=300,
    transactional_ddl=False,
    has_bignumeric=True,
    timestamp_type="TIMESTAMP",
)

#: Known capabilities by warehouse name.
BY_NAME: Mapping[str, Capabilities] = MappingProxyType({c.name: c for c in (DUCKDB, BIGQUERY)})
