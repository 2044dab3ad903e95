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

from aws2bq.core.naming import BIGQUERY_NAMES, DUCKDB_NAMES, NameRule
from aws2bq.core.schema import ColumnType, Kind


@dataclass(frozen=True)
class DecimalRule:
    """An exact decimal type and the DECIMAL(p,s) it holds."""

    template: str
    max_precision: int
    max_integer_digits: int
    max_scale: int

    def holds(self, precision: int, scale: int) -> bool:
        return (
            precision <= self.max_precision
            and precision - scale <= self.max_integer_digits
            and scale <= self.max_scale
        )


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
    #: Which column names the warehouse accepts (source names are kept where it does).
    column_names: NameRule = BIGQUERY_NAMES
    #: Longest column description accepted (characters); None = no limit.
    max_description_length: int | None = None
    #: Whether CREATE/DROP/ALTER ... RENAME may run inside a transaction with DML (DuckDB yes;
    #: BigQuery multi-statement transactions allow DML only).
    transactional_ddl: bool = True
    #: Whether one ``ALTER TABLE`` may carry several actions (``ADD COLUMN a …, ADD COLUMN b
    #: …``): BigQuery yes (one table metadata update instead of one per column), DuckDB no.
    multi_action_alter: bool = False
    #: Whether the warehouse has a BIGNUMERIC-like exact type with 38+38 digits.
    has_bignumeric: bool = False
    #: Whether an array column may hold NULL elements (BigQuery: no, "an array cannot have a
    #: NULL element", https://cloud.google.com/bigquery/docs/reference/standard-sql/data-types
    #: #array_nulls); an array with one does not fit ARRAY<…> there.
    array_null_elements: bool = True
    #: Type of timestamps with a time zone (``_aws2bq_exported_at``).
    timestamp_type: str = "TIMESTAMPTZ"
    #: Whether PRIMARY KEY constraints are enforced (the ledger relies on it when True).
    enforces_primary_keys: bool = False
    #: Extra notes (e.g. emulator gaps), free form, for messages only.
    notes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: How ``DECIMAL(p,s)`` is stored: the first rule whose limits hold gives the type
    #: (``{p}`` / ``{s}`` are filled in); if none does, ``type_names[Kind.DECIMAL]`` (exact text).
    decimal_rules: tuple[DecimalRule, ...] = ()

    def physical_type(self, ctype: ColumnType) -> str:
        """The physical SQL type text of a logical type in this warehouse."""
        element = self.type_names[ctype.kind]
        if ctype.kind is Kind.DECIMAL and ctype.precision is not None:
            element = self.decimal_type(ctype.precision, ctype.scale or 0) or element
        return self.array_template.format(element) if ctype.repeated else element

    def decimal_type(self, precision: int, scale: int) -> str | None:
        """The exact decimal type holding ``DECIMAL(precision, scale)``, or None (use text)."""
        for rule in self.decimal_rules:
            if rule.holds(precision, scale):
                return rule.template.format(p=precision, s=scale)
        return None

    def description(self, text: str) -> str:
        """``text`` as a column description this warehouse accepts: cut to
        ``max_description_length`` with a marker saying how long it was (the full name stays
        in the ledger's schema)."""
        limit = self.max_description_length
        if limit is None or len(text) <= limit:
            return text
        marker = f"… ({len(text)} characters)"
        return text[: limit - len(marker)] + marker

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
    column_names=DUCKDB_NAMES,
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
    column_names=BIGQUERY_NAMES,
    # https://cloud.google.com/bigquery/docs/schemas#column_descriptions (1,024 characters).
    max_description_length=1024,
    # https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language
    # #alter_table_add_column_statement: "ADD COLUMN … [, ADD COLUMN …]".
    multi_action_alter=True,
    transactional_ddl=False,
    has_bignumeric=True,
    array_null_elements=False,
    timestamp_type="TIMESTAMP",
)

#: Known capabilities by warehouse name.
BY_NAME: Mapping[str, Capabilities] = MappingProxyType({c.name: c for c in (DUCKDB, BIGQUERY)})
