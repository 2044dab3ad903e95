"""Sandbox RDS exports of real MariaDB and PostgreSQL databases: exact values and Parquet types."""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyarrow.parquet as pq
import pytest

from aws2bq.sandbox import Sandbox
from aws2bq.sandbox.rds_helpers import RdsSandbox
from tests.conftest import Database


@pytest.fixture
def rds(sandbox: Sandbox) -> RdsSandbox:
    return sandbox.rds


@pytest.fixture
def bucket(sandbox: Sandbox, unique: str) -> str:
    sandbox.client("s3").create_bucket(Bucket=f"db-exports-{unique}")
    return f"db-exports-{unique}"


def export_table(
    sandbox: Sandbox, bucket: str, task_id: str, folder: str
) -> tuple[list[dict[str, Any]], Any]:
    s3 = sandbox.client("s3")
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=f"{task_id}/{folder}/")["Contents"]
    rows: list[dict[str, Any]] = []
    schema = None
    for obj in listing:
        if obj["Key"].endswith(".gz.parquet"):
            f = pq.ParquetFile(
                io.BytesIO(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
            )
            schema = schema or f.schema
            rows.extend(f.read().to_pylist())
    return rows, schema


def types(schema: Any) -> dict[str, str]:
    """column → "PHYSICAL" or "PHYSICAL/LogicalType(...)" of a Parquet schema."""
    out = {}
    for i, name in enumerate(schema.names):
        col = schema.column(i)
        logical = str(col.logical_type)
        out[name] = col.physical_type + ("" if logical == "None" else f"/{logical.split('(')[0]}")
    return out


MYSQL_TABLE = """
CREATE TABLE `all_types` (
  id INT PRIMARY KEY,
  ti TINYINT, ti1 TINYINT(1), si SMALLINT, mi MEDIUMINT, mi_u MEDIUMINT UNSIGNED,
  i INT, i_u INT UNSIGNED, bi BIGINT, bi_u BIGINT UNSIGNED,
  d10 DECIMAL(10,2), d18 DECIMAL(18,4), d38 DECIMAL(38,10), d65 DECIMAL(65,30),
  f FLOAT, dbl DOUBLE, dt DATE, tm TIME, tm6 TIME(6), dtm DATETIME, dtm6 DATETIME(6),
  ts TIMESTAMP NULL, yr YEAR, ch CHAR(3), vc VARCHAR(20), tx TEXT, en ENUM('a','b','c'),
  st SET('x','y','z'), js JSON, bn BINARY(4), vb VARBINARY(10), bl BLOB,
  b1 BIT(1), b12 BIT(12), geo GEOMETRY
)
"""


def test_mysql_types_values_and_parquet_types(
    sandbox: Sandbox, rds: RdsSandbox, mariadb: Database, bucket: str, unique: str
) -> None:
    mariadb.execute(
        MYSQL_TABLE,
        "SET time_zone = '+05:00'",
        "INSERT INTO all_types VALUES (1, -128, 1, -32768, -8388608, 16777215, -2147483648, "
        "4294967295, -9223372036854775808, 18446744073709551615, -12345678.91, "
        "99999999999999.9999, "
        "-1234567890123456789012345678.0123456789, "
        "12345678901234567890123456789012345.123456789012345678901234567891, "
        "1.5, 2.718281828459045, '2024-02-29', '-838:59:59', '838:59:59.999999', "
        "'2024-01-02 03:04:05', '1999-12-31 23:59:59.123456', '2024-06-01 12:00:00', 2155, 'abc', "
        "'héllo ☃', 'long text', 'b', 'x,z', '{\"k\": [1, 2]}', X'00FF1000', X'DEADBEEF', "
        "X'0001FF80', b'1', b'101000000001', ST_GeomFromText('POINT(1 2)', 4326))",
        "INSERT INTO all_types (id) VALUES (2)",
    )
    rds.create_instance(f"my-{unique}", backing=mariadb.dsn)
    arn = rds.create_snapshot(f"my-{unique}", f"my-{unique}")
    assert rds.export(arn, bucket=bucket, task_id=f"my-{unique}")["Status"] == "COMPLETE"
    rows, schema = export_table(
        sandbox, bucket, f"my-{unique}", f"{mariadb.name}/{mariadb.name}.all_types"
    )
    assert types(schema) == {
        "id": "INT32",
        "ti": "INT32",
        "ti1": "INT32",
        "si": "INT32",
        "mi": "INT32",
        "mi_u": "INT64",
        "i": "INT32",
        "i_u": "INT64",
        "bi": "INT64",
        "bi_u": "FIXED_LEN_BYTE_ARRAY/Decimal",
        "d10": "INT64/Decimal",
        "d18": "INT64/Decimal",
        "d38": "FIXED_LEN_BYTE_ARRAY/Decimal",
        "d65": "BYTE_ARRAY/String",
        "f": "DOUBLE",
        "dbl": "DOUBLE",
        "dt": "BYTE_ARRAY/String",
        "tm": "BYTE_ARRAY/String",
        "tm6": "BYTE_ARRAY/String",
        "dtm": "INT64/Timestamp",
        "dtm6": "INT64/Timestamp",
        "ts": "INT64/Timestamp",
        "yr": "INT32",
        "ch": "BYTE_ARRAY/String",
        "vc": "BYTE_ARRAY/String",
        "tx": "BYTE_ARRAY/String",
        "en": "BYTE_ARRAY/String",
        "st": "BYTE_ARRAY/String",
        "js": "BYTE_ARRAY/String",
        "bn": "BYTE_ARRAY",
        "vb": "BYTE_ARRAY",
        "bl": "BYTE_ARRAY",
        "b1": "BYTE_ARRAY",
        "b12": "BYTE_ARRAY",
        "geo": "BYTE_ARRAY",
    }
    bi_u = schema.column(schema.names.index("bi_u"))
    assert bi_u.length == 9 and (bi_u.precision, bi_u.scale) == (20, 0)
    # DECIMAL(10,2) is INT64 here because pyarrow writes p<=9 as INT32 and p<=18 as INT64
    d10 = schema.column(schema.names.index("d10"))
    assert (d10.precision, d10.scale) == (10, 2)
    full, empty = sorted(rows, key=lambda r: r["id"])
    assert full == {
        "id": 1,
        "ti": -128,
        "ti1": 1,
        "si": -32768,
        "mi": -8388608,
        "mi_u": 16777215,
        "i": -2147483648,
        "i_u": 4294967295,
        "bi": -9223372036854775808,
        "bi_u": Decimal(18446744073709551615),
        "d10": Decimal("-12345678.91"),
        "d18": Decimal("99999999999999.9999"),
        "d38": Decimal("-1234567890123456789012345678.0123456789"),
        "d65": "12345678901234567890123456789012345.123456789012345678901234567891",
        "f": 1.5,
        "dbl": 2.718281828459045,
        "dt": "2024-02-29",
        "tm": "-838:59:59",
        "tm6": "838:59:59.999999",
        "dtm": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "dtm6": datetime(1999, 12, 31, 23, 59, 59, 123456, tzinfo=UTC),
        # inserted as 12:00 in a +05:00 session: the instant is 07:00 UTC
        "ts": datetime(2024, 6, 1, 7, 0, tzinfo=UTC),
        "yr": 2155,
        "ch": "abc",
        "vc": "héllo ☃",
        "tx": "long text",
        "en": "b",
        "st": "x,z",
        "js": '{"k": [1, 2]}',
        "bn": b"\x00\xff\x10\x00",
        "vb": b"\xde\xad\xbe\xef",
        "bl": b"\x00\x01\xff\x80",
        "b1": b"\x01",
        "b12": b"\x0a\x01",
        # MySQL's internal geometry: SRID 4326 little-endian, then WKB of POINT(1 2)
        "geo": bytes.fromhex("e6100000")
        + bytes.fromhex("0101000000")
        + bytes.fromhex("000000000000f03f")
        + bytes.fromhex("0000000000000040"),
    }
    assert all(v is None for k, v in empty.items() if k != "id")

    info_key = f"my-{unique}/export_tables_info_my-{unique}_from_1_to_1.json"
    info = json.loads(sandbox.client("s3").get_object(Bucket=bucket, Key=info_key)["Body"].read())
    mappings = {
        m["columnName"]: m
        for m in info["perTableStatus"][0]["schemaMetadata"]["originalTypeMappings"]
    }
    assert (
        mappings["d65"]["originalType"] == "decimal"
        and mappings["d65"]["originalNumPrecision"] == 65
    )
    assert mappings["js"]["originalType"] == "json"  # MariaDB's JSON alias is recognised
    assert mappings["vc"]["originalCharMaxLength"] == 20
    assert mappings["dtm6"]["originalDateTimePrecision"] == 6
    assert mappings["bi_u"]["expectedExportedType"] == "decimal(20,0)"


def test_mysql_zero_dates_point_in_time_export_only_and_skipped_tables(
    sandbox: Sandbox, rds: RdsSandbox, mariadb: Database, bucket: str, unique: str
) -> None:
    mariadb.execute(
        "SET SESSION sql_mode = ''",
        "CREATE TABLE zero (id INT PRIMARY KEY, d DATE, dt DATETIME)",
        "INSERT INTO zero VALUES (1, '0000-00-00', '0000-00-00 00:00:00'), (2, '2024-01-31', NULL)",
        "CREATE TABLE `other` (id INT PRIMARY KEY)",
        "INSERT INTO `other` VALUES (1)",
        "CREATE TABLE `bad` (id INT, `bad name` INT)",
    )
    instance = f"z-{unique}"
    rds.create_instance(instance, backing=mariadb.dsn, engine="mariadb")
    arn = rds.create_snapshot(instance, f"z-{unique}")
    mariadb.execute("INSERT INTO zero VALUES (3, '2030-01-01', '2030-01-01 00:00:00')")
    task = rds.export(
        arn,
        bucket=bucket,
        task_id=f"z-{unique}",
        export_only=[f"{mariadb.name}.zero", f"{mariadb.name}.bad"],
    )
    rows, _ = export_table(sandbox, bucket, f"z-{unique}", f"{mariadb.name}/{mariadb.name}.zero")
    # zero DATE stays its text; a zero DATETIME has no instant and is NULL; row 3 came later
    assert sorted((r["id"], r["d"], r["dt"]) for r in rows) == [
        (1, "0000-00-00", None),
        (2, "2024-01-31", None),
    ]
    s3 = sandbox.client("s3")
    listing = [
        o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"z-{unique}/")["Contents"]
    ]
    assert not [k for k in listing if ".other/" in k or ".bad/" in k]
    info = json.loads(
        s3.get_object(
            Bucket=bucket, Key=f"z-{unique}/export_tables_info_z-{unique}_from_1_to_2.json"
        )["Body"].read()
    )
    bad = next(t for t in info["perTableStatus"] if t["target"] == f"{mariadb.name}.bad")
    assert bad["status"] == "SKIPPED" and "bad name" in bad["warningMessage"]
    warning = json.loads(task["WarningMessage"])
    assert [s["target"] for s in warning["skippedTables"]] == [f"{mariadb.name}.bad"]

    later = rds.create_snapshot(instance, f"z2-{unique}")
    rds.export(later, bucket=bucket, task_id=f"z2-{unique}", export_only=[f"{mariadb.name}.zero"])
    rows, _ = export_table(sandbox, bucket, f"z2-{unique}", f"{mariadb.name}/{mariadb.name}.zero")
    assert sorted(r["id"] for r in rows) == [1, 2, 3]


def test_postgres_types(
    sandbox: Sandbox, rds: RdsSandbox, postgres: Database, bucket: str, unique: str
) -> None:
    postgres.execute(
        "CREATE SCHEMA sales",
        "CREATE TABLE sales.t (id integer PRIMARY KEY, s smallint, b bigint, r real, "
        "d double precision, ok boolean, raw bytea, n numeric, n2 numeric(10,3), dt date, "
        "tm time, ts timestamp(3), tz timestamptz, j json, jb jsonb, arr integer[], "
        "txt text[], u uuid, iv interval, vc varchar(5))",
        "SET TIME ZONE 'Asia/Tokyo'",
        "INSERT INTO sales.t VALUES (1, -5, 9223372036854775807, 1.5, 0.1, true, '\\x00ff', "
        "123456789012345678901234567890.000000000000000000001, -1.5, '2024-02-29', '23:59:59.5', "
        "'2024-01-02 03:04:05.678', '2024-06-01 09:00:00+09', '{\"a\": 1}', '{\"b\": [1, 2]}', "
        "'{1,2,NULL}', '{\"x y\",z}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', "
        "'1 day 02:03:04', 'abc')",
        "INSERT INTO sales.t (id) VALUES (2)",
        "CREATE TABLE public.other (id bigint)",
    )
    rds.create_instance(f"pg-{unique}", backing=postgres.dsn, engine="postgres")
    arn = rds.create_snapshot(f"pg-{unique}", f"pg-{unique}")
    rds.export(arn, bucket=bucket, task_id=f"pg-{unique}", export_only=[f"{postgres.name}.sales"])
    rows, schema = export_table(sandbox, bucket, f"pg-{unique}", f"{postgres.name}/sales.t")
    assert types(schema) == {
        "id": "INT32",
        "s": "INT32",
        "b": "INT64",
        "r": "FLOAT",
        "d": "DOUBLE",
        "ok": "BOOLEAN",
        "raw": "BYTE_ARRAY",
        **{
            c: "BYTE_ARRAY/String"
            for c in ("n", "n2", "dt", "tm", "ts", "tz", "j", "jb", "arr", "txt", "u", "iv", "vc")
        },
    }
    full, empty = sorted(rows, key=lambda r: r["id"])
    assert full == {
        "id": 1,
        "s": -5,
        "b": 9223372036854775807,
        "r": 1.5,
        "d": 0.1,
        "ok": True,
        "raw": b"\x00\xff",
        "n": "123456789012345678901234567890.000000000000000000001",
        "n2": "-1.500",
        "dt": "2024-02-29",
        "tm": "23:59:59.5",
        "ts": "2024-01-02 03:04:05.678",
        "tz": "2024-06-01 00:00:00+00",
        "j": '{"a": 1}',
        "jb": '{"b": [1, 2]}',
        "arr": "{1,2,NULL}",
        "txt": '{"x y",z}',
        "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "iv": "1 day 02:03:04",
        "vc": "abc",
    }
    assert all(v is None for k, v in empty.items() if k != "id")
    s3 = sandbox.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"pg-{unique}/")["Contents"]]
    assert not [k for k in keys if "public.other" in k]
    name = next(k for k in keys if "export_tables_info" in k)
    info = json.loads(s3.get_object(Bucket=bucket, Key=name)["Body"].read())
    assert [t["target"] for t in info["perTableStatus"]] == [f"{postgres.name}.sales.t"]
    mappings = {
        m["columnName"]: m
        for m in info["perTableStatus"][0]["schemaMetadata"]["originalTypeMappings"]
    }
    assert mappings["tz"]["originalType"] == "timestamp with time zone"
    assert mappings["arr"]["originalType"] == "integer[]"
    assert mappings["ts"]["originalDateTimePrecision"] == 3


@pytest.mark.slow
def test_500k_row_snapshot_streams_in_bounded_memory(
    sandbox: Sandbox, rds: RdsSandbox, mariadb: Database, bucket: str, unique: str
) -> None:
    # Files of 25k rows: the peak memory of the export is one file's rows, not the table's.
    before = sandbox.settings()
    sandbox.settings(rds_rows_per_file=25_000)
    try:
        _snapshot_and_export_500k(sandbox, rds, mariadb, bucket, unique)
    finally:
        sandbox.settings(**before)


def _snapshot_and_export_500k(
    sandbox: Sandbox, rds: RdsSandbox, mariadb: Database, bucket: str, unique: str
) -> None:
    mariadb.execute("CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(250), amount DECIMAL(12,2))")
    # Created while the table is empty: the server has imported everything it needs before
    # the memory measurement starts (CreateDBInstance also takes moto's automated snapshot).
    rds.create_instance(f"big-{unique}", backing=mariadb.dsn)
    mariadb.execute(
        "INSERT INTO big SELECT seq, CONCAT('row-', seq, REPEAT('x', 200)), seq / 100 "
        "FROM seq_1_to_500000"
    )
    pid = sandbox._process.pid if sandbox._process else None
    assert pid is not None
    rss_before = _rss_kb(pid)
    started = time.monotonic()
    arn = rds.create_snapshot(f"big-{unique}", f"big-{unique}")
    task = rds.export(arn, bucket=bucket, task_id=f"big-{unique}")
    assert task["Status"] == "COMPLETE"
    assert time.monotonic() - started < 60
    s3 = sandbox.client("s3")
    prefix = f"big-{unique}/{mariadb.name}/{mariadb.name}.big/"
    parts = [
        o["Key"]
        for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]
        if o["Key"].endswith(".gz.parquet")
    ]
    assert len(parts) == 20  # 2 partitions of 250k rows, 10 files of 25k rows each
    # The rows as Python objects would take well over 200 MB (500k x ~210-byte strings plus
    # ints and decimals); reading in batches keeps the server's peak far below that.
    growth = _rss_kb(pid) - rss_before
    assert growth < 160_000, f"peak RSS grew by {growth} kB"


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0
