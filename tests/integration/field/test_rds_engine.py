"""Issue 10.3: the RDS engine and the database/table split come from the export, not from dots.

A table named ``core.user`` in a MySQL database ``shop`` is exported to ``shop/shop.core.user/``
with target ``shop.core.user``. It loads like any other table, and the export stays MySQL for
every table: DATETIME stays a wall-clock DATETIME, TIMESTAMP an instant.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from aws2bq.core.rds_types import Engine
from aws2bq.sandbox import Sandbox
from aws2bq.sources.rds.export import read_export

from .conftest import Target, rds_exporter

pytestmark = pytest.mark.mariadb


@pytest.fixture
def dotted_mysql(sandbox: Sandbox, mariadb, unique: str, monkeypatch: pytest.MonkeyPatch) -> str:  # type: ignore[no-untyped-def]
    mariadb.execute(
        "CREATE TABLE orders (id INT PRIMARY KEY, created DATETIME(6), paid_at TIMESTAMP(6) "
        "NULL, note TEXT)",
        "INSERT INTO orders VALUES (1, '2024-03-01 10:20:30.5', '2024-03-01 11:00:00', 'a'), "
        "(2, '1999-12-31 23:59:59', NULL, NULL)",
        "CREATE TABLE `core.user` (id BIGINT PRIMARY KEY, name VARCHAR(20), born DATE)",
        "INSERT INTO `core.user` VALUES (7, 'ann', '1990-05-06')",
    )
    exporter = rds_exporter(sandbox, mariadb.dsn, unique, monkeypatch, "mysql")
    return exporter.export()


def test_the_export_reads_as_mysql_with_the_split_of_its_folders(
    dotted_mysql: str, mariadb
) -> None:  # type: ignore[no-untyped-def]
    export = read_export(dotted_mysql)
    assert export.engine is Engine.MYSQL
    by_target = {t.target: t for t in export.tables}
    dotted = by_target[f"{mariadb.name}.core.user"]
    assert (dotted.database, dotted.schema, dotted.name) == (mariadb.name, None, "core.user")
    assert dotted.problem is None and dotted.files
    assert by_target[f"{mariadb.name}.orders"].problem is None


def test_a_table_name_with_dots_loads_and_the_others_keep_their_types(
    rds_target: Target, dotted_mysql: str, mariadb
) -> None:  # type: ignore[no-untyped-def]
    report = rds_target.load_rds(dotted_mysql)
    assert not report.failed, json.dumps(report.to_dict(), default=str)
    orders = f"{mariadb.name}__orders"
    logical = rds_target.logical(orders, f"rds:{mariadb.name}.orders")
    assert logical["created"] == "DATETIME" and logical["paid_at"] == "TIMESTAMP"
    got = rds_target.rows(orders, ("id", "created", "paid_at"), order_by="id")
    assert got[0]["created"] == dt.datetime(2024, 3, 1, 10, 20, 30, 500000)
    paid = got[0]["paid_at"]
    assert paid == dt.datetime(2024, 3, 1, 11, 0, tzinfo=dt.UTC)
    assert got[1]["created"] == dt.datetime(1999, 12, 31, 23, 59, 59) and got[1]["paid_at"] is None
    user = f"{mariadb.name}__core_user"
    assert rds_target.rows(user, ("id", "name", "born"), order_by="id") == [
        {"id": 7, "name": "ann", "born": dt.date(1990, 5, 6)}
    ]


@pytest.mark.postgres
def test_postgres_tables_with_dots_and_shared_type_names(
    rds_target: Target, sandbox: Sandbox, postgres, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    # Only type names PostgreSQL shares with MySQL (bigint, text, date): the engine comes from
    # the folder layout <db>/<schema>.<table>.
    postgres.execute(
        'CREATE TABLE public."a.b" (id bigint PRIMARY KEY, note text, day date)',
        "INSERT INTO public.\"a.b\" VALUES (1, 'x', '2024-02-29')",
    )
    exporter = rds_exporter(sandbox, postgres.dsn, unique, monkeypatch, "postgres")
    location = exporter.export()
    export = read_export(location)
    assert export.engine is Engine.POSTGRES
    (table,) = [t for t in export.tables if t.name == "a.b"]
    assert (table.database, table.schema) == (postgres.name, "public")
    report = rds_target.load_rds(location)
    assert not report.failed, json.dumps(report.to_dict(), default=str)
    got = rds_target.rows(f"{postgres.name}__public__a_b", ("id", "note", "day"), order_by="id")
    assert got == [{"id": 1, "note": "x", "day": dt.date(2024, 2, 29)}]


def test_engine_from_type_names_alone(tmp_path: Path) -> None:
    """Without files to look at, MySQL-only or PostgreSQL-only type names decide."""
    from aws2bq.sources.rds.export import engine_of

    mysql = [{"target": "a.b.c", "schemaMetadata": {"originalTypeMappings": [
        {"columnName": "x", "originalType": "datetime"}]}}]  # fmt: skip
    postgres = [{"target": "a.b", "schemaMetadata": {"originalTypeMappings": [
        {"columnName": "x", "originalType": "character varying"}]}}]  # fmt: skip
    assert engine_of(mysql, folders=set()) is Engine.MYSQL
    assert engine_of(postgres, folders=set()) is Engine.POSTGRES
