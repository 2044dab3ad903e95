"""The Arrow stager's fast path: a chunk parsed against its known schema in native code.

pyarrow's JSON reader spends most of a DynamoDB load building the nested structs of DynamoDB
JSON (``bench/dynamodb_breakdown.py``: 2.5–5.9 s of CPU per million items, more than
everything else the stager does). Once the stager has learned the schema (pyarrow infers it
from the first chunks), :meth:`Plan.scan` fills the same Arrow arrays from a chunk in one
pass, in C (``_json_scan.c``, the GIL released; measured on 1M items: 2.35 s of CPU for the
whole parse against pyarrow's 5.80 s), and returns ``None`` whenever it is not sure to read
the chunk exactly as pyarrow would — a field or a JSON type the schema does not have, a JSON
number token (DynamoDB JSON writes numbers as strings, which it reads), a duplicate member,
an empty chunk, nesting deeper than 200, anything that is not JSON. The caller then parses
that chunk with pyarrow, which widens the schema or reports the error at its line, so this
module never decides what is an error and never changes what a load produces
(``tests/unit/test_arrow_scan.py`` compares the two on generated exports).

Schemas it reads: structs, strings, booleans and lists of them — every shape of DynamoDB JSON
(:func:`aws2bq.warehouses.duckdb.arrow_stage._shape`) and of an export's line. Every chunk
goes to pyarrow without the compiled module (no C compiler at install time, a platform it
was not built for, the Lambda artifact) or with ``?native=0`` in the DuckDB URL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:  # the stub's types: one node of the spec, one node's result
    from aws2bq.warehouses.duckdb._json_scan import _Node as Node
    from aws2bq.warehouses.duckdb._json_scan import _Result

_native_scan: Callable[..., tuple[int, list[_Result]] | None] | None
try:
    from aws2bq.warehouses.duckdb._json_scan import scan as _native_scan
except ImportError:  # not compiled for this platform: pyarrow parses every chunk
    _native_scan = None

_STRUCT, _STRING, _BOOL, _LIST = 0, 1, 2, 3


def available() -> bool:
    """Whether the native scanner is compiled for this platform."""
    return _native_scan is not None


def plan_for(schema: pa.Schema) -> Plan | None:
    """The scanner's plan for ``schema``; None where it does not read the schema (a type
    other than struct, string, boolean, list) or is not compiled."""
    if _native_scan is None:
        return None
    try:
        return Plan.of(schema)
    except ValueError:
        return None


class Plan:
    """A schema the scanner can read, as its spec, and the way back to Arrow arrays.

    Raises ``ValueError`` (from :meth:`of`) for a schema with a type the scanner does not
    read (a number, a timestamp, a null type...).
    """

    def __init__(self, schema: pa.Schema, spec: list[Node], types: list[pa.DataType]) -> None:
        self.schema = schema
        self.spec = spec
        self.types = types

    @classmethod
    def of(cls, schema: pa.Schema) -> Plan:
        spec: list[Node] = []
        types: list[pa.DataType] = []

        def add(t: pa.DataType) -> int:
            index = len(spec)
            spec.append((0, (), ()))
            types.append(t)
            if pa.types.is_struct(t):
                children = tuple(add(f.type) for f in t)
                spec[index] = (_STRUCT, children, tuple(f.name.encode() for f in t))
            elif pa.types.is_list(t):
                element = () if pa.types.is_null(t.value_type) else (add(t.value_type),)
                spec[index] = (_LIST, element, ())
            elif pa.types.is_string(t):
                spec[index] = (_STRING, (), ())
            elif pa.types.is_boolean(t):
                spec[index] = (_BOOL, (), ())
            else:
                raise ValueError(f"the native scanner does not read {t}")
            return index

        add(pa.struct(list(schema)))
        return cls(schema, spec, types)

    def scan(self, data: pa.Buffer) -> pa.Table | None:
        """The chunk as a table of :attr:`schema`, or ``None``: parse it with pyarrow."""
        if _native_scan is None:
            return None
        result = _native_scan(data, self.spec)
        if result is None:
            return None
        rows, nodes = result
        root = self._root(nodes)
        assert len(root) == rows
        return pa.Table.from_arrays(root.flatten(), schema=self.schema)

    def _root(self, nodes: list[_Result]) -> pa.Array:
        """The root node's Arrow array, built children first (the spec is in pre-order)."""
        arrays: list[pa.Array | None] = [None] * len(nodes)
        for index in range(len(nodes) - 1, -1, -1):
            length, nulls, validity, values, data = nodes[index]
            kind, children, _ = self.spec[index]
            t = self.types[index]
            bitmap = pa.py_buffer(validity) if validity is not None else None
            if kind == _STRUCT:
                arrays[index] = pa.Array.from_buffers(
                    t, length, [bitmap], nulls, children=[arrays[c] for c in children]
                )
            elif kind == _LIST:
                child = arrays[children[0]] if children else pa.nulls(0)
                arrays[index] = pa.Array.from_buffers(
                    t, length, [bitmap, pa.py_buffer(values)], nulls, children=[child]
                )
            elif kind == _STRING:
                arrays[index] = pa.Array.from_buffers(
                    t, length, [bitmap, pa.py_buffer(values), pa.py_buffer(data)], nulls
                )
            else:
                arrays[index] = pa.Array.from_buffers(
                    t, length, [bitmap, pa.py_buffer(values)], nulls
                )
        return arrays[0]
