"""What the ledger says about a files stream: the objects applied, the table's schema.

Each load of a files stream writes ONE ledger row (``_aws2bq_ledger``, source ``files``,
export kind ``objects``) in the same transaction as the rows; its ``changes_json`` holds
``{"objects": [{"key", "etag", "size", "last_modified", "rows"}, …]}``. The ledger's columns
are unchanged. The exactly-once rule reads those lists back:

- an object whose key is in no row is **new** and is loaded;
- an object whose key, ETag and size match a row was **applied** and is left alone;
- an object whose key was applied but whose ETag or size differ **changed**: it is never
  reloaded silently; the load's ``on_changed`` policy reports it (see :mod:`.load`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws2bq.core.schema import TableSchema
from aws2bq.runner.apply import ledger_history
from aws2bq.sources.files.listing import FileObject
from aws2bq.warehouses.base import Warehouse


@dataclass(frozen=True)
class AppliedObject:
    """One object as a ledger row recorded it."""

    key: str
    etag: str
    size: int
    export_id: str


@dataclass
class FilesHistory:
    """The stream's ledger rows: the objects applied and the newest schema."""

    objects: dict[str, AppliedObject] = field(default_factory=dict)
    schema: TableSchema | None = None
    loads: int = 0


@dataclass
class Classified:
    """The listed objects split by the exactly-once rule (module docstring)."""

    new: list[FileObject] = field(default_factory=list)
    applied: list[FileObject] = field(default_factory=list)
    changed: list[tuple[FileObject, AppliedObject]] = field(default_factory=list)


def read_history(wh: Warehouse, stream: str) -> FilesHistory:
    """The stream's history (empty when the ledger does not exist yet): the objects of every
    ledger row, and the schema of the row applied last (the table's schema now; the
    objects' LastModified, the rows' ``exported_at``, need not grow from load to load)."""
    history = FilesHistory()
    rows = ledger_history(wh, stream, changes=True)
    rows.sort(key=lambda r: r.applied_at or r.exported_at, reverse=True)
    for row in rows:
        history.loads += 1
        if history.schema is None:
            history.schema = row.schema
        for obj in row.changes.get("objects", []):
            key = str(obj["key"])
            history.objects.setdefault(
                key, AppliedObject(key, str(obj["etag"]), int(obj["size"]), row.export_id)
            )
    return history


def classify(objects: Sequence[FileObject], history: FilesHistory) -> Classified:
    """Split ``objects`` into new, applied and changed (module docstring)."""
    out = Classified()
    for obj in objects:
        before = history.objects.get(obj.key)
        if before is None:
            out.new.append(obj)
        elif before.etag == obj.etag and before.size == obj.size:
            out.applied.append(obj)
        else:
            out.changed.append((obj, before))
    return out
