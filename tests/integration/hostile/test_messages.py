"""11.11: a message says what happened, to which export/file/table, and what to do — on one
line; the SQL of the failing statement goes to the debug log (``aws2bq -v``) only."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
import sqlglot

from aws2bq.errors import WarehouseError
from aws2bq.warehouses import connect

from .conftest import Cli, snapshot
from .rds_exports import write_rds_export


def _bad_utf8_export(root: Path) -> tuple[Path, str]:
    """An RDS export whose shop.orders Parquet holds a string that is not UTF-8."""
    offsets = pa.array([0, 2, 4], pa.int32()).buffers()[1]
    bad = pa.Array.from_buffers(pa.string(), 2, [None, offsets, pa.py_buffer(b"ok\xff\xfe")])
    folder = write_rds_export(
        root,
        {
            "shop.orders": pa.table({"id": pa.array([1, 2], pa.int64()), "name": bad}),
            "shop.items": pa.table({"id": pa.array([7], pa.int64())}),
        },
    )
    (part,) = folder.glob("shop/shop.orders/1/*.parquet")
    return folder, part.name


@pytest.mark.parametrize("per_table", [False, True])
def test_a_driver_failure_names_the_export_and_file_without_sql(
    tmp_path: Path, cli: Cli, per_table: bool
) -> None:
    folder, part = _bad_utf8_export(tmp_path / "rds")
    db = tmp_path / "w.duckdb"
    extra = ["--per-table"] if per_table else []
    code, _, err = cli("load", "rds", str(folder), "--warehouse", f"duckdb:///{db}", "--quiet",
                       *extra)  # fmt: skip
    assert code == 1, err
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    first = lines[0]
    assert str(folder) in first and part in first and "UTF8" in first
    if per_table:
        assert "table shop.orders" in first
    for line in lines:
        assert "SELECT" not in line and "CREATE" not in line and "LINE 1" not in line
        assert len(line) < 600
    if not per_table:
        assert snapshot(db) in ({}, {"_aws2bq_ledger": []})


def test_the_sql_is_in_the_debug_log_with_v(tmp_path: Path, cli: Cli) -> None:
    folder, _ = _bad_utf8_export(tmp_path / "rds")
    db = tmp_path / "w.duckdb"
    code, _, err = cli("-v", "load", "rds", str(folder), "--warehouse", f"duckdb:///{db}",
                       "--quiet")  # fmt: skip
    assert code == 1
    (line,) = [x for x in err.splitlines() if x.startswith("error: ")]  # the traceback is in -v
    assert "SELECT" not in line
    debug = [json.loads(x) for x in err.splitlines() if x.startswith("{")]
    statements = [d["message"] for d in debug if "statement failed" in d["message"]]
    assert statements and any("read_parquet" in s.lower() or "SELECT" in s for s in statements)


def test_a_warehouse_error_keeps_the_statement_out_of_its_text(tmp_path: Path) -> None:
    bad = sqlglot.parse_one("SELECT nope FROM (SELECT 1 AS a) AS t", read="duckdb")
    with (
        connect(f"duckdb:///{tmp_path / 'w.duckdb'}") as wh,
        pytest.raises(WarehouseError) as caught,
    ):
        wh.query(bad)
    text = str(caught.value)
    assert "nope" in text and "\n" not in text  # what went wrong, on one line
    assert "SELECT" not in text and "LINE 1" not in text
    assert caught.value.statement is not None and "SELECT" in caught.value.statement
