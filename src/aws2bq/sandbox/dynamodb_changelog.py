"""The per-table write log behind the sandbox's point-in-time and incremental exports.

AWS reads exports from point-in-time recovery data; moto only has the table as it is now. So
every write made through the API is recorded here (time, old image, new image), and an export
reconstructs the table as of its ExportTime, or the changes inside an incremental window, from
this log. The log is pure data: the moto patches in :mod:`aws2bq.sandbox.dynamodb_writes` fill
it, :mod:`aws2bq.sandbox.dynamodb_exports` reads it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from aws2bq.sandbox.dynamodb_values import WireItem, key_id

#: (account id, region, table name): tables are per account and region in DynamoDB.
TableRef = tuple[str, str, str]


@dataclass(frozen=True)
class Write:
    """One write to one item: its time (sandbox clock, µs) and the images around it."""

    micros: int
    key: WireItem
    old: WireItem | None
    new: WireItem | None


@dataclass
class TableLog:
    """Every recorded write of one table, per item key, in time order."""

    by_key: dict[str, list[Write]] = field(default_factory=dict)

    def add(self, write: Write) -> None:
        self.by_key.setdefault(key_id(write.key), []).append(write)


class ChangeLog:
    """Write logs of all tables of the sandbox, safe to use from the server's threads."""

    def __init__(self) -> None:
        self._tables: dict[TableRef, TableLog] = {}
        self._lock = threading.Lock()
        self._last_micros = 0

    def stamp(self, micros: int) -> int:
        """A write time that is strictly after the previous one.

        Two writes in the same microsecond would make "the last write" ambiguous; DynamoDB
        orders writes to an item, so the sandbox does too.
        """
        with self._lock:
            self._last_micros = max(micros, self._last_micros + 1)
            return self._last_micros

    def record(self, table: TableRef, write: Write) -> None:
        with self._lock:
            self._tables.setdefault(table, TableLog()).add(write)

    def drop(self, table: TableRef) -> None:
        """Forget a table's writes (DeleteTable: a re-created table starts a new history)."""
        with self._lock:
            self._tables.pop(table, None)

    def writes(self, table: TableRef) -> dict[str, list[Write]]:
        """A copy of the table's writes per item key (empty if none were recorded)."""
        with self._lock:
            log = self._tables.get(table)
            return {k: list(v) for k, v in log.by_key.items()} if log else {}


def state_at(
    current: dict[str, WireItem], writes: dict[str, list[Write]], micros: int
) -> dict[str, WireItem]:
    """The table's items as of ``micros`` (writes at exactly that time included).

    ``current`` is the table now, keyed by :func:`key_id`. Items without recorded writes are
    taken as they are now (they were loaded some other way, e.g. ImportTable); for the others
    the last write at or before ``micros`` decides, or, if every write came later, the image
    before the first of them.
    """
    result = dict(current)
    for kid, item_writes in writes.items():
        before = [w for w in item_writes if w.micros <= micros]
        image = before[-1].new if before else item_writes[0].old
        if image is None:
            result.pop(kid, None)
        else:
            result[kid] = image
    return result


@dataclass(frozen=True)
class Change:
    """An item's net change inside an incremental window."""

    micros: int  # time of the last write in the window
    key: WireItem
    old: WireItem | None  # the item at the window's start (None: it did not exist)
    new: WireItem | None  # the item at the window's end (None: it was deleted)


def changes_between(
    writes: dict[str, list[Write]], from_micros: int, to_micros: int
) -> list[Change]:
    """Each item's net change in ``[from_micros, to_micros)``, ordered by last write time.

    Incremental exports are compacted to one record per item (export-formats.md §1); an item
    inserted and deleted inside the window has no net change and no record.
    """
    result: list[Change] = []
    for item_writes in writes.values():
        inside = [w for w in item_writes if from_micros <= w.micros < to_micros]
        if not inside:
            continue
        first, last = inside[0], inside[-1]
        if first.old is None and last.new is None:
            continue
        result.append(Change(last.micros, last.key, first.old, last.new))
    result.sort(key=lambda c: c.micros)
    return result


def incremental_record(change: Change, view: str) -> dict[str, Any]:
    """One line of an incremental export file for ``view`` (NEW_AND_OLD_IMAGES or NEW_IMAGE).

    | view               | insert       | update              | delete       |
    | NEW_AND_OLD_IMAGES | Keys+New     | Keys+Old+New        | Keys+Old     |
    | NEW_IMAGE          | Keys+New     | Keys+New            | Keys only    |
    """
    record: dict[str, Any] = {
        "Metadata": {"WriteTimestampMicros": {"N": str(change.micros)}},
        "Keys": change.key,
    }
    if change.new is not None:
        record["NewImage"] = change.new
    if view == "NEW_AND_OLD_IMAGES" and change.old is not None:
        record["OldImage"] = change.old
    return record
