"""Correctness from the field (issue 10): one harness for every warehouse and stager.

``target`` is parametrized over DuckDB with the default (Arrow) DynamoDB stager, DuckDB with
``?arrow=0`` (DuckDB's own ``read_json``) and BigQuery's emulator, so every test of this folder
states a value once and checks it on every path a load can take. Loads go through the library
calls the CLI uses (``load_dynamodb``, ``load_rds``) against the real warehouse.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlglot.expressions as exp
from bench.export_writer import item_line, write_export

from aws2bq.core.apply import Mode
from aws2bq.core.ledger import LEDGER_TABLE
from aws2bq.core.schema import TableSchema
from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, LoadReport, load_dynamodb
from aws2bq.runner.rds_load import RdsLoadReport, RdsLoadRequest, load_rds
from aws2bq.sandbox import Sandbox
from aws2bq.warehouses import connect
from aws2bq.warehouses.base import TableRef, Warehouse
from tests.integration.bigquery.conftest import (  # noqa: F401  (fixtures)
    PROJECT,
    bq_emulator,
    bq_gcs_root,
    gcs_state_dir,
)

#: DuckDB (Arrow stager), DuckDB (read_json stager), BigQuery's emulator.
TARGETS = [
    "duckdb",
    "duckdb-read_json",
    pytest.param("bigquery", marks=pytest.mark.bigquery),
]
#: RDS loads: DuckDB and BigQuery's emulator (the DynamoDB stagers do not apply).
RDS_TARGETS = ["duckdb", pytest.param("bigquery", marks=pytest.mark.bigquery)]


@dataclass
class Target:
    """A warehouse a test loads into, and how to read what it holds."""

    name: str
    url: str
    #: Another warehouse of the same kind, empty (for a load compared with this one's).
    other_url: str = ""

    @property
    def other(self) -> Target:
        return Target(self.name, self.other_url)

    @property
    def is_bigquery(self) -> bool:
        return self.name == "bigquery"

    def connect(self) -> Warehouse:
        return connect(self.url)

    def load_dynamodb(
        self,
        export: str | Path,
        table: str = "t",
        *,
        mode: str = "replace",
        keys: Sequence[str] = ("pk",),
    ) -> LoadReport:
        request = DynamoDBLoadRequest(str(export), table, tuple(keys), Mode(mode), self.url)
        return load_dynamodb(request)

    def load_rds(self, export: str | Path, *, mode: str = "replace", **kw: Any) -> RdsLoadReport:
        return load_rds(RdsLoadRequest(str(export), mode=Mode(mode), warehouse=self.url, **kw))

    def columns(self, table: str = "t") -> dict[str, str]:
        """Physical column types, by column name."""
        with self.connect() as wh:
            got = wh.table_columns(TableRef(table))
        assert got is not None, f"table {table} does not exist"
        return dict(got)

    def logical(self, table: str = "t", stream: str | None = None) -> dict[str, str]:
        """Logical column types (as the ledger recorded them), by column name."""
        select = (
            exp.select(exp.column("schema_json", quoted=True))
            .from_(TableRef(LEDGER_TABLE).expression())
            .where(
                exp.EQ(
                    this=exp.column("stream", quoted=True),
                    expression=exp.Literal.string(stream or table),
                )
            )
            .order_by(exp.column("applied_at", quoted=True))
        )
        with self.connect() as wh:
            rows = wh.query(select)
        schema = TableSchema.from_dict(json.loads(rows[-1][0]))
        return {c.name: str(c.type) for c in schema.columns}

    def rows(
        self, table: str = "t", columns: Sequence[str] = (), order_by: str = "pk"
    ) -> list[dict[str, Any]]:
        """Rows of ``table`` (``columns`` or all), ordered by ``order_by``."""
        with self.connect() as wh:
            names = list(columns) or [n for n, _ in wh.table_columns(TableRef(table)) or []]
            select = (
                exp.select(*(exp.column(n, quoted=True) for n in names))
                .from_(TableRef(table).expression())
                .order_by(exp.column(order_by, quoted=True))
            )
            return [dict(zip(names, r, strict=True)) for r in wh.query(select)]

    def sql(self, text: str) -> list[tuple[Any, ...]]:
        """Rows of a query written in the target's own dialect (tests only)."""
        import sqlglot

        with self.connect() as wh:
            dialect = wh.capabilities.dialect
            return wh.query(sqlglot.parse_one(text, read=dialect))

    def column_descriptions(self, table: str = "t") -> dict[str, str | None]:
        with self.connect() as wh:
            if hasattr(wh, "column_descriptions"):
                return dict(wh.column_descriptions(TableRef(table)))
            select = (
                exp.select(exp.column("column_name"), exp.column("comment"))
                .from_(exp.table_("duckdb_columns"))
                .where(exp.EQ(this=exp.column("table_name"), expression=exp.Literal.string(table)))
            )
            return {str(n): c for n, c in wh.query(select)}


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """Each warehouse / stager a DynamoDB load can use (see the module docstring)."""
    yield from _target(str(request.param), request, tmp_path)


@pytest.fixture(params=RDS_TARGETS)
def rds_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """Each warehouse an RDS load can use (the DynamoDB stagers do not apply)."""
    yield from _target(str(request.param), request, tmp_path)


def _target(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    if name == "bigquery":
        emulator = request.getfixturevalue("bq_emulator")
        datasets = [f"f_{uuid.uuid4().hex[:10]}" for _ in range(2)]
        url = "bigquery://{}/{}?emulator=true&endpoint=" + emulator.endpoint
        try:
            yield Target(name, url.format(PROJECT, datasets[0]), url.format(PROJECT, datasets[1]))
        finally:
            client = emulator.client(PROJECT)
            for dataset in datasets:
                client.delete_dataset(
                    f"{PROJECT}.{dataset}", delete_contents=True, not_found_ok=True
                )
            client.close()
        return
    suffix = "?arrow=0" if name == "duckdb-read_json" else ""
    yield Target(
        name,
        f"duckdb:///{tmp_path / 'w.duckdb'}{suffix}",
        f"duckdb:///{tmp_path / 'other.duckdb'}{suffix}",
    )


def local_export(root: Path, items: Sequence[dict[str, Any]], *, files: int = 2, **kw: Any) -> Path:
    """A full DynamoDB export of ``items`` in AWS's layout under ``root`` (its folder)."""
    chunks = [[item_line(i) for i in items[n::files]] for n in range(files)]
    return write_export(root, chunks, **kw).folder


@dataclass
class DynamoTable:
    """A sandbox DynamoDB table with PITR, its exports in S3, and the export chain so far."""

    sb: Sandbox
    name: str
    bucket: str
    client: Any
    last: Any = None

    def put(self, pk: str, **attributes: dict[str, Any]) -> None:
        self.client.put_item(TableName=self.name, Item={"pk": {"S": pk}, **attributes})

    def delete(self, pk: str) -> None:
        self.client.delete_item(TableName=self.name, Key={"pk": {"S": pk}})

    def full(self) -> str:
        done = self.sb.dynamodb.export_full(self.name, self.bucket, prefix="x")
        assert done["ExportStatus"] == "COMPLETED", done
        self.last = done["ExportTime"]
        return f"s3://{self.bucket}/{done['ExportManifest']}"

    def incremental(self) -> str:
        self.sb.advance_clock(minutes=16)
        done = self.sb.dynamodb.export_incremental(
            self.name, self.bucket, prefix="x", from_time=self.last, to_time=self.sb.now()
        )
        assert done["ExportStatus"] == "COMPLETED", done
        self.last = done["IncrementalExportSpecification"]["ExportToTime"]
        return f"s3://{self.bucket}/{done['ExportManifest']}"


@pytest.fixture
def dynamo_table(sandbox: Sandbox, unique: str, monkeypatch: pytest.MonkeyPatch) -> DynamoTable:
    """A fresh DynamoDB table (key ``pk``) and bucket in the sandbox; boto3 points at it."""
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    bucket = f"field-{unique}"
    sandbox.client("s3").create_bucket(Bucket=bucket)
    name = f"field-{unique}"
    sandbox.dynamodb.create_table(name)
    return DynamoTable(sandbox, name, bucket, sandbox.client("dynamodb"))


@dataclass
class RdsExporter:
    """Snapshot exports of one sandbox DB instance backed by a real database."""

    sb: Sandbox
    instance: str
    bucket: str
    count: int = 0

    def export(self) -> str:
        """Snapshot the database now and export it; the export's S3 location."""
        self.count += 1
        self.sb.advance_clock(minutes=5)
        arn = self.sb.rds.create_snapshot(self.instance, f"{self.instance}-s{self.count}")
        task = f"{self.instance}-e{self.count}"
        done = self.sb.rds.export(arn, bucket=self.bucket, task_id=task, prefix="rds")
        assert done["Status"] == "COMPLETE", done
        return f"s3://{self.bucket}/rds/{task}/"


def rds_exporter(
    sandbox: Sandbox, dsn: str, unique: str, monkeypatch: pytest.MonkeyPatch, engine: str
) -> RdsExporter:
    """An exporter of the database ``dsn`` (boto3 and aws2bq point at the sandbox)."""
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    bucket = f"rds-{unique}"
    sandbox.client("s3").create_bucket(Bucket=bucket)
    instance = f"db-{unique}"
    sandbox.rds.create_instance(instance, backing=dsn, engine=engine)
    return RdsExporter(sandbox, instance, bucket)
