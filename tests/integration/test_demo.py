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

    # Round 2 state (DynamoDB merged from an incremental export): 100 - 5 deleted + 5 inserted.
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
    # History mode kept both versions of the changed orders, with a deletion marker for the
    # deleted one (id 50), timed by the snapshots, and exactly one current version per id.
    by_id: dict[int, list[tuple[object, ...]]] = {}
    for row in result.history:
        by_id.setdefault(int(row[0]), []).append(row)
    assert by_id and all(len(v) == 2 for v in by_id.values())
    assert all([r[5] for r in v] == [False, True] for v in by_id.values())
    assert by_id[50][1][6] is True  # order 50 was deleted: its current version is a marker
    assert all(v[0][4] == v[1][3] for v in by_id.values())  # valid_to of v1 = valid_from of v2


def test_demo_command_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "aws2bq.cli", "demo", "--dir", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "One query over both sources" in done.stdout
    # The closing commands are whole lines, to copy as they are (a pipe is 80 columns wide).
    db = tmp_path / "d" / "aws2bq.duckdb"
    hint = (
        f"{sys.executable} -c "
        f"\"import duckdb; print(duckdb.connect('{db}').sql('FROM _aws2bq_ledger'))\""
    )
    assert f"  {hint}" in done.stdout.splitlines(), done.stdout[-500:]
    # ... and it works as printed (a bare `python` may not have duckdb).
    ledger = subprocess.run(hint, shell=True, capture_output=True, text=True, timeout=60)
    assert ledger.returncode == 0 and "export_id" in ledger.stdout, ledger.stderr[-1000:]
    assert (tmp_path / "d" / "aws2bq.duckdb").exists()
