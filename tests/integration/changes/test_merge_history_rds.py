"""Merge / soft-delete merge / history of RDS snapshot exports into DuckDB (issue 5).

A real MariaDB (and PostgreSQL once) goes through insert / update / delete sequences, each
state is snapshotted and exported by the sandbox in AWS's layout and loaded with
``aws2bq load rds --mode …``; after every load the warehouse is compared with the source
database's actual rows (merge) or with the full list of versions expected (history).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from aws2bq.sandbox import Sandbox
from tests.conftest import Database

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def aws_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    return sandbox


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    from tests.integration.load.conftest import run_cli

    return lambda *args: run_cli(args, capsys)


class Source:
    """One sandbox RDS instance over a real database; ``export()`` snapshots + exports it."""

    def __init__(self, sb: Sandbox, db: Database, unique: str, engine: str) -> None:
        self.sb, self.db, self.unique = sb, db, unique
        self.bucket = f"chg-{unique}"
        sb.client("s3").create_bucket(Bucket=self.bucket)
        self.instance = f"i{unique}"
        sb.rds.create_instance(self.instance, backing=db.dsn, engine=engine)
        self.count = 0

    def export(self) -> str:
        self.count += 1
        task = f"e{self.count}-{self.unique}"
        arn = self.sb.rds.create_snapshot(self.instance, task)
        result = self.sb.rds.export(arn, bucket=self.bucket, task_id=task, prefix="rds")
        assert result["Status"] == "COMPLETE"
        return f"s3://{self.bucket}/rds/{task}/"

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        conn = self.db.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return sorted(tuple(r) for r in cur.fetchall())
        finally:
            conn.close()


def load(cli: Cli, export: str, wh: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = cli(
        "load", "rds", export, "--warehouse", f"duckdb:///{wh}", "--quiet", *args
    )  # fmt: skip
    summary = json.loads(out)["summary"] if out.strip().startswith("{") else {}
    return code, summary, err


def q(wh: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return sorted(con.execute(sql).fetchall(), key=repr)
    finally:
        con.close()


def snapshot_time(summary: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(summary["snapshot_time"])


MODES = {
    "merge": ("--mode", "merge"),
    "soft": ("--mode", "merge", "--soft-delete"),
    "history": ("--mode", "history"),
}


@pytest.mark.mariadb
@pytest.mark.parametrize("mode", sorted(MODES))
def test_mariadb_sequence_follows_the_source(
    aws_env: Sandbox, mariadb: Database, unique: str, tmp_path: Path, cli: Cli, mode: str
) -> None:
    src = Source(aws_env, mariadb, unique, "mariadb")
    db = mariadb.name
    table = f"{db}__items"
    wh = tmp_path / "w.duckdb"
    args = (*MODES[mode], "--key", f"{db}.items=id")
    mariadb.execute(
        "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20), qty DECIMAL(10,2))",
        "INSERT INTO items VALUES (1,'one',1.50),(2,'two',2.00),(3,'three',NULL)",
    )
    live = "SELECT id, name, qty FROM items"
    # versions[id] = list of (name, qty, valid_from, deleted) in order, for history
    versions: dict[int, list[tuple[Any, ...]]] = {}

    def check(summary: dict[str, Any]) -> None:
        source = src.rows(live)
        if mode == "merge":
            assert q(wh, f'SELECT id, name, qty FROM "{table}"') == source
        elif mode == "soft":
            assert q(wh, f'SELECT id, name, qty FROM "{table}" WHERE NOT _aws2bq_deleted') == source
            gone = q(wh, f'SELECT id FROM "{table}" WHERE _aws2bq_deleted')
            assert {r[0] for r in gone}.isdisjoint({r[0] for r in source})
        else:
            current = q(
                wh, f'SELECT id, name, qty FROM "{table}" WHERE _is_current AND NOT _is_deleted'
            )
            assert current == source
            got = q(
                wh,
                f"SELECT id, name, qty, _valid_from, _valid_to, _is_current, _is_deleted "
                f'FROM "{table}"',
            )
            expected = []
            for key, vs in versions.items():
                for i, (name, qty, start, deleted) in enumerate(vs):
                    end = vs[i + 1][2] if i + 1 < len(vs) else None
                    expected.append((key, name, qty, start, end, end is None, deleted))
            order = lambda r: (r[0], r[3])  # noqa: E731
            assert sorted(got, key=order) == sorted(expected, key=order)

    content = [live]  # what a version is made of (all columns, once `note` exists)

    def state_now() -> dict[int, tuple[Any, ...]]:
        return {r[0]: r[1:] for r in src.rows(content[0])}

    def record(at: datetime, before: dict[int, tuple[Any, ...]]) -> None:
        now = state_now()
        for key in sorted(set(now) | set(before)):
            old = before.get(key)
            if old is not None:  # a column added since: NULL in the old state
                old = old + (None,) * (len(now.get(key, old)) - len(old))
            if key in now and now[key] != old:
                versions.setdefault(key, []).append((*now[key][:2], at, False))
            elif key not in now and key in before:
                name, qty = versions[key][-1][:2]
                versions[key].append((name, qty, at, True))

    # 1: first load
    first = src.export()
    code, summary, err = load(cli, first, wh, *args)
    assert code == 0, err
    record(snapshot_time(summary), {})
    check(summary)
    state = state_now()

    # 2: update, delete, insert
    mariadb.execute(
        "UPDATE items SET qty = 2.25 WHERE id = 2",
        "DELETE FROM items WHERE id = 3",
        "INSERT INTO items VALUES (4,'four',4.00)",
    )
    second = src.export()
    older = src.export()  # same state, taken later: loaded first, then 'second' is older
    code, summary, err = load(cli, older, wh, *args)
    assert code == 0, err
    record(snapshot_time(summary), state)
    check(summary)
    state = state_now()
    code, summary, err = load(cli, second, wh, *args)
    assert code == 1 and "older" in err
    before = q(wh, f'SELECT * FROM "{table}"')
    code, summary, err = load(cli, older, wh, *args)
    assert code == 0 and summary["tables"][0]["status"] == "already_applied"
    assert q(wh, f'SELECT * FROM "{table}"') == before

    # 3: schema change (column added, one dropped), re-insert of a deleted key, a delete
    mariadb.execute(
        "ALTER TABLE items ADD COLUMN note VARCHAR(10)",
        "UPDATE items SET note = 'n1' WHERE id = 1",
        "DELETE FROM items WHERE id = 4",
        "INSERT INTO items (id, name, qty) VALUES (3, 'three again', 3.00)",
    )
    content[0] = "SELECT id, name, qty, note FROM items"
    third = src.export()
    code, summary, err = load(cli, third, wh, *args)
    assert code == 0, err
    # note is a new column: row 1 changed, so did every row whose note... (NULL stays NULL)
    record(snapshot_time(summary), state)
    check(summary)
    assert q(wh, f'SELECT id, note FROM "{table}" WHERE note IS NOT NULL') == [(1, "n1")]
    state = state_now()
    mariadb.execute("ALTER TABLE items DROP COLUMN note")
    content[0] = "SELECT id, name, qty, NULL FROM items"
    mariadb.execute("UPDATE items SET name = 'uno' WHERE id = 1")
    fourth = src.export()
    code, summary, err = load(cli, fourth, wh, *args)
    assert code == 0, err
    record(snapshot_time(summary), state)
    check(summary)
    cols = {r[0] for r in q(wh, f"SELECT column_name FROM information_schema.columns "
                               f"WHERE table_name = '{table}'")}  # fmt: skip
    assert "note" in cols  # kept: older rows/versions still hold values
    if mode == "history":
        assert q(wh, f'SELECT note FROM "{table}" WHERE id = 1 AND note IS NOT NULL') == [("n1",)]
    ledger = q(wh, "SELECT count(*) FROM _aws2bq_ledger")
    assert ledger == [(4,)]


@pytest.mark.mariadb
def test_table_without_key_fails_the_export_or_only_that_table_per_table(
    aws_env: Sandbox, mariadb: Database, unique: str, tmp_path: Path, cli: Cli
) -> None:
    src = Source(aws_env, mariadb, unique, "mariadb")
    db = mariadb.name
    mariadb.execute(
        "CREATE TABLE keyed (id INT PRIMARY KEY, v INT)",
        "CREATE TABLE nokey (v INT)",
        "INSERT INTO keyed VALUES (1, 1)",
        "INSERT INTO nokey VALUES (1)",
    )
    wh = tmp_path / "w.duckdb"
    export = src.export()
    code, summary, err = load(cli, export, wh, "--mode", "merge", "--key", f"{db}.keyed=id")
    assert code == 1 and summary == {} and f"{db}.nokey" in err and "only --mode replace" in err
    assert not wh.exists() or q(wh, "SELECT count(*) FROM information_schema.tables") in (
        [(0,)],
        [(1,)],  # the ledger
    )
    code, summary, _ = load(
        cli, export, wh, "--mode", "merge", "--key", f"{db}.keyed=id", "--per-table"
    )
    assert code == 1
    tables = {t["table"]: t for t in summary["tables"]}
    assert tables[f"{db}__keyed"]["status"] == "applied"
    assert tables[f"{db}__nokey"]["status"] == "failed"
    assert "only --mode replace" in tables[f"{db}__nokey"]["error"]
    assert q(wh, f'SELECT id, v FROM "{db}__keyed"') == [(1, 1)]


@pytest.mark.postgres
def test_postgres_history(
    aws_env: Sandbox, postgres: Database, unique: str, tmp_path: Path, cli: Cli
) -> None:
    src = Source(aws_env, postgres, unique, "postgres")
    db = postgres.name
    table = f"{db}__public__t"
    postgres.execute(
        "CREATE TABLE t (a INT, b TEXT, v NUMERIC(8,2), PRIMARY KEY (a, b))",
        "INSERT INTO t VALUES (1,'x',1.00),(1,'y',2.00),(2,'x',3.00)",
    )
    wh = tmp_path / "w.duckdb"
    args = ("--mode", "history", "--key", f"{db}.public.t=a,b")
    code, s1, err = load(cli, src.export(), wh, *args)
    assert code == 0, err
    postgres.execute("UPDATE t SET v = 9.00 WHERE a = 1 AND b = 'y'", "DELETE FROM t WHERE a = 2")
    code, s2, err = load(cli, src.export(), wh, *args)
    assert code == 0, err
    t1, t2 = snapshot_time(s1), snapshot_time(s2)
    got = q(wh, f'SELECT a, b, v, _valid_from, _valid_to, _is_current, _is_deleted FROM "{table}"')
    from decimal import Decimal as D

    assert got == sorted(
        [
            (1, "x", D("1.00"), t1, None, True, False),
            (1, "y", D("2.00"), t1, t2, False, False),
            (1, "y", D("9.00"), t2, None, True, False),
            (2, "x", D("3.00"), t1, t2, False, False),
            (2, "x", D("3.00"), t2, None, True, True),
        ],
        key=repr,
    )
    live = q(wh, f'SELECT a, b, v FROM "{table}" WHERE _is_current AND NOT _is_deleted')
    assert live == src.rows("SELECT a, b, v FROM t")
