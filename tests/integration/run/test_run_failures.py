"""Failures stay inside their stream: throttling (retried, or a transient failure when it
persists), permission errors that name the IAM action and resource, failed exports,
unsupported streams, another runner holding the warehouse — and the CLI's exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aws2bq.sandbox import Sandbox

from .conftest import Runner, ddb_stream, rds_stream
from .test_run_dynamodb import exports_of, make_table

Cli = Callable[..., tuple[int, str, str]]


def test_a_throttled_call_is_retried_with_backoff_and_succeeds(
    runner: Runner, bucket: str, unique: str
) -> None:
    table = f"thr-{unique}"
    make_table(runner.sandbox, table, items=2)
    runner.sandbox.inject_fault("dynamodb", "ListExports", "ThrottlingException", count=2)
    config = runner.config(ddb_stream("thr", table, bucket))
    summary = runner.run(config, wait=False)
    assert summary.failed == [], summary.streams[0].error
    assert [s["kind"] for s in summary.streams[0].started] == ["full"]
    # Two retries, each after a jittered delay within the policy's cap (0.01·2^n, ≤ 0.05).
    assert len(runner.sleeps.calls) == 2
    assert all(0 <= d <= 0.05 for d in runner.sleeps.calls)


def test_a_persistent_throttle_fails_only_that_stream_as_transient(
    runner: Runner, bucket: str, unique: str
) -> None:
    sb = runner.sandbox
    throttled, fine = f"thr1-{unique}", f"fine-{unique}"
    make_table(sb, throttled)
    make_table(sb, fine, items=4)
    # RetryPolicy(attempts=4) in the runner fixture: exactly four throttled DescribeTable calls.
    sb.inject_fault("dynamodb", "DescribeTable", "ThrottlingException", count=4)
    config = runner.config(
        ddb_stream("a_throttled", throttled, bucket, export_prefix='"a"')
        + ddb_stream("b_fine", fine, bucket, export_prefix='"b"')
    )
    summary = runner.run(config, wait=True)
    assert summary.failed == ["a_throttled"]
    error = summary.streams[0].error or ""
    assert f"dynamodb:DescribeTable on {throttled}: ThrottlingException after 4 attempt(s)" in error
    assert "the next run tries again" in error
    assert summary.streams[1].status == "ok"
    assert runner.count("b_fine") == 4


def test_access_denied_names_the_iam_action_and_the_table(
    runner: Runner, bucket: str, unique: str
) -> None:
    sb = runner.sandbox
    table = f"deny-{unique}"
    make_table(sb, table)
    sb.inject_fault("dynamodb", "ExportTableToPointInTime", "AccessDeniedException", count=1)
    summary = runner.run(runner.config(ddb_stream("deny", table, bucket)), wait=False)
    assert summary.failed == ["deny"]
    arn = sb.dynamodb.table_arn(table)
    error = summary.streams[0].error or ""
    assert f"dynamodb:ExportTableToPointInTime on {arn}: AccessDeniedException" in error
    assert f"grant dynamodb:ExportTableToPointInTime on {arn} to the role running aws2bq" in error
    assert runner.sleeps.calls == []  # a permission error is not retried


def test_a_failed_dynamodb_export_fails_the_stream_with_its_code(
    runner: Runner, bucket: str, unique: str
) -> None:
    sb = runner.sandbox
    table = f"fail-{unique}"
    make_table(sb, table)
    sb.dynamodb.fail_next_export(table, code="S3AccessDenied", message="no write to bucket")
    summary = runner.run(runner.config(ddb_stream("fail", table, bucket)), wait=True)
    assert summary.failed == ["fail"]
    assert "FAILED: S3AccessDenied: no write to bucket" in (summary.streams[0].error or "")
    assert not runner.db_file.exists() or runner.rows(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'fail'"
    ) == [(0,)]


def test_a_stream_without_an_applier_is_not_supported_and_nothing_is_started(
    runner: Runner, bucket: str, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Incremental streams are supported since issue 5: take their applier away to check
    # that a missing (source, kind, mode) applier still stops the stream before anything.
    from aws2bq.runner import run

    monkeypatch.delitem(run.APPLIERS, ("dynamodb", "incremental", "merge"))
    sb = runner.sandbox
    table = f"incr-{unique}"
    make_table(sb, table)
    config = runner.config(
        ddb_stream("incr", table, bucket, cadence='"incremental"', mode='"merge"')
    )
    summary = runner.run(config, wait=True)
    assert summary.failed == ["incr"]
    assert "not supported yet (issue 5)" in (summary.streams[0].error or "")
    assert exports_of(sb, table) == []


def test_the_loser_of_two_runners_reports_busy_and_does_nothing(
    runner: Runner, bucket: str, unique: str
) -> None:
    table = f"busy-{unique}"
    make_table(runner.sandbox, table)
    config = runner.config(ddb_stream("busy", table, bucket))
    runner.db_file.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(  # another process holds the DuckDB file (as a runner would)
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True);"
            " sys.stdin.read()",
            str(runner.db_file),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        summary = runner.run(config, wait=True)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    [result] = summary.streams
    assert (result.status, summary.failed, result.started) == ("busy", [], [])
    assert result.notes[0].startswith("another runner is applying stream 'busy'")
    assert result.notes[0].endswith("nothing done")
    assert exports_of(runner.sandbox, table) == []


def test_cli_two_streams_one_failing_exit_1_and_the_other_applied(
    aws_env: Sandbox,
    bucket: str,
    unique: str,
    tmp_path: Path,
    cli: Cli,
    settings: Callable[..., Any],
) -> None:
    sb = aws_env
    settings(export_polls=0)  # exports complete at their first DescribeExport
    table = f"good-{unique}"
    make_table(sb, table, items=6)
    shop = f"shopcli-{unique}"
    sb.rds.create_instance(shop, backing="sample://shop")
    db = tmp_path / "cli.duckdb"
    config = tmp_path / "aws2bq.toml"
    config.write_text(
        f'warehouse = "duckdb:///{db}"\n'
        + ddb_stream("good", table, bucket)
        + rds_stream(
            "broken",
            shop,
            bucket,
            "arn:aws:iam::123456789012:role/missing-role",
            sb.rds.kms_key(),
        )
    )
    code, out, err = cli("run", "-c", str(config), "--no-wait", "--quiet", "--json")
    assert code == 1, err
    summary = json.loads(out)["summary"]
    assert summary["failed"] == ["broken"]
    assert "IamRoleNotFound" in summary["streams"][1]["error"]
    assert "1 stream(s) failed: broken" in err
    # The next run applies the good stream's export; the broken one still fails.
    code, out, _ = cli("run", "-c", str(config), "--no-wait", "--quiet", "--json")
    good = json.loads(out)["summary"]["streams"][0]
    assert code == 1 and [a["rows"] for a in good["applied"]] == [6]

    code, out, _ = cli("status", "-c", str(config), "--json")
    assert code == 0
    [good_status, broken_status] = json.loads(out)["streams"]
    assert good_status["matches"] is True
    assert good_status["tables"] == [
        {
            "table": "good",
            "warehouse_rows": 6,
            "ledger_rows": 6,
            "manifest_items": 6,
            "mode": "replace",
            "matches": True,
        }
    ]
    assert broken_status["note"] == "nothing applied yet"


@pytest.mark.parametrize("bad", ["--timeout=soon"])
def test_cli_bad_timeout_is_a_usage_error(cli: Cli, tmp_path: Path, bad: str) -> None:
    config = tmp_path / "aws2bq.toml"
    config.write_text(f'warehouse = "duckdb:///{tmp_path / "x.duckdb"}"\n')
    code, _, err = cli("run", "-c", str(config), bad)
    assert code == 2 and "--timeout" in err
