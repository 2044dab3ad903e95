"""What the ledger says about a files stream: the objects applied, the table's schema.

Each load of a files stream writes ONE ledger row (``_aws2bq_ledger``, source ``files``,
export kind ``objects``) in the same transaction as the rows; its ``changes_json`` holds
``{"mode", "keys", "objects": [{"url", "key", "etag", "size", "last_modified", "rows"}, …]}``.
The ledger's columns are unchanged. The mode and keys a table was loaded with are kept by
every later load (:func:`check_mode`): appending to a merged table would duplicate keys.
The exactly-once rule reads the object lists back:

- an object whose location (``url``: ``s3://bucket/key`` or the file's absolute path; the
  ``key`` of rows written before ``url`` was recorded) is in no row is **new** and loaded;
- an object whose location, ETag and size match a row was **applied** and is left alone;
- an object whose location was applied but whose ETag or size differ **changed**: it is never
  reloaded silently; the load's ``on_changed`` policy reports it (see :mod:`.load`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from aws2bq.core.schema import TableSchema
from aws2bq.errors import ConfigError
from aws2bq.runner.apply import ledger_history
from aws2bq.sources.files.listing import FileObject
from aws2bq.warehouses.base import Warehouse


@dataclass(frozen=True)
class AppliedObject:
    """One object as a ledger row recorded it (``key``: its location, see the module doc)."""

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
    #: The mode and keys of the newest load that recorded them (None: no load yet / older row).
    mode: str | None = None
    keys: tuple[str, ...] = ()


@dataclass
class Classified:
    """The listed objects split by the exactly-once rule (module docstring)."""

    new: list[FileObject] = field(default_factory=list)
    applied: list[FileObject] = field(default_factory=list)
    changed: list[tuple[FileObject, AppliedObject]] = field(default_factory=list)

    def empty_warning(self, source: str) -> str | None:
        """The warning for a listing that found no data object at all (a mistyped or empty
        SOURCE would otherwise look like "up to date"), or None."""
        if self.new or self.applied or self.changed:
            return None
        return f"no objects under {source} (is the location right?)"


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
        if history.mode is None and (row.changes.get("mode") or row.mode):
            # A row whose changes_json does not record mode and keys: the ledger's mode
            # column and the schema's keys say the same.
            history.mode = str(row.changes.get("mode") or row.mode)
            keys = row.changes.get("keys", row.schema.keys)
            history.keys = tuple(str(k) for k in keys)
        for obj in row.changes.get("objects", []):
            key = str(obj.get("url") or obj["key"])
            history.objects.setdefault(
                key, AppliedObject(key, str(obj["etag"]), int(obj["size"]), row.export_id)
            )
    return history


def classify(objects: Sequence[FileObject], history: FilesHistory) -> Classified:
    """Split ``objects`` into new, applied and changed (module docstring)."""
    out = Classified()
    for obj in objects:
        before = history.objects.get(obj.url) or history.objects.get(obj.key)
        if before is None:
            out.new.append(obj)
        elif before.etag == obj.etag and before.size == obj.size:
            out.applied.append(obj)
        else:
            out.changed.append((obj, before))
    return out


def check_mode(history: FilesHistory, table: str, mode: str, keys: Sequence[str]) -> None:
    """Refuse a load whose mode or merge keys differ from those the table was loaded with.

    Raises ``ConfigError`` naming the table, what was used before and what to pass: an
    append after a merge would insert duplicate keys, a merge by another key would replace
    the wrong rows. ``keys`` empty in merge mode means "the ledger's keys"."""
    if history.mode is None:
        return
    before = f"--mode {history.mode}" + "".join(f" --key {k}" for k in history.keys)
    # The same settings in a stream's config (aws2bq run reads them from there).
    setting = f'mode = "{history.mode}"' + (
        f", keys = {json.dumps(list(history.keys))}" if history.keys else ""
    )
    if mode != history.mode:
        raise ConfigError(
            f"table {table!r} was loaded with {before}; this load asks for --mode {mode}",
            hint=f"pass {before} (in aws2bq.toml: {setting}), or load into another table",
        )
    if keys and tuple(keys) != history.keys:
        now = "".join(f" --key {k}" for k in keys)
        raise ConfigError(
            f"table {table!r} was merged by{''.join(f' {k}' for k in history.keys)}; this load "
            f"asks for{now}",
            hint=f"pass {before} (in aws2bq.toml: {setting}); from the CLI, leaving --key out "
            "uses the table's keys",
        )
