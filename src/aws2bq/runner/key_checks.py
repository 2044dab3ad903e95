"""Refuse an export whose rows cannot be keyed, or that holds one key twice (issue 11.3/11.4).

The query runs in the warehouse (:mod:`aws2bq.core.key_checks`); when it finds something,
the export's files are read again to name the culprit (:mod:`aws2bq.sources.dynamodb.lines`):
the file and line of an item without its key, every line of a duplicated key. RDS snapshots
name the table and the key (their Parquet rows have no line numbers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlglot.expressions as exp

from aws2bq.core.key_checks import (
    key_columns,
    key_problems_select,
    read_key_problems,
    unkeyable_columns,
)
from aws2bq.core.schema import TableSchema
from aws2bq.errors import ExportError
from aws2bq.sources.dynamodb.lines import (
    LineFile,
    Place,
    describe_key,
    describe_places,
    first_unkeyed_item,
    places_of_keys,
)
from aws2bq.warehouses.base import Warehouse

#: Finds the first row without a key: (place, why) or None.
FindUnkeyed = Callable[[], tuple[Place, str] | None]
#: Finds the places of duplicated keys (typed values) → places.
FindPlaces = Callable[[list[tuple[Any, ...]]], dict[tuple[Any, ...], list[Place]]]

HINT = (
    "every row of a table has exactly one primary key; the export is corrupt or was "
    "altered — nothing was applied"
)


def check_keys(
    wh: Warehouse,
    rows: exp.Query,
    schema: TableSchema,
    *,
    what: str,
    unit: str,
    find_unkeyed: FindUnkeyed | None = None,
    find_places: FindPlaces | None = None,
) -> None:
    """Raise ``ExportError`` if a row of ``rows`` (typed, ``schema``'s columns) has a NULL key
    or shares its key with another row. ``what`` names the export (and table); ``unit`` is
    what a row is (``item``, ``row``). Nothing is checked when the schema has no keys."""
    if not schema.keys:
        return
    bad = unkeyable_columns(schema)
    if bad:
        by_source = schema.by_source()
        types = ", ".join(f"{k} ({by_source[k].type})" for k in bad)
        raise ExportError(
            f"{what}: key column(s) {types} hold values that cannot be a key",
            hint="a key is a string, number or binary value of one type in every row",
        )
    names = key_columns(schema)
    problems = read_key_problems(wh.query(key_problems_select(rows, names)))
    if problems.unkeyed:
        found = find_unkeyed() if find_unkeyed is not None else None
        if found is not None:
            (file, line), why = found
            raise ExportError(
                f"{what}: data file {file} line {line} {why}; a {unit} without its key "
                f"({', '.join(schema.keys)}) cannot be applied",
                hint=HINT,
            )
        raise ExportError(
            f"{what}: {unit}(s) without a key: {', '.join(schema.keys)} is NULL", hint=HINT
        )
    if problems.duplicates:
        values, count = problems.duplicates[0]
        places = (find_places([values]) if find_places is not None else {}).get(values, [])
        more = (
            f" (and {len(problems.duplicates) - 1} other key(s))"
            if len(problems.duplicates) > 1
            else ""
        )
        seen = f": {describe_places(places)}" if places else ""
        raise ExportError(
            f"{what}: key {describe_key(schema.keys, values)} appears {count} times{seen}{more}",
            hint=HINT,
        )


def dynamodb_finders(
    files: Sequence[LineFile], keys: Sequence[str], *, image: str = "Item"
) -> tuple[FindUnkeyed, FindPlaces]:
    """Locators over a DynamoDB export's files (read only if a check failed)."""

    def unkeyed() -> tuple[Place, str] | None:
        return first_unkeyed_item(files, keys)

    def places(wanted: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], list[Place]]:
        return places_of_keys(files, keys, wanted, image=image)

    return unkeyed, places
