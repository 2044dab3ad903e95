"""Fixtures for end-to-end runs: the sandbox's AWS in the environment, a bucket, a DuckDB
file, a config builder, and a runner whose clock is the sandbox's and whose sleeps are
recorded instead of slept."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

from aws2bq.config import Config
from aws2bq.config.loader import parse_config
from aws2bq.runner.run import RunOptions, RunSummary, run_streams
from aws2bq.runner.schedule import PollPolicy, RetryPolicy
from aws2bq.sandbox import Sandbox
from tests.integration.load.conftest import run_cli


@pytest.fixture
def aws_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """Point boto3 (and so aws2bq) at the sandbox."""
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    return sandbox


@pytest.fixture
def bucket(sandbox: Sandbox, unique: str) -> str:
    name = f"run-{unique}"
    sandbox.client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture
def settings(sandbox: Sandbox) -> Iterator[Callable[..., Any]]:
    """Change sandbox settings for one test; the previous values come back afterwards."""
    before = sandbox.settings()
    yield sandbox.settings
    sandbox.settings(**before)


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "wh.duckdb"


@dataclass
class Sleeps:
    """Records the sleeps the runner asks for (it never really sleeps in tests)."""

    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@dataclass
class Runner:
    sandbox: Sandbox
    db_file: Path
    sleeps: Sleeps = field(default_factory=Sleeps)

    def config(self, toml: str) -> Config:
        return parse_config(f'warehouse = "duckdb:///{self.db_file}"\n{toml}')

    def options(self, **changes: Any) -> RunOptions:
        values: dict[str, Any] = {
            "now": self.sandbox.now,
            "sleep": self.sleeps,
            "retry": RetryPolicy(attempts=4, base=0.01, cap=0.05),
            "poll": PollPolicy(first=1, factor=2, cap=8),
        }
        values.update(changes)
        return RunOptions(**values)

    def run(self, config: Config, **kwargs: Any) -> RunSummary:
        options = kwargs.pop("options", None) or self.options()
        return run_streams(config, options=options, **kwargs)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.db_file), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def count(self, table: str) -> int:
        return int(self.rows(f'SELECT count(*) FROM "{table}"')[0][0])

    def ledger(self) -> list[tuple[Any, ...]]:
        return self.rows(
            "SELECT stream, export_id, export_kind FROM _aws2bq_ledger ORDER BY applied_at"
        )


@pytest.fixture
def runner(aws_env: Sandbox, db_file: Path) -> Runner:
    return Runner(aws_env, db_file)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    return lambda *args: run_cli(args, capsys)


def ddb_stream(name: str, table: str, bucket: str, **extra: str) -> str:
    lines = [f"[streams.{name}]", f'table = "{table}"', f'export_bucket = "{bucket}"']
    lines += [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def rds_stream(name: str, instance: str, bucket: str, role: str, key: str, **extra: str) -> str:
    lines = [
        f"[streams.{name}]",
        f'instance = "{instance}"',
        f'export_bucket = "{bucket}"',
        f'iam_role_arn = "{role}"',
        f'kms_key_id = "{key}"',
    ]
    lines += [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"
