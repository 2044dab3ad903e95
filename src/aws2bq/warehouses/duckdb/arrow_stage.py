"""The fast DynamoDB stager: pyarrow's C++ JSON reader, files parsed in parallel, into Arrow.

Each data file is decompressed and parsed by Arrow in native code (the GIL is released), one
file per worker thread; the parsed items become one Arrow table with a column per top-level
attribute, which DuckDB scans without a copy. Every line is parsed once.

Nothing can be lost: the schema is *inferred* (never a fixed list of attributes), chunk by
chunk; once known, it is given to the parser as an explicit schema with
``unexpected_field_behavior="error"``, so a chunk holding an attribute, descriptor or nested
member not seen yet fails and is parsed again with inference, which widens the schema. Arrow
infers ISO-looking strings as timestamps; such a chunk is parsed again with those fields
declared as strings, so every S value keeps its exact text.

The stager refuses (:class:`Unsupported`) what it cannot represent exactly or cheaply — an
invalid line, bytes that are not UTF-8, a value shape other than DynamoDB's, more than
:data:`MAX_FIELDS` distinct nested fields (maps with data-dependent keys), more than
:data:`MAX_DEPTH` levels, or more parsed data than the memory budget — and the caller falls
back to DuckDB's own JSON reader, which handles everything (and names a bad file).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pj

from aws2bq.core.dynamodb_sql import ValueShape
from aws2bq.core.dynamodb_types import DESCRIPTORS

#: Distinct nested fields (all levels) the unified schema may have before giving up.
MAX_FIELDS = 2000
#: M / L nesting levels supported by the generated SQL.
MAX_DEPTH = 24
#: Decompressed bytes parsed at a time (bounds the cost of inferring a chunk).
CHUNK_BYTES = 1 << 20
#: Default budget for the parsed Arrow data kept in memory.
DEFAULT_MEMORY_BUDGET = 512 << 20

_STRINGS = ("S", "N", "B")
_BOOLS = ("BOOL", "NULL")
_SETS = ("SS", "NS", "BS")


class Unsupported(Exception):
    """The export cannot be staged by this stager; use the generic reader instead."""


@dataclass
class ArrowStage:
    """What the Arrow stager produced."""

    #: One column per top-level attribute, named ``a0``, ``a1``, … (a struct of descriptors).
    table: pa.Table
    #: attribute name → (column name, value shape), in column order.
    columns: dict[str, tuple[str, ValueShape]]
    #: rows per input path.
    rows: dict[Path, int] = field(default_factory=dict)


class _Schema:
    """The schema learned so far, shared by the workers."""

    def __init__(self, budget: int) -> None:
        self.lock = threading.Lock()
        self.schema: pa.Schema | None = None
        self.budget = budget
        self.used = 0

    def known(self) -> pa.Schema | None:
        with self.lock:
            return self.schema

    def learn(self, table: pa.Table) -> None:
        with self.lock:
            self.used += table.nbytes
            if self.used > self.budget:
                raise Unsupported("the parsed items exceed the memory budget")
            if self.schema is not None and table.schema.equals(self.schema):
                return
            merged = (
                table.schema
                if self.schema is None
                else pa.unify_schemas([self.schema, table.schema], promote_options="permissive")
            )
            _check(merged)
            self.schema = merged


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
    no file named. Cast in native code, without copying the chunk."""
    offsets = pa.array([0, data.size], pa.int64()).buffers()[1]
    try:
        pa.LargeBinaryArray.from_buffers(pa.large_binary(), 1, [None, offsets, data]).cast(
            pa.large_string()
        )
    except pa.ArrowInvalid as exc:
        raise Unsupported(f"invalid UTF-8 ({exc})") from exc


def _parse_chunk(data: pa.Buffer, learned: _Schema) -> pa.Table:
    _check_utf8(data)
    known = learned.known()
    table: pa.Table | None = None
    if known is not None:
        try:
            table = _read(data, known, "error")
        except pa.ArrowInvalid:
            table = None  # a field not seen yet (or a bad line): infer below
    if table is None:
        try:
            table = _read(data, known, "infer")
            if any(_has_timestamps(f.type) for f in table.schema):
                fixed = pa.schema([f.with_type(_without_timestamps(f.type)) for f in table.schema])
                table = _read(data, fixed, "error")
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise Unsupported(f"Arrow cannot parse a chunk: {exc}") from exc
    learned.learn(table)
    return table


def _parse_file(path: Path, learned: _Schema) -> list[pa.Table]:
    tables: list[pa.Table] = []
    tail = b""
    try:
        with pa.CompressedInputStream(pa.OSFile(str(path)), "gzip") as stream:
            while True:
                block = stream.read(CHUNK_BYTES)
                if not block:
                    break
                data = tail + block if tail else block
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    tail = data
                    continue
                tail = data[cut:]
                tables.append(_parse_chunk(pa.py_buffer(data[:cut]), learned))
    except OSError as exc:  # bad gzip: the generic reader reports it, naming the file
        raise Unsupported(f"{path.name}: {exc}") from exc
    if tail.strip():
        tables.append(_parse_chunk(pa.py_buffer(tail), learned))
    return tables


def _shape(t: pa.DataType, depth: int = 0) -> ValueShape:
    """The :class:`ValueShape` of a staged value type; Unsupported if not DynamoDB's shape."""
    if depth > MAX_DEPTH or not pa.types.is_struct(t) or len(t) == 0:
        raise Unsupported(f"not a DynamoDB value: {t}")
    descriptors: list[str] = []
    members: tuple[tuple[str, ValueShape], ...] = ()
    element: ValueShape | None = None
    for f in t:
        name, ft = f.name, f.type
        scalar = (
            (name in _STRINGS and pa.types.is_string(ft))
            or (name in _BOOLS and pa.types.is_boolean(ft))
            or (name in _SETS and pa.types.is_list(ft) and pa.types.is_string(ft.value_type))
        )
        if scalar:
            pass
        elif name == "M" and pa.types.is_struct(ft):
            members = tuple((m.name, _shape(m.type, depth + 1)) for m in ft)
        elif name == "L" and pa.types.is_list(ft):
            if not pa.types.is_null(ft.value_type):
                element = _shape(ft.value_type, depth + 1)
        else:
            raise Unsupported(f"not a DynamoDB value: {name} {ft}")
        descriptors.append(name)
    assert set(descriptors) <= set(DESCRIPTORS)
    return ValueShape(tuple(descriptors), members, element)


def stage(
    paths: Sequence[Path], *, workers: int, budget: int = DEFAULT_MEMORY_BUDGET
) -> ArrowStage:
    """Parse every file (gzip JSON lines of ``{"Item": {...}}``) into one Arrow table."""
    learned = _Schema(budget)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(_parse_file, p, learned) for p in paths]
        try:
            per_file = [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    rows = {p: sum(t.num_rows for t in ts) for p, ts in zip(paths, per_file, strict=True)}
    chunks = [t for ts in per_file for t in ts if t.num_rows]
    if not chunks:
        # No items: a table with one (never read) column, so DuckDB can scan it.
        return ArrowStage(pa.table({"_empty": pa.array([], pa.null())}), {}, rows)
    schema = learned.known()
    assert schema is not None
    if schema.names != ["Item"] or not pa.types.is_struct(schema.field("Item").type):
        raise Unsupported(f"lines are not {{'Item': {{...}}}} objects: {schema.names}")
    try:
        table = pa.concat_tables(chunks, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise Unsupported(f"cannot unify the chunks: {exc}") from exc
    item = table.column("Item")
    if item.null_count:
        raise Unsupported("a line has no Item")
    item_type = table.schema.field("Item").type
    columns: dict[str, tuple[str, ValueShape]] = {}
    arrays: dict[str, pa.ChunkedArray] = {}
    for i, f in enumerate(item_type):
        name = f"a{i}"
        columns[f.name] = (name, _shape(f.type))
        arrays[name] = pa.chunked_array([c.field(i) for c in item.chunks], type=f.type)
    return ArrowStage(pa.table(arrays), columns, rows)
