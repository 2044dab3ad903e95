"""The exact, slower read of a JSON lines object whose fields change type between lines.

pyarrow.json refuses an object when a field holds a number on one line and a string on
another (``Column(/p/a) changed from number to string``); heterogeneous JSON logs are
normal, so :func:`aws2bq.sources.files.reading.parse` falls back, for that object only, to
Python's json module, one line at a time. Per top-level field:

- values all of one JSON type: that type (numbers: INT64 when all fit, else the exact
  numbers of :func:`.arrow_types.exact_numbers`, else FLOAT64; strings: text, ISO times
  typed by :func:`.arrow_types.typed_times` afterwards);
- scalars of different JSON types (a code that is a number on one line and a string on
  another): text, each value as written (strings without their quotes, numbers with their
  digits), as :func:`.arrow_types.join` joins the same values found in different objects;
- objects or arrays (with anything else): a JSON column (``pa.json_()``) of each value's JSON
  text, numbers written with their original digits (nothing rounded);
- JSON ``null`` (or the field absent) is NULL.

Errors (``ExportError`` naming the object and the 1-based line): a line that is not valid
JSON, or not a JSON object.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from aws2bq.errors import ExportError
from aws2bq.sources.files.arrow_types import exact_numbers, typed_times


class _Number(str):
    """A JSON number's text as written (so big integers and long fractions stay exact)."""


def _number(text: str) -> _Number:
    return _Number(text)


def _kind(value: Any) -> str:
    if isinstance(value, _Number):
        return "number"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    return "array"


def _text(value: Any) -> str:
    """``value``'s JSON text, numbers with their original digits."""
    if isinstance(value, _Number):
        return str.__str__(value)
    if isinstance(value, dict):
        inner = ",".join(f"{json.dumps(k)}:{_text(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + ",".join(_text(v) for v in value) + "]"
    return json.dumps(value)  # str, bool, None


def _numbers(values: list[Any]) -> pa.Array:
    text = pa.array([None if v is None else str.__str__(v) for v in values], pa.string())
    try:
        return pc.cast(text, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass  # a fraction, an exponent or an integer beyond int64
    exact = exact_numbers(text)
    if exact is not None:
        return exact if isinstance(exact, pa.Array) else exact.combine_chunks()
    return pc.cast(text, pa.float64())


def _column(values: list[Any]) -> pa.Array:
    kinds = {_kind(v) for v in values if v is not None}
    if not kinds:
        return pa.nulls(len(values))
    if kinds == {"number"}:
        return _numbers(values)
    if kinds == {"string"}:
        return pa.array(values, pa.string())
    if kinds == {"boolean"}:
        return pa.array(values, pa.bool_())
    if kinds <= {"number", "string", "boolean"}:
        # Scalars of several types: text, each value as written (a string without its JSON
        # quotes), as the same values in different objects, or in different loads, are
        # joined — so one field never holds 'E_A' in some rows and '"E_A"' in others.
        return pa.array([None if v is None else _scalar_text(v) for v in values], pa.string())
    return pa.array([None if v is None else _text(v) for v in values], pa.json_())


def _scalar_text(value: Any) -> str:
    if isinstance(value, str):  # a string, or a number's text as written (_Number)
        return str.__str__(value)
    return "true" if value else "false"


def read_mixed_json(data: bytes, url: str) -> pa.Table:
    """The rows of a JSON lines object, one column per top-level field in the order first
    seen (see the module docstring). Raises ``ExportError`` on an invalid line."""
    records: list[dict[str, Any]] = []
    names: dict[str, None] = {}
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line, parse_int=_number, parse_float=_number, parse_constant=_bad)
        except json.JSONDecodeError as exc:  # its own "line 1" would contradict ours
            raise _error(url, number, f"invalid JSON: {exc.msg} at column {exc.colno}") from None
        except ValueError as exc:  # UnicodeDecodeError, NaN / Infinity
            raise _error(url, number, f"invalid JSON: {exc}") from None
        if not isinstance(record, dict):
            raise _error(url, number, f"a JSON {_kind(record)}, not an object")
        records.append(record)
        names.update(dict.fromkeys(record))
    columns = {name: _column([r.get(name) for r in records]) for name in names}
    return typed_times(pa.table(columns) if columns else pa.table({}))


def _bad(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _error(url: str, line: int, what: str) -> ExportError:
    return ExportError(
        f"object {url} cannot be read as jsonl at line {line}: {what}",
        hint="nothing was applied; fix or remove the object (or pass the right --format)",
    )
