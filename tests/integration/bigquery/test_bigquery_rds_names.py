"""Issue 12 fault 10: RDS columns whose names BigQuery cannot load from Parquet.

BigQuery loads Parquet under the classic column-name convention only (no ``.``, ``$`` …:
flexible column names are not supported for Parquet loads) and matches a file's column names
ignoring case (https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-parquet
#limitations, https://cloud.google.com/bigquery/docs/schemas#column_names). aws2bq stages
such columns under safe names and maps them back to the destination's names. The emulator
accepts any name (DuckDB underneath), so each load is also checked the way BigQuery would
refuse it: every staging table's schema against the Parquet naming rule.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlglot.expressions as exp

from aws2bq.core.transport import TransportSpec
from aws2bq.runner.rds_load import RdsLoadRequest, load_rds
from aws2bq.sandbox import Sandbox
from aws2bq.testing.bqemulator import BigQueryEmulator
from aws2bq.testing.gcs_emulator import GcsEmulator
from aws2bq.warehouses import connect
from aws2bq.warehouses.base import TableRef
from aws2bq.warehouses.bigquery.client import BigQueryWarehouse, Request
from aws2bq.warehouses.bigquery.rules import check_parquet_load_fields
from tests.conftest import Database

from .conftest import drop_dataset, warehouse_url
from .test_gcs_transport import gcs_spec

pytestmark = pytest.mark.bigquery

# MySQL names are case-insensitive; PostgreSQL's quoted names are not (a case-only pair).
MARIADB_TABLE = (
    "CREATE TABLE odd (id INT PRIMARY KEY, `a.b` VARCHAR(5), `price$` INT, `1st` INT)",
    "INSERT INTO odd VALUES (1, 'one', 10, 100), (2, NULL, 20, NULL)",
)
POSTGRES_TABLE = (
    'CREATE TABLE odd (id INT PRIMARY KEY, "a.b" TEXT, "Name" TEXT, name TEXT, "price$" INT)',
    "INSERT INTO odd VALUES (1, 'one', 'Upper', 'lower', 10), (2, NULL, NULL, 'x', NULL)",
)
EXPECTED = {
    "mariadb": (
        ["id", "a_b", "price_", "1st"],
        [(1, "one", 10, 100), (2, None, 20, None)],
    ),
    "postgres": (
        ["id", "a_b", "Name", "name_2", "price_"],
        [(1, "one", "Upper", "lower", 10), (2, None, None, "x", None)],
    ),
}


@pytest.fixture
def staging_schemas() -> Iterator[list[tuple[str, list[dict[str, Any]]]]]:
    """Every RDS staging table's schema the warehouse sends (tables.insert)."""
    seen: list[tuple[str, list[dict[str, Any]]]] = []

    def observe(_: BigQueryWarehouse, request: Request) -> None:
        if request.kind == "create_table" and "._aws2bq_rds_" in (request.table or ""):
            seen.append((str(request.table), [f.to_api_repr() for f in request.fields]))

    BigQueryWarehouse.observers.append(observe)
    try:
        yield seen
    finally:
        BigQueryWarehouse.observers.remove(observe)


@pytest.mark.parametrize("transport", ["direct", "gcs"])
@pytest.mark.parametrize("engine", ["mariadb", "postgres"])
def test_columns_bigquery_cannot_load_from_parquet_are_staged_under_safe_names(
    engine: str,
    transport: str,
    request: pytest.FixtureRequest,
    sandbox: Sandbox,
    bq_emulator: BigQueryEmulator,
    gcs_emulator: GcsEmulator,
    unique: str,
    staging_schemas: list[tuple[str, list[dict[str, Any]]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    db: Database = request.getfixturevalue(engine)
    db.execute(*(MARIADB_TABLE if engine == "mariadb" else POSTGRES_TABLE))
    bucket = f"names-{unique}"
    sandbox.client("s3").create_bucket(Bucket=bucket)
    sandbox.rds.create_instance(f"i{unique}", backing=db.dsn, engine=engine)
    arn = sandbox.rds.create_snapshot(f"i{unique}", f"s{unique}")
    exported = sandbox.rds.export(arn, bucket=bucket, task_id=f"t{unique}", prefix="rds")
    assert exported["Status"] == "COMPLETE"
    spec = TransportSpec() if transport == "direct" else gcs_spec(gcs_emulator, unique)
    dataset = f"n_{uuid.uuid4().hex[:10]}"
    wh = connect(warehouse_url(bq_emulator, dataset))
    assert isinstance(wh, BigQueryWarehouse)
    try:
        load = RdsLoadRequest(
            export=f"s3://{bucket}/rds/t{unique}/", warehouse=wh.url, transport=spec
        )
        report = load_rds(load, warehouse=wh)
        assert [t.status for t in report.tables] == ["applied"], report.tables
        (table,) = [t.table for t in report.tables]
        columns, expected = EXPECTED[engine]
        names = [n for n, _ in wh.table_columns(TableRef(table)) if not n.startswith("_aws2bq")]
        assert names == columns
        select = exp.select(*(exp.column(c, quoted=True) for c in columns)).from_(
            exp.table_(table, quoted=True)
        )
        assert sorted(wh.query(select.order_by(exp.column("id")))) == expected
        # What BigQuery would refuse: a staging table that a Parquet load cannot fill.
        assert staging_schemas
        for name, fields in staging_schemas:
            assert check_parquet_load_fields(fields) == [], name
    finally:
        wh.close()
        drop_dataset(bq_emulator, dataset)
