"""What a warehouse's SQL dialect can do, as data: the type decision and SQL generation read
these, never a warehouse's name.

This module defines the shape (:class:`Capabilities`, with its :class:`ChangeFeatures`); each
warehouse fills it in its own ``dialect`` module (``aws2bq.warehouses.duckdb.dialect.DUCKDB``,
``aws2bq.warehouses.bigquery.dialect.BIGQUERY``), which imports nothing heavy, so the pure
core's golden tests render SQL for both without a warehouse client.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import sqlglot.expressions as exp

from aws2bq.core.naming import BIGQUERY_NAMES, NameRule
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
class ChangeFeatures:
    """What shapes the change statements of one SQL dialect (``aws2bq.core.change_apply``)."""

    #: ``MERGE … WHEN MATCHED … DELETE / UPDATE … WHEN NOT MATCHED … INSERT`` in one statement;
    #: without it: DELETE + INSERT from the materialised change set.
    merge: bool
    #: The row hash of a list of values (a 64-bit fingerprint; NULLs and order matter).
    row_hash: Callable[[Sequence[exp.Expression]], exp.Expression]
    #: ``CREATE TABLE … PARTITION BY … CLUSTER BY …`` (else the layout is ignored).
    partitioning: bool
    #: ``ALTER TABLE … ADD COLUMN IF NOT EXISTS`` (idempotent in ``before``).
    add_column_if_not_exists: bool = True
    #: Type changes ``ALTER COLUMN … SET DATA TYPE`` can do in place ((old, new) kinds);
    #: ``None`` = any widening (the warehouse converts the values itself).
    alter_type: frozenset[tuple[Kind, Kind]] | None = None
    #: Kinds a table can be clustered by (non-repeated columns); empty = no clustering.
    cluster_kinds: frozenset[Kind] = frozenset()
    #: Most clustering columns a table takes.
    max_cluster_columns: int = 0
    #: ``CAST`` converts an array's elements (DuckDB); BigQuery casts an ARRAY only to its own
    #: type (https://cloud.google.com/bigquery/docs/reference/standard-sql/conversion_functions
    #: #cast_as_array), so typed arrays are taken as they are there.
    cast_arrays: bool = True
    #: The warehouse stores a NULL array as an empty one, so the row hash must not tell them
    #: apart (a snapshot's NULL set against the table's ``[]``: issue 12 fault 3).
    null_array_is_empty: bool = False


#: ``f(x)`` applied to every element of an array, in order.
ElementFunction = Callable[[exp.Expression], exp.Expression]


@dataclass(frozen=True)
class ValueSql:
    """The value conversions whose SQL differs per dialect (widening, change times), built as
    expressions by the warehouse's ``dialect`` module so the core never asks for a name."""

    #: ``f(x)`` for every element of an array value, in order (DuckDB ``list_transform``,
    #: BigQuery ``ARRAY(SELECT … FROM UNNEST(…) WITH OFFSET … ORDER BY offset)``).
    map_array: Callable[[exp.Expression, ElementFunction], exp.Expression]
    #: A typed value's JSON (arrays keep their elements; numbers exact where JSON can say it).
    to_json: Callable[[exp.Expression], exp.Expression]
    #: Base64 text of a bytes value.
    to_base64: Callable[[exp.Expression], exp.Expression]
    #: A GEOGRAPHY (SRID 4326) as MySQL stores a geometry: the SRID (E6 10 00 00), then WKB.
    geometry_bytes: Callable[[exp.Expression], exp.Expression]
    #: The text a source prints for a DATETIME / TIME value (the fraction of a second only when
    #: there is one, without trailing zeros), or None where a cast to text already writes it.
    clock_text: Callable[[exp.Expression, Kind], exp.Expression] | None
    #: Microseconds since the epoch as a TIMESTAMP WITH TIME ZONE, exactly (no float).
    micros_timestamp: Callable[[exp.Expression], exp.Expression]


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
    #: How merge, history and schema evolution statements are shaped.
    changes: ChangeFeatures
    #: How values are converted where the dialects' SQL differs.
    values: ValueSql
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
    #: Whether an array column may hold NULL elements (BigQuery: no, "an array cannot have a
    #: NULL element", https://cloud.google.com/bigquery/docs/reference/standard-sql/data-types
    #: #array_nulls); an array with one does not fit ARRAY<…> there.
    array_null_elements: bool = True
    #: Whether PRIMARY KEY constraints are enforced (the ledger relies on it when True).
    enforces_primary_keys: bool = False
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
