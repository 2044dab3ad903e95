"""Shared helpers for the changes tests (issue 5): exports to apply, child processes that
crash or pause at a named stage (:mod:`aws2bq.runner.crashpoints`), and DuckDB dumps.

Other test modules of this folder add their own fixtures below; append, don't reorder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from bench.export_writer import item_line, write_export

from aws2bq.runner.crashpoints import CRASH_VAR, PAUSE_DIR_VAR, PAUSE_VAR
from aws2bq.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[3]
#: The CLI in a fresh interpreter (the crash must kill a process, not the test).
CLI = "import sys; from aws2bq.cli import main; sys.argv[0] = 'aws2bq'; main()"
#: Ledger columns that legitimately differ between two runs of the same exports.
TIMING_COLUMNS = frozenset({"applied_at", "duration_seconds"})
SIGKILLED = -signal.SIGKILL
MEMORY = "duckdb:///:memory:"


def child_env(sandbox: Sandbox | None = None, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in (CRASH_VAR, PAUSE_VAR, PAUSE_DIR_VAR) and not k.startswith("PYTEST_")
    }
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    if sandbox is not None:
        env.update(sandbox.env())
    env.update(extra)
    return env


def start_cli(
    args: Sequence[str], *, sandbox: Sandbox | None = None, **env: str
) -> subprocess.Popen[str]:
    """``aws2bq ARGS`` in a child process (``env`` e.g. ``AWS2BQ_CRASH_AT="staged"``)."""
    return subprocess.Popen(
        [sys.executable, "-c", CLI, *args],
        env=child_env(sandbox, **env),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_cli(
    args: Sequence[str], *, sandbox: Sandbox | None = None, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    proc = start_cli(args, sandbox=sandbox, **env)
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def crash_at(
    stage: str, args: Sequence[str], *, sandbox: Sandbox | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI with ``AWS2BQ_CRASH_AT=stage``; assert it died by SIGKILL."""
    done = run_cli(args, sandbox=sandbox, AWS2BQ_CRASH_AT=stage)
    assert done.returncode == SIGKILLED, (
        f"expected a SIGKILL at {stage!r}, got exit {done.returncode}\n{done.stderr[-2000:]}"
    )
    return done


def ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@dataclass
class Paused:
    """A child held at a stage by ``AWS2BQ_PAUSE_AT`` until :meth:`release`."""

    proc: subprocess.Popen[str]
    folder: Path
    stage: str

    @property
    def _stem(self) -> str:
        return self.stage.replace(":", "_")

    def wait_reached(self, timeout: float = 60) -> None:
        marker = self.folder / f"{self._stem}.reached"
        deadline = time.monotonic() + timeout
        while not marker.exists():
            if self.proc.poll() is not None:
                _out, err = self.proc.communicate()
                pytest.fail(f"child ended ({self.proc.returncode}) before {self.stage}: {err}")
            assert time.monotonic() < deadline, f"child never reached {self.stage}"
            time.sleep(0.01)

    def release(self, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        (self.folder / f"{self._stem}.go").write_text("")
        out, err = self.proc.communicate(timeout=timeout)
        return subprocess.CompletedProcess(self.proc.args, self.proc.returncode, out, err)


def pause_at(
    stage: str, args: Sequence[str], folder: Path, *, sandbox: Sandbox | None = None
) -> Paused:
    """Start the CLI and return once it is blocked at ``stage`` (holding what it holds)."""
    folder.mkdir(parents=True, exist_ok=True)
    proc = start_cli(args, sandbox=sandbox, AWS2BQ_PAUSE_AT=stage, AWS2BQ_PAUSE_DIR=str(folder))
    paused = Paused(proc, folder, stage)
    paused.wait_reached()
    return paused


# -- reading the result ---------------------------------------------------------------------
def dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of ``db`` (the ledger without its timing columns), rows sorted."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [
            str(r[0])
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_catalog = current_database() ORDER BY 1"
            ).fetchall()
        ]
        out: dict[str, list[tuple[Any, ...]]] = {}
        for name in names:
            cur = con.execute(f'SELECT * FROM "{name}"')
            columns = [d[0] for d in cur.description or ()]
            keep = [i for i, c in enumerate(columns) if c not in TIMING_COLUMNS]
            out[name] = sorted((tuple(r[i] for i in keep) for r in cur.fetchall()), key=repr)
        return out
    finally:
        con.close()


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def leftovers(db: Path) -> list[str]:
    """Anything a crashed run could leave behind that is not data or ledger."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [
            str(r[0])
            for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
            if "aws2bq_new" in str(r[0]) or "stage" in str(r[0])
        ]
        attached = [
            str(r[0])
            for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()
            if str(r[0]) not in (db.stem, "system", "temp")
        ]
        return tables + attached
    finally:
        con.close()


def no_duplicates(db: Path, table: str, key: str) -> None:
    [(total, distinct)] = query(db, f'SELECT count(*), count(DISTINCT "{key}") FROM "{table}"')
    assert total == distinct, f"{table}: {total} rows for {distinct} keys"


# -- exports ----------------------------------------------------------------------------------
def ddb_items(version: int, n: int = 30) -> list[dict[str, Any]]:
    """The table at export ``version``: later versions update, delete and insert items."""
    items = []
    for i in range(n + 5 * version):
        if version and i % 7 == 3:
            continue  # deleted in later versions
        item: dict[str, Any] = {
            "pk": {"S": f"k{i:03d}"},
            "n": {"N": str(i * (version + 1))},
            "s": {"S": f"v{version}-{i}"},
        }
        if i % 4 == 0:
            item["m"] = {"M": {"x": {"N": str(i)}, "tags": {"SS": ["a", f"t{version}"]}}}
        items.append(item)
    return items


def ddb_export(root: Path, version: int, *, files: int = 3, items: int = 30) -> Path:
    """A local DynamoDB full export (AWS's layout) of ``ddb_items(version, items)``."""
    rows = ddb_items(version, items)
    chunks = [[item_line(i) for i in rows[k::files]] for k in range(files)]
    written = write_export(
        root / f"v{version}",
        chunks,
        export_id=f"0170000000000{version}-abcdef0{version}",
        export_time=datetime(2024, 1, 2 + version, 3, 4, 5, tzinfo=UTC),
    )
    return written.folder


def ddb_load_args(export: Path, db: Path) -> list[str]:
    return [
        "load", "dynamodb", str(export), "--table", "items", "--key", "pk",
        "--warehouse", f"duckdb:///{db}", "--quiet",
    ]  # fmt: skip


def rds_load_args(export: str, db: Path) -> list[str]:
    return ["load", "rds", export, "--warehouse", f"duckdb:///{db}", "--quiet"]


@dataclass(frozen=True)
class ShopExports:
    """Two snapshot exports of a ``sample://shop`` instance in the sandbox's S3."""

    sandbox: Sandbox
    first: str
    second: str


@pytest.fixture(scope="module")
def shop_exports(sandbox: Sandbox) -> ShopExports:
    unique = uuid.uuid4().hex[:8]
    sb = sandbox
    bucket = f"changes-{unique}"
    sb.client("s3").create_bucket(Bucket=bucket)
    instance = f"shop-{unique}"
    sb.rds.create_instance(instance, backing="sample://shop")
    locations = []
    for n in (1, 2):
        sb.advance_clock(minutes=5)
        arn = sb.rds.create_snapshot(instance, f"{instance}-s{n}")
        task = f"{instance}-e{n}"
        result = sb.rds.export(arn, bucket=bucket, task_id=task, prefix="rds")
        assert result["Status"] == "COMPLETE"
        locations.append(f"s3://{bucket}/rds/{task}/")
    return ShopExports(sb, locations[0], locations[1])


def shop_tables(db: Path) -> list[str]:
    return [
        str(r[0])
        for r in query(db, "SELECT table_name FROM information_schema.tables ORDER BY 1")
        if str(r[0]).startswith("shop__")
    ]


def ledger_ids(db: Path) -> list[tuple[str, str]]:
    return [
        (str(s), str(e))
        for s, e in query(db, "SELECT stream, export_id FROM _aws2bq_ledger ORDER BY 1, 2")
    ]


#: Keys of the sample shop's tables (the export does not record them) for merge/history.
SHOP_KEYS = (
    "shop.customers=id", "shop.products=id", "shop.orders=id", "shop.order_items=order_id,line_no",
)  # fmt: skip


def mode_supported(source: str, mode: str) -> bool:
    """Whether the loader accepts ``mode`` yet: a tiny load into an in-memory DuckDB (RDS: a
    missing export, as ``load_rds`` checks the mode before reading anything)."""
    import tempfile

    from aws2bq.core.apply import Mode
    from aws2bq.errors import Aws2BqError

    try:
        if source == "dynamodb":
            from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb

            with tempfile.TemporaryDirectory() as tmp:
                export = str(ddb_export(Path(tmp), 0, files=1))
                request = DynamoDBLoadRequest(export, "probe", ("pk",), Mode(mode), MEMORY)
                load_dynamodb(request)
        else:
            from aws2bq.runner.rds_load import RdsLoadRequest, load_rds

            load_rds(RdsLoadRequest("/nonexistent/aws2bq-probe/", mode=Mode(mode)))
    except Aws2BqError as exc:
        return "not available" not in exc.message
    return True


def modes(source: str) -> list[Any]:
    """``replace`` always; ``merge``/``history`` once the loader has them (skipped before)."""
    out: list[Any] = ["replace"]
    for mode in ("merge", "history"):
        ready = mode_supported(source, mode)
        out.append(
            pytest.param(
                mode,
                marks=pytest.mark.skipif(not ready, reason=f"{source} {mode} mode not built yet"),
            )
        )
    return out


# -- ``aws2bq run`` in a child process ------------------------------------------------------
#: run_streams(wait=True) with the sandbox's clock and no real sleeps (argv: config file).
RUN_CHILD = """
import json, os, sys
from aws2bq.config.loader import parse_config
from aws2bq.runner.run import RunOptions, run_streams
from aws2bq.runner.schedule import PollPolicy, RetryPolicy
from aws2bq.sandbox import Sandbox
sb = Sandbox.attach(os.environ["AWS_ENDPOINT_URL"])
options = RunOptions(
    now=sb.now, sleep=lambda s: None, retry=RetryPolicy(attempts=4, base=0.01, cap=0.05),
    poll=PollPolicy(first=1, factor=2, cap=8),
)
with open(sys.argv[1]) as f:
    summary = run_streams(parse_config(f.read()), wait=True, options=options)
print(json.dumps(summary.to_dict(), default=str))
"""


def start_run(config: Path, sandbox: Sandbox, **env: str) -> subprocess.Popen[str]:
    """``run_streams`` of ``config`` (a TOML file) in a child process."""
    return subprocess.Popen(
        [sys.executable, "-c", RUN_CHILD, str(config)],
        env=child_env(sandbox, **env),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_child(config: Path, sandbox: Sandbox, **env: str) -> subprocess.CompletedProcess[str]:
    proc = start_run(config, sandbox, **env)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def ddb_run_config(tmp: Path, sb: Sandbox, stream: str, items: int = 7) -> Path:
    """A sandbox DynamoDB table with ``items`` items and a config whose one stream loads it
    into ``tmp/w.duckdb`` (table ``stream``)."""
    unique = uuid.uuid4().hex[:8]
    table, bucket = f"{stream}-{unique}", f"run-{unique}"
    sb.client("s3").create_bucket(Bucket=bucket)
    sb.dynamodb.create_table(table, hash_key=("id", "N"))
    client = sb.client("dynamodb")
    for i in range(items):
        client.put_item(TableName=table, Item={"id": {"N": str(i)}, "name": {"S": f"n{i}"}})
    config = tmp / "aws2bq.toml"
    config.write_text(
        f'warehouse = "duckdb:///{tmp / "w.duckdb"}"\n'
        f'[streams.{stream}]\ntable = "{table}"\nexport_bucket = "{bucket}"\n'
    )
    return config


def dynamodb_exports(sb: Sandbox, config: Path) -> int:
    """How many exports the stream's table has (a re-run must not start a second one)."""
    table = next(
        line.split('"')[1] for line in config.read_text().splitlines() if line.startswith("table")
    )
    arn = sb.dynamodb.table_arn(table)
    return len(sb.client("dynamodb").list_exports(TableArn=arn)["ExportSummaries"])
