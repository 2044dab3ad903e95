"""``run_streams`` end to end for DynamoDB full-export streams: sandbox AWS → DuckDB."""

from __future__ import annotations

from typing import Any

from aws2bq.sandbox import Sandbox

from .conftest import Runner, ddb_stream


def make_table(sb: Sandbox, name: str, items: int = 5) -> None:
    sb.dynamodb.create_table(name, hash_key=("id", "N"))
    client = sb.client("dynamodb")
    for i in range(items):
        client.put_item(TableName=name, Item={"id": {"N": str(i)}, "name": {"S": f"n{i}"}})


def exports_of(sb: Sandbox, table: str) -> list[dict[str, Any]]:
    arn = sb.dynamodb.table_arn(table)
    summaries: list[dict[str, Any]] = sb.client("dynamodb").list_exports(TableArn=arn)[
        "ExportSummaries"
    ]
    return summaries


def test_a_full_export_is_started_waited_for_and_applied(
    runner: Runner, bucket: str, unique: str
) -> None:
    table = f"orders-{unique}"
    make_table(runner.sandbox, table, items=7)
    config = runner.config(ddb_stream("orders", table, bucket))
    summary = runner.run(config, wait=True)
    [result] = summary.streams
    assert (result.status, summary.failed) == ("ok", []), result.error
    assert [s["kind"] for s in result.started] == ["full"]
    assert [a["rows"] for a in result.applied] == [7]
    assert runner.count("orders") == 7
    assert [r[0] for r in runner.ledger()] == ["orders"]


def test_a_second_run_in_the_same_slot_starts_and_applies_nothing(
    runner: Runner, bucket: str, unique: str
) -> None:
    table = f"idem-{unique}"
    make_table(runner.sandbox, table)
    config = runner.config(ddb_stream("idem", table, bucket))
    first = runner.run(config, wait=True)
    assert first.streams[0].applied and first.streams[0].started
    second = runner.run(config, wait=True)
    [result] = second.streams
    assert (result.status, result.started, result.applied) == ("ok", [], [])
    assert any("no export due" in n for n in result.notes)
    assert len(exports_of(runner.sandbox, table)) == 1
    assert len(runner.ledger()) == 1


def test_an_interrupted_run_is_finished_by_the_next_one(
    runner: Runner, bucket: str, unique: str
) -> None:
    table = f"intr-{unique}"
    make_table(runner.sandbox, table, items=3)
    config = runner.config(ddb_stream("intr", table, bucket))
    first = runner.run(config, wait=False)  # the Lambda way: start, return
    [result] = first.streams
    assert [s["kind"] for s in result.started] == ["full"] and result.applied == []
    assert [p["status"] for p in result.pending] == ["IN_PROGRESS"]
    assert not runner.db_file.exists() or runner.rows(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'intr'"
    ) == [(0,)]
    # The export completes in the sandbox after its DescribeExport polls; later runs apply it.
    for _ in range(3):
        later = runner.run(config, wait=False).streams[0]
        assert later.started == [] and later.status == "ok"
        if later.applied:
            break
    assert [a["rows"] for a in later.applied] == [3]
    assert runner.count("intr") == 3
    assert len(exports_of(runner.sandbox, table)) == 1
