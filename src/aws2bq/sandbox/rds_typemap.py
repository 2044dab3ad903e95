"""AWS's type mapping of RDS snapshot exports: source column → Parquet column (pure, no I/O).

Sources: AmazonRDS UserGuide ``USER_ExportSnapshot.data-types`` (the zh_cn/ja_jp pages carry
the whole MySQL table: BIGINT UNSIGNED → FIXED_LEN_BYTE_ARRAY(9) DECIMAL(20,0); DECIMAL stored
as INT32 / INT64 / FIXED_LEN_BYTE_ARRAY with DECIMAL(p,s), and as a UTF-8 STRING when p > 38;
FLOAT and DOUBLE → DOUBLE; INT/MEDIUMINT → INT32, UNSIGNED → INT64) and docs/export-formats.md
§2 for the rows marked there as not confirmed (temporal types, strings, GEOMETRY).

Choices where AWS's exact output could not be confirmed (see the module docstring of
:mod:`aws2bq.sandbox.rds_exports` for the full list):

- DATE is written as its MySQL text, ``yyyy-MM-dd``; a zero or partly zero date
  (``0000-00-00``, ``2024-00-15``) is written verbatim, because a STRING column can carry it
  and the loader's ``SAFE.PARSE_DATE`` turns it into NULL anyway.
- DATETIME and TIMESTAMP are INT64 ``TIMESTAMP(MICROS, isAdjustedToUTC=true)`` as Spark writes
  them; DATETIME holds the wall clock read as if it were UTC, TIMESTAMP the UTC instant. A zero
  DATETIME/TIMESTAMP cannot be a timestamp and becomes NULL (as data-prepper's
  ``TemporalTypeHandler`` does).
- TIME is MySQL's own text (``-838:59:59``, ``12:00:00.500000``).
- ``expectedExportedType`` uses lowercase Parquet-ish names: ``int32``, ``int64``, ``float``,
  ``double``, ``boolean``, ``binary``, ``string``, ``decimal(p,s)``, ``timestamp``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Context, Decimal
from typing import Any

import pyarrow as pa

#: Characters that make AWS skip a table when they appear in a column name (export-formats.md
#: "Limits", from the UserGuide's USER_ExportSnapshot "Limitations").
SKIP_COLUMN_CHARS = frozenset(",;{}()\n\t= ")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Converter = Callable[[Any], Any]


@dataclass(frozen=True)
class ColumnSpec:
    """One source column and how it is exported."""

    name: str
    original_type: str
    arrow_type: pa.DataType
    exported_type: str
    char_max_length: int = 0
    num_precision: int = 0
    datetime_precision: int = 0
    convert: Converter | None = None

    def type_mapping(self) -> dict[str, Any]:
        """The column's ``originalTypeMappings`` entry of ``export_tables_info``."""
        return {
            "columnName": self.name,
            "originalType": self.original_type,
            "expectedExportedType": self.exported_type,
            "originalCharMaxLength": self.char_max_length,
            "originalNumPrecision": self.num_precision,
            "originalDateTimePrecision": self.datetime_precision,
        }

    def to_arrow(self, values: list[Any]) -> pa.Array:
        """Convert one batch of driver values (None = NULL) to this column's Arrow array."""
        if self.convert is not None:
            conv = self.convert
            values = [None if v is None else conv(v) for v in values]
        return pa.array(values, type=self.arrow_type)


def skip_reason(table: str, columns: list[str]) -> str | None:
    """Why AWS would skip this table (``None`` if it exports it)."""
    if "/" in table:
        return f"The table name {table!r} contains '/'."
    for name in columns:
        if SKIP_COLUMN_CHARS & set(name):
            return f"The column name {name!r} contains a character that is not supported."
    return None


def s3_safe(name: str) -> str:
    """A database/table name as it appears in export paths: ``\\ ` "`` and space become ``_``."""
    return re.sub(r'[\\`" ]', "_", name)


# -- converters -------------------------------------------------------------------------------
def _text(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def _binary(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)


def _bit(width: int) -> Converter:
    def convert(value: Any) -> bytes:
        if isinstance(value, int):  # the SQLite sample stores BIT(n) as an integer
            return value.to_bytes(max(1, (width + 7) // 8), "big")
        return bytes(value)

    return convert


def _mysql_date(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return _text(value)


def _mysql_time(value: Any) -> str:
    if isinstance(value, timedelta):
        micros = value // timedelta(microseconds=1)
        sign = "-" if micros < 0 else ""
        micros = abs(micros)
        seconds, frac = divmod(micros, 1_000_000)
        text = f"{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        return text + (f".{frac:06d}" if frac else "")
    return _text(value)


def _mysql_timestamp_micros(value: Any) -> int | None:
    """MySQL DATETIME/TIMESTAMP text (read in UTC) → microseconds since the epoch, UTC."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        try:
            moment = datetime.fromisoformat(_text(value)).replace(tzinfo=UTC)
        except ValueError:
            return None  # zero dates ('0000-00-00 00:00:00') have no instant
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _decimal(scale: int) -> Converter:
    quantum = Decimal(1).scaleb(-scale)
    # The default context keeps 28 digits; DECIMAL(38,x) needs more to stay exact.
    context = Context(prec=80)

    def convert(value: Any) -> Decimal:
        return Decimal(_text(value)).quantize(quantum, context=context)

    return convert


def _unsigned_bigint(value: Any) -> Decimal:
    return Decimal(int(value))


# -- MySQL / MariaDB --------------------------------------------------------------------------
_INT32 = pa.int32()
_INT64 = pa.int64()
_TIMESTAMP = pa.timestamp("us", tz="UTC")
_STRING_TYPES = {
    "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "json",
    "uuid", "inet4", "inet6",
}  # fmt: skip
_BINARY_TYPES = {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"}
_GEOMETRY_TYPES = {
    "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
    "multipolygon", "geometrycollection", "geomcollection",
}  # fmt: skip


def mysql_column(
    name: str,
    data_type: str,
    column_type: str,
    *,
    char_max_length: int | None = None,
    num_precision: int | None = None,
    num_scale: int | None = None,
    datetime_precision: int | None = None,
) -> ColumnSpec:
    """How AWS exports a MySQL/MariaDB column (``information_schema.COLUMNS`` values).

    ``data_type`` is ``DATA_TYPE`` (``json`` for MariaDB's JSON alias of LONGTEXT);
    ``column_type`` is ``COLUMN_TYPE`` (it carries ``unsigned`` and the BIT width).
    """
    dtype = data_type.lower()
    unsigned = "unsigned" in column_type.lower()
    prec, scale = int(num_precision or 0), int(num_scale or 0)
    common: dict[str, Any] = {
        "char_max_length": int(char_max_length or 0),
        "num_precision": prec,
        "datetime_precision": int(datetime_precision or 0),
    }
    original = f"{dtype} unsigned" if unsigned else dtype

    def spec(arrow: pa.DataType, exported: str, convert: Converter | None) -> ColumnSpec:
        return ColumnSpec(name, original, arrow, exported, convert=convert, **common)

    if dtype in ("tinyint", "smallint", "year") or (dtype in ("int", "mediumint") and not unsigned):
        return spec(_INT32, "int32", int)
    if dtype in ("int", "mediumint", "integer") or (dtype == "bigint" and not unsigned):
        return spec(_INT64, "int64", int)
    if dtype == "bigint":  # unsigned: Parquet has no unsigned 64-bit, so DECIMAL(20,0) in 9 bytes
        return spec(pa.decimal128(20, 0), "decimal(20,0)", _unsigned_bigint)
    if dtype in ("decimal", "numeric"):
        if prec > 38:  # beyond Parquet's DECIMAL: the exact text, as UTF-8
            return spec(pa.string(), "string", _text)
        return spec(pa.decimal128(prec, scale), f"decimal({prec},{scale})", _decimal(scale))
    if dtype in ("float", "double", "real"):
        return spec(pa.float64(), "double", float)
    if dtype == "date":
        return spec(pa.string(), "string", _mysql_date)
    if dtype == "time":
        return spec(pa.string(), "string", _mysql_time)
    if dtype in ("datetime", "timestamp"):
        return spec(_TIMESTAMP, "timestamp", _mysql_timestamp_micros)
    if dtype == "bit":
        return spec(pa.binary(), "binary", _bit(prec or 1))
    if dtype in _BINARY_TYPES or dtype in _GEOMETRY_TYPES:
        # GEOMETRY values are read in MySQL's internal format: 4-byte SRID + WKB.
        return spec(pa.binary(), "binary", _binary)
    if dtype in _STRING_TYPES:
        return spec(pa.string(), "string", _text)
    return spec(pa.string(), "string", _text)  # anything newer: its text form


# -- PostgreSQL -------------------------------------------------------------------------------
#: PostgreSQL types exported natively; every other type is exported as its text output.
PG_NATIVE: dict[str, tuple[pa.DataType, str]] = {
    "smallint": (_INT32, "int32"),
    "integer": (_INT32, "int32"),
    "bigint": (_INT64, "int64"),
    "real": (pa.float32(), "float"),
    "double precision": (pa.float64(), "double"),
    "boolean": (pa.bool_(), "boolean"),
    "bytea": (pa.binary(), "binary"),
}


def pg_column(
    name: str,
    data_type: str,
    display_type: str,
    *,
    char_max_length: int | None = None,
    num_precision: int | None = None,
    datetime_precision: int | None = None,
) -> ColumnSpec:
    """How AWS exports a PostgreSQL column (``information_schema.columns`` values).

    ``display_type`` is ``format_type()`` of the column; it is reported for arrays and
    user-defined types, where ``data_type`` only says ``ARRAY`` / ``USER-DEFINED``.
    """
    common: dict[str, Any] = {
        "char_max_length": int(char_max_length or 0),
        "num_precision": int(num_precision or 0),
        "datetime_precision": int(datetime_precision or 0),
    }
    original = display_type if data_type in ("ARRAY", "USER-DEFINED") else data_type
    if data_type in PG_NATIVE:
        arrow, exported = PG_NATIVE[data_type]
        convert: Converter | None = _binary if data_type == "bytea" else None
        return ColumnSpec(name, original, arrow, exported, convert=convert, **common)
    return ColumnSpec(name, original, pa.string(), "string", convert=_text, **common)


def pg_is_native(data_type: str) -> bool:
    """Whether the column is read as is (else it is read as ``::text``)."""
    return data_type in PG_NATIVE
