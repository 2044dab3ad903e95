"""The RDS type decision: ``originalTypeMappings`` + what the Parquet files hold → logical types.

Pure and deterministic. design.md's MySQL and PostgreSQL tables, as implemented:

MySQL / MariaDB (``originalType``)                 → logical type
- tinyint … bigint, year (signed; unsigned but bigint) → INT64
- bigint unsigned                                     → DECIMAL(20,0)
- decimal(p,s), p ≤ 38 (Parquet DECIMAL, any storage) → DECIMAL(p,s)
- decimal(p,s), p > 38 (Parquet STRING)               → by the digits seen: BIGNUMERIC if
  ≤38 integer and ≤38 decimal digits, else DECIMAL_TEXT (DuckDB keeps both as exact text)
- float, double, real                                 → FLOAT64
- date                                                → DATE (zero dates → NULL)
- datetime                                            → DATETIME (wall clock)
- timestamp                                           → TIMESTAMP (UTC)
- time                                                → INTERVAL (±838:59:59.ffffff)
- char, varchar, *text, enum, uuid, inet*             → STRING
- set                                                 → ARRAY<STRING> (split on ',')
- json                                                → JSON
- bit(1) / bit(n ≤ 63) / bit(64)                      → BOOL / INT64 / DECIMAL(20,0)
- binary, varbinary, *blob                            → BYTES
- geometry & co (SRID + WKB)                          → GEOGRAPHY (DuckDB: WKB BLOB) when
  every value has SRID 4326; else BYTES holding MySQL's SRID + WKB verbatim (widened)

PostgreSQL (everything but integers, floats, boolean and bytea arrives as text)
- smallint, integer, bigint → INT64; real, double precision → FLOAT64; boolean → BOOL;
  bytea → BYTES; date → DATE; timestamp without time zone → DATETIME; timestamp with time
  zone → TIMESTAMP; time without time zone → TIME; interval → INTERVAL; json, jsonb → JSON;
  uuid, text, varchar, char, enums, everything else → STRING;
- numeric(p), p ≤ 38 → DECIMAL(p, s) with s the largest scale seen (PostgreSQL prints the
  declared scale); unconstrained numeric or p > 38 → by the digits seen: NUMERIC (≤29 and
  ≤9), BIGNUMERIC (≤38 and ≤38), else DECIMAL_TEXT — never assumed (38,9); a NaN or
  Infinity anywhere → DECIMAL_TEXT;
- one-dimensional arrays of integers, floats, booleans or text → ARRAY of that kind; arrays of
  anything else → JSON (an array of the elements' text).

A value the chosen type cannot hold is never rounded or wrapped: the SQL that converts it
fails the table, naming the column and the value (:mod:`aws2bq.core.rds_sql`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aws2bq.core.dynamodb_types import BIGNUMERIC_LIMITS, NUMERIC_LIMITS, SYSTEM_COLUMNS
from aws2bq.core.naming import BIGQUERY_NAMES, NameRule, assign_names
from aws2bq.core.schema import JSON_TYPE, Column, ColumnType, Kind, Role, TableSchema


class Engine(StrEnum):
    """The source engine family (decides how text values are spelled)."""

    MYSQL = "mysql"
    POSTGRES = "postgres"


class Raw(StrEnum):
    """What a Parquet file holds for a column, as the warehouse reads it."""

    INT = "INT"
    DECIMAL = "DECIMAL"
    FLOAT = "FLOAT"
    BOOL = "BOOL"
    STRING = "STRING"
    BINARY = "BINARY"
    DATE = "DATE"
    #: A Parquet timestamp with ``isAdjustedToUTC=true`` (an instant).
    TIMESTAMP_UTC = "TIMESTAMP_UTC"
    #: A Parquet timestamp with ``isAdjustedToUTC=false`` (a wall clock).
    TIMESTAMP_LOCAL = "TIMESTAMP_LOCAL"
    TIME = "TIME"
    #: Anything else (a nested type, an unknown annotation): refused with a clear error.
    OTHER = "OTHER"


@dataclass(frozen=True)
class RawType:
    """A column's storage in one group of files (``precision``/``scale`` for DECIMAL)."""

    raw: Raw
    precision: int | None = None
    scale: int | None = None

    def __str__(self) -> str:
        if self.raw is Raw.DECIMAL:
            return f"DECIMAL({self.precision},{self.scale})"
        return str(self.raw)


class Semantic(StrEnum):
    """What a source column's values mean (independent of how the file stores them)."""

    INTEGER = "integer"
    UNSIGNED_BIGINT = "unsigned_bigint"
    DECIMAL = "decimal"  # a declared precision ≤ 38 with a Parquet DECIMAL, or profiled
    NUMBER_TEXT = "number_text"  # digits to be profiled (MySQL p>38, PostgreSQL numeric)
    FLOAT = "float"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"
    TIMESTAMP = "timestamp"
    DURATION = "duration"  # MySQL TIME
    INTERVAL = "interval"  # PostgreSQL interval
    TIME_OF_DAY = "time_of_day"  # PostgreSQL time
    STRING = "string"
    SET = "set"
    JSON = "json"
    BIT = "bit"
    BINARY = "binary"
    GEOMETRY = "geometry"
    ARRAY = "array"  # PostgreSQL one-dimensional array → ARRAY of a scalar kind
    ARRAY_JSON = "array_json"  # PostgreSQL array of anything else → JSON


@dataclass(frozen=True)
class SourceColumn:
    """One entry of ``schemaMetadata.originalTypeMappings``."""

    name: str
    original_type: str
    expected_exported_type: str = ""
    char_max_length: int = 0
    num_precision: int = 0
    datetime_precision: int = 0

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> SourceColumn:
        def number(key: str) -> int:
            try:
                return int(data.get(key) or 0)
            except (TypeError, ValueError):
                return 0

        return cls(
            name=str(data["columnName"]),
            original_type=str(data.get("originalType", "")),
            expected_exported_type=str(data.get("expectedExportedType", "")),
            char_max_length=number("originalCharMaxLength"),
            num_precision=number("originalNumPrecision"),
            datetime_precision=number("originalDateTimePrecision"),
        )


@dataclass(frozen=True)
class NumberProfile:
    """Digits of a text-stored number column, as a profiling query found them.

    ``max_integer_digits`` / ``max_scale`` count significant digits (leading and trailing
    zeros dropped); ``max_text_scale`` counts every digit after the point as written
    (PostgreSQL prints a constrained numeric's declared scale); ``non_finite`` counts values
    that are not plain decimals (NaN, Infinity, anything unparsable).
    """

    count: int = 0
    max_integer_digits: int = 0
    max_scale: int = 0
    max_text_scale: int = 0
    non_finite: int = 0

    def merge(self, other: NumberProfile) -> NumberProfile:
        """The profile of both sets of values (e.g. two groups of Parquet files)."""
        return NumberProfile(
            self.count + other.count,
            max(self.max_integer_digits, other.max_integer_digits),
            max(self.max_scale, other.max_scale),
            max(self.max_text_scale, other.max_text_scale),
            self.non_finite + other.non_finite,
        )


#: Semantics converted from text by a conversion that may not fit (see ColumnPlan.wider_types).
_TEXT_CONVERTED = frozenset(
    {
        Semantic.DATE,
        Semantic.DATETIME,
        Semantic.TIMESTAMP,
        Semantic.TIME_OF_DAY,
        Semantic.INTERVAL,
        Semantic.DURATION,
        Semantic.BOOL,
        Semantic.JSON,
        Semantic.BINARY,
        Semantic.INTEGER,
        Semantic.FLOAT,
    }
)


@dataclass(frozen=True)
class ColumnPlan:
    """How one source column becomes one destination column."""

    source: SourceColumn
    semantic: Semantic
    column: Column
    #: For ARRAY: the element's semantic (INTEGER, FLOAT, BOOL, STRING).
    element: Semantic | None = None
    #: For BIT: the declared width.
    width: int = 0

    @property
    def needs_profile(self) -> bool:
        return self.semantic is Semantic.NUMBER_TEXT

    def wider_types(self) -> tuple[ColumnType, ...]:
        """The types this column widens to, in order, when a valid source value does not fit
        its planned type (issue 10.4: widen and report, never refuse valid data).

        An array becomes JSON (nesting, NULL elements and lower bounds kept), then its exact
        text; a value converted from text (dates, times, intervals, booleans, JSON, bytea,
        numbers stored as text) its exact text; a geometry not in SRID 4326 (or not
        readable as a GEOGRAPHY) its bytes as MySQL stores them. Other columns cannot fail
        to convert.
        """
        text = ColumnType(Kind.STRING)
        if self.semantic is Semantic.GEOMETRY:
            # A GEOGRAPHY holds SRID 4326 only: other SRIDs (0, projected) keep MySQL's
            # SRID + WKB bytes, nothing reinterpreted (docs/type-contract.md).
            return (ColumnType(Kind.BYTES),)
        if self.semantic is Semantic.ARRAY:
            return (JSON_TYPE, text)
        if self.semantic is Semantic.ARRAY_JSON or self.semantic in _TEXT_CONVERTED:
            return (text,)
        return ()

    def widening(self) -> ColumnType | None:
        """The next wider type of :meth:`wider_types` after the current one (None: none)."""
        chain = self.wider_types()
        current = self.column.type
        if current in chain:
            index = chain.index(current) + 1
            return chain[index] if index < len(chain) else None
        return chain[0] if chain else None


@dataclass(frozen=True)
class TablePlan:
    """The destination schema of one exported table and each column's plan."""

    schema: TableSchema
    columns: tuple[ColumnPlan, ...]
    #: Key columns (source names) asked for but not in the table.
    missing_keys: tuple[str, ...] = field(default=())

    def by_source(self) -> dict[str, ColumnPlan]:
        return {p.source.name: p for p in self.columns}


# -- MySQL ------------------------------------------------------------------------------------
_MYSQL_INTEGERS = frozenset(
    {"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year"}
)
_MYSQL_STRINGS = frozenset(
    {
        "char",
        "varchar",
        "tinytext",
        "text",
        "mediumtext",
        "longtext",
        "enum",
        "uuid",
        "inet4",
        "inet6",
    }
)
_MYSQL_BINARY = frozenset({"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"})
_MYSQL_GEOMETRY = frozenset(
    {
        "geometry",
        "point",
        "linestring",
        "polygon",
        "multipoint",
        "multilinestring",
        "multipolygon",
        "geometrycollection",
        "geomcollection",
    }
)
_DECIMAL_EXPORTED = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")

MAX_DECIMAL_PRECISION = 38


def _mysql(col: SourceColumn, raws: Sequence[RawType]) -> tuple[Semantic, ColumnType, int]:
    original = col.original_type.lower().strip()
    unsigned = original.endswith(" unsigned")
    base = original.removesuffix(" unsigned").split("(")[0].strip()
    if base == "bigint" and unsigned:
        return Semantic.UNSIGNED_BIGINT, ColumnType.decimal(20, 0), 0
    if base in _MYSQL_INTEGERS:
        return Semantic.INTEGER, ColumnType(Kind.INT64), 0
    if base in ("decimal", "numeric", "dec", "fixed"):
        declared = _declared_decimal(col, raws)
        if declared is not None:
            return Semantic.DECIMAL, ColumnType.decimal(*declared), 0
        return Semantic.NUMBER_TEXT, ColumnType(Kind.BIGNUMERIC), 0
    if base in ("float", "double", "real", "double precision"):
        return Semantic.FLOAT, ColumnType(Kind.FLOAT64), 0
    if base == "date":
        return Semantic.DATE, ColumnType(Kind.DATE), 0
    if base == "datetime":
        return Semantic.DATETIME, ColumnType(Kind.DATETIME), 0
    if base == "timestamp":
        return Semantic.TIMESTAMP, ColumnType(Kind.TIMESTAMP), 0
    if base == "time":
        return Semantic.DURATION, ColumnType(Kind.INTERVAL), 0
    if base == "set":
        return Semantic.SET, ColumnType(Kind.STRING, repeated=True), 0
    if base == "json":
        return Semantic.JSON, ColumnType(Kind.JSON), 0
    if base == "bit":
        width = col.num_precision or 1
        if width == 1:
            return Semantic.BIT, ColumnType(Kind.BOOL), width
        if width <= 63:
            return Semantic.BIT, ColumnType(Kind.INT64), width
        return Semantic.BIT, ColumnType.decimal(20, 0), width
    if base in _MYSQL_BINARY:
        return Semantic.BINARY, ColumnType(Kind.BYTES), 0
    if base in _MYSQL_GEOMETRY:
        return Semantic.GEOMETRY, ColumnType(Kind.GEOGRAPHY), 0
    if base == "boolean" or base == "bool":
        return Semantic.INTEGER, ColumnType(Kind.INT64), 0
    # CHAR, VARCHAR, TEXT, ENUM and anything newer: its text.
    return Semantic.STRING, ColumnType(Kind.STRING), 0


def _declared_decimal(col: SourceColumn, raws: Sequence[RawType]) -> tuple[int, int] | None:
    """(p, s) of a MySQL DECIMAL stored as a Parquet DECIMAL (the widest over all files)."""
    decimals = [r for r in raws if r.raw is Raw.DECIMAL and r.precision is not None]
    if decimals:
        scale = max(r.scale or 0 for r in decimals)
        integer = max((r.precision or 0) - (r.scale or 0) for r in decimals)
        return integer + scale, scale
    if any(r.raw is not Raw.DECIMAL for r in raws):
        return None  # text: profiled
    match = _DECIMAL_EXPORTED.match(col.expected_exported_type.lower().replace(" ", ""))
    if match:
        return int(match[1]), int(match[2])
    return None


# -- PostgreSQL -------------------------------------------------------------------------------
_PG_INTEGERS = frozenset({"smallint", "integer", "bigint", "int2", "int4", "int8", "int"})
_PG_FLOATS = frozenset({"real", "double precision", "float4", "float8"})
_PG_STRINGS = frozenset({"text", "character varying", "varchar", "character", "char", "bpchar"})
_PG_ARRAY_ELEMENTS: Mapping[str, tuple[Semantic, Kind]] = {
    **dict.fromkeys(_PG_INTEGERS, (Semantic.INTEGER, Kind.INT64)),
    **dict.fromkeys(_PG_FLOATS, (Semantic.FLOAT, Kind.FLOAT64)),
    **dict.fromkeys(_PG_STRINGS, (Semantic.STRING, Kind.STRING)),
    "boolean": (Semantic.BOOL, Kind.BOOL),
    "bool": (Semantic.BOOL, Kind.BOOL),
}


def _pg(col: SourceColumn) -> tuple[Semantic, ColumnType, Semantic | None]:
    original = col.original_type.lower().strip()
    if original.endswith("[]") or original.startswith("_") or original == "array":
        element = re.sub(r"\(.*\)", "", original.removesuffix("[]")).strip()
        if element in _PG_ARRAY_ELEMENTS:
            semantic, kind = _PG_ARRAY_ELEMENTS[element]
            return Semantic.ARRAY, ColumnType(kind, repeated=True), semantic
        return Semantic.ARRAY_JSON, ColumnType(Kind.JSON), None
    base = re.sub(r"\(.*?\)", "", original).strip()
    if base in _PG_INTEGERS:
        return Semantic.INTEGER, ColumnType(Kind.INT64), None
    if base in _PG_FLOATS:
        return Semantic.FLOAT, ColumnType(Kind.FLOAT64), None
    if base in ("boolean", "bool"):
        return Semantic.BOOL, ColumnType(Kind.BOOL), None
    if base == "bytea":
        return Semantic.BINARY, ColumnType(Kind.BYTES), None
    if base in ("numeric", "decimal"):
        return Semantic.NUMBER_TEXT, ColumnType(Kind.NUMERIC), None
    if base == "date":
        return Semantic.DATE, ColumnType(Kind.DATE), None
    if base in ("timestamp without time zone", "timestamp"):
        return Semantic.DATETIME, ColumnType(Kind.DATETIME), None
    if base in ("timestamp with time zone", "timestamptz"):
        return Semantic.TIMESTAMP, ColumnType(Kind.TIMESTAMP), None
    if base in ("time without time zone", "time"):
        return Semantic.TIME_OF_DAY, ColumnType(Kind.TIME), None
    if base == "interval":
        return Semantic.INTERVAL, ColumnType(Kind.INTERVAL), None
    if base in ("json", "jsonb"):
        return Semantic.JSON, ColumnType(Kind.JSON), None
    # uuid, text, varchar, char, enums, time with time zone, inet, …: the exact text.
    return Semantic.STRING, ColumnType(Kind.STRING), None


# -- profiled numbers -------------------------------------------------------------------------
def profiled_type(col: SourceColumn, engine: Engine, profile: NumberProfile | None) -> ColumnType:
    """The type of a text-stored number column from its digits.

    PostgreSQL ``numeric(p)`` with p ≤ 38 keeps its declared precision and the scale seen;
    anything else climbs NUMERIC → BIGNUMERIC → DECIMAL_TEXT (MySQL p > 38 starts at
    BIGNUMERIC: its declared precision says it may need it).
    """
    profile = profile or NumberProfile()
    if profile.non_finite:
        return ColumnType(Kind.DECIMAL_TEXT)
    if engine is Engine.POSTGRES and 0 < col.num_precision <= MAX_DECIMAL_PRECISION:
        scale = min(profile.max_text_scale, col.num_precision)
        return ColumnType.decimal(col.num_precision, scale)
    ints, scale = profile.max_integer_digits, profile.max_scale
    if engine is Engine.POSTGRES and ints <= NUMERIC_LIMITS[0] and scale <= NUMERIC_LIMITS[1]:
        return ColumnType(Kind.NUMERIC)
    if ints <= BIGNUMERIC_LIMITS[0] and scale <= BIGNUMERIC_LIMITS[1]:
        return ColumnType(Kind.BIGNUMERIC)
    return ColumnType(Kind.DECIMAL_TEXT)


# -- the decision -----------------------------------------------------------------------------
def plan_table(
    engine: Engine,
    mappings: Sequence[SourceColumn],
    raws: Mapping[str, Sequence[RawType]],
    *,
    keys: Sequence[str] = (),
    profiles: Mapping[str, NumberProfile] | None = None,
    names: NameRule = BIGQUERY_NAMES,
    previous: TableSchema | None = None,
    widened: Mapping[str, ColumnType] | None = None,
) -> TablePlan:
    """Decide the destination schema of one exported table.

    ``raws`` gives, per source column, the storage seen in each group of files (empty when
    the table has no files: the types then come from the mappings alone). ``profiles`` gives
    digits of the text-stored number columns (:attr:`ColumnPlan.needs_profile`); without one
    such a column takes the narrowest type for no values. Column order: the keys (in
    ``keys`` order), the other columns in the table's order, then the system columns.
    Columns of ``previous`` (the table's schema so far) keep their names; new ones are named
    by :func:`assign_names` under ``names``. ``widened`` gives, by source name, a wider type
    (one of :meth:`ColumnPlan.wider_types`) for columns whose values do not fit the planned
    one; a column ``previous`` already widened so stays widened (nothing narrows back).
    """
    widened = dict(widened or {})
    profiles = profiles or {}
    system_names = sorted(name for name, _ in SYSTEM_COLUMNS)
    kept = previous.by_source() if previous is not None else {}
    names_of = {m.name: kept[m.name].name for m in mappings if m.name in kept}
    taken = system_names + [c.name for c in kept.values()]
    fresh = [m.name for m in mappings if m.name not in names_of]
    names_of.update(assign_names(fresh, taken=taken, rule=names))
    plans: list[ColumnPlan] = []
    for mapping in mappings:
        column_raws = raws.get(mapping.name, ())
        element: Semantic | None = None
        width = 0
        if engine is Engine.MYSQL:
            semantic, ctype, width = _mysql(mapping, column_raws)
        else:
            semantic, ctype, element = _pg(mapping)
        if semantic is Semantic.NUMBER_TEXT:
            ctype = profiled_type(mapping, engine, profiles.get(mapping.name))
        role = Role.KEY if mapping.name in keys else Role.DATA
        column = Column(names_of[mapping.name], ctype, mapping.name, role)
        plan = ColumnPlan(mapping, semantic, column, element, width)
        chain = plan.wider_types()
        before = kept[mapping.name].type if mapping.name in kept else None
        wider = widened.get(mapping.name)
        for candidate in (before, wider):
            if candidate in chain and (
                column.type not in chain or chain.index(candidate) > chain.index(column.type)
            ):
                column = Column(column.name, candidate, column.source_name, column.role)
        plans.append(ColumnPlan(mapping, semantic, column, element, width))
    by_name = {p.source.name: p for p in plans}
    ordered = [by_name[k] for k in keys if k in by_name]
    ordered += [p for p in plans if p.source.name not in keys]
    columns = [p.column for p in ordered]
    columns += [Column(name, ctype, name, Role.SYSTEM) for name, ctype in SYSTEM_COLUMNS]
    present_keys = tuple(k for k in keys if k in by_name)
    schema = TableSchema(tuple(columns), 1, present_keys)
    missing = tuple(k for k in keys if k not in by_name)
    return TablePlan(schema, tuple(ordered), missing)


def raw_from_exported_type(text: str) -> RawType:
    """The storage ``expectedExportedType`` announces (used when a table has no files)."""
    t = text.lower().replace(" ", "")
    match = _DECIMAL_EXPORTED.match(t)
    if match:
        return RawType(Raw.DECIMAL, int(match[1]), int(match[2]))
    simple = {
        "int32": Raw.INT,
        "int64": Raw.INT,
        "int": Raw.INT,
        "float": Raw.FLOAT,
        "double": Raw.FLOAT,
        "boolean": Raw.BOOL,
        "binary": Raw.BINARY,
        "string": Raw.STRING,
        "date": Raw.DATE,
        "timestamp": Raw.TIMESTAMP_UTC,
    }
    return RawType(simple.get(t, Raw.STRING))
