"""``run_streams`` end to end for RDS streams (sample://shop backing) into DuckDB: each
snapshot choice, no snapshot yet, a failed task, a missing role, the 5-task limit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from aws2bq.runner.schedule import export_task_identifier
from aws2bq.sandbox import Sandbox

from .conftest import Runner, rds_stream

SHOP_TABLES = {"shop__customers", "shop__products", "shop__orders", "shop__order_items"}


@pytest.fixture
def shop(runner: Runner, unique: str) -> str:
    """A sample-backed MySQL instance (moto also takes an automated snapshot at creation)."""
    name = f"shop-{unique}"
    runner.sandbox.rds.create_instance(name, backing="sample://shop")
    return name


@pytest.fixture
def role_and_key(sandbox: Sandbox) -> tuple[str, str]:
    return sandbox.rds.export_role(), sandbox.rds.kms_key()


def stream(name: str, instance: str, bucket: str, rk: tuple[str, str], **extra: str) -> str:
    return rds_stream(name, instance, bucket, rk[0], rk[1], **extra)


def tasks_of(sb: Sandbox, bucket: str) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = sb.client("rds").describe_export_tasks(
        Filters=[{"Name": "s3-bucket", "Values": [bucket]}]
    )["ExportTasks"]
    return tasks


def tables(runner: Runner) -> set[str]:
    return {
        r[0]
        for r in runner.rows("SELECT table_name FROM information_schema.tables")
        if not r[0].startswith("_aws2bq")
    }


def snapshot_arns(sb: Sandbox, instance: str) -> dict[str, str]:
    """SnapshotType → ARN of the instance's (single) snapshot of that type."""
    found = sb.client("rds").describe_db_snapshots(DBInstanceIdentifier=instance)["DBSnapshots"]
    return {s["SnapshotType"]: s["DBSnapshotArn"] for s in found}


@pytest.mark.parametrize(
    ("choice", "expected_type"),
    [("newest", "manual"), ("newest_manual", "manual"), ("newest_automated", "automated")],
)
def test_each_snapshot_choice_exports_and_applies_the_right_snapshot(
    runner: Runner,
    bucket: str,
    shop: str,
    role_and_key: tuple[str, str],
    choice: str,
    expected_type: str,
) -> None:
    sb = runner.sandbox
    # The automated snapshot (moto takes one when the instance is created) comes first, the
    # manual one later: "newest" must take the manual one.
    sb.advance_clock(minutes=5)
    sb.rds.create_snapshot(shop, f"{shop}-manual")
    by_type = snapshot_arns(sb, shop)
    assert set(by_type) == {"automated", "manual"}
    config = runner.config(stream("shop", shop, bucket, role_and_key, snapshot=f'"{choice}"'))
    summary = runner.run(config, wait=True)
    [result] = summary.streams
    assert result.status == "ok", result.error
    [task] = tasks_of(sb, bucket)
    assert task["SourceArn"] == by_type[expected_type]
    assert task["ExportTaskIdentifier"] == export_task_identifier("shop", task["SourceArn"])
    assert task["S3Prefix"] == "aws2bq/shop"
    assert [a["export_id"] for a in result.applied] == [task["ExportTaskIdentifier"]]
    assert tables(runner) == SHOP_TABLES
    assert runner.count("shop__customers") > 0
    # idempotence: nothing new to start or apply
    again = runner.run(config, wait=True).streams[0]
    assert (again.status, again.started, again.applied) == ("ok", [], [])
    assert len(tasks_of(sb, bucket)) == 1


def test_create_manual_takes_a_snapshot_named_after_the_stream_and_slot(
    runner: Runner, bucket: str, shop: str, role_and_key: tuple[str, str]
) -> None:
    sb = runner.sandbox
    config = runner.config(
        stream("made", shop, bucket, role_and_key, snapshot='"create_manual"', every='"1d"')
    )
    result = runner.run(config, wait=True).streams[0]
    assert result.status == "ok", result.error
    day = sb.now().strftime("%Y%m%d")
    made = [
        s["DBSnapshotIdentifier"]
        for s in sb.client("rds").describe_db_snapshots(
            DBInstanceIdentifier=shop, SnapshotType="manual"
        )["DBSnapshots"]
    ]
    assert made == [f"aws2bq-made-{day}0000"]
    [task] = tasks_of(sb, bucket)
    assert task["SourceArn"].endswith(f":snapshot:aws2bq-made-{day}0000")
    assert tables(runner) == SHOP_TABLES
    # Same slot: no second snapshot, no second export.
    again = runner.run(config, wait=True).streams[0]
    assert (again.started, again.applied) == ([], [])
    assert (
        len(
            sb.client("rds").describe_db_snapshots(
                DBInstanceIdentifier=shop, SnapshotType="manual"
            )["DBSnapshots"]
        )
        == 1
    )


def test_no_snapshot_yet_is_a_clear_note_not_a_failure(
    runner: Runner, bucket: str, shop: str, role_and_key: tuple[str, str]
) -> None:
    config = runner.config(stream("none", shop, bucket, role_and_key, snapshot='"newest_manual"'))
    summary = runner.run(config, wait=True)
    [result] = summary.streams
    assert (result.status, summary.failed, result.started) == ("ok", [], [])
    assert any(
        f"no available newest manual snapshot of instance {shop} yet" in n for n in result.notes
    ), result.notes
    assert tasks_of(runner.sandbox, bucket) == []


def test_a_failed_export_task_fails_the_stream_with_its_cause(
    runner: Runner, bucket: str, shop: str, role_and_key: tuple[str, str]
) -> None:
    sb = runner.sandbox
    sb.rds.create_snapshot(shop, f"{shop}-1")
    sb.rds.fail_next_export("The export ran out of disk: injected")
    config = runner.config(stream("bad", shop, bucket, role_and_key, snapshot='"newest_manual"'))
    summary = runner.run(config, wait=True)
    [result] = summary.streams
    assert summary.failed == ["bad"]
    assert "FAILED: The export ran out of disk: injected" in (result.error or "")
    assert result.applied == []
    # A later run still reports it (the newest export failed) and does not retry it.
    later = runner.run(config, wait=True)
    assert later.failed == ["bad"] and later.streams[0].started == []


def test_a_missing_export_role_names_the_action_and_the_resource(
    runner: Runner, bucket: str, shop: str, role_and_key: tuple[str, str]
) -> None:
    sb = runner.sandbox
    snapshot = sb.rds.create_snapshot(shop, f"{shop}-1")
    missing = ("arn:aws:iam::123456789012:role/not-there", role_and_key[1])
    config = runner.config(stream("norole", shop, bucket, missing, snapshot='"newest_manual"'))
    summary = runner.run(config, wait=True)
    assert summary.failed == ["norole"]
    error = summary.streams[0].error or ""
    assert f"rds:StartExportTask on {snapshot}: IamRoleNotFound" in error
    assert "iam_role_arn" in error  # the hint says what to fix


@pytest.fixture
def in_flight_guard(sandbox: Sandbox) -> Iterator[list[str]]:
    """Task ids started by a test; cancelled afterwards so other tests see a free account."""
    started: list[str] = []
    yield started
    client = sandbox.client("rds")
    for task_id in started:
        task = client.describe_export_tasks(ExportTaskIdentifier=task_id)["ExportTasks"][0]
        if task["Status"] in ("STARTING", "IN_PROGRESS"):
            client.cancel_export_task(ExportTaskIdentifier=task_id)
            client.describe_export_tasks(ExportTaskIdentifier=task_id)


def in_flight(sb: Sandbox) -> int:
    tasks = sb.client("rds").describe_export_tasks()["ExportTasks"]
    return sum(1 for t in tasks if t["Status"] in ("STARTING", "IN_PROGRESS"))


def test_at_the_five_task_limit_the_export_is_deferred(
    runner: Runner,
    bucket: str,
    shop: str,
    role_and_key: tuple[str, str],
    settings: Callable[..., Any],
    in_flight_guard: list[str],
    unique: str,
) -> None:
    sb = runner.sandbox
    settings(export_polls=1000)  # tasks stay STARTING while the test looks
    source = sb.rds.create_snapshot(shop, f"{shop}-busy")
    for n in range(5 - in_flight(sb)):
        task_id = f"other-{unique}-{n}"
        sb.rds.start_export(source, bucket=bucket, task_id=task_id, prefix="elsewhere")
        in_flight_guard.append(task_id)
    assert in_flight(sb) == 5
    config = runner.config(stream("limited", shop, bucket, role_and_key))
    result = runner.run(config, wait=False).streams[0]
    assert result.status == "ok" and result.started == []
    assert any("deferred: 5 RDS export tasks are already running" in n for n in result.notes)
    assert not any(t["S3Prefix"] == "aws2bq/limited" for t in tasks_of(sb, bucket))
    # One slot frees up: the next run starts the export.
    sb.client("rds").cancel_export_task(ExportTaskIdentifier=in_flight_guard[0])
    sb.client("rds").describe_export_tasks(ExportTaskIdentifier=in_flight_guard[0])
    later = runner.run(config, wait=False).streams[0]
    assert [s["kind"] for s in later.started] == ["snapshot"]
    in_flight_guard.append(later.started[0]["export_id"])
