"""Two runners of the same stream at once, into one DuckDB file: one applies, the other is
refused at once with a clear message (DuckDB's file lock) — never both.

The overlap is made deterministic with ``AWS2BQ_PAUSE_AT``: the first runner is held inside
its apply transaction (every statement run, COMMIT not sent, the file open and locked) while
the second one starts; then the first is released.
"""

from __future__ import annotations

import json
from pathlib import Path

from aws2bq.sandbox import Sandbox

from .conftest import (
    Paused,
    ddb_export,
    ddb_items,
    ddb_load_args,
    ddb_run_config,
    dynamodb_exports,
    leftovers,
    ok,
    pause_at,
    query,
    run_child,
    run_cli,
    start_run,
)

HELD = "apply:before_commit"


def test_a_second_load_of_the_same_export_is_refused_while_the_first_applies(
    tmp_path: Path,
) -> None:
    export = ddb_export(tmp_path / "exports", 1)
    db = tmp_path / "w.duckdb"
    first = pause_at(HELD, ddb_load_args(export, db), tmp_path / "pause")
    second = run_cli(ddb_load_args(export, db))
    assert second.returncode != 0
    assert "in use by another process" in second.stderr
    assert "another aws2bq run" in second.stderr  # the hint says who and what to do
    ok(first.release())
    again = ok(run_cli(ddb_load_args(export, db)))
    assert json.loads(again.stdout)["summary"]["status"] == "already_applied"
    n = len(ddb_items(1))
    assert query(db, "SELECT count(*), count(DISTINCT pk) FROM items") == [(n, n)]
    assert query(db, "SELECT count(*) FROM _aws2bq_ledger") == [(1,)]
    assert leftovers(db) == []


def test_a_second_run_of_the_stream_reports_busy_while_the_first_applies(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = ddb_run_config(tmp_path, sandbox, "orders")
    pause = tmp_path / "pause"
    pause.mkdir()
    first = start_run(config, sandbox, AWS2BQ_PAUSE_AT=HELD, AWS2BQ_PAUSE_DIR=str(pause))
    held = Paused(first, pause, HELD)
    held.wait_reached(timeout=90)
    loser = run_child(config, sandbox)
    assert loser.returncode == 0, loser.stderr[-2000:]  # busy is not a failure
    [result] = json.loads(loser.stdout.strip().splitlines()[-1])["streams"]
    assert result["status"] == "busy"
    assert result["applied"] == [] and result["started"] == []
    assert any("another runner is applying stream 'orders'" in n for n in result["notes"])
    winner = held.release()
    assert winner.returncode == 0, winner.stderr[-2000:]
    [result] = json.loads(winner.stdout.strip().splitlines()[-1])["streams"]
    assert (result["status"], len(result["applied"])) == ("ok", 1)
    db = tmp_path / "w.duckdb"
    assert query(db, "SELECT count(*), count(DISTINCT id) FROM orders") == [(7, 7)]
    assert query(db, "SELECT count(*) FROM _aws2bq_ledger") == [(1,)]
    assert dynamodb_exports(sandbox, config) == 1
