"""``aws2bq load rds`` from sandbox exports of the real local MariaDB and PostgreSQL into DuckDB.

Every value is compared with what the source database itself returns (pymysql / psycopg),
normalising only representation (e.g. a MySQL TIME's timedelta vs DuckDB's INTERVAL).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aws2bq.sandbox import Sandbox
from tests.conftest import Database

from .conftest import rows, snapshot

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def aws_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    return sandbox


@pytest.fixture
def bucket(sandbox: Sandbox, unique: str) -> str:
    sandbox.client("s3").create_bucket(Bucket=f"rds-load-{unique}")
    return f"rds-load-{unique}"


@pytest.fixture
def settings(sandbox: Sandbox) -> Iterator[Callable[..., Any]]:
    """Change sandbox settings for one test; the previous values come back afterwards."""
    before = sandbox.settings()
    yield sandbox.settings
    sandbox.settings(**before)


def export(
    sb: Sandbox, db: Database, bucket: str, task: str, *, engine: str = "mariadb",
    only: list[str] | None = None,
) -> str:  # fmt: skip
    """Snapshot ``db`` through the sandbox's RDS and export it; returns the s3:// folder."""
    rds = sb.rds
    rds.create_instance(task, backing=db.dsn, engine=engine)
    arn = rds.create_snapshot(task, task)
    result = rds.export(arn, bucket=bucket, task_id=task, prefix="rds", export_only=only)
    assert result["Status"] == "COMPLETE"
    return f"s3://{bucket}/rds/{task}/"


def load(cli: Cli, target: str, db_file: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = cli(
        "load", "rds", target, "--warehouse", f"duckdb:///{db_file}", "--quiet", *args
    )
    summary = json.loads(out)["summary"] if out.strip().startswith("{") else {}
    return code, summary, err


def by_table(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["table"]: t for t in summary["tables"]}


# -- MySQL ------------------------------------------------------------------------------------
MYSQL_ALL = """
CREATE TABLE all_types (
  id INT PRIMARY KEY,
  ti TINYINT, ti1 TINYINT(1), si SMALLINT, mi MEDIUMINT, mi_u MEDIUMINT UNSIGNED,
  i INT, i_u INT UNSIGNED, bi BIGINT, bi_u BIGINT UNSIGNED,
  d10 DECIMAL(10,2), d18 DECIMAL(18,4), d38 DECIMAL(38,10), d65 DECIMAL(65,30),
  f FLOAT, dbl DOUBLE, dt DATE, tm TIME, tm6 TIME(6), dtm DATETIME, dtm6 DATETIME(6),
  ts TIMESTAMP NULL, yr YEAR, ch CHAR(3), vc VARCHAR(20), tx TEXT, en ENUM('a','b','c'),
  st SET('x','y','z'), js JSON, bn BINARY(4), vb VARBINARY(10), bl BLOB,
  b1 BIT(1), b12 BIT(12), b64 BIT(64), geo GEOMETRY
)
"""

MYSQL_ROWS = [
    "INSERT INTO all_types VALUES (1, -128, 1, -32768, -8388608, 16777215, -2147483648, "
    "4294967295, -9223372036854775808, 18446744073709551615, -12345678.91, 99999999999999.9999, "
    "-1234567890123456789012345678.0123456789, "
    "12345678901234567890123456789012345.123456789012345678901234567891, "
    "1.5, 2.718281828459045, '2024-02-29', '-838:59:59', '838:59:59.999999', "
    "'2024-01-02 03:04:05', '1999-12-31 23:59:59.123456', '2024-06-01 12:00:00', 2155, 'abc', "
    "'héllo ☃', 'long text', 'b', 'x,z', '{\"k\": [1, 2], \"big\": 12345678901234567890}', "
    "X'00FF1000', X'DEADBEEF', X'0001FF80', b'1', b'101000000001', "
    "b'1111111111111111111111111111111111111111111111111111111111111111', "
    "ST_GeomFromText('POINT(1 2)', 4326))",
    "INSERT INTO all_types (id) VALUES (2)",
    # edge values: maxima / minima, zero dates, empty set, 0 bits, negative TIME with fraction
    "INSERT INTO all_types VALUES (3, 127, 0, 32767, 8388607, 0, 2147483647, 0, "
    "9223372036854775807, 0, 99999999.99, -99999999999999.9999, "
    "9999999999999999999999999999.9999999999, "
    "-99999999999999999999999999999999999.999999999999999999999999999999, "
    "-0.25, -1e308, '0000-00-00', '-00:00:00.5', '00:00:00', '0000-00-00 00:00:00', "
    "'9999-12-31 23:59:59.999999', '1970-01-01 00:00:01', 1901, '', '', '', 'a', '', '[]', "
    "X'00000000', X'', X'', b'0', b'000000000000', b'0', ST_GeomFromText('LINESTRING(0 0, 1 1)'))",
    "INSERT INTO all_types (id, dt, tm) VALUES (4, '2024-00-15', '100:00:00')",
]


def _mysql_source(db: Database, sql: str) -> list[tuple[Any, ...]]:
    import pymysql

    conn = pymysql.connect(
        host=db.host, port=db.port, user=db.user, password=db.password, database=db.name,
        init_command="SET time_zone = '+00:00'",
    )  # fmt: skip
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())
    finally:
        conn.close()


def _expected_mysql(name: str, value: Any) -> Any:
    """What aws2bq must hold in DuckDB for a value pymysql returned for column ``name``."""
    if value is None:
        return None
    if name in ("dt",):
        return None if isinstance(value, str) else value  # pymysql gives zero dates as text
    if name in ("dtm", "dtm6"):
        return None if isinstance(value, str) else value
    if name == "ts":
        return None if isinstance(value, str) else value.replace(tzinfo=UTC)
    if name in ("tm", "tm6"):
        return value  # timedelta
    if name == "st":
        return [] if value == "" else value.split(",")
    if name == "js":
        return json.loads(value)
    if name == "b1":
        return value != b"\x00"
    if name in ("b12", "b64"):
        return int.from_bytes(value, "big")
    if name == "geo":
        # One SRID 0 value: the column keeps MySQL's SRID + WKB verbatim (issue 12.14).
        return bytes(value)
    if name == "d65":
        return Decimal(value)
    if name == "f":
        return float(value)
    return value


def _actual(name: str, value: Any) -> Any:
    if name == "js" and value is not None:
        return json.loads(value, parse_int=int)
    if name in ("b64",) and value is not None:
        return int(value)
    if name == "d65" and value is not None:
        return Decimal(value)
    if isinstance(value, bytearray):
        return bytes(value)
    return value


@pytest.mark.mariadb
def test_mysql_every_type_exact_and_reload_is_a_no_op(
    aws_env: Sandbox, mariadb: Database, bucket: str, unique: str, tmp_path: Path, cli: Cli
) -> None:
    mariadb.execute(
        "SET SESSION sql_mode = ''",
        "SET time_zone = '+05:00'",
        MYSQL_ALL,
        *MYSQL_ROWS,
        "CREATE TABLE empty_t (id BIGINT PRIMARY KEY, d DECIMAL(12,3), dt DATE, s SET('a','b'))",
        "CREATE TABLE no_pk (a INT, b VARCHAR(5))",
        "INSERT INTO no_pk VALUES (1, 'x'), (1, 'x'), (NULL, NULL)",
        "CREATE TABLE wide (id INT PRIMARY KEY, "
        + ", ".join(f"c{n:03d} DECIMAL(9,{n % 5})" for n in range(99))
        + ")",
        "INSERT INTO wide VALUES (1, " + ", ".join(str(n / 10) for n in range(99)) + "), "
        "(2, " + ", ".join("NULL" for _ in range(99)) + ")",
    )
    target = export(aws_env, mariadb, bucket, f"my-{unique}")
    db_file = tmp_path / "w.duckdb"
    name = mariadb.name
    code, summary, err = load(cli, target, db_file, "--key", f"{name}.all_types=id")
    assert code == 0, err
    tables = by_table(summary)
    assert set(tables) == {f"{name}__{t}" for t in ("all_types", "empty_t", "no_pk", "wide")}
    assert all(t["status"] == "applied" for t in tables.values())

    columns = [c for c in tables[f"{name}__all_types"]["columns"] if not c.startswith("_aws2bq")]
    source = _mysql_source(mariadb, f"SELECT {', '.join(columns)} FROM all_types ORDER BY id")
    loaded = rows(db_file, f"SELECT {', '.join(columns)} FROM {name}__all_types ORDER BY id")
    assert len(source) == len(loaded) == 4
    for src_row, got_row in zip(source, loaded, strict=True):
        for col, s, g in zip(columns, src_row, got_row, strict=True):
            assert _actual(col, g) == _expected_mysql(col, s), (src_row[0], col, s, g)

    types = dict(rows(db_file, "SELECT column_name, data_type FROM information_schema.columns "
                      "WHERE table_name = ?", [f"{name}__all_types"]))  # fmt: skip
    assert types["bi_u"] == "DECIMAL(20,0)" and types["d38"] == "DECIMAL(38,10)"
    assert types["dtm"] == "TIMESTAMP" and types["ts"] == "TIMESTAMP WITH TIME ZONE"
    assert types["tm"] == "INTERVAL" and types["st"] == "VARCHAR[]" and types["js"] == "JSON"
    assert types["b1"] == "BOOLEAN" and types["b12"] == "BIGINT" and types["geo"] == "BLOB"
    assert types["dt"] == "DATE" and types["d65"] == "VARCHAR" and types["yr"] == "BIGINT"

    assert rows(db_file, f"SELECT count(*), count(d), count(dt) FROM {name}__empty_t") == [
        (0, 0, 0)
    ]
    assert sorted(rows(db_file, f"SELECT a, b FROM {name}__no_pk"), key=repr) == sorted(
        _mysql_source(mariadb, "SELECT a, b FROM no_pk"), key=repr
    )
    wide_cols = [f"c{n:03d}" for n in range(99)]
    assert rows(db_file, f"SELECT id, {', '.join(wide_cols)} FROM {name}__wide ORDER BY id") == (
        _mysql_source(mariadb, f"SELECT id, {', '.join(wide_cols)} FROM wide ORDER BY id")
    )
    # snapshot time and export id on every row and in the ledger; keys in the ledger schema
    ledger = rows(db_file, "SELECT stream, export_id, exported_at, rows_after, schema_json "
                  "FROM _aws2bq_ledger ORDER BY stream")  # fmt: skip
    assert [r[0] for r in ledger] == [
        f"rds:{name}.{t}" for t in ("all_types", "empty_t", "no_pk", "wide")
    ]
    snapshot_time = ledger[0][2]
    assert {r[1] for r in ledger} == {f"my-{unique}"}
    assert json.loads(ledger[0][4])["keys"] == ["id"] and ledger[0][3] == 4
    assert rows(db_file, f"SELECT DISTINCT _aws2bq_export_id, _aws2bq_exported_at "
                f"FROM {name}__all_types") == [(f"my-{unique}", snapshot_time)]  # fmt: skip

    before = snapshot(db_file)
    code, summary, _ = load(cli, target, db_file)
    assert code == 0 and {t["status"] for t in summary["tables"]} == {"already_applied"}
    assert snapshot(db_file) == before


# -- PostgreSQL -------------------------------------------------------------------------------
PG_TABLE = (
    "CREATE TABLE sales.t (id integer PRIMARY KEY, s smallint, b bigint, r real, "
    "d double precision, ok boolean, raw bytea, n numeric, n2 numeric(10,3), nbig numeric, "
    "dt date, tm time, ts timestamp(3), tz timestamptz, j json, jb jsonb, arr integer[], "
    "txt text[], flags boolean[], dates date[], u uuid, iv interval, vc varchar(5), "
    "e mood, c char(3))"
)
PG_ROWS = [
    "INSERT INTO sales.t VALUES (1, -5, 9223372036854775807, 1.5, 0.1, true, '\\x00ff', "
    "123.000000000000000000001, -1.5, "
    "123456789012345678901234567890123456789.000000000000000000001, '2024-02-29', "
    "'23:59:59.5', '2024-01-02 03:04:05.678', '2024-06-01 09:00:00+09', '{\"a\": 1}', "
    '\'{"b": [1, 2]}\', \'{1,2,NULL}\', \'{"x y",z,"a,b","q\\"t",NULL,"NULL",""}\', '
    "'{t,f}', '{2024-01-01,NULL}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', "
    "'1 year 2 mons 3 days 04:05:06.5', 'abc', 'happy', 'ab')",
    "INSERT INTO sales.t (id) VALUES (2)",
    "INSERT INTO sales.t (id, n, n2, nbig, arr, txt, iv, raw) VALUES "
    "(3, -0.5, 9999999.999, 1, '{}', '{}', '-00:00:01', '')",
]


def _pg_source(db: Database, sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(host=db.host, port=db.port, user=db.user, dbname=db.name) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        return list(conn.execute(sql).fetchall())


def _expected_pg(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in ("j", "jb"):
        return value  # psycopg parses JSON
    if name == "u":
        return str(value)
    if name == "iv":
        return value
    if name == "raw":
        return bytes(value)
    if name == "r":
        return float(value)
    if name == "c":
        return value.rstrip(" ")  # char(n) padding: the export holds the text cast (no pad)
    return value


def _actual_pg(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in ("j", "jb", "dates"):
        parsed = json.loads(value) if isinstance(value, str) else value
        if name == "dates":
            return [None if d is None else date.fromisoformat(d) for d in parsed]
        return parsed
    if name in ("n", "nbig") and isinstance(value, str):
        return Decimal(value)
    if isinstance(value, bytearray):
        return bytes(value)
    return value


@pytest.mark.postgres
def test_postgres_every_type_exact(
    aws_env: Sandbox, postgres: Database, bucket: str, unique: str, tmp_path: Path, cli: Cli
) -> None:
    postgres.execute(
        "CREATE SCHEMA sales",
        "CREATE TYPE mood AS ENUM ('sad', 'happy')",
        "SET TIME ZONE 'Asia/Tokyo'",
        PG_TABLE,
        *PG_ROWS,
        "CREATE TABLE public.empty_t (id bigint, n numeric)",
    )
    target = export(aws_env, postgres, bucket, f"pg-{unique}", engine="postgres")
    db_file = tmp_path / "w.duckdb"
    name = postgres.name
    code, summary, err = load(cli, target, db_file, "--key", f"{name}.sales.t=id")
    assert code == 0, err
    tables = by_table(summary)
    assert set(tables) == {f"{name}__sales__t", f"{name}__public__empty_t"}
    columns = [c for c in tables[f"{name}__sales__t"]["columns"] if not c.startswith("_aws2bq")]
    assert tables[f"{name}__sales__t"]["columns"]["n2"] == "DECIMAL(10,3)"
    # unconstrained numeric: typed by the digits seen, never assumed (38,9)
    assert tables[f"{name}__sales__t"]["columns"]["n"] == "BIGNUMERIC"
    assert tables[f"{name}__sales__t"]["columns"]["nbig"] == "DECIMAL_TEXT"
    # psycopg reads these as the Python values aws2bq must reproduce (an interval's parts are
    # compared below: Python's timedelta has no months)
    columns.remove("iv")
    source = _pg_source(postgres, f"SELECT {', '.join(columns)} FROM sales.t ORDER BY id")
    loaded = rows(db_file, f"SELECT {', '.join(columns)} FROM {name}__sales__t ORDER BY id")
    assert len(source) == len(loaded) == 3
    for src_row, got_row in zip(source, loaded, strict=True):
        for col, s, g in zip(columns, src_row, got_row, strict=True):
            assert _actual_pg(col, g) == _expected_pg(col, s), (src_row[0], col, s, g)
    parts = "{y} * 12 + {m}, {d}, {h} * 3600000000 + {mi} * 60000000 + {us}"
    pg_parts = parts.format(**{k: f"extract({f} FROM iv)::bigint" for k, f in (
        ("y", "year"), ("m", "month"), ("d", "day"), ("h", "hour"), ("mi", "minute"),
        ("us", "microseconds"))})  # fmt: skip
    duck_parts = parts.format(**{k: f"datepart('{f}', iv)" for k, f in (
        ("y", "year"), ("m", "month"), ("d", "day"), ("h", "hour"), ("mi", "minute"),
        ("us", "microseconds"))})  # fmt: skip
    assert rows(db_file, f"SELECT {duck_parts} FROM {name}__sales__t ORDER BY id") == [
        tuple(None if v is None else int(v) for v in r)
        for r in _pg_source(postgres, f"SELECT {pg_parts} FROM sales.t ORDER BY id")
    ]
    assert rows(db_file, f"SELECT iv IS NOT NULL FROM {name}__sales__t ORDER BY id") == [
        (True,),
        (False,),
        (True,),
    ]
    types = dict(rows(db_file, "SELECT column_name, data_type FROM information_schema.columns "
                      "WHERE table_name = ?", [f"{name}__sales__t"]))  # fmt: skip
    assert types["arr"] == "BIGINT[]" and types["txt"] == "VARCHAR[]" and types["ok"] == "BOOLEAN"
    assert types["tz"] == "TIMESTAMP WITH TIME ZONE" and types["ts"] == "TIMESTAMP"
    assert types["iv"] == "INTERVAL" and types["tm"] == "TIME" and types["dates"] == "JSON"
    assert types["jb"] == "JSON" and types["raw"] == "BLOB" and types["u"] == "VARCHAR"
    assert rows(db_file, f"SELECT count(*) FROM {name}__public__empty_t") == [(0,)]


# -- verification, corruption, data loss, ordering --------------------------------------------
@pytest.fixture
def two_exports(
    aws_env: Sandbox, mariadb: Database, bucket: str, unique: str, tmp_path: Path,
    settings: Callable[..., Any], cli: Cli,
) -> tuple[Path, Path, Path, str]:  # fmt: skip
    """A warehouse holding export 1 of tables t and u; export 2 downloaded to a local folder."""
    settings(rds_rows_per_file=40, rds_rows_per_partition=100)
    mariadb.execute(
        "CREATE TABLE t (id INT PRIMARY KEY, v DECIMAL(10,2), d DATE)",
        "INSERT INTO t SELECT seq, seq / 4, '2024-01-01' + INTERVAL seq DAY FROM seq_1_to_250",
        "CREATE TABLE u (id INT PRIMARY KEY)",
        "INSERT INTO u VALUES (1), (2)",
        "CREATE TABLE `skip me` (id INT, `bad name` INT)",
    )
    db_file = tmp_path / "w.duckdb"
    first = export(aws_env, mariadb, bucket, f"one-{unique}")
    code, _, err = load(
        cli, first, db_file, "--only", f"{mariadb.name}.t", "--only", f"{mariadb.name}.u"
    )
    assert code == 0, err
    mariadb.execute("DELETE FROM t WHERE id > 200", "INSERT INTO u VALUES (3)")
    aws_env.advance_clock(hours=1)
    export(aws_env, mariadb, bucket, f"two-{unique}")
    local = tmp_path / "two"
    aws_env.rds.download_export(bucket, "rds", f"two-{unique}", local)
    return db_file, local, tmp_path, mariadb.name


def _tables_info(folder: Path) -> Path:
    return next(folder.glob("export_tables_info_*.json"))


def _edit_status(folder: Path, target: str, **changes: Any) -> None:
    path = _tables_info(folder)
    info = json.loads(path.read_text())
    for entry in info["perTableStatus"]:
        if entry["target"] == target:
            for key, value in changes.items():
                if key == "completed":
                    entry["tableStatistics"]["partitioningInfo"]["numberOfCompletedPartitions"] = (
                        value
                    )
                else:
                    entry[key] = value
    path.write_text(json.dumps(info))


def _parquet_files(folder: Path, db: str, table: str) -> list[Path]:
    return sorted((folder / db / f"{db}.{table}").rglob("*.parquet"))


CORRUPTIONS: dict[str, Callable[[Path, str], str]] = {
    "missing file": lambda f, db: (_parquet_files(f, db, "t")[3].unlink(), "partition")[1],
    "missing partition": lambda f, db: (
        [p.unlink() for p in _parquet_files(f, db, "t") if p.parent.name == "2"],
        "partition(s) 2")[1],
    "table FAILED": lambda f, db: (
        _edit_status(f, f"{db}.t", status="FAILED", warningMessage="disk full"), "disk full")[1],
    "partitions incomplete": lambda f, db: (
        _edit_status(f, f"{db}.t", completed=1), "only 1 of its 2 partitions")[1],
    "truncated Parquet": lambda f, db: (
        (p := _parquet_files(f, db, "t")[1]).write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
        "not readable Parquet")[1],
}  # fmt: skip


@pytest.mark.mariadb
@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_corrupted_export_leaves_the_warehouse_untouched(
    two_exports: tuple[Path, Path, Path, str], corruption: str, cli: Cli
) -> None:
    db_file, local, _, db = two_exports
    expected = CORRUPTIONS[corruption](local, db)
    before = snapshot(db_file)
    assert before[f"{db}__t"] and len(before[f"{db}__t"]) == 250
    code, summary, err = load(cli, str(local), db_file, "--only", f"{db}.t")
    assert code == 1
    assert expected in err and f"{db}.t" in err, err
    assert snapshot(db_file) == before
    # all or none: the other table of the same export is not applied either
    code, summary, err = load(cli, str(local), db_file)
    assert code == 1 and f"{db}.t" in err and summary == {}
    assert snapshot(db_file) == before
    # --per-table: the other table of the same export still loads
    code, summary, err = load(cli, str(local), db_file, "--per-table")
    assert code == 1 and f"{db}.t" in err
    statuses = {t["target"]: t["status"] for t in summary["tables"]}
    assert statuses == {f"{db}.t": "failed", f"{db}.u": "applied", f"{db}.skip me": "failed"}
    assert rows(db_file, f"SELECT id FROM {db}__u ORDER BY id") == [(1,), (2,), (3,)]
    assert snapshot(db_file)[f"{db}__t"] == before[f"{db}__t"]


@pytest.mark.mariadb
def test_skipped_table_and_incomplete_export_are_refused(
    two_exports: tuple[Path, Path, Path, str], cli: Cli
) -> None:
    db_file, local, _, db = two_exports
    before = snapshot(db_file)
    code, _, err = load(cli, str(local), db_file, "--only", f"{db}.skip me")
    assert code == 1 and "AWS skipped the table" in err and "bad name" in err
    info = next(local.glob("export_info_*.json"))
    info.write_text(json.dumps({**json.loads(info.read_text()), "status": "FAILED"}))
    code, _, err = load(cli, str(local), db_file)
    assert code == 1 and "not COMPLETE" in err
    assert snapshot(db_file) == before


@pytest.mark.mariadb
def test_older_export_is_refused_unless_forced(
    two_exports: tuple[Path, Path, Path, str], cli: Cli, aws_env: Sandbox, bucket: str
) -> None:
    db_file, local, _, db = two_exports
    code, _, err = load(cli, str(local), db_file, "--only", f"{db}.t")
    assert code == 0, err
    assert rows(db_file, f"SELECT count(*) FROM {db}__t") == [(200,)]
    first = next(k for k in _s3_keys(aws_env, bucket) if "/one-" in k).split("/")[1]
    # the export already applied is a no-op, whatever its age
    before = snapshot(db_file)
    code, summary, err = load(cli, f"s3://{bucket}/rds/{first}/", db_file, "--only", f"{db}.t")
    assert code == 0 and summary["tables"][0]["status"] == "already_applied", err
    # a new export of the older snapshot is refused
    snap = aws_env.rds.client.describe_db_snapshots(DBSnapshotIdentifier=first)["DBSnapshots"][0]
    aws_env.rds.export(snap["DBSnapshotArn"], bucket=bucket, task_id=f"re-{first}", prefix="rds")
    older = f"s3://{bucket}/rds/re-{first}/"
    code, _, err = load(cli, older, db_file, "--only", f"{db}.t")
    assert code == 1 and "older" in err and "--force" in err
    assert snapshot(db_file) == before
    code, _, err = load(cli, older, db_file, "--only", f"{db}.t", "--force")
    assert code == 0, err
    assert rows(db_file, f"SELECT count(*) FROM {db}__t") == [(250,)]


def _s3_keys(sb: Sandbox, bucket: str) -> list[str]:
    pages = sb.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(o["Key"] for p in pages for o in p.get("Contents", []))


@pytest.mark.mariadb
def test_a_valid_value_the_type_cannot_hold_widens_its_column_and_is_reported(
    aws_env: Sandbox, mariadb: Database, bucket: str, unique: str, tmp_path: Path, cli: Cli
) -> None:
    # MySQL keeps 2024-02-30 under ALLOW_INVALID_DATES: valid source data that a DATE cannot
    # hold. The column keeps every value's exact text (issue 10.4), and the load says so.
    mariadb.execute(
        "SET SESSION sql_mode = 'ALLOW_INVALID_DATES'",
        "CREATE TABLE bad_dates (id INT PRIMARY KEY, d DATE, j JSON)",
        "INSERT INTO bad_dates VALUES (1, '2024-01-31', '{}'), (2, '2024-02-30', '[]'), "
        "(3, '2023-04-31', NULL), (4, '0000-00-00', NULL)",
        "CREATE TABLE fine (id INT PRIMARY KEY)",
        "INSERT INTO fine VALUES (7)",
    )
    target = export(aws_env, mariadb, bucket, f"bad-{unique}")
    db_file = tmp_path / "w.duckdb"
    code, summary, err = load(cli, target, db_file)
    assert code == 0, err
    tables = {t["target"]: t for t in summary["tables"]}
    bad = tables[f"{mariadb.name}.bad_dates"]
    assert bad["status"] == "applied" and bad["columns"]["d"] == "STRING"
    (widened,) = bad["widened"]
    assert widened["column"] == "d" and (widened["from"], widened["to"]) == ("DATE", "STRING")
    assert widened["values"] == 2 and widened["example"] in ("2024-02-30", "2023-04-31")
    got = rows(db_file, f"SELECT id, d FROM {mariadb.name}__bad_dates ORDER BY id")
    assert got == [(1, "2024-01-31"), (2, "2024-02-30"), (3, "2023-04-31"), (4, "0000-00-00")]
    assert rows(db_file, f"SELECT id FROM {mariadb.name}__fine") == [(7,)]
    changes = dict(rows(db_file, "SELECT stream, changes_json FROM _aws2bq_ledger"))
    assert '"widened"' in changes[f"rds:{mariadb.name}.bad_dates"]


@pytest.mark.slow
@pytest.mark.mariadb
def test_500k_rows_over_several_partitions_and_mixed_decimal_storage(
    aws_env: Sandbox, mariadb: Database, bucket: str, unique: str, tmp_path: Path,
    settings: Callable[..., Any], cli: Cli,
) -> None:  # fmt: skip
    settings(rds_rows_per_file=60_000, rds_rows_per_partition=150_000, rds_decimal_storage="mixed")
    mariadb.execute(
        "CREATE TABLE big (id INT PRIMARY KEY, u BIGINT UNSIGNED, amount DECIMAL(12,2), "
        "d DATE, at DATETIME(6), s VARCHAR(20))",
        "INSERT INTO big SELECT seq, 18446744073709551615 - seq, (seq * 7919 % 100000000) / 100, "
        "'2000-01-01' + INTERVAL (seq % 9000) DAY, "
        "'2020-01-01' + INTERVAL seq SECOND + INTERVAL (seq % 1000) MICROSECOND, "
        "IF(seq % 10 = 0, NULL, CONCAT('row ', seq)) FROM seq_1_to_500000",
    )
    target = export(aws_env, mariadb, bucket, f"big-{unique}")
    keys = _s3_keys(aws_env, bucket)
    partitions = {k.split("/")[-2] for k in keys if k.endswith(".parquet")}
    assert partitions == {"1", "2", "3", "4"}
    db_file = tmp_path / "w.duckdb"
    code, summary, err = load(cli, target, db_file)
    assert code == 0, err
    assert summary["tables"][0]["rows"] == 500_000 and summary["tables"][0]["files"] == 10
    assert summary["tables"][0]["columns"]["amount"] == "DECIMAL(12,2)"
    source = _mysql_source(mariadb, "SELECT id, u, amount, d, `at`, s FROM big ORDER BY id")
    loaded = rows(db_file, f'SELECT id, u, amount, d, "at", s FROM {mariadb.name}__big ORDER BY id')
    assert len(loaded) == 500_000
    # pymysql gives BIGINT UNSIGNED as int, DuckDB's DECIMAL(20,0) as Decimal: same numbers
    assert loaded == [(i, Decimal(u), *rest) for i, u, *rest in source]


# -- geometry: SRID 4326 → GEOGRAPHY, any other SRID → the bytes verbatim (issue 12.14) --------
_WGS84 = "E6100000"  # SRID 4326, little-endian, before MySQL's WKB


@pytest.mark.mariadb
def test_geometry_by_srid_4326_is_geography_others_keep_their_bytes(
    aws_env: Sandbox, mariadb: Database, bucket: str, unique: str, tmp_path: Path, cli: Cli
) -> None:
    mariadb.execute(
        "CREATE TABLE geo_wgs (id INT PRIMARY KEY, g GEOMETRY)",
        # a point and a self-intersecting (invalid) polygon, both SRID 4326
        "INSERT INTO geo_wgs VALUES (1, ST_GeomFromText('POINT(1 2)', 4326)), "
        "(2, ST_GeomFromText('POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))', 4326)), (3, NULL)",
        "CREATE TABLE geo_mixed (id INT PRIMARY KEY, g GEOMETRY)",
        # SRID 0 with projected (metre) coordinates beside a SRID 4326 point
        "INSERT INTO geo_mixed VALUES (1, ST_GeomFromText('POINT(500000 4649776)', 0)), "
        "(2, ST_GeomFromText('POINT(1 2)', 4326))",
    )
    target = export(aws_env, mariadb, bucket, f"geo-{unique}")
    db_file = tmp_path / "w.duckdb"
    name = mariadb.name
    code, summary, err = load(cli, target, db_file)
    assert code == 0, err
    tables = by_table(summary)
    source = dict(_mysql_source(mariadb, "SELECT id, g FROM geo_wgs"))
    # SRID 4326 only: GEOGRAPHY, DuckDB's BLOB of the WKB after the SRID, nothing widened
    assert tables[f"{name}__geo_wgs"]["columns"]["g"] == "GEOGRAPHY"
    assert not tables[f"{name}__geo_wgs"]["widened"]
    assert {r[0]: r[1] for r in rows(db_file, f"SELECT id, g FROM {name}__geo_wgs")} == {
        i: None if v is None else bytes(v[4:]) for i, v in source.items()
    }
    assert all(v is None or bytes(v[:4]).hex().upper() == _WGS84 for v in source.values())
    # Another SRID: the column widens to BYTES and keeps every value as MySQL stores it
    mixed = tables[f"{name}__geo_mixed"]
    assert mixed["columns"]["g"] == "BYTES"
    (widened,) = mixed["widened"]
    assert (widened["column"], widened["from"], widened["to"]) == ("g", "GEOGRAPHY", "BYTES")
    assert widened["values"] == 1 and widened["example"].upper().startswith("00000000")
    assert dict(rows(db_file, f"SELECT id, g FROM {name}__geo_mixed")) == {
        i: bytes(v) for i, v in _mysql_source(mariadb, "SELECT id, g FROM geo_mixed")
    }
