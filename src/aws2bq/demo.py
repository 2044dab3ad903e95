"""The offline end-to-end demo (``aws2bq demo``, what ``make demo`` runs).

It plays both sides of a real deployment on one machine, with no account and no network:

1. the sandbox (a local AWS) gets a DynamoDB table with point-in-time recovery and an RDS
   MySQL instance backed by the bundled ``shop`` sample;
2. AWS-side exports are made through the real APIs (ExportTableToPointInTime;
   CreateDBSnapshot + StartExportTask), exactly as a scheduled Lambda would;
3. aws2bq verifies and loads them into a local DuckDB file;
4. the sources change (inserts, updates, deletes); an incremental DynamoDB export is merged
   by key and a new RDS snapshot is diffed by key (orders keep every version: history mode),
   and the demo shows what changed in the warehouse;
5. it ends with a query joining the RDS and DynamoDB data, and how to open the file.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlglot.expressions as exp
from rich.console import Console
from rich.table import Table

from aws2bq.core.progress import Progress
from aws2bq.errors import Aws2BqError, ConfigError

BUCKET = "aws2bq-demo-exports"
DDB_TABLE = "customer_activity"
RDS_INSTANCE = "shop-db"

CONFIG_TEMPLATE = """\
# Written by `aws2bq demo`: what a scheduled deployment would use.
warehouse = "{warehouse}"

# DynamoDB: a full export first, then hourly incremental exports merged by key.
[streams.activity]
table = "{table}"
export_bucket = "{bucket}"
export_prefix = "dynamodb"
cadence = "incremental"
every = "1h"
keys = ["customer_id"]
mode = "merge"
destination = "{table}"

[streams.shop]
instance = "{instance}"
engine = "mysql"
snapshot = "create_manual"
every = "1h"
export_bucket = "{bucket}"
export_prefix = "rds"
iam_role_arn = "{role}"
kms_key_id = "{key}"

# Orders keep every version (SCD2), timed by the snapshot that saw the change.
[streams.shop.tables."shop.orders"]
keys = ["id"]
mode = "history"
"""

#: Versions of a few orders that changed (history mode keeps every one).
HISTORY_QUERY = """\
SELECT id, status, shipped_on, _valid_from, _valid_to, _is_current, _is_deleted
FROM shop__orders
WHERE id IN (SELECT id FROM shop__orders GROUP BY id HAVING count(*) > 1 ORDER BY id LIMIT 3)
ORDER BY id, _valid_from"""

#: The demo's closing query: the article's "integrate data from several sources".
JOIN_QUERY = """\
SELECT c.id, c.full_name, c.country, a.plan, a.sessions_30d, a.lifetime_value,
       count(o.id) AS orders, sum(o.total) AS spent
FROM shop__customers AS c
JOIN customer_activity AS a ON a.customer_id = c.id
LEFT JOIN shop__orders AS o ON o.customer_id = c.id AND o.status <> 'cancelled'
     AND o._is_current AND NOT o._is_deleted
GROUP BY ALL
ORDER BY spent DESC NULLS LAST
LIMIT 8"""


@dataclass
class DemoResult:
    """What the demo did, for tests and the closing message."""

    warehouse_file: Path
    seconds: float = 0.0
    tables: dict[str, int] = field(default_factory=dict)
    changes: dict[str, dict[str, int]] = field(default_factory=dict)
    join_rows: list[tuple[Any, ...]] = field(default_factory=list)
    history: list[tuple[Any, ...]] = field(default_factory=list)


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Point boto3 (used by the loaders) at the sandbox for the demo's duration only."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _activity_items(rng: random.Random, ids: range) -> list[dict[str, Any]]:
    plans = ["free", "pro", "team"]
    items = []
    for cid in ids:
        item: dict[str, Any] = {
            "customer_id": {"N": str(cid)},
            "plan": {"S": rng.choice(plans)},
            "sessions_30d": {"N": str(rng.randrange(0, 90))},
            "lifetime_value": {"N": str(Decimal(rng.randrange(0, 10_000_000)) / 100)},
            "devices": {"SS": sorted(rng.sample(["ios", "android", "web", "desktop"], 2))},
            "settings": {
                "M": {
                    "newsletter": {"BOOL": rng.random() < 0.5},
                    "locale": {"S": rng.choice(["en-GB", "ja-JP", "de-DE"])},
                    "shortcuts": {"L": [{"S": "search"}, {"N": str(rng.randrange(1, 9))}]},
                }
            },
        }
        if cid % 7 == 0:  # a sparse attribute, as real tables have
            item["referral-code"] = {"S": f"REF{cid:05d}"}
        items.append(item)
    return items


class Demo:
    """Runs the demo steps against one sandbox and one DuckDB file."""

    def __init__(self, directory: Path, console: Console, progress: Progress) -> None:
        self.dir = directory
        self.console = console
        self.progress = progress
        self.db_file = directory / "aws2bq.duckdb"
        self.warehouse = f"duckdb:///{self.db_file}"
        self.rng = random.Random(2024)

    # -- output ------------------------------------------------------------------------------
    def step(self, text: str) -> None:
        self.console.print(f"\n[bold cyan]▶ {text}[/]")

    def note(self, text: str) -> None:
        self.console.print(f"  {text}")

    # -- the warehouse side ------------------------------------------------------------------
    def query(self, sql: str) -> list[tuple[Any, ...]]:
        from aws2bq.warehouses.duckdb.files import connect_offline

        with connect_offline(str(self.db_file), read_only=True) as con:
            return con.execute(sql).fetchall()

    def counts(self) -> dict[str, int]:
        """Rows per user-visible table of the warehouse."""
        from aws2bq.warehouses.duckdb.files import connect_offline

        with connect_offline(str(self.db_file), read_only=True) as con:
            names = [
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
                    "AND NOT starts_with(table_name, '_aws2bq') ORDER BY table_name"
                ).fetchall()
            ]
            out = {}
            for name in names:
                count = exp.select(exp.Count(this=exp.Star())).from_(exp.table_(name, quoted=True))
                (row,) = con.execute(count.sql(dialect="duckdb")).fetchall()
                out[name] = int(row[0])
            return out

    def snapshot_keys(self, table: str, key: str) -> dict[Any, str]:
        """key → a hash of the row's data columns (to tell updates from unchanged rows)."""
        from aws2bq.warehouses.duckdb.files import connect_offline

        with connect_offline(str(self.db_file), read_only=True) as con:
            cols = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                    "AND NOT starts_with(column_name, '_aws2bq') "
                    "AND column_name NOT IN ('_valid_from', '_valid_to') ORDER BY column_index",
                    [table],
                ).fetchall()
            ]
            row = exp.Anonymous(
                this="struct_pack", expressions=[exp.column(c, quoted=True) for c in cols]
            )
            digest = exp.Anonymous(this="md5", expressions=[exp.cast(row, "VARCHAR")])
            query = exp.select(exp.column(key, quoted=True), digest).from_(
                exp.table_(table, quoted=True)
            )
            if "_is_current" in cols:  # a history table: compare the live versions only
                query = query.where(
                    exp.and_(
                        exp.column("_is_current", quoted=True),
                        exp.not_(exp.column("_is_deleted", quoted=True)),
                    )
                )
            rows = con.execute(query.sql(dialect="duckdb")).fetchall()
        return {k: h for k, h in rows}

    # -- the AWS side ------------------------------------------------------------------------
    def _fresh_folder(self) -> None:
        """Empty the demo's folder — only if it is one (a previous demo's, or empty): the
        demo never deletes a folder it did not make."""
        ours = {"aws2bq.duckdb", "aws2bq.duckdb.wal", "sandbox", "aws2bq.toml"}
        try:
            if self.dir.exists():
                if not self.dir.is_dir():
                    raise ConfigError(f"--dir {self.dir} is a file, not a folder")
                found = {p.name for p in self.dir.iterdir()}
                if found - ours:
                    raise ConfigError(
                        f"--dir {self.dir} holds files the demo did not make "
                        f"({', '.join(sorted(found - ours)[:5])}); nothing was deleted",
                        hint="give a new or empty folder (the demo recreates it on every run)",
                    )
                shutil.rmtree(self.dir)
            self.dir.mkdir(parents=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot use {self.dir} for the demo: {exc.strerror or exc}",
                hint="give a --dir the user running aws2bq can write",
            ) from None

    def run(self) -> DemoResult:
        from aws2bq.sandbox import Sandbox

        started = time.monotonic()
        self._fresh_folder()
        result = DemoResult(self.db_file)
        self.step("Starting the sandbox: a local AWS (moto server) that writes exports as AWS does")
        with Sandbox(self.dir / "sandbox") as sb, _environment(sb.env()):
            self.note(f"endpoint {sb.endpoint_url} (AWS_ENDPOINT_URL points boto3 at it)")
            sb.client("s3").create_bucket(Bucket=BUCKET)
            self._create_sources(sb)
            config_path = self.write_config(sb)
            self.note(f"config: {config_path} (what `aws2bq run -c` reads)")

            self.step("Round 1: `aws2bq run --wait` exports both sources through the AWS APIs")
            self._run(sb, config_path)
            result.tables = self.counts()
            self._show_counts(result.tables)

            before = {
                DDB_TABLE: self.snapshot_keys(DDB_TABLE, "customer_id"),
                "shop__orders": self.snapshot_keys("shop__orders", "id"),
            }
            self.step("The sources change: inserts, updates and deletes in DynamoDB and MySQL")
            self._change_sources(sb)
            sb.advance_clock(hours=1)

            self.step(
                "Round 2, an hour later: `aws2bq run --wait` again — an incremental DynamoDB "
                "export (merged by key) and a new snapshot (diffed by key)"
            )
            self._run(sb, config_path)
            for table, old in before.items():
                key = "customer_id" if table == DDB_TABLE else "id"
                result.changes[table] = _diff(old, self.snapshot_keys(table, key))
            self._show_changes(result.changes)
            result.tables = self.counts()
            result.history = self.query(HISTORY_QUERY)
            self._show_history(result.history)

        self.step("One query over both sources (the point of landing them together)")
        result.join_rows = self.query(JOIN_QUERY)
        self._show_join(result.join_rows)
        result.seconds = time.monotonic() - started
        self.console.print(
            f"\n[bold green]Done in {result.seconds:.1f}s.[/] Open the warehouse with:"
        )
        # Commands to copy: never wrapped at the console's width (a pipe is 80 columns).
        # This interpreter (the venv's): a bare `python` may not have duckdb.
        for command in (
            f"{sys.executable} -c \"import duckdb; print(duckdb.connect('{self.db_file}')"
            f".sql('FROM _aws2bq_ledger'))\"",
            f"duckdb {self.db_file}  # the DuckDB command line, if installed",
        ):
            self.console.print(f"  {command}", soft_wrap=True, markup=False, highlight=False)
        return result

    def _create_sources(self, sb: Any) -> None:
        ddb = sb.client("dynamodb")
        sb.dynamodb.create_table(DDB_TABLE, hash_key=("customer_id", "N"))
        for item in _activity_items(self.rng, range(1, 101)):
            ddb.put_item(TableName=DDB_TABLE, Item=item)
        self.note(f"DynamoDB table {DDB_TABLE!r}: 100 items, point-in-time recovery on")
        sb.rds.create_instance(RDS_INSTANCE, backing="sample://shop")
        self.note(f"RDS MySQL instance {RDS_INSTANCE!r}: the bundled shop database")

    def write_config(self, sb: Any) -> Path:
        """The demo's ``aws2bq.toml``: one DynamoDB stream and one RDS stream."""
        role, key = sb.rds.export_role(), sb.rds.kms_key()
        path = self.dir / "aws2bq.toml"
        path.write_text(
            CONFIG_TEMPLATE.format(
                warehouse=self.warehouse,
                bucket=BUCKET,
                table=DDB_TABLE,
                instance=RDS_INSTANCE,
                role=role,
                key=key,
            )
        )
        return path

    def _run(self, sb: Any, config_path: Path) -> None:
        """``aws2bq run --wait``: start the exports that are due, wait, apply them."""
        from aws2bq.config import load_config
        from aws2bq.runner.run import RunOptions, run_streams
        from aws2bq.runner.schedule import PollPolicy

        config = load_config(config_path)
        # The runner's clock is the sandbox's, so "an hour later" is an hour later for both.
        # The sandbox finishes exports in moments: poll every 0.2 s instead of AWS's minutes.
        options = RunOptions(now=sb.now, poll=PollPolicy(first=0.2, factor=1.5, cap=1.0))
        summary = run_streams(config, wait=True, progress=self.progress, options=options)
        for stream in summary.streams:
            for started in stream.started:
                self.note(f"{stream.stream}: started export {_describe(started)}")
            for applied in stream.applied:
                self.note(f"{stream.stream}: applied {_describe(applied)}")
            if stream.status != "ok":
                raise Aws2BqError(f"demo stream {stream.stream} {stream.status}: {stream.error}")

    def _change_sources(self, sb: Any) -> None:
        ddb = sb.client("dynamodb")
        for cid in range(1, 11):
            ddb.update_item(
                TableName=DDB_TABLE,
                Key={"customer_id": {"N": str(cid)}},
                UpdateExpression="SET sessions_30d = sessions_30d + :n, #p = :p",
                ExpressionAttributeNames={"#p": "plan"},
                ExpressionAttributeValues={":n": {"N": "5"}, ":p": {"S": "team"}},
            )
        for cid in range(91, 96):
            ddb.delete_item(TableName=DDB_TABLE, Key={"customer_id": {"N": str(cid)}})
        for item in _activity_items(self.rng, range(101, 106)):
            ddb.put_item(TableName=DDB_TABLE, Item=item)
        self.note("DynamoDB: 10 items updated, 5 deleted, 5 inserted")
        sb.rds.sample_execute(
            "UPDATE orders SET status = 'shipped', shipped_on = '2024-06-30' "
            "WHERE status = 'paid' AND id % 3 = 0",
            "DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders WHERE id % 50 = 0)",
            "DELETE FROM orders WHERE id % 50 = 0",
            "INSERT INTO orders VALUES (900001, 1, 'paid', '123.45', "
            "'2024-07-01 10:00:00', NULL, 'demo order')",
            instance=RDS_INSTANCE,
        )
        self.note("MySQL: some orders shipped, a few deleted, one inserted")

    # -- pretty output -----------------------------------------------------------------------
    def _show_counts(self, counts: dict[str, int]) -> None:
        table = Table(title="warehouse tables", show_edge=False)
        table.add_column("table")
        table.add_column("rows", justify="right")
        for name, n in counts.items():
            table.add_row(name, f"{n:,}")
        self.console.print(table)

    def _show_changes(self, changes: dict[str, dict[str, int]]) -> None:
        table = Table(title="what changed in the warehouse", show_edge=False)
        for col in ("table", "inserted", "updated", "deleted", "unchanged"):
            table.add_column(col, justify="left" if col == "table" else "right")
        for name, c in changes.items():
            table.add_row(
                name, *(str(c[k]) for k in ("inserted", "updated", "deleted", "unchanged"))
            )
        self.console.print(table)

    def _show_history(self, rows: list[tuple[Any, ...]]) -> None:
        self.console.print("[bold]shop__orders keeps every version (history mode):[/]")
        table = Table(show_edge=False)
        for col in ("id", "status", "shipped_on", "valid_from", "valid_to", "current", "deleted"):
            table.add_column(col)
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        self.console.print(table)

    def _show_join(self, rows: list[tuple[Any, ...]]) -> None:
        self.console.print(f"[dim]{JOIN_QUERY}[/]")
        table = Table(show_edge=False)
        for col in ("id", "name", "country", "plan", "sessions", "LTV", "orders", "spent"):
            table.add_column(col)
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        self.console.print(table)


def _describe(event: dict[str, Any]) -> str:
    """A short text for a started/applied export event of the run summary."""
    ident = event.get("export_id") or event.get("task_id") or event.get("id") or ""
    rows = event.get("rows")
    return f"{ident}" + (f" ({rows} rows)" if rows is not None else "")


def _diff(old: dict[Any, str], new: dict[Any, str]) -> dict[str, int]:
    return {
        "inserted": len(new.keys() - old.keys()),
        "deleted": len(old.keys() - new.keys()),
        "updated": sum(1 for k in new.keys() & old.keys() if new[k] != old[k]),
        "unchanged": sum(1 for k in new.keys() & old.keys() if new[k] == old[k]),
    }


def run_demo(
    directory: Path,
    *,
    console: Console | None = None,
    progress_factory: Callable[[], Progress] | None = None,
) -> DemoResult:
    """Run the whole demo in ``directory`` (recreated) and return what it did."""
    from aws2bq.core.progress import NullProgress

    progress = progress_factory() if progress_factory else NullProgress()
    return Demo(directory, console or Console(), progress).run()
