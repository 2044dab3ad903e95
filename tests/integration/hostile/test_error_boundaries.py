"""11.9: every AWS, Google and OS error becomes one line and the right exit code, for every
command — driven through an unreachable endpoint, a permission error and a missing file.

The unreachable endpoint is a loopback port nobody listens on; the permission error is a path
under ``/sys`` (not writable even by root) or an ``AccessDenied`` injected by the sandbox; the
missing file is a path that does not exist. Exit codes: 1 for a failed export or stream
(including a service that cannot be reached: the next run tries again), 2 for a usage or
configuration problem (a path aws2bq cannot use, credentials, a missing config).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pytest

from aws2bq.sandbox import Sandbox

from .conftest import Cli, error_line, local_export
from .rds_exports import write_rds_export

FORBIDDEN = Path("/sys/aws2bq-test-not-writable")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def unreachable_aws(monkeypatch: pytest.MonkeyPatch) -> str:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    for key, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    return endpoint


@dataclass
class Case:
    argv: list[str]
    code: int
    says: str


def _ddb_export(tmp: Path) -> Path:
    return local_export(tmp / "ddb", [{"pk": {"S": "a"}}], files=1)


def _rds_export(tmp: Path) -> Path:
    return write_rds_export(tmp / "rds", {"shop.orders": pa.table({"id": [1]})})


def _files(tmp: Path) -> Path:
    folder = tmp / "files"
    folder.mkdir()
    (folder / "a.jsonl").write_text('{"id": 1}\n')
    return folder


def _config(tmp: Path, warehouse: str, *, stream: bool = True) -> Path:
    config = tmp / "aws2bq.toml"
    body = f'warehouse = "{warehouse}"\n[aws]\nregion = "us-east-1"\nmax_attempts = 1\n'
    if stream:
        body += '[streams.orders]\ntable = "Orders"\nexport_bucket = "exports-1"\n'
    config.write_text(body)
    return config


def _wh(tmp: Path) -> str:
    return f"duckdb:///{tmp / 'w.duckdb'}"


FORBIDDEN_WH = f"duckdb:///{FORBIDDEN / 'w.duckdb'}"

#: (command, kind) → the case, built in a test's temporary folder.
CASES: dict[tuple[str, str], Callable[[Path], Case]] = {
    ("load dynamodb", "unreachable"): lambda t: Case(
        ["load", "dynamodb", "s3://bucket/prefix", "--table", "t", "--warehouse", _wh(t)],
        1, "cannot reach AWS"),
    ("load dynamodb", "permission"): lambda t: Case(
        ["load", "dynamodb", str(_ddb_export(t)), "--table", "t", "--warehouse", FORBIDDEN_WH],
        2, "cannot create the folder of the warehouse file"),
    ("load dynamodb", "missing"): lambda t: Case(
        ["load", "dynamodb", str(t / "nope"), "--table", "t", "--warehouse", _wh(t)],
        2, "does not exist"),
    ("load rds", "unreachable"): lambda t: Case(
        ["load", "rds", "s3://bucket/prefix/task/", "--warehouse", _wh(t)], 1, "cannot reach AWS"),
    ("load rds", "permission"): lambda t: Case(
        ["load", "rds", str(_rds_export(t)), "--warehouse", FORBIDDEN_WH],
        2, "cannot create the folder of the warehouse file"),
    ("load rds", "missing"): lambda t: Case(
        ["load", "rds", str(t / "nope"), "--warehouse", _wh(t)], 2, "does not exist"),
    ("load files", "unreachable"): lambda t: Case(
        ["load", "files", "s3://bucket/prefix/", "--format", "jsonl", "--table", "t",
         "--warehouse", _wh(t)], 1, "cannot reach AWS"),
    ("load files", "permission"): lambda t: Case(
        ["load", "files", str(_files(t)), "--format", "jsonl", "--table", "t",
         "--warehouse", FORBIDDEN_WH], 2, "cannot create the folder of the warehouse file"),
    ("load files", "missing"): lambda t: Case(
        ["load", "files", str(t / "nope"), "--format", "jsonl", "--table", "t",
         "--warehouse", _wh(t)], 2, "is neither s3://bucket/prefix/ nor a local folder"),
    ("run", "unreachable"): lambda t: Case(
        ["run", "-c", str(_config(t, _wh(t))), "--no-wait"], 1, "1 stream(s) failed: orders"),
    ("run", "permission"): lambda t: Case(
        ["run", "-c", str(_config(t, FORBIDDEN_WH)), "--no-wait"],
        2, "cannot create the folder of the warehouse file"),
    ("run", "missing"): lambda t: Case(["run", "-c", str(t / "nope.toml")], 2, "does not exist"),
    ("plan", "unreachable"): lambda t: Case(
        ["plan", "-c", str(_config(t, _wh(t)))], 1, "cannot plan 1 stream(s): orders"),
    ("plan", "permission"): lambda t: Case(
        ["plan", "-c", str(_config(t, FORBIDDEN_WH))],
        2, "cannot create the folder of the warehouse file"),
    ("plan", "missing"): lambda t: Case(["plan", "-c", str(t / "nope.toml")], 2, "does not exist"),
    ("status", "permission"): lambda t: Case(
        ["status", "-c", str(_config(t, FORBIDDEN_WH))], 2, "cannot create the folder"),
    ("status", "missing"): lambda t: Case(
        ["status", "-c", str(t / "nope.toml")], 2, "does not exist"),
    ("init", "permission"): lambda t: Case(
        ["init", str(FORBIDDEN / "aws2bq.toml")], 2, "cannot write"),
    ("package", "permission"): lambda t: Case(
        ["package", "--output", str(FORBIDDEN / "dist")], 2, "cannot write the Lambda artifact"),
    ("package", "missing"): lambda t: Case(
        ["package", "--config", str(t / "nope.toml"), "--output", str(t / "dist")],
        2, "does not exist"),
    ("demo", "permission"): lambda t: Case(
        ["demo", "--dir", str(FORBIDDEN / "demo")], 2, "cannot use"),
    ("sandbox start", "permission"): lambda t: Case(
        ["sandbox", "start", "--state-dir", str(FORBIDDEN / "sb"), "--detach"],
        2, "cannot use the state folder"),
    ("sandbox status", "missing"): lambda t: Case(
        ["sandbox", "status", "--state-dir", str(t / "nope")], 1, ""),
    ("sandbox advance-clock", "missing"): lambda t: Case(
        ["sandbox", "advance-clock", "5", "--state-dir", str(t / "nope")],
        1, "no sandbox is running"),
    ("sandbox fault", "missing"): lambda t: Case(
        ["sandbox", "fault", "s3", "*", "AccessDenied", "--state-dir", str(t / "nope")],
        1, "no sandbox is running"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("command", "kind"), sorted(CASES), ids=[" ".join(c) for c in sorted(CASES)]
)
def test_each_command_reports_on_one_line(
    command: str, kind: str, tmp_path: Path, cli: Cli, unreachable_aws: str
) -> None:
    case = CASES[(command, kind)](tmp_path)
    code, out, err = cli(*case.argv)
    assert "Traceback" not in err and "unexpected" not in err, err
    assert code == case.code, err
    if case.says:
        assert case.says in error_line(err), err
    if command in ("run", "plan") and kind == "unreachable":
        (stream,) = json.loads(out)["summary"]["streams"]
        assert "EndpointConnectionError" in stream["error"] and "\n" not in stream["error"]


def test_every_command_meets_every_kind_it_can() -> None:
    from tests.unit.test_cli import COMMANDS

    leaves = {" ".join(p) for p, c in COMMANDS if p and not getattr(c, "commands", None)}
    covered = {command for command, _ in CASES}
    # version reads nothing; sandbox stop is below (a dead sandbox, a foreign pid).
    assert leaves - covered == {"version", "sandbox stop"}
    for command in ("load dynamodb", "load rds", "load files", "run", "plan"):
        assert {k for c, k in CASES if c == command} == {"unreachable", "permission", "missing"}


# -- the sandbox commands against a sandbox that died, or a state file that lies ----------------
@pytest.fixture
def dead_sandbox(tmp_path: Path) -> Iterator[Path]:
    """A state folder naming a live process of ours (this test) at an endpoint nobody serves."""
    state = tmp_path / "state"
    state.mkdir()
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    (state / "sandbox.json").write_text(json.dumps({"pid": os.getpid(), "endpoint": endpoint}))
    yield state


@pytest.mark.parametrize(
    "argv",
    [["sandbox", "status"], ["sandbox", "advance-clock", "5"],
     ["sandbox", "fault", "s3", "*", "AccessDenied"]],
)  # fmt: skip
def test_sandbox_commands_against_an_unreachable_sandbox(
    argv: list[str], dead_sandbox: Path, cli: Cli
) -> None:
    code, _, err = cli(*argv, "--state-dir", str(dead_sandbox))
    assert code == 1 and "did not answer" in error_line(err), err


def test_sandbox_stop_never_kills_a_process_that_is_not_the_sandbox(
    dead_sandbox: Path, cli: Cli
) -> None:
    code, _, err = cli("sandbox", "stop", "--state-dir", str(dead_sandbox))
    assert code == 1 and "is not an aws2bq sandbox" in error_line(err), err  # and we live on
    code, out, _ = cli("sandbox", "stop", "--state-dir", str(dead_sandbox.parent / "none"))
    assert code == 0 and "no sandbox is running" in out


# -- permission errors from AWS itself -----------------------------------------------------------
@pytest.fixture
def aws(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    yield sandbox
    sandbox.clear_faults()


@pytest.mark.parametrize("source", ["dynamodb", "rds"])
def test_s3_access_denied_is_one_line_exit_2(
    aws: Sandbox, source: str, tmp_path: Path, cli: Cli, unique: str
) -> None:
    bucket = f"b-{unique}"
    aws.client("s3").create_bucket(Bucket=bucket)
    aws.inject_fault("s3", "*", "AccessDenied", status=403, count=50)
    target = f"s3://{bucket}/p" if source == "dynamodb" else f"s3://{bucket}/p/task/"
    extra = ["--table", "t"] if source == "dynamodb" else []
    code, _, err = cli("load", source, target, *extra, "--warehouse", _wh(tmp_path))
    line = error_line(err)
    assert code == 2 and "access denied" in line and bucket in line, err


def test_run_and_plan_with_access_denied_name_the_action(
    aws: Sandbox, tmp_path: Path, cli: Cli
) -> None:
    config = _config(tmp_path, _wh(tmp_path))
    aws.inject_fault("dynamodb", "DescribeTable", "AccessDeniedException", count=10)
    code, out, err = cli("plan", "-c", str(config), "--json")
    assert code == 1 and "Traceback" not in err
    (stream,) = json.loads(out)["summary"]["streams"]
    assert "dynamodb:DescribeTable" in stream["error"] and "\n" not in stream["error"]
    code, out, err = cli("run", "-c", str(config), "--no-wait", "--json")
    assert code == 1 and "Traceback" not in err
    (stream,) = json.loads(out)["summary"]["streams"]
    assert "AccessDeniedException" in stream["error"]


# -- Google ----------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.bigquery
def test_an_unreachable_bigquery_endpoint_is_one_line(tmp_path: Path, cli: Cli) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    export = _ddb_export(tmp_path)
    warehouse = f"bigquery://p/d?endpoint={endpoint}&emulator=true"
    code, _, err = cli("load", "dynamodb", str(export), "--table", "t", "--warehouse", warehouse)
    line = error_line(err)
    assert code == 1 and "BigQuery" in line and "retry later" in line, err


def test_no_google_credentials_is_a_config_error(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.delenv("AWS2BQ_BIGQUERY_ENDPOINT", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no gcloud application-default credentials
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("GCE_METADATA_HOST", f"127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("GCE_METADATA_IP", f"127.0.0.1:{_closed_port()}")
    export = _ddb_export(tmp_path)
    code, _, err = cli("load", "dynamodb", str(export), "--table", "t",
                       "--warehouse", "bigquery://p/d")  # fmt: skip
    assert code == 2 and "no Google credentials" in error_line(err), err
