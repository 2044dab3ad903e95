"""Find the lines of a DynamoDB export behind a refusal: which file, which line.

The checks themselves run in the warehouse (SQL over the staged rows, no per-row Python).
When one fails, these functions read the export's files again — only on that error path —
to name the first offending line, or every line holding a duplicated key. Files are read
through :meth:`RawFile.open` (bounded by their listed size, MD5-verified), line by line.

A full export line is ``{"Item": {...}}``; an incremental one is
``{"Metadata": …, "Keys": {...}, "NewImage": {...}, …}`` (docs/export-formats.md §1). A key
attribute is S, N or B (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/
HowItWorks.NamingRulesDataTypes.html: "the only data types allowed for primary key
attributes are string, number, or binary").
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import zlib
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn, Protocol

import orjson

from aws2bq.errors import ExportError

#: Where a line is: (file key, 1-based line number).
Place = tuple[str, int]
KEY_TYPES = ("S", "N", "B")


class LineFile(Protocol):
    """A data file as the locator reads it (``aws2bq.sources.blobs.ExportFile``)."""

    @property
    def key(self) -> str: ...

    def open(self) -> Any: ...


def decode_line(line: bytes) -> Any:
    """One line's JSON (None if not JSON). orjson first; the standard library for what
    orjson refuses and a JSON reader may accept (an integer wider than 64 bits)."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        try:
            return json.loads(line)
        except ValueError:
            return None


def lines(files: Sequence[LineFile]) -> Iterator[tuple[Place, Any]]:
    """Every line of every file, in order: (place, parsed JSON, or None if not JSON)."""
    for f in files:
        try:
            with f.open() as raw, gzip.GzipFile(fileobj=raw, mode="rb") as text:
                for n, line in enumerate(text, start=1):
                    if not line.strip():
                        continue
                    yield (f.key, n), decode_line(line)
        except (OSError, EOFError, zlib.error):
            continue  # an unreadable file is reported by the stager, not here


def unreadable_line(f: LineFile) -> tuple[int, str] | None:
    """The first line of ``f`` that is not UTF-8 or not JSON: (1-based line, why), or None
    (the file is unreadable another way: its gzip, its size). For naming the line a
    warehouse's reader refused with a message of its own."""
    try:
        with f.open() as raw, gzip.GzipFile(fileobj=raw, mode="rb") as text:
            for n, line in enumerate(text, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    return n, "is not UTF-8 text (RFC 8259 §8.1)"
                if line.strip() and decode_line(line) is None:
                    return n, "is not JSON"
    except (OSError, EOFError, zlib.error):
        return None
    return None


def unreadable_file(f: LineFile, reader_message: str) -> str:
    """What is wrong with a data file a warehouse's reader refused: ``data file KEY line N
    is not …`` when :func:`unreadable_line` finds the line (the reader's own message names a
    scratch copy and counts lines its own way), else ``data file KEY cannot be read
    (reader_message)``."""
    found = unreadable_line(f)
    if found is None:
        return f"data file {f.key} cannot be read ({reader_message})"
    return f"data file {f.key} line {found[0]} {found[1]}"


def key_problem(image: Any, keys: Sequence[str]) -> str | None:
    """Why ``image`` (a DynamoDB item) cannot be keyed by ``keys``, or None if it can."""
    if not isinstance(image, Mapping):
        return "is not an item"
    for k in keys:
        value = image.get(k)
        if not isinstance(value, Mapping) or len(value) != 1:
            return f"has no key attribute {k!r}"
        ((descriptor, _),) = value.items()
        if descriptor == "NULL":
            return f"holds its key attribute {k!r} as NULL"
        if descriptor not in KEY_TYPES:
            return f"holds its key attribute {k!r} as {descriptor} (keys are S, N or B)"
    return None


def record_problem(record: Any, keys: Sequence[str]) -> str | None:
    """Why an incremental record cannot be keyed: its Keys, or a NewImage disagreeing."""
    if not isinstance(record, Mapping):
        return "is not a record"
    why = key_problem(record.get("Keys"), keys)
    if why is not None:
        return f"Keys {why.removeprefix('is ').removeprefix('has ')}".replace(
            "Keys no", "Keys lack"
        )
    new = record.get("NewImage")
    if new is None:
        return None
    why = key_problem(new, keys)
    if why is not None:
        return f"NewImage {why}"
    for k in keys:
        if new[k] != record["Keys"][k]:
            return f"NewImage holds key {k}={_show(new[k])} but Keys say {_show(record['Keys'][k])}"
    return None


def first_unkeyed_item(files: Sequence[LineFile], keys: Sequence[str]) -> tuple[Place, str] | None:
    """The first full-export line with no ``Item`` or an item lacking a key (None: none)."""
    for place, line in lines(files):
        if not isinstance(line, Mapping) or not isinstance(line.get("Item"), Mapping):
            return place, "has no Item"
        if keys and (why := key_problem(line["Item"], keys)) is not None:
            return place, f"holds an item that {why}"
    return None


def raise_line_without_item(files: Sequence[LineFile]) -> None:
    """Raise ``ExportError`` naming the first full-export line without an ``Item`` (a stager
    found that some line has none)."""
    found = first_unkeyed_item(files, ())
    export = getattr(files[0], "export", "") if files else ""
    where = (
        f"data file {found[0][0]} line {found[0][1]} {found[1]}" if found else "a line has no Item"
    )
    raise ExportError(
        f'export {export}: {where}; every line of a full export is {{"Item": {{…}}}}',
        hint="the file is not a DynamoDB full export or was altered; nothing was applied",
    )


#: Why a line holding a list with a null element is refused (the place follows it).
NULL_ELEMENT = (
    "holds a list or set with a null element at {where} (DynamoDB JSON never has one: an L "
    'element is a typed value such as {{"NULL": true}}, a set\'s members are strings)'
)
NOT_DYNAMODB_JSON_HINT = "the file was altered or is not a DynamoDB export; nothing was applied"


def null_element(value: Any, where: str = "") -> str | None:
    """Where the first null element of a list is in a decoded line, such as
    ``Item.tags.SS[1]`` (None: no list holds null). Names that are not identifiers are
    quoted: ``Item["a.b"].L[0]``."""
    if isinstance(value, list):
        for n, element in enumerate(value):
            if element is None:
                return f"{where}[{n}]"
            if (found := null_element(element, f"{where}[{n}]")) is not None:
                return found
    elif isinstance(value, Mapping):
        for name, member in value.items():
            if (found := null_element(member, where + member_step(name, where))) is not None:
                return found
    return None


def member_step(name: str, where: str = "") -> str:
    """One step of a place in a line: ``.name``, or ``["a b"]`` for a name that is not an
    identifier (no dot at the start of a place: ``Item``)."""
    if str(name).isidentifier():
        return f".{name}" if where else name
    return f"[{orjson.dumps(name).decode()}]"


def raise_null_element(files: Sequence[LineFile]) -> NoReturn:
    """Raise ``ExportError`` naming the first line holding a list with a null element (a
    warehouse's staging found that some line has one)."""
    export = getattr(files[0], "export", "") if files else ""
    for (key, n), line in lines(files):
        if (where := null_element(line)) is not None:
            problem = f"data file {key} line {n} " + NULL_ELEMENT.format(where=where)
            break
    else:
        problem = "a line " + NULL_ELEMENT.format(where="some attribute")
    raise ExportError(f"export {export}: {problem}", hint=NOT_DYNAMODB_JSON_HINT)


def first_unkeyed_record(
    files: Sequence[LineFile], keys: Sequence[str]
) -> tuple[Place, str] | None:
    """The first incremental record that cannot be keyed (None: none)."""
    for place, line in lines(files):
        why = record_problem(line, keys)
        if why is not None:
            return place, f"holds a record whose {why}"
    return None


def plain_key_value(value: Mapping[str, Any]) -> Any:
    """A key attribute as a comparable value: S → str, N → normalised Decimal, B → bytes."""
    ((descriptor, raw),) = value.items()
    if descriptor == "N":
        try:
            return Decimal(str(raw)).normalize()
        except InvalidOperation:
            return raw
    if descriptor == "B":
        try:
            return base64.b64decode(str(raw), validate=True)
        except (binascii.Error, ValueError):
            return raw
    return raw


def typed_key_value(value: Any) -> Any:
    """A key value as the warehouse returned it, in :func:`plain_key_value`'s terms."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal | float):
        return Decimal(str(value)).normalize()
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return value


def places_of_keys(
    files: Sequence[LineFile],
    keys: Sequence[str],
    wanted: Sequence[tuple[Any, ...]],
    *,
    image: str = "Item",
    limit: int = 4,
) -> dict[tuple[Any, ...], list[Place]]:
    """The lines holding each key of ``wanted`` (typed values), at most ``limit`` each."""
    targets = {tuple(typed_key_value(v) for v in values): values for values in wanted}
    found: dict[tuple[Any, ...], list[Place]] = {values: [] for values in wanted}
    for place, line in lines(files):
        item = line.get(image) if isinstance(line, Mapping) else None
        if not isinstance(item, Mapping) or key_problem(item, keys) is not None:
            continue
        plain = tuple(plain_key_value(item[k]) for k in keys)
        candidates = {plain, tuple(str(v) if isinstance(v, Decimal) else v for v in plain)}
        for candidate in candidates:
            if candidate in targets:
                places = found[targets[candidate]]
                if len(places) < limit:
                    places.append(place)
                break
    return found


def describe_key(keys: Sequence[str], values: Sequence[Any]) -> str:
    """``pk='a', sk=3`` for messages."""
    return ", ".join(f"{k}={_show(v)}" for k, v in zip(keys, values, strict=True))


def _show(value: Any) -> str:
    if isinstance(value, Mapping) and len(value) == 1:
        ((_, raw),) = value.items()
        return repr(raw)
    if isinstance(value, Decimal):
        return str(value)
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


def describe_places(places: Sequence[Place]) -> str:
    """``data file A line 3, data file B line 7``."""
    return ", ".join(f"data file {key} line {n}" for key, n in places)
