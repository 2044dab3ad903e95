"""The files source's history read back from a real DuckDB ledger: every object of every
load row, and the schema of the load applied last."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from aws2bq.core.ledger import LedgerEntry, insert_entry
from aws2bq.core.schema import Column, ColumnType, Kind, TableSchema
from aws2bq.runner.apply import ensure_ledger
from aws2bq.sources.files.ledger import read_history
from aws2bq.warehouses import connect

T = datetime(2024, 5, 1, tzinfo=UTC)
S = ColumnType(Kind.STRING)


def _objects(*keys: str) -> list[dict[str, object]]:
    return [{"key": k, "etag": f"e-{k}", "size": 10, "last_modified": T.isoformat()} for k in keys]


def test_history_lists_every_object_and_the_last_applied_schema(tmp_path: Path) -> None:
    first = TableSchema((Column("msg", S, "msg"),), 1)
    second = TableSchema((Column("msg", S, "msg"), Column("level", S, "level")), 2)
    wh = connect(f"duckdb:///{tmp_path / 'w.duckdb'}")
    try:
        ensure_ledger(wh)
        # The second load's objects are older (a local folder keeps copied mtimes): its row's
        # exported_at is earlier, yet its schema is the table's now.
        for export_id, exported_at, applied_at, schema, keys in (
            ("files-1", T, T, first, ("a.jsonl",)),
            ("files-2", T.replace(month=1), T.replace(hour=1), second, ("b.jsonl", "c.jsonl")),
        ):
            entry = LedgerEntry("files:logs", "files", export_id, "", "objects", "s3://b/",
                                exported_at, "append", len(keys), 1, 1, 10, schema,
                                {"objects": _objects(*keys)}, applied_at, 0.0, "test")  # fmt: skip
            wh.execute(insert_entry(entry, wh.capabilities))
        history = read_history(wh, "files:logs")
    finally:
        wh.close()
    assert history.loads == 2
    assert history.schema == second
    assert {k: (o.etag, o.export_id) for k, o in history.objects.items()} == {
        "a.jsonl": ("e-a.jsonl", "files-1"),
        "b.jsonl": ("e-b.jsonl", "files-2"),
        "c.jsonl": ("e-c.jsonl", "files-2"),
    }


def test_history_is_empty_without_a_ledger(tmp_path: Path) -> None:
    wh = connect(f"duckdb:///{tmp_path / 'w.duckdb'}")
    try:
        history = read_history(wh, "files:logs")
    finally:
        wh.close()
    assert (history.loads, history.schema, history.objects) == (0, None, {})
