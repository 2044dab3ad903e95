"""`aws2bq demo` (what `make demo` runs) works end to end, offline, and shows real changes."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import duckdb
from rich.console import Console

from aws2bq.demo import DDB_TABLE, run_demo


def test_demo_loads_both_sources_applies_changes_and_joins(tmp_path: Path) -> None:
    out = io.StringIO()
    result = run_demo(tmp_path / "demo", console=Console(file=out, width=120))

    # Round 2 state: 100 items - 5 deleted + 5 inserted; the shop sample's four tables.
    assert result.tables[DDB_TABLE] == 100
    assert {"shop__customers", "shop__orders", "shop__order_items", "shop__products"} <= set(
        result.tables
    )
    assert result.changes[DDB_TABLE] == {
        "inserted": 5,
        "updated": 10,
        "deleted": 5,
        "unchanged": 85,
    }
    orders = result.changes["shop__orders"]
    assert orders["inserted"] == 1
    assert orders["deleted"] == 8  # ids divisible by 50 among 400 orders
    assert orders["updated"] > 0
    assert len(result.join_rows) == 8
    assert all(row[6] > 0 for row in result.join_rows)  # every joined customer has orders

    # The warehouse file is real and its ledger records both rounds for every stream.
    with duckdb.connect(str(result.warehouse_file), read_only=True) as con:
        per_stream = dict(
            con.execute("SELECT stream, count(*) FROM _aws2bq_ledger GROUP BY stream").fetchall()
        )
        # The second round's updates are in the table (plan changed to 'team' for ids 1..10).
        plans = con.execute(
            "SELECT DISTINCT plan FROM customer_activity WHERE customer_id <= 10"
        ).fetchall()
    assert per_stream[DDB_TABLE] == 2
    assert len(per_stream) == 5 and set(per_stream.values()) == {2}
    assert plans == [("team",)]
    assert "what changed in the warehouse" in out.getvalue()


def test_demo_command_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "aws2bq.cli", "demo", "--dir", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "One query over both sources" in done.stdout
    assert (tmp_path / "d" / "aws2bq.duckdb").exists()
