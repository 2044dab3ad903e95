"""Merge / soft-delete merge / history of MariaDB snapshot exports into BigQuery's emulator.

A real MariaDB table goes through insert / update / delete over three sandbox exports, each
loaded with ``load_rds`` in one mode; after every load the table is compared with the source's
rows (merge), with its live and flagged rows (soft delete) or with every version (history).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast

import pytest
import sqlglot
import sqlglot.expressions as exp
from sqlglot.errors import ErrorLevel

from aws2bq.core.apply import Mode
from aws2bq.errors import WarehouseError
from aws2bq.runner.rds_load import RdsLoadRequest, load_rds
from aws2bq.sandbox import Sandbox
from aws2bq.testing.bqemulator import BigQueryEmulator
from aws2bq.warehouses import connect
from aws2bq.warehouses.bigquery.client import BigQueryWarehouse
from tests.conftest import Database

from .conftest import PROJECT, drop_dataset

pytestmark = [pytest.mark.bigquery, pytest.mark.mariadb]

MODES: dict[str, tuple[Mode, bool]] = {
    "merge": (Mode.MERGE, False),
    "soft": (Mode.MERGE, True),
    "history": (Mode.HISTORY, False),
}


@pytest.fixture
def warehouse(bq_emulator: BigQueryEmulator) -> Iterator[BigQueryWarehouse]:
    dataset = f"c_{uuid.uuid4().hex[:10]}"
    wh = connect(f"bigquery://{PROJECT}/{dataset}?endpoint={bq_emulator.endpoint}&emulator=true")
    assert isinstance(wh, BigQueryWarehouse)
    try:
        yield wh
    finally:
        wh.close()
        drop_dataset(bq_emulator, dataset)


class Source:
    """A sandbox RDS instance over the MariaDB database; ``export()`` snapshots + exports it."""

    def __init__(self, sb: Sandbox, db: Database, unique: str) -> None:
        self.sb, self.db, self.unique = sb, db, unique
        self.bucket = f"chg-bq-{unique}"
        sb.client("s3").create_bucket(Bucket=self.bucket)
        self.instance = f"i{unique}"
        sb.rds.create_instance(self.instance, backing=db.dsn, engine="mariadb")
        self.count = 0

    def export(self) -> str:
        self.count += 1
        task = f"e{self.count}-{self.unique}"
        arn = self.sb.rds.create_snapshot(self.instance, task)
        result = self.sb.rds.export(arn, bucket=self.bucket, task_id=task, prefix="rds")
        assert result["Status"] == "COMPLETE"
        return f"s3://{self.bucket}/rds/{task}/"

    def rows(self) -> dict[int, tuple[Any, ...]]:
        conn = self.db.connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT id, name, qty FROM items")
                return {int(r[0]): (r[1], int(r[2]) if r[2] is not None else None)
                        for r in cur.fetchall()}  # fmt: skip
        finally:
            conn.close()


def _rows(wh: BigQueryWarehouse, sql: str) -> list[tuple[Any, ...]]:
    return sorted(wh.query(cast(exp.Expression, sqlglot.parse_one(sql, read="bigquery"))), key=repr)


def _naive(value: Any) -> Any:
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value


#: bqemulator 1.4 cannot run ``CREATE TEMP TABLE … AS SELECT`` over a dataset table ("Catalog
#: Error: Schema with name <project>__<dataset> does not exist"), with or without a
#: transaction; real BigQuery allows temporary tables in multi-statement transactions
#: (https://cloud.google.com/bigquery/docs/transactions, "Statements supported in
#: transactions"). History materialises its effective changes that way, so its second export
#: fails on the emulator; the first (a plain INSERT) is checked before that.
_TEMP_TABLE_GAP = "bqemulator: CREATE TEMP TABLE … AS SELECT cannot read a dataset table"


class EmulatorGap(Exception):
    """The load failed with exactly the emulator's known temporary-table error."""


@pytest.mark.parametrize(
    "mode",
    [
        "merge",
        "soft",
        pytest.param(
            "history",
            marks=pytest.mark.xfail(strict=True, raises=EmulatorGap, reason=_TEMP_TABLE_GAP),
        ),
    ],
)
def test_three_exports_follow_the_source(
    sandbox: Sandbox,
    mariadb: Database,
    unique: str,
    warehouse: BigQueryWarehouse,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
) -> None:
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    src = Source(sandbox, mariadb, unique)
    db = mariadb.name
    table = f"{db}__items"
    request_mode, soft_delete = MODES[mode]
    mariadb.execute(
        "CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(20), qty INT)",
        "INSERT INTO items VALUES (1,'one',1),(2,'two',2),(3,'three',NULL)",
    )
    # versions[id] = [(name, qty, valid_from, deleted), ...] in order (history)
    versions: dict[int, list[tuple[Any, ...]]] = {}
    state: dict[int, tuple[Any, ...]] = {}

    def apply(export: str) -> None:
        nonlocal state
        try:
            report = load_rds(
                RdsLoadRequest(
                    export=export,
                    warehouse=warehouse.url,
                    mode=request_mode,
                    soft_delete=soft_delete,
                    keys={f"{db}.items": ("id",)},
                ),
                warehouse=warehouse,
            )
        except WarehouseError as exc:
            # The emulator's temporary-table schema (<project>__c_<id>) is missing: the known
            # gap (the failing CREATE TEMPORARY TABLE is in exc.statement and the debug log).
            error = str(exc)
            if "Catalog Error: Schema with name" in error and "__c_" in error:
                raise EmulatorGap(error[:200]) from exc
            raise
        assert [(t.status, t.error) for t in report.tables] == [("applied", None)]
        at = _naive(report.snapshot_time)
        now = src.rows()
        for key in sorted(set(now) | set(state)):
            if key in now and now[key] != state.get(key):
                versions.setdefault(key, []).append((*now[key], at, False))
            elif key not in now and key in state:
                versions[key].append((*versions[key][-1][:2], at, True))
        state = now
        check(now)

    def check(source: dict[int, tuple[Any, ...]]) -> None:
        expected = sorted(((k, *v) for k, v in source.items()), key=repr)
        if mode == "merge":
            assert _rows(warehouse, f"SELECT id, name, qty FROM `{table}`") == expected
        elif mode == "soft":
            live = f"SELECT id, name, qty FROM `{table}` WHERE NOT _aws2bq_deleted"
            assert _rows(warehouse, live) == expected
            gone = _rows(warehouse, f"SELECT id FROM `{table}` WHERE _aws2bq_deleted")
            assert {r[0] for r in gone} == {k for k in versions if k not in source}
        else:
            got = _rows(
                warehouse,
                "SELECT id, name, qty, _valid_from, _valid_to, _is_current, _is_deleted "
                f"FROM `{table}`",
            )
            want = []
            for key, vs in versions.items():
                for i, (name, qty, start, deleted) in enumerate(vs):
                    end = vs[i + 1][2] if i + 1 < len(vs) else None
                    want.append((key, name, qty, start, end, end is None, deleted))
            normal = [tuple(_naive(v) for v in r) for r in got]
            assert sorted(normal, key=repr) == sorted(want, key=repr)

    apply(src.export())
    mariadb.execute(
        "UPDATE items SET qty = 20 WHERE id = 2",
        "DELETE FROM items WHERE id = 3",
        "INSERT INTO items VALUES (4,'four',4)",
    )
    apply(src.export())
    mariadb.execute(
        "UPDATE items SET name = 'FOUR' WHERE id = 4",
        "DELETE FROM items WHERE id = 1",
        "INSERT INTO items VALUES (3,'three again',3)",
    )
    apply(src.export())
    assert _rows(warehouse, "SELECT COUNT(*) FROM `_aws2bq_ledger`") == [(3,)]


@pytest.mark.parametrize("mode", sorted(MODES))
def test_apply_sql_parses_as_bigquery(mode: str) -> None:
    """What the emulator cannot run must still be valid BigQuery: every statement of the apply
    script (snapshot diff + change steps) parses with sqlglot's BigQuery dialect and renders
    back unchanged."""
    from aws2bq.core.change_apply import change_steps
    from aws2bq.core.change_sets import snapshot_changes
    from aws2bq.core.ledger import LedgerEntry
    from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema
    from aws2bq.warehouses.bigquery.dialect import BIGQUERY

    request_mode, soft = MODES[mode]
    at = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    string, ts = ColumnType(Kind.STRING), ColumnType(Kind.TIMESTAMP)
    schema = TableSchema(
        (
            Column("id", ColumnType(Kind.INT64), "id", Role.KEY),
            Column("name", string, "name"),
            Column("qty", ColumnType(Kind.INT64), "qty"),
            Column("_aws2bq_export_id", string, "_aws2bq_export_id", Role.SYSTEM),
            Column("_aws2bq_exported_at", ts, "_aws2bq_exported_at", Role.SYSTEM),
        ),
        1,
        ("id",),
    )
    entry = LedgerEntry("rds:db.items", "rds", "e2", "arn", "snapshot", "s3://b/p", at,
                        str(request_mode), 1, 3, 3, 100, schema, {}, at, 0.0, "test")  # fmt: skip
    staging = exp.select("*").from_(exp.table_("_aws2bq_staging", db="ds", quoted=True))
    changes = snapshot_changes(mode=request_mode, soft_delete=soft, table="items", dataset="ds",
                               schema=schema, snapshot=staging, changed_at=at, caps=BIGQUERY,
                               table_exists=True)  # fmt: skip
    steps = change_steps(mode=request_mode, soft_delete=soft, table="items", dataset="ds",
                         schema=schema, changes=changes, entry=entry, caps=BIGQUERY,
                         table_exists=True, previous=schema)  # fmt: skip
    statements = [*steps.before, *steps.transaction]
    kinds = set()
    for statement in statements:
        sql = statement.sql("bigquery")
        parsed = sqlglot.parse_one(sql, read="bigquery", error_level=ErrorLevel.RAISE)
        assert parsed.sql("bigquery") == sql
        kinds.add(type(parsed).__name__)
    if mode == "history":
        text = ";\n".join(s.sql("bigquery") for s in statements)
        assert "CREATE TEMPORARY TABLE `_aws2bq_changes`" in text
        assert {"Create", "Update", "Insert", "Drop"} <= kinds
    else:
        assert "Merge" in kinds
        assert "FARM_FINGERPRINT(TO_JSON_STRING(STRUCT(" in statements[-2].sql("bigquery")
