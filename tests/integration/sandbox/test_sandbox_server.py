"""The sandbox server itself: real boto3 against moto in server mode, control endpoints, faults."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import botocore.exceptions
import pytest

from aws2bq.errors import SandboxError
from aws2bq.sandbox import Sandbox


def test_boto3_talks_to_moto_through_the_endpoint(sandbox: Sandbox, unique: str) -> None:
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket=f"b-{unique}")
    s3.put_object(Bucket=f"b-{unique}", Key="k", Body=b"hello")
    assert s3.get_object(Bucket=f"b-{unique}", Key="k")["Body"].read() == b"hello"
    assert sandbox.env()["AWS_ENDPOINT_URL"] == sandbox.endpoint_url
    assert sandbox.endpoint_url.startswith("http://127.0.0.1:")


def test_aws_endpoint_url_alone_points_boto3_at_the_sandbox(sandbox: Sandbox, unique: str) -> None:
    # A child process that only gets the environment (as the CLI or a user's script would).
    sandbox.client("s3").create_bucket(Bucket=f"env-{unique}")
    code = "import boto3; print([b['Name'] for b in boto3.client('s3').list_buckets()['Buckets']])"
    out = subprocess.run(
        [sys.executable, "-c", code], env=sandbox.env(), capture_output=True, text=True, check=True
    ).stdout
    assert f"env-{unique}" in out


@pytest.mark.parametrize(
    ("service", "action", "code", "call"),
    [
        ("dynamodb", "ListTables", "ThrottlingException", lambda c: c.list_tables()),
        ("rds", "DescribeDBSnapshots", "Throttling", lambda c: c.describe_db_snapshots()),
        ("s3", "ListBuckets", "SlowDown", lambda c: c.list_buckets()),
    ],
)
def test_injected_fault_is_raised_once_in_the_service_protocol(
    sandbox: Sandbox, service: str, action: str, code: str, call: object
) -> None:
    client = sandbox.client(service)
    sandbox.inject_fault(service, action, code, status=503 if service == "s3" else 400)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        call(client)  # type: ignore[operator]
    assert err.value.response["Error"]["Code"] == code
    call(client)  # type: ignore[operator]  # the fault was used up: the next call succeeds


def test_fault_count_and_clear(sandbox: Sandbox) -> None:
    ddb = sandbox.client("dynamodb")
    sandbox.inject_fault("dynamodb", "ListTables", "InternalServerError", count=2, status=500)
    for _ in range(2):
        with pytest.raises(botocore.exceptions.ClientError):
            ddb.list_tables()
    ddb.list_tables()
    sandbox.inject_fault("dynamodb", "ListTables", "ThrottlingException", count=5)
    sandbox.clear_faults()
    ddb.list_tables()


def test_clock_moves_forward_only_when_told(sandbox: Sandbox) -> None:
    before = sandbox.now()
    after = sandbox.advance_clock(minutes=30)
    assert after - before >= timedelta(minutes=30)
    assert after - before < timedelta(minutes=31)


def test_settings_roundtrip_and_unknown_setting_is_refused(sandbox: Sandbox) -> None:
    original = sandbox.settings()["export_polls"]
    try:
        assert sandbox.settings(export_polls=3)["export_polls"] == 3
    finally:
        sandbox.settings(export_polls=original)
    with pytest.raises(SandboxError):
        sandbox.settings(no_such_setting=1)


def test_attach_to_a_server_that_is_not_there_fails_clearly() -> None:
    with pytest.raises(SandboxError, match="did not answer"):
        Sandbox.attach("http://127.0.0.1:9")


def test_sandbox_cli_start_status_stop(tmp_path: object) -> None:
    import json
    from pathlib import Path

    state = Path(str(tmp_path)) / "sb"
    aws2bq = [sys.executable, "-m", "aws2bq.cli"]
    out = subprocess.run(
        [*aws2bq, "sandbox", "start", "--port", "0", "--detach", "--state-dir", str(state)],
        capture_output=True,
        text=True,
        check=True,
    )
    try:
        assert "export AWS_ENDPOINT_URL=http://127.0.0.1:" in out.stdout
        status = subprocess.run(
            [*aws2bq, "sandbox", "status", "--state-dir", str(state)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert json.loads(status.stdout)["ok"] is True
    finally:
        stop = subprocess.run(
            [*aws2bq, "sandbox", "stop", "--state-dir", str(state)],
            capture_output=True,
            text=True,
            check=True,
        )
    assert "stopped" in stop.stdout


def test_a_dead_sandbox_is_reported_with_its_log_at_once(tmp_path: Path) -> None:
    """The liveness check every sandbox test runs first: dead → a message naming the log."""
    sb = Sandbox(tmp_path / "doomed").start()
    try:
        assert sb.alive() and sb.problem() is None
        assert sb._process is not None and sb._process.pid is not None
        os.kill(sb._process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while sb.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        started = time.monotonic()
        problem = sb.problem()
        assert time.monotonic() - started < 2
        assert problem is not None
        assert "died: killed by SIGKILL" in problem
        assert str(sb._process.log_file) in problem
    finally:
        sb.stop()
