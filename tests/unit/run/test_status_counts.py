"""``aws2bq status`` compares row counts only where they are expected to be equal.

A replace of a full snapshot leaves the table holding exactly the export's rows; merge,
history and append tables keep rows across exports (history rows, soft-deleted rows, earlier
objects), so equal counts there would be a coincidence and unequal ones no fault (a new
user's trial: `make demo` then `aws2bq status` said COUNTS DIFFER for healthy streams).
"""

from __future__ import annotations

import pytest

from aws2bq.runner.status import StreamStatus, TableStatus


@pytest.mark.parametrize(("kind", "rows"), [("full", 5), ("snapshot", 7)])
def test_a_replaced_snapshot_is_compared(kind: str, rows: int) -> None:
    same = TableStatus("t", rows, rows, rows, mode="replace", export_kind=kind)
    lost = TableStatus("t", rows - 1, rows, rows, mode="replace", export_kind=kind)
    assert same.matches is True
    assert lost.matches is False
    assert StreamStatus("s", "dynamodb", tables=[same, lost]).matches is False


@pytest.mark.parametrize(
    ("mode", "kind"),
    [("merge", "full"), ("history", "full"), ("merge", "incremental"), ("append", "objects")],
)
def test_tables_keeping_rows_across_exports_are_not_compared(mode: str, kind: str) -> None:
    table = TableStatus("t", 434, 393, 393, mode=mode, export_kind=kind)
    assert table.matches is None
    assert table.to_dict()["matches"] is None
    assert StreamStatus("s", "rds", tables=[table]).matches is None
    replaced = TableStatus("u", 3, 3, 3)
    assert StreamStatus("s", "rds", tables=[table, replaced]).matches is True
