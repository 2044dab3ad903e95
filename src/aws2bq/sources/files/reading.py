"""Read and verify one data object: fetch its bytes as listed, un-gzip, parse with pyarrow.

Verification, each failure an ``ExportError`` naming the object (nothing is applied):

- the object vanished between listing and reading, or changed (S3: the read is conditional
  on the listed ETag, ``IfMatch``; local: the bytes' MD5 and size are compared);
- content evidently of another format than ``--format`` (Parquet's ``PAR1`` read as text,
  JSON read as CSV) is refused naming the format to pass;
- gzip is detected by its magic bytes (``1f 8b``, RFC 1952 §2.3.1), not by the suffix; a
  truncated or corrupt stream is refused;
- JSON lines whose field changes type between lines are read again, exactly, by
  :mod:`.mixed_json` (such a field becomes a JSON column);
- an undecodable JSON line, a malformed CSV row (a row with another number of fields than the
  header), a corrupt Parquet file: pyarrow's message, with the line number where pyarrow
  gives one, as the object's physical line (:func:`_where`: pyarrow counts rows, and
  a quoted CSV field may hold newlines).

Parsing is vectorized (``pyarrow.json`` / ``pyarrow.csv`` / ``pyarrow.parquet``): no Python
loop per row. An object is read in memory (log and data-lake objects are usually small;
split larger ones).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import zlib
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from aws2bq.errors import ConfigError, ExportError, TransientError
from aws2bq.sources.blobs import LocalStore, S3Store, open_regular
from aws2bq.sources.files.arrow_types import LONG_NUMBER, case_clashes, exact_numbers, typed_times
from aws2bq.sources.files.listing import FileObject
from aws2bq.sources.files.mixed_json import read_mixed_json
from aws2bq.sources.files.options import Format

GZIP_MAGIC = b"\x1f\x8b"
#: pyarrow's row number in its messages: JSON ``in row N`` (0-based), CSV ``Row #N:``.
_JSON_ROW = re.compile(r" in row (\d+)")
_CSV_ROW = re.compile(r"Row #(\d+): ")
#: pyarrow's block size is an int32; an object is parsed as one block up to this size.
_MAX_BLOCK = (1 << 31) - 1


def fetch(store: S3Store | LocalStore, obj: FileObject) -> bytes:
    """The object's bytes, exactly as listed (see the module docstring)."""
    if isinstance(store, S3Store):
        return _fetch_s3(store, obj)
    try:
        with open_regular(store.root / obj.key, obj.url) as fh:
            data = fh.read()
    except ExportError as exc:
        raise ExportError(
            f"object {obj.url} vanished between listing and reading ({exc.message})",
            hint="nothing was applied; run the load again",
        ) from None
    digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
    if len(data) != obj.size or digest != obj.etag:
        raise ExportError(
            f"object {obj.url} changed between listing and reading",
            hint="nothing was applied; run the load again once the file is complete",
        )
    return data


def _fetch_s3(store: S3Store, obj: FileObject) -> bytes:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = store.client.get_object(Bucket=store.bucket, Key=obj.key, IfMatch=obj.etag)
        data = bytes(response["Body"].read(obj.size + 1))
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("NoSuchKey", "404", "NotFound"):
            raise ExportError(
                f"object {obj.url} vanished between listing and reading",
                hint="nothing was applied; run the load again",
            ) from None
        if code in ("PreconditionFailed", "412"):
            raise ExportError(
                f"object {obj.url} changed between listing and reading (ETag {obj.etag})",
                hint="nothing was applied; run the load again once the object is complete",
            ) from None
        if code in ("AccessDenied", "403"):
            raise ConfigError(
                f"access denied to {obj.url}",
                hint="check the credentials / role's s3:GetObject permission",
            ) from None
        if code in ("SlowDown", "RequestTimeout", "InternalError", "503", "500"):
            raise TransientError(f"S3 error {code} reading {obj.url}") from None
        raise ExportError(f"S3 error {code} reading {obj.url}: {exc}") from None
    except BotoCoreError as exc:
        from aws2bq import aws_clients

        raise aws_clients.translate(exc, f"S3 {obj.url}") from exc
    if len(data) != obj.size:
        raise ExportError(
            f"object {obj.url} is {len(data):,} bytes, not the {obj.size:,} it was listed with",
            hint="nothing was applied; run the load again once the object is complete",
        )
    return data


def decompress(data: bytes, obj: FileObject) -> bytes:
    """``data`` un-gzipped when it starts with the gzip magic (concatenated members too)."""
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as exc:
        raise ExportError(
            f"object {obj.url} is a truncated or corrupt gzip stream: {exc}",
            hint="nothing was applied; replace the object with a complete one",
        ) from None


def _where(message: str, fmt: Format, data: bytes, bad_row: int | None) -> tuple[str, str]:
    """Where pyarrow's parse error is, as ``" at line N"`` (the object's physical line,
    1-based) or, when that cannot be worked out, ``" at row N"``; and pyarrow's message
    without its own row number (``in row N`` / ``Row #N:``, which would contradict it)."""
    if fmt is Format.PARQUET:
        return "", message
    if fmt is Format.JSONL:
        match = _JSON_ROW.search(message)
        if match is None:
            return "", message
        message = _JSON_ROW.sub("", message)
        line = _json_line(data, int(match[1]))
        return (f" at line {line}" if line else f" at row {int(match[1]) + 1}"), message
    match = _CSV_ROW.search(message)
    row = bad_row if bad_row is not None else (int(match[1]) if match else None)
    message = _CSV_ROW.sub("", message)
    if row is None:
        return "", message
    line = _csv_line(data, row)
    return (f" at line {line}" if line else f" at row {row} (the header is row 1)"), message


def _json_line(data: bytes, row: int) -> int | None:
    """The physical line of pyarrow.json's ``row`` (0-based, blank lines not counted)."""
    seen = -1
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.strip():
            seen += 1
            if seen == row:
                return number
    return None


def _csv_line(data: bytes, row: int) -> int | None:
    """The physical line where pyarrow.csv's ``row`` (1-based, the header row 1, empty
    lines not counted) starts: a quoted field may hold newlines, so rows and lines differ.
    Counted by Python's csv module (``reader.line_num``, lines read so far), which splits
    rows as pyarrow's defaults do (``,``, ``"`` doubled inside quotes); None when it cannot
    follow the bytes that far."""
    text = io.StringIO(data.decode("utf-8", "replace"), newline="")
    reader = csv.reader(text)
    seen, before = 0, 0
    try:
        for fields in reader:
            if fields:
                seen += 1
                if seen == row:
                    return before + 1
            before = reader.line_num
    except csv.Error:
        return None
    return None


#: pyarrow.json's refusal of a field whose type changes between lines (``Column(/a)
#: changed from number to string``); ``Column()`` is a line that is not an object.
_TYPE_CHANGE = re.compile(r"Column\(/[^)]*\) changed from \w+ to \w+")


def _read_json(data: bytes, block: int, url: str) -> pa.Table:
    """JSON lines with ISO dates and times typed by :func:`.arrow_types.typed_times`.

    pyarrow.json types an ISO string as a zone-less timestamp of seconds and drops its zone
    (``…Z`` and ``…+02:00`` alike) and leaves one with a fraction as text, so such columns
    are read as text first and typed here, keeping zones and fractions. An object whose
    fields change type between lines is read by :func:`.mixed_json.read_mixed_json`."""
    read = pajson.ReadOptions(block_size=block)
    try:
        table = pajson.read_json(io.BytesIO(data), read_options=read)
    except pa.ArrowInvalid as exc:
        if _TYPE_CHANGE.search(str(exc)) is None:
            raise
        return read_mixed_json(data, url)
    times = [f for f in table.schema if pa.types.is_timestamp(f.type)]
    if times:
        schema = pa.schema([pa.field(f.name, pa.string()) for f in times])
        options = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")
        names = table.column_names  # the explicit schema's fields would come first
        table = pajson.read_json(io.BytesIO(data), read_options=read, parse_options=options)
        table = table.select(names)
    return typed_times(_exact_json_numbers(table, data))


def _floats(table: pa.Table, data: bytes) -> list[str]:
    """The columns parsed as doubles, when the object holds a number a double may round."""
    if LONG_NUMBER.search(data) is None:
        return []
    return [f.name for f in table.schema if pa.types.is_floating(f.type)]


def _with_exact(table: pa.Table, texts: dict[str, pa.Array | pa.ChunkedArray]) -> pa.Table:
    """``table`` with each double column whose text holds more digits than a double keeps
    replaced by the exact numbers (:func:`.arrow_types.exact_numbers`)."""
    for name, text in texts.items():
        exact = exact_numbers(text)
        if exact is not None:
            table = table.set_column(table.column_names.index(name), name, exact)
    return table


def _exact_json_numbers(table: pa.Table, data: bytes) -> pa.Table:
    """pyarrow.json parses every number beyond int64, and any with a fraction, as a double
    (it cannot read a number as text), so 18446744073709551615 would be rounded: the
    numbers of such columns are read again as text by the standard json module (only when
    the bytes hold a number of 16+ characters)."""
    floats = _floats(table, data)
    if not floats:
        return table
    # Only the numbers are wanted: text pyarrow took but Python's json refuses (invalid
    # UTF-8 in a string) is replaced, not an error.
    records = [
        json.loads(line.decode("utf-8", "replace"), parse_float=str, parse_int=str)
        for line in data.splitlines()
        if line.strip()
    ]
    if len(records) != table.num_rows:
        return table
    texts: dict[str, pa.Array | pa.ChunkedArray] = {}
    for name in floats:
        values = [r.get(name) if isinstance(r, dict) else None for r in records]
        if all(v is None or isinstance(v, str) for v in values):
            texts[name] = pa.array(values, pa.string())
    return _with_exact(table, texts)


class _BadRows:
    """pyarrow's invalid-row handler: remembers the first malformed CSV row, refuses it.

    pyarrow numbers the row (counting the header, from 1) when reading single-threaded
    (https://arrow.apache.org/docs/python/generated/pyarrow.csv.InvalidRow.html)."""

    row: int | None = None

    def handle(self, row: Any) -> str:
        if self.row is None and row.number is not None:
            self.row = int(row.number)
        return "error"


#: A CSV field that may be a number with a leading zero (``00123``, ``-02``): the cheap test
#: on the bytes before the number columns' text is looked at.
_LEADING_ZERO_FIELD = re.compile(rb'(?:^|[,\n"])-?0[0-9]')
_LEADING_ZERO = r"^\s*-?0[0-9]"


def _read_csv(data: bytes, block: int, bad_rows: _BadRows) -> pa.Table:
    """CSV with a header row. Only an empty field is NULL (pyarrow's default also takes
    ``NA``, ``null``, ``N/A`` … as NULL, losing such text) and a text column keeps its
    empty fields as empty text. A number column is read again as text when pyarrow's
    inference would lose something: a value with a leading zero (``00123``, a ZIP code,
    an id) keeps the column text; numbers a double would round are typed by their digits
    (:func:`_with_exact`)."""

    def read(text_columns: Sequence[str] = ()) -> pa.Table:
        return pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(block_size=block, use_threads=False),
            parse_options=pacsv.ParseOptions(invalid_row_handler=bad_rows.handle),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in text_columns},
                null_values=[""],
                strings_can_be_null=False,
            ),
        )

    table = read()
    floats = _floats(table, data)
    zeros: list[str] = []
    if _LEADING_ZERO_FIELD.search(data):
        zeros = [
            f.name
            for f in table.schema
            if pa.types.is_integer(f.type) or pa.types.is_floating(f.type)
        ]
    if not floats and not zeros:
        return table
    texts = read(list(dict.fromkeys([*zeros, *floats])))
    for name in zeros:
        text = texts.column(name)
        if pc.any(pc.match_substring_regex(text, _LEADING_ZERO)).as_py():
            table = table.set_column(table.column_names.index(name), name, text)
    exact = [name for name in floats if pa.types.is_floating(table.schema.field(name).type)]
    return _with_exact(table, {name: texts.column(name) for name in exact})


PARQUET_MAGIC = b"PAR1"  # a Parquet file's first 4 bytes (the format's specification)


def _other_format(data: bytes, fmt: Format) -> str | None:
    """The format ``data`` evidently is when it is not ``fmt`` (read as CSV, JSON lines
    give columns named ``{"id": 4``: garbage, not an error), or None."""
    if fmt is not Format.PARQUET and data.startswith(PARQUET_MAGIC):
        return "parquet"
    if fmt is Format.CSV:
        header = data.lstrip()[:1]
        if header in (b"{", b"["):
            return "jsonl"
    return None


def parse(data: bytes, fmt: Format, obj: FileObject) -> pa.Table:
    """The object's rows as an Arrow table (columns as pyarrow infers them)."""
    if not data.strip() and fmt is not Format.PARQUET:
        return pa.table({})  # an empty log object: no rows, nothing to type
    other = _other_format(data, fmt)
    if other is not None:
        raise ExportError(
            f"object {obj.url} is not {fmt}: its content is evidently {other}",
            hint=f"nothing was applied; pass --format {other} (or remove the object)",
        )
    block = min(max(len(data) + 1, 1 << 20), _MAX_BLOCK)
    bad_rows = _BadRows()
    try:
        if fmt is Format.JSONL:
            return _read_json(data, block, obj.url)
        if fmt is Format.CSV:
            table = _read_csv(data, block, bad_rows)
            json_like = [n for n in table.column_names if n.lstrip().startswith(("{", "["))]
            if json_like:
                raise ExportError(
                    f"object {obj.url} is not csv: its header names column(s) like JSON "
                    f"({', '.join(map(repr, json_like[:3]))})",
                    hint="nothing was applied; pass --format jsonl for JSON lines",
                )
            return table
        return pq.read_table(io.BytesIO(data))
    except (ValueError, pa.ArrowNotImplementedError, OSError) as exc:  # ArrowInvalid, json
        where, message = _where(str(exc), fmt, data, bad_rows.row)
        raise ExportError(
            f"object {obj.url} cannot be read as {fmt}{where}: {message}",
            hint="nothing was applied; fix or remove the object (or pass the right --format)",
        ) from None


def read_object(store: S3Store | LocalStore, obj: FileObject, fmt: Format) -> pa.Table:
    """Fetch, verify, un-gzip and parse one object (see the module docstring)."""
    table = parse(decompress(fetch(store, obj), obj), fmt, obj)
    names = table.column_names
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ExportError(
            f"object {obj.url} names column(s) {', '.join(map(repr, twice))} more than once",
            hint="nothing was applied; give every column its own name (CSV: the header row)",
        )
    clashes = case_clashes(names)
    if clashes:
        raise ExportError(
            f"object {obj.url} has columns whose names differ only in case: {'; '.join(clashes)}",
            hint="nothing was applied; warehouses compare column names ignoring case: "
            "rename one of each pair in the objects",
        )
    return table


def describe(table: pa.Table) -> dict[str, Any]:
    """Rows and columns of a parsed object (for progress events)."""
    return {"rows": table.num_rows, "columns": table.num_columns}
