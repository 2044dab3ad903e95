"""``aws2bq run`` with an incremental cadence, end to end: a full export first, then
incremental exports continuing the applied chain, each applied in merge mode."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aws2bq.sandbox import Sandbox
from tests.integration.run.conftest import Runner, ddb_stream


@pytest.fixture
def runner(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runner:
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    return Runner(sandbox, tmp_path / "wh.duckdb")


def _scan(sb: Sandbox, table: str) -> set[tuple[str, Decimal]]:
    items = sb.client("dynamodb").scan(TableName=table, ConsistentRead=True)["Items"]
    return {(i["pk"]["S"], Decimal(i["v"]["N"])) for i in items}


def _exports(sb: Sandbox, table: str) -> list[dict[str, Any]]:
    arn = sb.dynamodb.table_arn(table)
    client = sb.client("dynamodb")
    return [
        client.describe_export(ExportArn=e["ExportArn"])["ExportDescription"]
        for e in client.list_exports(TableArn=arn)["ExportSummaries"]
    ]


def test_run_chains_incremental_exports(runner: Runner, unique: str) -> None:
    sb = runner.sandbox
    bucket = f"run-{unique}"
    sb.client("s3").create_bucket(Bucket=bucket)
    table = f"orders-{unique}"
    sb.dynamodb.create_table(table)
    client = sb.client("dynamodb")
    for i in range(4):
        client.put_item(TableName=table, Item={"pk": {"S": f"k{i}"}, "v": {"N": str(i)}})
    config = runner.config(
        ddb_stream("orders", table, bucket, cadence='"incremental"', mode='"merge"', every='"1h"')
    )

    def table_state() -> set[tuple[str, Decimal]]:
        return {(str(pk), Decimal(v)) for pk, v in runner.rows('SELECT "pk", "v" FROM "orders"')}

    first = runner.run(config, wait=True).streams[0]
    assert first.status == "ok", first.error
    assert [s["kind"] for s in first.started] == ["full"]
    assert table_state() == _scan(sb, table)

    sb.advance_clock(minutes=1)
    client.put_item(TableName=table, Item={"pk": {"S": "k0"}, "v": {"N": "100"}})
    client.delete_item(TableName=table, Key={"pk": {"S": "k1"}})
    client.put_item(TableName=table, Item={"pk": {"S": "new"}, "v": {"N": "7"}})
    sb.advance_clock(hours=1, minutes=5)
    second = runner.run(config, wait=True).streams[0]
    assert second.status == "ok", second.error
    assert [s["kind"] for s in second.started] == ["incremental"]
    assert [a["kind"] for a in second.applied] == ["incremental"]
    assert table_state() == _scan(sb, table)

    client.put_item(TableName=table, Item={"pk": {"S": "k1"}, "v": {"N": "11"}})
    client.delete_item(TableName=table, Key={"pk": {"S": "new"}})
    sb.advance_clock(hours=1)
    third = runner.run(config, wait=True).streams[0]
    assert third.status == "ok", third.error
    assert [a["kind"] for a in third.applied] == ["incremental"]
    assert table_state() == _scan(sb, table)

    # The same slot again: nothing started, nothing applied.
    again = runner.run(config, wait=True).streams[0]
    assert (again.status, again.started, again.applied) == ("ok", [], [])

    # The windows chain: each starts where the previous ended.
    descriptions = sorted(
        _exports(sb, table),
        key=lambda d: d.get("ExportTime") or d["IncrementalExportSpecification"]["ExportToTime"],
    )
    assert [d.get("ExportType", "FULL_EXPORT") for d in descriptions] == [
        "FULL_EXPORT",
        "INCREMENTAL_EXPORT",
        "INCREMENTAL_EXPORT",
    ]
    full, one, two = descriptions
    assert one["IncrementalExportSpecification"]["ExportFromTime"] == full["ExportTime"]
    assert (
        two["IncrementalExportSpecification"]["ExportFromTime"]
        == one["IncrementalExportSpecification"]["ExportToTime"]
    )
    assert [r[2] for r in runner.ledger()] == ["full", "incremental", "incremental"]

    # A plan an hour later shows the next window, from the last applied exportToTime.
    sb.advance_clock(hours=1)
    plan = runner.run(config, plan_only=True).streams[0]
    assert [(p["kind"], p["window"][0]) for p in plan.started] == [
        ("incremental", two["IncrementalExportSpecification"]["ExportToTime"].isoformat())
    ]
    assert len(_exports(sb, table)) == 3  # a plan starts nothing


@pytest.mark.parametrize("mode", ["merge", "history"])
def test_full_every_rebaselines_the_incremental_chain(
    runner: Runner, unique: str, mode: str
) -> None:
    sb = runner.sandbox
    bucket = f"run-{unique}"
    sb.client("s3").create_bucket(Bucket=bucket)
    table = f"orders-{unique}"
    sb.dynamodb.create_table(table)
    client = sb.client("dynamodb")
    for i in range(3):
        client.put_item(TableName=table, Item={"pk": {"S": f"k{i}"}, "v": {"N": str(i)}})
    config = runner.config(
        ddb_stream(
            "orders",
            table,
            bucket,
            cadence='"incremental"',
            mode=f'"{mode}"',
            every='"1h"',
            full_every='"3h"',
        )
    )
    current = 'SELECT "pk", "v" FROM "orders"' + (
        ' WHERE "_is_current" AND NOT "_is_deleted"' if mode == "history" else ""
    )

    def table_state() -> set[tuple[str, Decimal]]:
        return {(str(pk), Decimal(v)) for pk, v in runner.rows(current)}

    first = runner.run(config, wait=True).streams[0]
    assert [s["kind"] for s in first.started] == ["full"], first.error
    sb.advance_clock(minutes=1)
    client.put_item(TableName=table, Item={"pk": {"S": "k0"}, "v": {"N": "100"}})
    sb.advance_clock(hours=1, minutes=5)
    second = runner.run(config, wait=True).streams[0]
    assert [s["kind"] for s in second.started] == ["incremental"], second.error
    assert table_state() == _scan(sb, table)

    # Past full_every since the first full export: the next export is a full one, applied
    # as a snapshot diff after the incremental.
    client.delete_item(TableName=table, Key={"pk": {"S": "k1"}})
    client.put_item(TableName=table, Item={"pk": {"S": "new"}, "v": {"N": "7"}})
    sb.advance_clock(hours=2)
    third = runner.run(config, wait=True).streams[0]
    assert third.status == "ok", third.error
    assert [s["kind"] for s in third.started] == ["full"]
    assert "re-baseline" in third.started[0]["reason"]
    assert [a["kind"] for a in third.applied] == ["full"]
    assert table_state() == _scan(sb, table)
    # A repeat in the same slot starts nothing.
    again = runner.run(config, wait=True).streams[0]
    assert (again.status, again.started, again.applied) == ("ok", [], [])

    # The chain continues from the new full export's time.
    client.put_item(TableName=table, Item={"pk": {"S": "k2"}, "v": {"N": "22"}})
    sb.advance_clock(hours=1)
    fourth = runner.run(config, wait=True).streams[0]
    assert fourth.status == "ok", fourth.error
    assert [a["kind"] for a in fourth.applied] == ["incremental"]
    assert table_state() == _scan(sb, table)
    fulls = sorted(
        (d for d in _exports(sb, table) if d.get("ExportType", "FULL_EXPORT") == "FULL_EXPORT"),
        key=lambda d: d["ExportTime"],
    )
    incrementals = sorted(
        (d for d in _exports(sb, table) if d.get("ExportType") == "INCREMENTAL_EXPORT"),
        key=lambda d: d["IncrementalExportSpecification"]["ExportToTime"],
    )
    assert len(fulls) == 2
    assert (
        incrementals[-1]["IncrementalExportSpecification"]["ExportFromTime"]
        == (fulls[-1]["ExportTime"])
    )
    assert [r[2] for r in runner.ledger()] == ["full", "incremental", "full", "incremental"]
