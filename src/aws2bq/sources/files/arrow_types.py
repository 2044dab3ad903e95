"""Storage types of parsed objects: normalise each object, unify a batch, plan the columns.

The files' types feed the same decision as an RDS export's (:func:`aws2bq.core.rds_types.
plan_table`): each column gets a storage-only "source type" (PostgreSQL spelling, whose
semantics are the plain ones: ``bigint``, ``double precision``, ``text`` …) and the
normalised Parquet's storage (:class:`~aws2bq.core.rds_types.RawType`, read by the
warehouse's RDS stager). So typing is profile → decide → typed SQL, as for the other sources.

Normalising one object (vectorized, no per-row Python):

- integers → INT64 (``uint64`` → exact number text); floats → FLOAT64;
- decimals → exact number text, typed by its digits (NUMERIC / BIGNUMERIC / exact text);
  JSON / CSV numbers a double would round are read as decimals first (:func:`exact_numbers`);
- nested values (objects, arrays, maps) → their JSON text, typed JSON;
- timestamps → microseconds (with a zone: UTC instants; without: wall clocks);
- dictionary columns decoded; anything else (durations …) → its text.

Unifying a batch (the objects of one load), per column, ignoring all-NULL columns: one
family → it; INT with FLOAT → FLOAT (as pyarrow unifies numbers within one object); INT with
NUMBER → NUMBER; DATE with a wall-clock timestamp → the timestamp; any other mix → the
text of the values. A column NULL everywhere is text. Across loads the table's types widen by
the shared rule (:func:`aws2bq.core.change_apply.evolve_schema`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum

import pyarrow as pa
import pyarrow.compute as pc
import sqlglot.expressions as exp

from aws2bq.core.rds_types import SourceColumn
from aws2bq.errors import ConfigError


class Family(StrEnum):
    """What a normalised column holds (decides its storage and its source type)."""

    NULL = "null"
    INT = "int"
    FLOAT = "float"
    NUMBER = "number"  # exact decimal text
    BOOL = "bool"
    STRING = "string"
    BINARY = "binary"
    DATE = "date"
    TIMESTAMP_UTC = "timestamp_utc"
    TIMESTAMP_LOCAL = "timestamp_local"
    TIME = "time"
    JSON = "json"  # JSON text of a nested value


#: The source type (PostgreSQL spelling) each family is planned as.
SOURCE_TYPES: Mapping[Family, str] = {
    Family.NULL: "text",
    Family.INT: "bigint",
    Family.FLOAT: "double precision",
    Family.NUMBER: "numeric",
    Family.BOOL: "boolean",
    Family.STRING: "text",
    Family.BINARY: "bytea",
    Family.DATE: "date",
    Family.TIMESTAMP_UTC: "timestamp with time zone",
    Family.TIMESTAMP_LOCAL: "timestamp without time zone",
    Family.TIME: "time without time zone",
    Family.JSON: "jsonb",
}

#: The Arrow type each family is written as in the normalised Parquet.
ARROW_TYPES: Mapping[Family, pa.DataType] = {
    Family.NULL: pa.string(),
    Family.INT: pa.int64(),
    Family.FLOAT: pa.float64(),
    Family.NUMBER: pa.string(),
    Family.BOOL: pa.bool_(),
    Family.STRING: pa.string(),
    Family.BINARY: pa.binary(),
    Family.DATE: pa.date32(),
    Family.TIMESTAMP_UTC: pa.timestamp("us", tz="UTC"),
    Family.TIMESTAMP_LOCAL: pa.timestamp("us"),
    Family.TIME: pa.time64("us"),
    Family.JSON: pa.string(),
}

#: Column added to every normalised object: its place in the batch (merge: later wins).
OBJECT_SEQ = "_aws2bq_object_seq"


def family_of(dtype: pa.DataType) -> Family:
    """The family an Arrow type normalises to."""
    t = pa.types
    if t.is_dictionary(dtype):
        return family_of(dtype.value_type)
    if isinstance(dtype, pa.JsonType):  # JSON text (a JSON field of mixed types)
        return Family.JSON
    if t.is_null(dtype):
        return Family.NULL
    if t.is_uint64(dtype) or t.is_decimal(dtype):
        return Family.NUMBER
    if t.is_integer(dtype):
        return Family.INT
    if t.is_floating(dtype):
        return Family.FLOAT
    if t.is_boolean(dtype):
        return Family.BOOL
    if t.is_string(dtype) or t.is_large_string(dtype):
        return Family.STRING
    if t.is_binary(dtype) or t.is_large_binary(dtype) or t.is_fixed_size_binary(dtype):
        return Family.BINARY
    if t.is_date(dtype):
        return Family.DATE
    if t.is_timestamp(dtype):
        return Family.TIMESTAMP_UTC if dtype.tz is not None else Family.TIMESTAMP_LOCAL
    if t.is_time(dtype):
        return Family.TIME
    if t.is_nested(dtype):
        return Family.JSON
    return Family.STRING


_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_ISO_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}"
#: What a text column of ISO values becomes, tried in order: dates, instants (every value
#: with a zone: ``Z`` or an offset), wall clocks (no value with one).
_TIME_TYPES = (pa.timestamp("us", tz="UTC"), pa.timestamp("us"))


def typed_times(table: pa.Table) -> pa.Table:
    """``table`` with every text column whose values are all ISO 8601 dates (or all ISO
    date-times) typed DATE / TIMESTAMP (UTC instants, when every value has a zone) /
    DATETIME (when none has one); other text columns as they are. Vectorized casts: a
    column where one value does not parse stays text."""
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        columns[name] = column
        if not pa.types.is_string(column.type) or column.null_count == len(column):
            continue
        valid = pc.drop_null(column)
        if pc.all(pc.match_substring_regex(valid, _ISO_DATE)).as_py():
            candidates: tuple[pa.DataType, ...] = (pa.date32(),)
        elif pc.all(pc.match_substring_regex(valid, _ISO_TIME)).as_py():
            candidates = _TIME_TYPES
        else:
            continue
        for dtype in candidates:
            try:
                columns[name] = column.cast(dtype)
                break
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue
    return pa.table(columns)


def _json_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Nested values as their JSON text (DuckDB's ``to_json``, vectorized over the column)."""
    # Imported here: the Lambda artifact (BigQuery only) does not ship DuckDB, and importing
    # the source registry must not need it.
    try:
        import duckdb
    except ImportError as exc:  # the Lambda artifact
        raise ConfigError(
            "loading nested JSON values needs the duckdb package, which this build leaves out",
            hint="run the files stream where aws2bq is installed with pip (not the Lambda zip)",
        ) from exc
    con = duckdb.connect()
    try:
        con.register("_aws2bq_nested", pa.table({"v": column}))
        select = exp.select(
            exp.alias_(
                exp.Cast(
                    this=exp.Anonymous(this="to_json", expressions=[exp.column("v", quoted=True)]),
                    to=exp.DataType.build("VARCHAR"),
                ),
                "v",
                quoted=True,
            )
        ).from_(exp.table_("_aws2bq_nested", quoted=True))
        result: pa.Table = con.sql(select.sql(dialect="duckdb")).to_arrow_table()
        return result.column("v")
    finally:
        con.close()


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_nested(column.type):
        return _json_text(column)
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    return column.cast(pa.string())


def _json_values(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A non-JSON column's values as JSON text, for a JSON column joining it: numbers and
    booleans as their literals, text (strings, dates, times) as JSON strings, quoted."""
    family = family_of(column.type)
    if family in (Family.JSON, Family.INT, Family.FLOAT, Family.NUMBER, Family.BOOL):
        return _as_text(column)
    text = _as_text(column)
    quoted = [None if v is None else json.dumps(v) for v in text.to_pylist()]
    return pa.chunked_array([pa.array(quoted, pa.string())])


def convert(column: pa.ChunkedArray, family: Family) -> pa.ChunkedArray:
    """``column`` written as ``family`` (its normalised Arrow type; text for a mix)."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if family is Family.JSON and family_of(column.type) not in (Family.JSON, Family.NULL):
        return _json_values(column)
    if family in (Family.JSON, Family.STRING, Family.NUMBER, Family.NULL):
        if family_of(column.type) is Family.NULL:
            return pa.chunked_array([pa.nulls(len(column), pa.string())])
        return _as_text(column)
    target = ARROW_TYPES[family]
    if column.type == target:
        return column
    if pa.types.is_null(column.type):
        return pa.chunked_array([pa.nulls(len(column), target)])
    return column.cast(target)  # exact: ints → int64 / float64, time units → microseconds


def families_of(table: pa.Table) -> dict[str, Family]:
    """The family of each column of one parsed object (:func:`conform` writes them)."""
    return {name: family_of(table.schema.field(name).type) for name in table.column_names}


def unify(families: Sequence[Mapping[str, Family]]) -> dict[str, Family]:
    """The family of every column of a batch (the module docstring's rules), in the order
    columns are first seen."""
    seen: dict[str, set[Family]] = {}
    for one in families:
        for name, family in one.items():
            seen.setdefault(name, set()).add(family)
    return {name: join(found) for name, found in seen.items()}


def join(found: set[Family]) -> Family:
    """The family holding the values of every family in ``found``."""
    found = found - {Family.NULL}
    if not found:
        return Family.NULL
    if len(found) == 1:
        return next(iter(found))
    if found == {Family.INT, Family.FLOAT}:
        return Family.FLOAT
    if found == {Family.INT, Family.NUMBER}:
        return Family.NUMBER
    if found == {Family.DATE, Family.TIMESTAMP_LOCAL}:
        return Family.TIMESTAMP_LOCAL
    if Family.JSON in found:
        # Objects or arrays in some objects, scalars in others: a JSON column, the scalars
        # as JSON values (a string quoted), so every value reads back as what it was.
        return Family.JSON
    return Family.STRING


def conform(table: pa.Table, families: Mapping[str, Family], seq: int) -> pa.Table:
    """``table`` with every column of the batch in its batch family (absent ones NULL), in
    batch order, and :data:`OBJECT_SEQ` = ``seq`` (its place in the batch)."""
    columns: dict[str, pa.ChunkedArray] = {}
    rows = table.num_rows
    for name, family in families.items():
        if name in table.column_names:
            columns[name] = convert(table.column(name), family)
        else:
            columns[name] = pa.chunked_array([pa.nulls(rows, ARROW_TYPES[family])])
    columns[OBJECT_SEQ] = pa.chunked_array([pa.array([seq] * rows, pa.int64())])
    return pa.table(columns)


def source_columns(families: Mapping[str, Family]) -> list[SourceColumn]:
    """The storage-only source types the plan decides from (:data:`SOURCE_TYPES`)."""
    columns = [SourceColumn(name, SOURCE_TYPES[f]) for name, f in families.items()]
    return [*columns, SourceColumn(OBJECT_SEQ, "bigint")]


def key_problems(table: pa.Table, keys: Sequence[str]) -> str | None:
    """Why ``table`` cannot be merged by ``keys`` (a key column missing, a NULL key, a key
    twice), or None. Vectorized: ``is_null`` and a group-by count."""
    missing = [k for k in keys if k not in table.column_names]
    if missing:
        return f"key column(s) {', '.join(missing)} missing"
    for k in keys:
        nulls = int(pc.sum(pc.is_null(table.column(k))).as_py() or 0)
        if nulls:
            return f"{nulls} row(s) with a NULL key {k!r}"
    if table.num_rows == 0:
        return None
    try:
        counts = table.select(list(keys)).group_by(list(keys)).aggregate([([], "count_all")])
    except pa.ArrowNotImplementedError:
        # Keys of a nested type cannot be grouped: their JSON text can.
        texts = pa.table({k: _as_text(table.column(k)) for k in keys})
        counts = texts.group_by(list(keys)).aggregate([([], "count_all")])
    twice = counts.filter(pc.greater(counts.column("count_all"), 1))
    if twice.num_rows:
        example = {k: twice.column(k)[0].as_py() for k in keys}
        return f"{twice.num_rows} key(s) appear more than once, e.g. {example}"
    return None


def case_clashes(names: Sequence[str]) -> list[str]:
    """Column names that differ only in case (``Name`` and ``name``), each clash as
    ``'Name' and 'name'``. Both warehouses compare column names ignoring case (DuckDB:
    https://duckdb.org/docs/sql/dialect/keywords_and_identifiers; BigQuery:
    https://cloud.google.com/bigquery/docs/schemas#column_names), so such columns cannot
    both be kept."""
    by_folded: dict[str, list[str]] = {}
    for name in names:
        by_folded.setdefault(name.casefold(), []).append(name)
    return [" and ".join(map(repr, same)) for same in by_folded.values() if len(same) > 1]


#: A JSON / CSV number written without an exponent: its digits can be counted exactly.
_PLAIN_NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"
#: Digits a double holds exactly: integers up to 2**53, 15 significant decimal digits.
_EXACT_DIGITS = 15
#: NUMERIC holds 38 digits (decimal128), BIGNUMERIC 76 (decimal256).
_DECIMAL_DIGITS = ((38, pa.decimal128), (76, pa.decimal256))
#: A number with more digits than a double holds exactly, in the bytes of an object
#: (the cheap test before reading the text of the number columns).
LONG_NUMBER = re.compile(rb"[0-9.]{16,}")


def exact_numbers(text: pa.Array | pa.ChunkedArray) -> pa.Array | None:
    """The numbers of a column parsed as doubles, from their text, exactly: a decimal array
    (precision and scale from the digits, read as NUMERIC / BIGNUMERIC) when a value is an
    integer beyond 2**53 or has more than 15 significant digits, the text itself when such
    values have no decimal type (an exponent, more than 76 digits), or None when the doubles
    are exact (the column stays FLOAT64). Vectorized (pyarrow.compute)."""
    text = pc.utf8_trim_whitespace(text)
    valid = pc.drop_null(text)
    if len(valid) == 0:
        return None
    if not pc.all(pc.match_substring_regex(valid, _PLAIN_NUMBER)).as_py():
        return None if not _has_long(valid) else text
    parts = pc.extract_regex(valid, r"^-?0*(?P<whole>[0-9]*)\.?(?P<fraction>[0-9]*)$")
    whole = pc.utf8_length(pc.struct_field(parts, "whole"))
    fraction = pc.utf8_length(pc.struct_field(parts, "fraction"))
    if not pc.any(pc.greater(pc.add(whole, fraction), _EXACT_DIGITS)).as_py():
        return None
    scale = int(pc.max(fraction).as_py() or 0)
    precision = max(int(pc.max(whole).as_py() or 0) + scale, 1)
    for most, decimal in _DECIMAL_DIGITS:
        if precision <= most:
            return pc.cast(text, decimal(precision, scale))
    return text


def _has_long(valid: pa.Array | pa.ChunkedArray) -> bool:
    return bool(pc.any(pc.match_substring_regex(valid, r"[0-9]{16,}")).as_py())
