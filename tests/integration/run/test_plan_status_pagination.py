"""``plan`` (what run would do, nothing done), ``status`` (counts vs the ledger), and snapshot
pagination with a small page size."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from aws2bq.runner.schedule import export_task_identifier
from aws2bq.runner.status import stream_status

from .conftest import Runner, ddb_stream, rds_stream
from .test_run_dynamodb import exports_of, make_table

Cli = Callable[..., tuple[int, str, str]]


def test_plan_lists_what_run_would_do_and_does_none_of_it(
    runner: Runner, bucket: str, unique: str, settings: Callable[..., Any]
) -> None:
    settings(export_polls=0)
    table = f"plan-{unique}"
    make_table(runner.sandbox, table, items=4)
    config = runner.config(ddb_stream("planned", table, bucket))
    plan = runner.run(config, plan_only=True).streams[0]
    assert plan.status == "ok", plan.error
    assert [(s["kind"], s["export_id"]) for s in plan.started] == [("full", None)]
    assert plan.started[0]["client_token"].startswith("aws2bq-")
    assert any(s.startswith('CREATE TABLE IF NOT EXISTS "_aws2bq_ledger"') for s in plan.sql)
    assert exports_of(runner.sandbox, table) == []  # nothing started

    runner.run(config, wait=False)  # starts the export; it completes at its first describe
    plan = runner.run(config, plan_only=True).streams[0]
    [export] = exports_of(runner.sandbox, table)
    assert [a["export_id"] for a in plan.applied] == [export["ExportArn"].rsplit("/", 1)[-1]]
    assert plan.started == []
    assert any("depend on the data" in s for s in plan.sql)
    assert runner.rows(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'planned'"
    ) == [(0,)]


def test_cli_plan_json(aws_env: Any, bucket: str, unique: str, tmp_path: Path, cli: Cli) -> None:
    table = f"cplan-{unique}"
    make_table(aws_env, table)
    config = tmp_path / "aws2bq.toml"
    config.write_text(
        f'warehouse = "duckdb:///{tmp_path / "p.duckdb"}"\n' + ddb_stream("cp", table, bucket)
    )
    code, out, err = cli("plan", "-c", str(config), "--json")
    assert code == 0, err
    summary = json.loads(out)["summary"]
    assert summary["plan_only"] is True
    assert summary["streams"][0]["started"][0]["kind"] == "full"


def test_status_reports_lag_and_notices_a_count_mismatch(
    runner: Runner, bucket: str, unique: str
) -> None:
    table = f"stat-{unique}"
    make_table(runner.sandbox, table, items=5)
    config = runner.config(ddb_stream("stat", table, bucket))
    runner.run(config, wait=True)
    now = runner.sandbox.now()
    [status] = stream_status(config, now=now)
    assert status.matches is True
    assert status.last_export_id is not None and status.lag_seconds is not None
    assert 0 <= status.lag_seconds < 3600
    con = duckdb.connect(str(runner.db_file))
    con.execute("DELETE FROM stat WHERE id = 0")
    con.close()
    [status] = stream_status(config, now=now)
    assert status.matches is False
    assert [(t.warehouse_rows, t.ledger_rows) for t in status.tables] == [(4, 5)]


def test_snapshots_over_several_pages_the_newest_is_exported(
    runner: Runner, bucket: str, unique: str
) -> None:
    """25 manual snapshots with MaxRecords 20. (moto 5.2 ignores MaxRecords and answers in
    one page; Marker following itself is covered by tests/unit/run/test_pagination.py.)"""
    sb = runner.sandbox
    shop = f"pages-{unique}"
    sb.rds.create_instance(shop, backing="sample://shop")
    arns = []
    for n in range(25):
        sb.advance_clock(minutes=1)
        arns.append(sb.rds.create_snapshot(shop, f"{shop}-{n:02d}"))
    config = runner.config(
        rds_stream(
            "pages",
            shop,
            bucket,
            sb.rds.export_role(),
            sb.rds.kms_key(),
            snapshot='"newest_manual"',
        )
    )
    summary = runner.run(config, wait=True, options=runner.options(rds_page_size=20))
    [result] = summary.streams
    assert result.status == "ok", result.error
    assert [a["export_id"] for a in result.applied] == [export_task_identifier("pages", arns[-1])]
