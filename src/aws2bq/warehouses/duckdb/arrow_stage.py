"""The fast DynamoDB stager: chunks parsed to Arrow in native code in parallel, spilled.

Each data file is read once, as a stream: the bytes are MD5-verified as they arrive
(:meth:`aws2bq.warehouses.base.RawFile.open`), decompressed (by ISA-L, ``isal``: about 2.5×
zlib's speed for the same output, and it releases the GIL) and cut into chunks of whole
lines by one reader thread per file, and each chunk is parsed in a pool of parser threads
while the reader decompresses the next ones (both release the GIL) — by the native scanner
against the learned schema (:mod:`.arrow_scan`), or by pyarrow's C++ JSON reader for the
first chunks and whatever the scanner declines. In the same parser thread the chunk is
flattened and profiled (:mod:`.arrow_profile`: the statistics are computed while the batches
are produced, not by a second pass), so every core is busy whatever the number of files;
the reader writes it, in file order, to an Arrow IPC file in the
run's scratch folder, so memory holds a few chunks whatever the export's size and time grows
linearly with it. The spilled files are read back once, by the typed SELECT, as one
re-scannable Arrow stream (:class:`SpilledRows`), one batch at a time.

Two line shapes (:class:`Lines`): full exports ``{"Item": {...}}`` (each attribute becomes a
column ``a0``, ``a1``, …, profiled) and incremental exports ``{"Metadata": …, "Keys": …,
"NewImage": …, "OldImage": …}`` (``NewImage`` attributes become ``n0``, …, ``Keys``
attributes ``k0``, …, plus the write time in microseconds and a delete flag; the OldImage is
never needed and is not spilled).

Nothing can be lost: the schema is *inferred* (never a fixed list of attributes), chunk by
chunk; once known, it is given to the parser as an explicit schema with
``unexpected_field_behavior="error"``, so a chunk holding an attribute, descriptor or nested
member not seen yet fails and is parsed again with inference, which widens the schema. Arrow
infers ISO-looking strings as timestamps; such a chunk is parsed again with those fields
declared as strings, so every S value keeps its exact text. Spilled segments of different
schemas are unified at the end (struct fields matched by name; a field a segment lacks
reads as NULL).

A file that is not gzip JSON lines (truncated, bad gzip, a bad line, bytes that are not UTF-8,
a line of another shape) raises :class:`aws2bq.errors.ExportError` naming the file. The
stager declines (:class:`Unsupported`) only shapes it cannot represent as Arrow columns — more than
:data:`MAX_FIELDS` distinct nested fields (maps keyed by data), more than :data:`MAX_DEPTH`
levels, map members whose names differ only in case — and the caller falls back to DuckDB's
own JSON reader (a MAP per item) for those. The size of the export never makes it decline.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, cast

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.json as pj
from isal import isal_zlib

from aws2bq.core import dynamodb_incremental as inc
from aws2bq.core.dynamodb_sql import ValueShape
from aws2bq.core.dynamodb_types import DESCRIPTORS
from aws2bq.core.progress import NullProgress, Progress
from aws2bq.errors import ExportError
from aws2bq.sources.dynamodb.lines import (
    NOT_DYNAMODB_JSON_HINT,
    NULL_ELEMENT,
    decode_line,
    member_step,
    null_element,
)
from aws2bq.stage_hook import reached
from aws2bq.warehouses.base import RawFile
from aws2bq.warehouses.duckdb.arrow_profile import NotANumber, Profile, value_acc
from aws2bq.warehouses.duckdb.arrow_scan import Plan, plan_for

log = logging.getLogger(__name__)

#: Distinct nested fields (all levels) the unified schema may have before giving up.
MAX_FIELDS = 2000
#: M / L nesting levels supported by the generated SQL.
MAX_DEPTH = 24
#: Decompressed bytes parsed at a time (bounds memory per worker and the cost of inference).
CHUNK_BYTES = 4 << 20
#: Compressed bytes read from a file at a time.
READ_BYTES = 1 << 20
#: Bytes at hand before a gzip member is started: its header (RFC 1952 §2.3) is 10 bytes, an
#: extra field of up to 64 KiB, then a name and a comment (any length in principle; this holds
#: any real one), so ISA-L never sees it cut (see _gunzip).
_HEADER_BYTES = 1 << 17
#: Chunks of one file parsed ahead of the one being spilled (bounds memory per file reader).
AHEAD = 2
#: Parsed chunks per spilled IPC file: a reader of the spill holds about one file per thread
#: (pyarrow reads a fragment's batches ahead), so smaller files keep memory bounded.
SEGMENT_CHUNKS = 8

#: Spilled columns of incremental records besides the image attributes.
MICROS = inc.MICROS
DELETED = inc.DELETED

#: What ISA-L's inflate raises for bad gzip (isal's stubs declare an instance, not a class).
_GZIP_ERROR = cast(type[Exception], isal_zlib.error)

#: The row of a pyarrow parse error ("JSON parse error: … in row 12", 0-based in the chunk).
_ROW = re.compile(r"\bin row (\d+)\b")
#: A chunk whose first JSON value is null (JSON's whitespace before it, RFC 8259 §2).
_NULL_FIRST = re.compile(rb"[ \t\r\n]*null")

_STRINGS = ("S", "N", "B")
_BOOLS = ("BOOL", "NULL")
_SETS = ("SS", "NS", "BS")
_RECORD_FIELDS = ("Metadata", "Keys", "NewImage", "OldImage")


class Unsupported(Exception):
    """The export cannot be staged by this stager; use the generic reader instead."""


class _BadFile(Exception):
    """A file is not what an export holds (the message is completed with the file's key).

    ``line``: the 1-based line at fault, when known (lines are counted as parsed rows: an
    export's file has no blank lines). ``hint``: what to do, when not the default (the file
    is truncated or not gzip JSON lines).
    """

    def __init__(self, message: str, *, line: int | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.hint = hint


class _Names:
    """Attribute name → spilled column name (``<prefix><n>``), assigned at first sight."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.lock = threading.Lock()
        self.columns: dict[str, str] = {}

    def column(self, attribute: str) -> str:
        with self.lock:
            name = self.columns.get(attribute)
            if name is None:
                name = self.columns[attribute] = f"{self.prefix}{len(self.columns)}"
            return name


class _Schema:
    """The root schema learned so far, shared by the workers, and the native scanner's plan
    for it (None where the scanner does not read the schema or is not compiled)."""

    def __init__(self, *, native: bool) -> None:
        self.lock = threading.Lock()
        self.native = native
        self.schema: pa.Schema | None = None
        self.plan: Plan | None = None
        #: Chunks parsed by each parser (what the load's log reports).
        self.parsed = {"native": 0, "pyarrow": 0}

    def count(self, parser: str) -> None:
        with self.lock:
            self.parsed[parser] += 1

    def known_plan(self) -> tuple[pa.Schema | None, Plan | None]:
        with self.lock:
            return self.schema, self.plan

    def learn(self, table: pa.Table) -> None:
        with self.lock:
            if self.schema is not None and table.schema.equals(self.schema):
                return
            try:
                merged = (
                    table.schema
                    if self.schema is None
                    else pa.unify_schemas([self.schema, table.schema], promote_options="permissive")
                )
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise Unsupported(f"values of one field have different shapes: {exc}") from exc
            _check(merged)
            self.schema = merged
            self.plan = plan_for(merged) if self.native else None


def _count_fields(t: pa.DataType, depth: int = 0) -> int:
    if depth > 2 * MAX_DEPTH + 4:
        raise Unsupported("values are nested too deeply")
    if pa.types.is_struct(t):
        return len(t) + sum(_count_fields(t.field(i).type, depth + 1) for i in range(len(t)))
    if pa.types.is_list(t):
        return 1 + _count_fields(t.value_type, depth + 1)
    return 0


def _check(schema: pa.Schema) -> None:
    total = sum(_count_fields(f.type) for f in schema)
    if total > MAX_FIELDS:
        raise Unsupported(f"more than {MAX_FIELDS} distinct nested fields")


def _without_timestamps(t: pa.DataType) -> pa.DataType:
    if pa.types.is_timestamp(t):
        return pa.string()
    if pa.types.is_struct(t):
        return pa.struct([f.with_type(_without_timestamps(f.type)) for f in t])
    if pa.types.is_list(t):
        return pa.list_(t.value_field.with_type(_without_timestamps(t.value_type)))
    return t


def _has_timestamps(t: pa.DataType) -> bool:
    if pa.types.is_timestamp(t):
        return True
    if pa.types.is_struct(t):
        return any(_has_timestamps(f.type) for f in t)
    if pa.types.is_list(t):
        return _has_timestamps(t.value_type)
    return False


def _read(data: pa.Buffer, schema: pa.Schema | None, unexpected: str) -> pa.Table:
    options = (
        pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior=unexpected)
        if schema is not None
        else pj.ParseOptions()
    )
    # One block holding the whole chunk: a line is never split between blocks.
    read = pj.ReadOptions(use_threads=False, block_size=max(data.size + 1, CHUNK_BYTES))
    return pj.read_json(pa.BufferReader(data), read_options=read, parse_options=options)


def _check_utf8(data: pa.Buffer) -> None:
    """Refuse a chunk that is not UTF-8 (JSON text must be, RFC 8259 §8.1): Arrow's JSON
    reader would keep such bytes in a string, and DuckDB would reject them much later with
    no file named. Cast in native code, without copying the chunk.

    Raises:
        _BadFile: the chunk holds invalid UTF-8 (the caller names the file).
    """
    offsets = pa.array([0, data.size], pa.int64()).buffers()[1]
    try:
        pa.LargeBinaryArray.from_buffers(pa.large_binary(), 1, [None, offsets, data]).cast(
            pa.large_string()
        )
    except pa.ArrowInvalid as exc:
        # The error path only: Python finds the first bad byte, so the line can be named.
        try:
            memoryview(data).tobytes().decode("utf-8")
        except UnicodeDecodeError as bad:
            line = memoryview(data)[: bad.start].tobytes().count(b"\n") + 1
            raise _BadFile("is not UTF-8 text (RFC 8259 §8.1)", line=line) from exc
        raise _BadFile(f"is not UTF-8 text ({exc})") from exc


def _parse_chunk(data: pa.Buffer, learned: _Schema) -> pa.Table:
    _check_utf8(data)
    known, plan = learned.known_plan()
    # The native scanner first (arrow_scan: the same table, in a third of the time); it
    # declines what it is not sure of (a new field, a bad line) and pyarrow reads that.
    table: pa.Table | None = plan.scan(data) if plan is not None else None
    if table is not None:
        _check_lists(table, data)
        learned.count("native")
        return table
    if _NULL_FIRST.match(memoryview(data)):
        # pyarrow's JSON reader dereferences a NULL pointer (SIGSEGV, the process gone) when
        # the first value of what it reads is null (seen with pyarrow 26.0.1;
        # https://github.com/apache/arrow/issues/47409, open).
        raise _BadFile("has a line that is null, not an object", line=1)
    if known is not None:
        try:
            table = _read(data, known, "error")
        except pa.ArrowInvalid:
            table = None  # a field not seen yet (or a bad line): infer below
    if table is None:
        # Inferred from the chunk alone (a known field may have widened, e.g. a list that
        # was always empty); the learned schema is widened by unification below.
        try:
            table = _read(data, None, "infer")
            if any(_has_timestamps(f.type) for f in table.schema):
                fixed = pa.schema([f.with_type(_without_timestamps(f.type)) for f in table.schema])
                table = _read(data, fixed, "error")
        except pa.ArrowInvalid as exc:
            raise _not_json_lines(exc) from exc
        except pa.ArrowNotImplementedError as exc:
            raise Unsupported(f"Arrow cannot parse a chunk: {exc}") from exc
    _check_lists(table, data)
    learned.learn(table)
    learned.count("pyarrow")
    return table


def _not_json_lines(exc: pa.ArrowInvalid) -> _BadFile:
    """pyarrow's parse error as a :class:`_BadFile`, its 0-based row in the chunk (``… in row
    12``, pyarrow's wording) as the chunk's line number, where it gives one."""
    text = str(exc)
    row = _ROW.search(text)
    line = int(row.group(1)) + 1 if row else None
    if "changed from object to" in text:  # `[]`, `1`, `"x"`, `true` as a line
        return _BadFile("has a line that is not a JSON object", line=line)
    # The line is named: pyarrow's 0-based "in row N" of the chunk beside it only confused.
    return _BadFile(f"is not JSON lines ({_ROW.sub('', text).rstrip()})", line=line)


def _check_lists(table: pa.Table, data: pa.Buffer) -> None:
    """Refuse a list holding null: DynamoDB JSON never has one (an ``L`` element is a typed
    value such as ``{"NULL": true}``, a set's members are strings), and pyarrow's inference
    reads a list that starts with null into invalid arrays (offsets past the values, seen with
    pyarrow 26.0.1; https://github.com/apache/arrow/issues/51305), which fail much later with
    no file named. The same refusal as the ``read_json`` stager's and BigQuery's
    (:func:`aws2bq.sources.dynamodb.lines.raise_null_element`).

    Raises:
        _BadFile: some list of the chunk ``data`` holds null or is invalid that way; its line
            in the chunk and where in the line, found by reading the chunk's lines again.
    """
    if not any(_null_in_list(chunk) for column in table.columns for chunk in column.chunks):
        return
    # Split on "\n" only, as the locator does (JSON allows a "\r" between tokens).
    for n, text in enumerate(memoryview(data).tobytes().split(b"\n"), start=1):
        if text.strip() and (where := null_element(decode_line(text))) is not None:
            raise _BadFile(NULL_ELEMENT.format(where=where), line=n, hint=NOT_DYNAMODB_JSON_HINT)
    raise _BadFile(NULL_ELEMENT.format(where="some attribute"), hint=NOT_DYNAMODB_JSON_HINT)


def _null_in_list(values: pa.Array) -> bool:
    t = values.type
    if pa.types.is_struct(t):
        return any(_null_in_list(values.field(i)) for i in range(t.num_fields))
    if pa.types.is_list(t):
        elements = values.values
        spanned = values.offsets[-1].as_py() if len(values) else 0
        return spanned > len(elements) or elements.null_count > 0 or _null_in_list(elements)
    return False


def _gunzip(stream: Any, progress: Progress, result: _FileResult) -> Iterator[bytes]:
    """The decompressed bytes of a gzip stream (several members allowed), in bounded blocks.

    Reads the stream to its end (which makes a verifying stream check its MD5). Inflated by
    ISA-L (https://github.com/pycompression/python-isal: zlib's ``decompressobj`` interface
    and output, in 0.40× zlib's CPU on an export's files, ``bench/dynamodb_breakdown.py``).
    Unlike zlib, ISA-L cannot resume inside a member's header when it arrives in pieces (a
    header CRC, or an extra field followed by a name, split between two reads: "Incorrect
    checksum"), so a member is started only once its whole header is at hand.
    """
    inflate = isal_zlib.decompressobj(wbits=31)
    fresh = True  # no byte of the current member consumed yet
    carry = b""  # the start of a member whose header may not be whole yet
    ended = False
    while not ended:
        raw = stream.read(READ_BYTES)
        if raw:
            progress.advance("download", bytes=len(raw))
            result.bytes += len(raw)
        else:
            ended = True
        pending = carry + raw if carry else raw
        carry = b""
        while pending:
            if fresh and not ended and len(pending) < _HEADER_BYTES:
                carry = bytes(pending)  # read on: the member's header may be cut
                break
            try:
                out = inflate.decompress(pending, CHUNK_BYTES)
            except _GZIP_ERROR as exc:
                raise _BadFile(f"is not valid gzip ({exc})") from exc
            fresh = False
            if out:
                yield out
            pending = inflate.unconsumed_tail
            if inflate.eof:
                pending = inflate.unused_data
                inflate = isal_zlib.decompressobj(wbits=31)
                fresh = True
        while not inflate.eof and not fresh:  # flush what max_length held back
            out = inflate.decompress(b"", CHUNK_BYTES)
            if not out:
                break
            yield out
    if not fresh and not inflate.eof:
        raise _BadFile("is truncated (the gzip stream ends early)")


def _chunks(blocks: Iterator[bytes]) -> Iterator[memoryview]:
    """Whole lines, about :data:`CHUNK_BYTES` at a time (views: the lines are not copied
    again once joined; only the partial line at the end is)."""
    parts: list[bytes] = []
    size = 0
    for block in blocks:
        parts.append(block)
        size += len(block)
        if size < CHUNK_BYTES:
            continue
        data = b"".join(parts)
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            parts, size = [data], len(data)
            continue
        yield memoryview(data)[:cut]
        rest = data[cut:]
        parts, size = ([rest], len(rest)) if rest else ([], 0)
    data = b"".join(parts)
    if data.strip():
        yield memoryview(data)


class Segments:
    """The spilled IPC files of one input file: a new one when the schema changes, and every
    :data:`SEGMENT_CHUNKS` chunks."""

    def __init__(self, folder: Path, index: int) -> None:
        self.folder = folder
        self.index = index
        self.paths: list[Path] = []
        self.schemas: list[pa.Schema] = []
        self._writer: ipc.RecordBatchFileWriter | None = None
        self._chunks = 0

    def write(self, table: pa.Table) -> None:
        if (
            self._writer is None
            or self._chunks >= SEGMENT_CHUNKS
            or not table.schema.equals(self.schemas[-1])
        ):
            self.close()
            self._chunks = 0
            path = self.folder / f"{self.index:06d}-{len(self.paths):04d}.arrow"
            self._writer = ipc.new_file(str(path), table.schema)
            self.paths.append(path)
            self.schemas.append(table.schema)
        self._writer.write_table(table)
        self._chunks += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


@dataclass
class _FileResult:
    rows: int = 0
    bytes: int = 0
    profile: Profile = field(default_factory=Profile)
    key_sets: set[tuple[str, ...]] = field(default_factory=set)
    segments: Segments | None = None


@dataclass
class _Chunk:
    """A parsed chunk ready to spill: its rows, the columns to spill, their statistics."""

    rows: int
    spilled: pa.Table
    stats: _FileResult


def _prepare(data: pa.Buffer, learned: _Schema, lines: Lines) -> _Chunk:
    """Parse, flatten and profile one chunk, in a parser thread: only the write of the spill
    stays in the file's reader thread (in file order), so a file read alone (a small or
    incremental export) keeps every core busy. A :class:`_BadFile`'s line is the chunk's."""
    table = _parse_chunk(data, learned)
    stats = _FileResult(rows=table.num_rows)
    return _Chunk(table.num_rows, lines.spill(table, stats), stats)


class Lines:
    """What one kind of export line holds and how it is spilled (see the module docstring)."""

    #: The spilled column prefix of each image (``Item``, or ``NewImage`` and ``Keys``).
    images: ClassVar[dict[str, str]] = {}

    def __init__(self) -> None:
        self.names = {root: _Names(prefix) for root, prefix in self.images.items()}

    def spill(self, table: pa.Table, result: _FileResult) -> pa.Table:
        """The columns to spill for one parsed chunk (and its statistics into ``result``)."""
        raise NotImplementedError

    def _flatten(self, root: str, values: pa.Array) -> list[tuple[str, str, pa.Array]]:
        """``(attribute, spilled column, values)`` of one image (parent nulls propagate)."""
        names = self.names[root]
        if not pa.types.is_struct(values.type):
            raise _BadFile(f"has {root} values that are not objects ({values.type})")
        for f in values.type:
            # Before the profile reads it: a descriptor holding another JSON type (an N that
            # is a JSON number) is a shape read_json reads, not one the profile can. A null
            # type (the attribute always null in this chunk) is skipped, as in _finish.
            if not pa.types.is_null(f.type):
                _check_profilable(f.type)
        return [
            (f.name, names.column(f.name), child)
            for f, child in zip(values.type, values.flatten(), strict=True)
        ]


def _column(table: pa.Table, name: str) -> pa.Array:
    return table.column(name).combine_chunks()


class ItemLines(Lines):
    """Full exports: ``{"Item": {...}}``, every attribute profiled."""

    images: ClassVar[dict[str, str]] = {"Item": "a"}

    def spill(self, table: pa.Table, result: _FileResult) -> pa.Table:
        names = table.schema.names
        item = _column(table, "Item") if "Item" in names else pa.nulls(table.num_rows)
        # A line without an Item (``{}``, another field) cannot be keyed: refused, naming the
        # line (``result.rows`` already counts this chunk).
        bad = pc.is_null(item)
        for other in names:
            if other != "Item":
                bad = pc.or_(bad, pc.is_valid(_column(table, other)))
        if pc.any(bad).as_py():
            line = result.rows - table.num_rows + int(pc.index(bad, True).as_py()) + 1
            raise _BadFile('has no Item (each line is one {"Item": {...}} object)', line=line)
        columns = {}
        for attribute, name, values in self._flatten("Item", item):
            try:
                result.profile.add(attribute, value_acc(values))
            except NotANumber as exc:
                # Before: "unexpected ValueError (a bug in aws2bq)", no file named.
                line = result.rows - table.num_rows + exc.row + 1
                where = f"Item{member_step(attribute, 'Item')}.{exc.descriptor}"
                raise _BadFile(
                    f"holds {exc} at {where} (DynamoDB numbers are decimal text)",
                    line=line,
                    hint=NOT_DYNAMODB_JSON_HINT,
                ) from exc
            columns[name] = values
        return pa.table(columns) if columns else pa.table({"_rows": pa.nulls(len(item))})


class RecordLines(Lines):
    """Incremental exports: the NewImage and Keys attributes, write time and delete flag."""

    images: ClassVar[dict[str, str]] = {"NewImage": "n", "Keys": "k"}

    def spill(self, table: pa.Table, result: _FileResult) -> pa.Table:
        names = table.schema.names
        if "Keys" not in names or "Metadata" not in names:
            raise _BadFile(
                f"has {table.num_rows} record(s) without Keys or Metadata.WriteTimestampMicros"
            )
        keys = _column(table, "Keys")
        micros = self._micros(_column(table, "Metadata"))
        bad = pc.sum(pc.or_(pc.is_null(keys), pc.is_null(micros))).as_py() or 0
        if bad:
            raise _BadFile(f"has {bad} record(s) without Keys or Metadata.WriteTimestampMicros")
        columns: dict[str, pa.Array] = {}
        if "NewImage" in names:
            new = _column(table, "NewImage")
            for _, name, values in self._flatten("NewImage", new):
                columns[name] = values
            deleted = pc.is_null(new)
        else:
            deleted = pa.array([True] * table.num_rows)
        key_fields = self._flatten("Keys", keys)
        for _, name, values in key_fields:
            columns[name] = values
        # The distinct sets of attributes found in Keys (a bit per attribute, then decoded).
        code = pa.array([0] * table.num_rows, pa.int64())
        for bit, (_, _, values) in enumerate(key_fields):
            code = pc.add(code, pc.multiply(pc.cast(pc.is_valid(values), pa.int64()), 1 << bit))
        for value in pc.unique(code).to_pylist():
            result.key_sets.add(
                tuple(sorted(a for bit, (a, _, _) in enumerate(key_fields) if value >> bit & 1))
            )
        columns[MICROS] = micros
        columns[DELETED] = deleted
        return pa.table(columns)

    @staticmethod
    def _micros(metadata: pa.Array) -> pa.Array:
        try:
            stamp = pc.struct_field(pc.struct_field(metadata, "WriteTimestampMicros"), "N")
            return pc.cast(stamp, pa.int64())
        except (KeyError, pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            raise _BadFile(f"has a WriteTimestampMicros that is not a number ({exc})") from exc


@dataclass
class Spill:
    """What the stager produced: the spilled segments and what was learned while parsing."""

    folder: Path
    segments: list[Path]
    #: The unified schema of the spilled columns (every segment reads as this).
    schema: pa.Schema
    #: rows per file key.
    rows: dict[str, int]
    #: compressed bytes read.
    bytes: int
    #: image → {attribute: (spilled column, value shape)}, columns in schema order.
    images: dict[str, dict[str, tuple[str, ValueShape]]]
    #: Full exports: the profile of every item.
    profile: Profile
    #: Incremental exports: the distinct (sorted) attribute sets of Keys.
    key_sets: set[tuple[str, ...]]
    #: Chunks parsed by the native scanner and by pyarrow.
    parsed: dict[str, int] = field(default_factory=dict)

    def relation(self) -> SpilledRows | pa.Table:
        """The spilled rows as one re-scannable relation (a table with no rows if empty)."""
        if not self.segments:
            return self.schema.empty_table() if len(self.schema) else _EMPTY
        return SpilledRows(self.segments, self.schema)


class SpilledRows:
    """The spilled segments read back as one Arrow stream of the unified schema, anew at
    every scan (the Arrow PyCapsule stream interface, which DuckDB scans:
    https://arrow.apache.org/docs/format/CDataInterface/PyCapsuleInterface.html).

    One batch at a time is read, so a scan holds a few chunks in memory whatever the spill's
    size (a ``pyarrow.dataset`` reads whole fragments ahead of a slow consumer). A segment's
    batch is conformed to the unified schema: a column it lacks is NULL, a struct lacking a
    field reads it as NULL (cast by field name).
    """

    def __init__(self, segments: Sequence[Path], schema: pa.Schema) -> None:
        self.segments = list(segments)
        self.schema = schema

    def batches(self) -> Iterator[pa.RecordBatch]:
        for path in self.segments:
            with pa.memory_map(str(path)) as source:
                reader = ipc.open_file(source)
                for i in range(reader.num_record_batches):
                    yield self._conform(reader.get_batch(i))

    def _conform(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if batch.schema.equals(self.schema):
            return batch
        present = set(batch.schema.names)
        columns = [
            batch.column(f.name).cast(f.type)
            if f.name in present
            else pa.nulls(batch.num_rows, f.type)
            for f in self.schema
        ]
        return pa.RecordBatch.from_arrays(columns, schema=self.schema)

    def reader(self) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(self.schema, self.batches())

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        return self.reader().__arrow_c_stream__(requested_schema)


_EMPTY = pa.table({"_empty": pa.array([], pa.null())})


def _check_profilable(t: pa.DataType) -> None:
    """Unsupported if a chunk's attribute type has a descriptor holding another JSON type (an
    ``N`` that is a JSON number or a list: the profile reads N and NS as text). Null types
    (``null``; ``list<null>`` for a set or L, all empty) are left to the chunks that widen
    them, and the rest of the shape to :func:`_shape` over the unified schema. Not cached:
    hashing a wide map's type costs more than these few comparisons."""
    if not pa.types.is_struct(t):
        raise Unsupported(f"not a DynamoDB value: {t}")
    for f in t:
        name, ft = f.name, f.type
        empty_list = pa.types.is_list(ft) and pa.types.is_null(ft.value_type)
        if pa.types.is_null(ft) or (empty_list and (name in _SETS or name == "L")):
            continue
        if name in DESCRIPTORS and not _holds_its_type(name, ft):
            raise Unsupported(f"not a DynamoDB value: {name} {ft}")


def _holds_its_type(descriptor: str, t: pa.DataType) -> bool:
    """Whether ``descriptor`` holds the Arrow type of its DynamoDB JSON type: text for S, N,
    B; a boolean for BOOL, NULL; a list of text for the sets; a struct for M; a list for L
    (an unknown descriptor holds none)."""
    return (
        (descriptor in _STRINGS and pa.types.is_string(t))
        or (descriptor in _BOOLS and pa.types.is_boolean(t))
        or (descriptor in _SETS and pa.types.is_list(t) and pa.types.is_string(t.value_type))
        or (descriptor == "M" and pa.types.is_struct(t))
        or (descriptor == "L" and pa.types.is_list(t))
    )


def _shape(t: pa.DataType, depth: int = 0) -> ValueShape:
    """The :class:`ValueShape` of a staged value type; Unsupported if not DynamoDB's shape."""
    if depth > MAX_DEPTH or not pa.types.is_struct(t) or len(t) == 0:
        raise Unsupported(f"not a DynamoDB value: {t}")
    descriptors: list[str] = []
    members: tuple[tuple[str, ValueShape], ...] = ()
    element: ValueShape | None = None
    for f in t:
        name, ft = f.name, f.type
        if not _holds_its_type(name, ft):
            raise Unsupported(f"not a DynamoDB value: {name} {ft}")
        if name == "M":
            # DuckDB resolves struct fields case-insensitively (even by position): members
            # whose names differ only in case would read each other's values.
            if len({m.name.lower() for m in ft}) != len(ft):
                raise Unsupported("map members whose names differ only in case")
            members = tuple((m.name, _shape(m.type, depth + 1)) for m in ft)
        elif name == "L" and not pa.types.is_null(ft.value_type):
            element = _shape(ft.value_type, depth + 1)
        descriptors.append(name)
    assert set(descriptors) <= set(DESCRIPTORS)
    return ValueShape(tuple(descriptors), members, element)


def stage(
    files: Sequence[RawFile],
    folder: Path,
    *,
    lines: Lines,
    workers: int,
    native: bool = True,
    progress: Progress | None = None,
) -> Spill:
    """Read, verify, parse, profile and spill every file (see the module docstring).

    ``files`` are read with :meth:`RawFile.open` (MD5 checked at the end of each).
    ``native``: parse with the native JSON scanner where it can (:mod:`.arrow_scan`; False:
    pyarrow parses every chunk). Raises ``ExportError`` naming a bad file,
    :class:`Unsupported` for shapes it does not handle.
    """
    progress = progress or NullProgress()
    folder.mkdir(parents=True, exist_ok=True)
    learned = _Schema(native=native)
    stop = threading.Event()
    workers = max(1, workers)
    # Files are read (verified, decompressed, cut) by up to ``workers`` threads, one file
    # each; their chunks are parsed by a pool of ``workers`` threads, AHEAD chunks ahead of
    # the one being spilled. An export of fewer files than cores (an incremental export, a
    # small table) keeps every core busy too, and decompression overlaps parsing.
    parsers = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aws2bq-parse")

    def one(index: int, file: RawFile) -> _FileResult:
        result = _FileResult(segments=Segments(folder, index))
        assert result.segments is not None
        parsing: deque[Future[_Chunk]] = deque()

        def spill_next() -> None:
            try:
                chunk = parsing.popleft().result()
            except _BadFile as exc:
                if exc.line is not None:
                    exc.line += result.rows  # the chunk's line number → the file's
                raise
            result.rows += chunk.rows  # in file order: line numbers stay exact
            result.profile.merge(chunk.stats.profile)
            result.key_sets |= chunk.stats.key_sets
            assert result.segments is not None
            result.segments.write(chunk.spilled)

        try:
            with file.open() as stream:
                try:
                    for data in _chunks(_gunzip(stream, progress, result)):
                        if stop.is_set():
                            raise Unsupported("stopped: another file failed")
                        parsing.append(parsers.submit(_prepare, pa.py_buffer(data), learned, lines))
                        if len(parsing) > AHEAD:
                            spill_next()
                    while parsing:
                        spill_next()
                except _BadFile:
                    # A corrupt file is reported as such: reading it to its end checks its
                    # MD5 (an ExportError saying so) before the parse error is reported.
                    while stream.read(READ_BYTES):
                        pass
                    raise
                finally:
                    for future in parsing:
                        future.cancel()
        except _BadFile as exc:
            export = getattr(file, "export", "")
            at = f"data file {file.key}" + (f" line {exc.line}" if exc.line else "")
            raise ExportError(
                f"export {export}: {at} cannot be read: it {exc}",
                hint=exc.hint
                or "the file is truncated or not an export's gzip JSON lines; export again",
            ) from exc
        finally:
            result.segments.close()
        progress.advance("download", files=1)
        reached("download")
        progress.advance("stage", files=1, rows=result.rows)
        return result

    with parsers, ThreadPoolExecutor(max_workers=min(workers, max(1, len(files)))) as pool:
        futures = [pool.submit(one, i, f) for i, f in enumerate(files)]
        try:
            results = [f.result() for f in futures]
        except BaseException:
            stop.set()
            for f in futures:
                f.cancel()
            raise
    spill = _finish(folder, files, results, lines)
    spill.parsed = dict(learned.parsed)
    # Which parser read the export (-v / JSON logs): the native scanner unless not built,
    # turned off (?native=0) or declining (new fields, bad lines, types it does not read).
    log.info("staged %d chunk(s): %s", sum(spill.parsed.values()), spill.parsed)
    release_arrow_memory()
    return spill


def release_arrow_memory() -> None:
    """Give the memory Arrow's pool kept after parsing back to the system.

    Arrow's allocator (mimalloc or jemalloc) keeps freed blocks for reuse: the chunks parsed
    in flight (a few hundred MB) would stay resident while DuckDB's buffer pool fills in the
    apply, and the peak RSS would be their sum (issue 13: under 1 GiB at any size).
    https://arrow.apache.org/docs/python/generated/pyarrow.MemoryPool.html
    """
    pa.default_memory_pool().release_unused()


def _finish(
    folder: Path, files: Sequence[RawFile], results: Sequence[_FileResult], lines: Lines
) -> Spill:
    segments: list[Path] = []
    schemas: list[pa.Schema] = []
    for r in results:
        assert r.segments is not None
        segments += r.segments.paths
        schemas += r.segments.schemas
    try:
        schema = (
            pa.unify_schemas(schemas, promote_options="permissive") if schemas else pa.schema([])
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise Unsupported(f"cannot unify the chunks: {exc}") from exc
    images: dict[str, dict[str, tuple[str, ValueShape]]] = {}
    for root, names in lines.names.items():
        by_column = {c: a for a, c in names.columns.items()}
        images[root] = {
            by_column[f.name]: (f.name, _shape(f.type))
            for f in schema
            if f.name in by_column and not pa.types.is_null(f.type)
        }
    profile = Profile()
    key_sets: set[tuple[str, ...]] = set()
    for r in results:
        profile.merge(r.profile)
        key_sets |= r.key_sets
    return Spill(
        folder=folder,
        segments=segments,
        schema=schema,
        rows={f.key: r.rows for f, r in zip(files, results, strict=True)},
        bytes=sum(r.bytes for r in results),
        images=images,
        profile=profile,
        key_sets=key_sets,
    )
