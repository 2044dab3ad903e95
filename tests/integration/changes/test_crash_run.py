"""Exactly-once under crashes for ``aws2bq run``: killed after it started an export (before
applying it) and after it applied one (before reporting it); the next run finishes the work
with the same export (no second export started) and the ledger holds it once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aws2bq.sandbox import Sandbox

from .conftest import SIGKILLED, ddb_run_config, dynamodb_exports, leftovers, query, run_child


@pytest.mark.parametrize("stage", ["run:started", "run:applied", "apply:before_commit"])
def test_a_killed_run_is_finished_by_the_next_one_exactly_once(
    stage: str, sandbox: Sandbox, tmp_path: Path
) -> None:
    config = ddb_run_config(tmp_path, sandbox, "orders")
    crashed = run_child(config, sandbox, AWS2BQ_CRASH_AT=stage)
    assert crashed.returncode == SIGKILLED, crashed.stderr[-2000:]
    again = run_child(config, sandbox)
    assert again.returncode == 0, again.stderr[-2000:]
    [result] = json.loads(again.stdout.strip().splitlines()[-1])["streams"]
    assert result["status"] == "ok", result["error"]
    assert result["started"] == []  # the crashed run's export is reused, not started again
    assert len(result["applied"]) == (0 if stage == "run:applied" else 1)
    db = tmp_path / "w.duckdb"
    assert query(db, "SELECT count(*), count(DISTINCT id) FROM orders") == [(7, 7)]
    assert query(db, "SELECT stream, count(*) FROM _aws2bq_ledger GROUP BY 1") == [("orders", 1)]
    assert dynamodb_exports(sandbox, config) == 1
    assert leftovers(db) == []
