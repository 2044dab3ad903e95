"""``aws2bq plan`` shows the merge / history apply SQL of a ready export without its data."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlglot

from .conftest import Runner, ddb_stream
from .test_run_dynamodb import make_table

Cli = Callable[..., tuple[int, str, str]]


def _ready_second_export(runner: Runner, name: str, table: str, bucket: str, mode: str) -> str:
    """Apply a first full export in ``mode``, then start a second (left ready, not applied);
    returns the config file's path."""
    make_table(runner.sandbox, table, items=3)
    toml = ddb_stream(name, table, bucket, mode=f'"{mode}"', every='"1h"')
    config = runner.config(toml)
    first = runner.run(config, wait=True).streams[0]
    assert first.status == "ok" and len(first.applied) == 1, first.error
    runner.sandbox.client("dynamodb").put_item(
        TableName=table, Item={"id": {"N": "9"}, "name": {"S": "new"}}
    )
    runner.sandbox.advance_clock(hours=2)
    started = runner.run(config, wait=False).streams[0]
    assert started.status == "ok" and started.applied == [], started
    path = runner.db_file.parent / f"{name}.toml"
    path.write_text(f'warehouse = "duckdb:///{runner.db_file}"\n{toml}')
    return str(path)


def _plan_sql(cli: Cli, config: str) -> list[str]:
    code, out, err = cli("plan", "-c", config, "--json")
    assert code == 0, err
    [stream] = json.loads(out)["summary"]["streams"]
    assert stream["status"] == "ok", stream["error"]
    assert len(stream["applied"]) == 1  # the second export: would be applied
    sql: list[str] = stream["sql"]
    return sql


def test_plan_shows_the_merge_of_a_merge_stream(
    runner: Runner,
    aws_env: Any,
    bucket: str,
    unique: str,
    settings: Callable[..., Any],
    cli: Cli,
) -> None:
    settings(export_polls=0)
    table = f"pm-{unique}"
    config = _ready_second_export(runner, "merged", table, bucket, "merge")
    before = runner.rows('SELECT count(*) FROM "merged"')
    sql = _plan_sql(cli, config)
    merges = [s for s in sql if s.startswith("MERGE INTO")]
    assert len(merges) == 1, sql
    assert merges[0].startswith('MERGE INTO "merged" AS "_aws2bq_t"')
    # the table's schema so far (from the ledger) and the snapshot diff against it
    assert '"name"' in merges[0] and "FULL OUTER JOIN" in merges[0]
    assert any(s.startswith('INSERT INTO "_aws2bq_ledger"') for s in sql)
    for statement in merges:
        sqlglot.parse_one(statement.rstrip(";"), read="duckdb")
    # nothing applied
    assert runner.rows('SELECT count(*) FROM "merged"') == before
    assert runner.rows("SELECT count(*) FROM _aws2bq_ledger") == [(1,)]


def test_plan_shows_the_history_steps(
    runner: Runner,
    aws_env: Any,
    bucket: str,
    unique: str,
    settings: Callable[..., Any],
    cli: Cli,
) -> None:
    settings(export_polls=0)
    table = f"ph-{unique}"
    config = _ready_second_export(runner, "versions", table, bucket, "history")
    sql = _plan_sql(cli, config)
    text = "\n".join(sql)
    # The target is always read through its alias (issue 12 fault 15).
    assert 'UPDATE "versions" AS "_aws2bq_t" SET "_valid_to"' in text
    assert 'INSERT INTO "versions"' in text and "MERGE" not in text
    assert runner.rows('SELECT count(*) FROM "versions"') == [(3,)]
