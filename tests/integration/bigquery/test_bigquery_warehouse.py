"""The BigQuery warehouse adapter against bqemulator, through the real google-cloud-bigquery."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlglot
import sqlglot.expressions as exp
from google.api_core import exceptions as gexc

from aws2bq.core.dynamodb_types import AttributeStats, NumberStats
from aws2bq.core.ledger import LEDGER_TABLE, LedgerEntry
from aws2bq.core.progress import NullProgress
from aws2bq.core.replace_apply import replace_steps
from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema
from aws2bq.errors import (
    ConfigError,
    ExportError,
    MissingExtraError,
    TransientError,
    WarehouseError,
)
from aws2bq.sources.blobs import ExportFile, LocalStore
from aws2bq.testing.bqemulator import BigQueryEmulator
from aws2bq.warehouses import connect, parse_url
from aws2bq.warehouses.base import TableRef
from aws2bq.warehouses.bigquery.capabilities import EMULATOR
from aws2bq.warehouses.bigquery.client import BigQueryWarehouse
from aws2bq.warehouses.bigquery.configuration import ENDPOINT_ENV, BigQueryConfig
from aws2bq.warehouses.bigquery.dialect import BIGQUERY
from aws2bq.warehouses.bigquery.exceptions import translate

from .conftest import PROJECT, drop_dataset

pytestmark = pytest.mark.bigquery


@pytest.fixture
def warehouse(bq_emulator: BigQueryEmulator) -> Iterator[BigQueryWarehouse]:
    """A warehouse on a fresh dataset (created by connect), deleted after the test."""
    dataset = f"w_{uuid.uuid4().hex[:10]}"
    wh = connect(f"bigquery://{PROJECT}/{dataset}?endpoint={bq_emulator.endpoint}&emulator=true")
    assert isinstance(wh, BigQueryWarehouse)
    try:
        yield wh
    finally:
        wh.close()
        drop_dataset(bq_emulator, dataset)


def sql(text: str) -> exp.Expression:
    return sqlglot.parse_one(text, read="bigquery")


# -- connecting ---------------------------------------------------------------------------------
def test_connect_with_endpoint_in_url_creates_the_dataset(warehouse: BigQueryWarehouse) -> None:
    assert warehouse.features is EMULATOR
    assert warehouse.capabilities is BIGQUERY
    got = warehouse.client.get_dataset(f"{PROJECT}.{warehouse.config.dataset}")
    assert got.dataset_id == warehouse.config.dataset
    assert warehouse.query(sql("SELECT 1 + 1 AS two")) == [(2,)]


def test_connect_with_endpoint_from_environment(
    bq_emulator: BigQueryEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENDPOINT_ENV, bq_emulator.endpoint)
    dataset = f"w_{uuid.uuid4().hex[:10]}"
    with connect(f"bigquery://{PROJECT}/{dataset}?emulator=true") as wh:
        assert isinstance(wh, BigQueryWarehouse)
        assert wh.config.endpoint == bq_emulator.endpoint
        assert wh.query(sql("SELECT 'x' AS s")) == [("x",)]
    drop_dataset(bq_emulator, dataset)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("bigquery://p/d?endpoint=127.0.0.1:9050", "bad BigQuery endpoint"),
        ("bigquery://p/d?colour=blue", "unknown BigQuery URL parameter"),
        ("bigquery://p/d?parallel_loads=zero", "bad number"),
    ],
)
def test_bad_urls_are_config_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        BigQueryConfig.from_url(parse_url(url))
    assert info.value.exit_code == 2


def test_missing_sdk_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "google.cloud.bigquery", None)
    with pytest.raises(MissingExtraError) as info:
        connect("bigquery://p/d?endpoint=http://127.0.0.1:1")
    assert 'pip install "aws2bq[bigquery]"' in str(info.value)


# -- statements -----------------------------------------------------------------------------------
def test_render_quotes_identifiers_in_bigquery_dialect(warehouse: BigQueryWarehouse) -> None:
    select = exp.select(exp.column("a b", quoted=True)).from_(TableRef("t").expression())
    assert warehouse.render(select) == "SELECT `a b` FROM `t`"


def test_execute_query_and_table_columns(warehouse: BigQueryWarehouse) -> None:
    ref = TableRef("items")
    assert warehouse.table_columns(ref) is None
    assert not warehouse.table_exists(ref)
    warehouse.execute(
        sql(
            "CREATE TABLE IF NOT EXISTS items (id INT64, price NUMERIC, "
            "doc JSON, tags ARRAY<STRING>, seen TIMESTAMP)"
        )
    )
    warehouse.execute(sql("CREATE TABLE IF NOT EXISTS items (id INT64)"))  # no error, no change
    assert warehouse.table_columns(ref) == [
        ("id", "INT64"),
        ("price", "NUMERIC"),
        ("doc", "JSON"),
        ("tags", "ARRAY<STRING>"),
        ("seen", "TIMESTAMP"),
    ]
    # 29 integer digits and 9 decimals survive (the emulator's DDL alone would keep 18,3).
    warehouse.execute(
        sql(
            "INSERT INTO items (id, price) "
            "SELECT 1, PARSE_NUMERIC('12345678901234567890123456789.123456789')"
        )
    )
    assert warehouse.query(sql("SELECT id, price FROM items")) == [
        (1, Decimal("12345678901234567890123456789.123456789"))
    ]


def test_bad_sql_is_a_terminal_warehouse_error(warehouse: BigQueryWarehouse) -> None:
    with pytest.raises(WarehouseError, match="no_such_table") as info:
        warehouse.query(sql("SELECT * FROM no_such_table"))
    assert not info.value.retryable
    # The SQL is kept for the debug log, never put in the one-line message (issue 11.11).
    assert info.value.statement is not None and "no_such_table" in info.value.statement
    assert "SELECT" not in str(info.value) and "\n" not in str(info.value)


def test_column_descriptions(warehouse: BigQueryWarehouse) -> None:
    warehouse.execute(sql("CREATE TABLE t (id INT64, name STRING)"))
    warehouse.set_column_descriptions(TableRef("t"), {"name": "source attribute: Name"})
    assert warehouse.column_descriptions(TableRef("t")) == {
        "id": None,
        "name": "source attribute: Name",
    }
    with pytest.raises(WarehouseError, match="no such column"):
        warehouse.set_column_descriptions(TableRef("t"), {"nope": "x"})


# -- transactions and the ledger ------------------------------------------------------------------
def _entry(export_id: str, schema: TableSchema) -> LedgerEntry:
    now = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    return LedgerEntry(
        stream="orders",
        source="dynamodb",
        export_id=export_id,
        export_arn="arn:x",
        export_kind="full",
        export_location="s3://b/p",
        exported_at=now,
        mode="replace",
        files=1,
        manifest_items=2,
        rows_after=2,
        bytes=10,
        schema=schema,
        changes={},
        applied_at=now,
        duration_seconds=1.5,
        aws2bq_version="test",
    )


def test_replace_steps_write_data_and_ledger_in_one_transaction(
    warehouse: BigQueryWarehouse,
) -> None:
    schema = TableSchema(
        columns=(
            Column("id", ColumnType(Kind.INT64), "Id", Role.KEY),
            Column("amount", ColumnType(Kind.NUMERIC), "Amount"),
        ),
        version=1,
    )
    for export_id, rows in (
        (
            "e1",
            "SELECT * FROM (SELECT 1 AS id, PARSE_NUMERIC('1.5') AS "
            "amount UNION ALL SELECT 2, PARSE_NUMERIC('2.25'))",
        ),
        ("e2", "SELECT 3 AS id, PARSE_NUMERIC('3.125') AS amount"),
    ):
        typed = sqlglot.parse_one(rows, read="bigquery")
        assert isinstance(typed, exp.Select)
        steps = replace_steps(
            table="orders",
            dataset=None,
            schema=schema,
            typed_rows=typed,
            entry=_entry(export_id, schema),
            caps=warehouse.capabilities,
            table_exists=warehouse.table_exists(TableRef("orders")),
        )
        for statement in steps.before:
            warehouse.execute(statement)
        warehouse.transaction(steps.transaction)
    assert warehouse.query(sql("SELECT id, amount FROM orders")) == [(3, Decimal("3.125"))]
    ledger = warehouse.query(
        exp.select("export_id").from_(TableRef(LEDGER_TABLE).expression()).order_by("export_id")
    )
    assert ledger == [("e1",), ("e2",)]


def test_failed_transaction_changes_nothing(warehouse: BigQueryWarehouse) -> None:
    warehouse.execute(sql("CREATE TABLE data (id INT64)"))
    warehouse.execute(sql("CREATE TABLE ledger (export_id STRING)"))
    warehouse.execute(sql("INSERT INTO data (id) VALUES (1)"))
    with pytest.raises(WarehouseError, match="boom"):
        warehouse.transaction(
            [
                sql("DELETE FROM data WHERE TRUE"),
                sql("INSERT INTO data (id) VALUES (2)"),
                sql("SELECT ERROR('boom')"),
                sql("INSERT INTO ledger (export_id) VALUES ('e1')"),
            ]
        )
    assert warehouse.query(sql("SELECT id FROM data")) == [(1,)]
    assert warehouse.query(sql("SELECT COUNT(*) FROM ledger")) == [(0,)]


def test_empty_transaction_is_a_no_op(warehouse: BigQueryWarehouse) -> None:
    warehouse.transaction([])
    assert warehouse.query(sql("SELECT 1")) == [(1,)]


# -- error translation (unit) -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (gexc.TooManyRequests("slow down"), True),
        (gexc.ServiceUnavailable("try later"), True),
        (gexc.InternalServerError("oops"), True),
        (gexc.Forbidden("quota", errors=[{"reason": "rateLimitExceeded"}]), True),
        (gexc.BadRequest("Transaction is aborted due to concurrent update against table t"), True),
        (gexc.BadRequest("Could not serialize access to table t due to concurrent update"), True),
        (gexc.BadRequest("Syntax error", errors=[{"reason": "invalidQuery"}]), False),
        (gexc.NotFound("Not found: Table p:d.t"), False),
        (gexc.Forbidden("Access Denied", errors=[{"reason": "accessDenied"}]), False),
        (gexc.Forbidden("Quota exceeded", errors=[{"reason": "quotaExceeded"}]), False),
    ],
)
def test_translate_marks_retryable_errors(error: Exception, retryable: bool) -> None:
    translated = translate(error, "query")
    assert isinstance(translated, TransientError if retryable else WarehouseError)
    assert translated.retryable is retryable
    assert translated.message.startswith("BigQuery query failed:")


# -- DynamoDB staging ----------------------------------------------------------------------------
def _export_file(
    root: Path,
    name: str,
    lines: list[dict[str, object]],
    *,
    corrupt_md5: bool = False,
    raw: bytes | None = None,
) -> ExportFile:
    data = (
        raw
        if raw is not None
        else (
            gzip.compress("".join(json.dumps(x) + "\n" for x in lines).encode()) if lines else b""
        )
    )
    key = f"AWSDynamoDB/0001-abc/data/{name}.json.gz"
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    md5 = base64.b64encode(hashlib.md5(data + (b"x" if corrupt_md5 else b"")).digest()).decode()
    return ExportFile(
        store=LocalStore(root),
        key=key,
        md5_b64=md5,
        expected_rows=len(lines),
        size=len(data),
        export="s3://bucket/prefix/AWSDynamoDB/0001-abc",
    )


ITEMS: list[dict[str, object]] = [
    {
        "Item": {
            "Id": {"N": "1"},
            "Name": {"S": "apple"},
            "Price": {"N": "1.50"},
            "Flag": {"BOOL": True},
            "Data": {"B": "aGVsbG8="},
            "Tags": {"SS": ["a", "b"]},
            "Doc": {"M": {"k": {"L": [{"N": "1"}, {"S": "x"}, {"NULL": True}]}}},
        }
    },
    {
        "Item": {
            "Id": {"N": "2"},
            "Name": {"NULL": True},
            "Price": {"N": "1.5E+3"},
            "Big": {"N": "12345678901234567890"},
        }
    },
    {
        "Item": {
            "Id": {"N": "3"},
            "Name": {"S": "cherry"},
            "Price": {"N": "-0.000000001"},
            "Tags": {"SS": ["c"]},
        }
    },
]


def _stage(warehouse: BigQueryWarehouse, tmp_path: Path) -> tuple[object, list[ExportFile]]:
    files = [
        _export_file(tmp_path, "f1", ITEMS[:2]),
        _export_file(tmp_path, "f2", ITEMS[2:]),
        _export_file(tmp_path, "empty", []),
    ]
    staged = warehouse.stage_dynamodb_export(files, stream="orders", progress=NullProgress())
    return staged, files


def test_stage_counts_rows_per_file_and_drops(warehouse: BigQueryWarehouse, tmp_path: Path) -> None:
    staged, files = _stage(warehouse, tmp_path)
    assert staged.rows_per_file == {files[0].key: 2, files[1].key: 1, files[2].key: 0}
    assert staged.rows == 3
    assert staged.table.name.startswith("_aws2bq_stage_orders_")
    assert warehouse.table_columns(staged.table) == [
        ("Item", "JSON"),
        ("Keys", "JSON"),
        ("NewImage", "JSON"),
        ("OldImage", "JSON"),
        ("Metadata", "JSON"),
    ]
    warehouse.drop_dynamodb_staging(staged)
    warehouse.drop_dynamodb_staging(staged)  # idempotent
    assert warehouse.table_columns(staged.table) is None


def test_stage_rejects_md5_mismatch_and_bad_gzip(
    warehouse: BigQueryWarehouse, tmp_path: Path
) -> None:
    bad_md5 = _export_file(tmp_path, "bad", ITEMS, corrupt_md5=True)
    with pytest.raises(ExportError, match=r"bad\.json\.gz"):
        warehouse.stage_dynamodb_export([bad_md5], stream="s", progress=NullProgress())
    truncated = gzip.compress(b'{"Item": {"Id": {"N": "1"}}}\n' * 50)[:-20]
    broken = _export_file(tmp_path, "truncated", [], raw=truncated)
    with pytest.raises(ExportError, match=r"truncated\.json\.gz"):
        warehouse.stage_dynamodb_export([broken], stream="s", progress=NullProgress())
    # Nothing is left behind.
    names = [
        t.table_id for t in warehouse.client.list_tables(f"{PROJECT}.{warehouse.config.dataset}")
    ]
    assert not [n for n in names if n.startswith("_aws2bq_stage_")]


def test_profile_dynamodb(warehouse: BigQueryWarehouse, tmp_path: Path) -> None:
    staged, _ = _stage(warehouse, tmp_path)
    profile = warehouse.profile_dynamodb(staged)  # type: ignore[arg-type]
    assert set(profile) == {"Id", "Name", "Price", "Flag", "Data", "Tags", "Doc", "Big"}
    assert profile["Id"] == AttributeStats("Id", {"N": 3}, NumberStats(3, 1, 0, True))
    assert profile["Name"].descriptors == {"S": 2, "NULL": 1}
    # 1.50 → (1, 1); 1.5E+3 → (4, 0); -0.000000001 → (0, 9)
    assert profile["Price"].numbers == NumberStats(3, 4, 9, False)
    assert profile["Big"].numbers == NumberStats(1, 20, 0, False)
    assert profile["Tags"].descriptors == {"SS": 2}
    assert profile["Doc"].descriptors == {"M": 1}


def test_typed_select_scalars_and_sets(warehouse: BigQueryWarehouse, tmp_path: Path) -> None:
    staged, _ = _stage(warehouse, tmp_path)
    schema = TableSchema(
        columns=(
            Column("Id", ColumnType(Kind.INT64), "Id", Role.KEY),
            Column("Name", ColumnType(Kind.STRING), "Name"),
            Column("Price", ColumnType(Kind.NUMERIC), "Price"),
            Column("Big", ColumnType(Kind.NUMERIC), "Big"),
            Column("Flag", ColumnType(Kind.BOOL), "Flag"),
            Column("Data", ColumnType(Kind.BYTES), "Data"),
            Column("Tags", ColumnType(Kind.STRING, repeated=True), "Tags"),
            Column("_aws2bq_export_id", ColumnType(Kind.STRING), "_aws2bq_export_id", Role.SYSTEM),
        )
    )
    select = warehouse.dialect.dynamodb_typed_select(
        staged, schema, {"_aws2bq_export_id": exp.Literal.string("e1")}
    )  # type: ignore[arg-type]
    rows = warehouse.query(select.order_by(exp.column("Id", quoted=True)))
    assert rows == [
        (1, "apple", Decimal("1.5"), None, True, b"hello", ["a", "b"], "e1"),
        (2, None, Decimal("1500"), Decimal("12345678901234567890"), None, None, [], "e1"),
        (3, "cherry", Decimal("-0.000000001"), None, None, None, ["c"], "e1"),
    ]


def test_typed_select_json(warehouse: BigQueryWarehouse, tmp_path: Path) -> None:
    staged, _ = _stage(warehouse, tmp_path)
    schema = TableSchema(
        columns=(
            Column("Id", ColumnType(Kind.INT64), "Id", Role.KEY),
            Column("Doc", ColumnType(Kind.JSON), "Doc"),
        )
    )
    select = warehouse.dialect.dynamodb_typed_select(staged, schema, {})  # type: ignore[arg-type]
    wrapped = (
        exp.select(exp.column("Id"), exp.func("TO_JSON_STRING", exp.column("Doc")))
        .from_(select.subquery("t"))
        .order_by("Id")
    )
    rows = warehouse.query(wrapped)
    assert rows[0] == (1, '{"k":[1,"x",null]}')
    assert rows[1] == (2, None)
    assert rows[2] == (3, None)


def test_json_function_keeps_wide_numbers_exact(
    warehouse: BigQueryWarehouse, tmp_path: Path
) -> None:
    """A number a double cannot hold becomes a JSON string, never a rounded number."""
    lines: list[dict[str, object]] = [
        {
            "Item": {
                "Id": {"N": "1"},
                "Doc": {
                    "L": [
                        {"N": "12345678901234567890123"},
                        {"N": "0.1"},
                        {"N": "007"},
                        {"NS": ["1", "2.50"]},
                        {"B": "aGk="},
                        {"BOOL": False},
                    ]
                },
            }
        }
    ]
    staged = warehouse.stage_dynamodb_export(
        [_export_file(tmp_path, "w", lines)], stream="w", progress=NullProgress()
    )
    schema = TableSchema(columns=(Column("Doc", ColumnType(Kind.JSON), "Doc"),))
    select = warehouse.dialect.dynamodb_typed_select(staged, schema, {})
    rows = warehouse.query(
        exp.select(exp.func("TO_JSON_STRING", exp.column("Doc"))).from_(select.subquery("t"))
    )
    # Numbers are spelled canonically first ("2.50" → 2.5, as DynamoDB itself trims zeros).
    assert json.loads(rows[0][0]) == ["12345678901234567890123", 0.1, 7, [1, 2.5], "aGk=", False]


def test_typed_select_integer_forms_and_number_sets(
    warehouse: BigQueryWarehouse, tmp_path: Path
) -> None:
    lines: list[dict[str, object]] = [
        {
            "Item": {
                "Id": {"N": "1.5E+3"},
                "Ns": {"NS": ["1", "-9223372036854775808"]},
                "Bs": {"BS": ["aGk=", "eW8="]},
                "Dec": {"NS": ["0.5", "1E-9"]},
            }
        },
        {"Item": {"Id": {"N": "9223372036854775807"}}},
    ]
    staged = warehouse.stage_dynamodb_export(
        [_export_file(tmp_path, "n", lines)], stream="n", progress=NullProgress()
    )
    profile = warehouse.profile_dynamodb(staged)
    assert profile["Id"].numbers == NumberStats(2, 19, 0, True)
    assert profile["Ns"].set_numbers == NumberStats(2, 19, 0, True)
    assert profile["Dec"].set_numbers == NumberStats(2, 0, 9, False)
    schema = TableSchema(
        columns=(
            Column("Id", ColumnType(Kind.INT64), "Id", Role.KEY),
            Column("Ns", ColumnType(Kind.INT64, repeated=True), "Ns"),
            Column("Bs", ColumnType(Kind.BYTES, repeated=True), "Bs"),
            Column("Dec", ColumnType(Kind.NUMERIC, repeated=True), "Dec"),
        )
    )
    select = warehouse.dialect.dynamodb_typed_select(staged, schema, {})
    rows = warehouse.query(select.order_by(exp.column("Id", quoted=True)))
    assert rows[0][0] == 1500
    assert sorted(rows[0][1]) == [-9223372036854775808, 1]
    assert sorted(rows[0][2]) == [b"hi", b"yo"]
    assert sorted(rows[0][3]) == [Decimal("0.000000001"), Decimal("0.5")]
    assert rows[1][:2] == (9223372036854775807, [])


def test_create_table_as_select_still_runs_as_ddl(warehouse: BigQueryWarehouse) -> None:
    warehouse.execute(sql("CREATE TABLE t AS SELECT 1 AS a, 'x' AS b"))
    assert warehouse.table_columns(TableRef("t")) == [("a", "INT64"), ("b", "STRING")]
    assert warehouse.query(sql("SELECT a, b FROM t")) == [(1, "x")]


# -- RDS staging ---------------------------------------------------------------------------------
def _parquet_file(root: Path, name: str, table: object) -> ExportFile:
    import pyarrow.parquet as pq

    key = f"export-1/shop/shop.orders/1/{name}.gz.parquet"
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="gzip")  # type: ignore[arg-type]
    data = path.read_bytes()
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    return ExportFile(
        store=LocalStore(root),
        key=key,
        md5_b64=md5,
        expected_rows=0,
        size=len(data),
        export="s3://bucket/export-1",
    )


def test_stage_rds_table_groups_files_and_profiles_text_numbers(
    warehouse: BigQueryWarehouse, tmp_path: Path
) -> None:
    import pyarrow as pa

    from aws2bq.core.rds_types import NumberProfile, Raw, RawType

    ts = dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC)
    first = pa.table(
        {
            "id": pa.array([1, 2], pa.int64()),
            "price": pa.array([Decimal("12.50"), None], pa.decimal128(10, 2)),
            "amount_text": pa.array(["123.4500", "-1E+3"], pa.string()),
            "created": pa.array([ts, None], pa.timestamp("us", tz="UTC")),
            "day": pa.array(["2024-01-02", "0000-00-00"], pa.string()),
        }
    )
    # Same columns, but "day" is a real Parquet DATE here: a second group.
    second = pa.table(
        {
            "id": pa.array([3], pa.int64()),
            "price": pa.array([Decimal("0.01")], pa.decimal128(10, 2)),
            "amount_text": pa.array(["NaN"], pa.string()),
            "created": pa.array([ts], pa.timestamp("us", tz="UTC")),
            "day": pa.array([dt.date(2024, 3, 4)], pa.date32()),
        }
    )
    files = [_parquet_file(tmp_path, "a", first), _parquet_file(tmp_path, "b", second)]
    staged = warehouse.stage_rds_table(files, stream="shop.orders", progress=NullProgress())
    try:
        assert staged.rows_per_file == {files[0].key: 2, files[1].key: 1}
        assert len(staged.sources) == 2
        assert staged.sources[0].raws == {
            "id": RawType(Raw.INT),
            "price": RawType(Raw.DECIMAL, 10, 2),
            "amount_text": RawType(Raw.STRING),
            "created": RawType(Raw.TIMESTAMP_UTC),
            "day": RawType(Raw.STRING),
        }
        assert staged.sources[1].raws["day"] == RawType(Raw.DATE)
        rows = warehouse.query(
            exp.select("id", "price", "created")
            .from_(staged.sources[0].relation.copy())
            .order_by("id")
        )
        assert rows == [(1, Decimal("12.50"), ts), (2, None, None)]
        profile = warehouse.profile_rds_numbers(staged, ["amount_text"])
        # 123.4500 → 3 integer digits, scale 2, written scale 4; -1E+3 → 4 digits; NaN → bad.
        assert profile == {"amount_text": NumberProfile(3, 4, 2, 4, 1)}
    finally:
        warehouse.drop_rds_staging(staged)
    assert all(warehouse.table_columns(TableRef(t.name)) is None for t in staged.handle)


def test_stage_rds_table_rejects_a_corrupt_file(
    warehouse: BigQueryWarehouse, tmp_path: Path
) -> None:
    key = "export-1/shop/shop.orders/1/broken.gz.parquet"
    (tmp_path / key).parent.mkdir(parents=True)
    (tmp_path / key).write_bytes(b"PAR1 this is not parquet")
    broken = ExportFile(store=LocalStore(tmp_path), key=key, md5_b64=None, expected_rows=0, size=24)
    with pytest.raises(ExportError, match=r"broken\.gz\.parquet"):
        warehouse.stage_rds_table([broken], stream="s", progress=NullProgress())


# -- end to end with the runner ------------------------------------------------------------------
def test_load_dynamodb_runner_end_to_end(warehouse: BigQueryWarehouse, tmp_path: Path) -> None:
    from bench.export_writer import item_line, write_export

    from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb

    items: list[dict[str, object]] = [
        {
            "pk": {"S": "a"},
            "s": {"S": "x"},
            "i": {"N": "5"},
            "num": {"N": "1.25"},
            "b": {"B": "AAEC/w=="},
            "t": {"BOOL": True},
            "ss": {"SS": ["x", "y"]},
            "m": {"M": {"k": {"L": [{"N": "1"}]}}},
            "mixed": {"S": "text"},
        },
        {
            "pk": {"S": "b"},
            "i": {"N": "9223372036854775807"},
            "num": {"NULL": True},
            "mixed": {"N": "42"},
        },
    ]
    folder = write_export(tmp_path / "src", [[item_line(items[0])], [item_line(items[1])]]).folder
    request = DynamoDBLoadRequest(
        export=str(folder), table="items", keys=("pk",), warehouse=warehouse.url
    )
    report = load_dynamodb(request, warehouse=warehouse)
    assert (report.status, report.rows, report.files) == ("applied", 2, 2)
    assert warehouse.table_columns(TableRef("items")) == [
        ("pk", "STRING"),
        ("b", "BYTES"),
        ("i", "INT64"),
        ("m", "JSON"),
        ("mixed", "JSON"),
        ("num", "NUMERIC"),
        ("s", "STRING"),
        ("ss", "ARRAY<STRING>"),
        ("t", "BOOL"),
        ("_aws2bq_export_id", "STRING"),
        ("_aws2bq_exported_at", "TIMESTAMP"),
    ]
    rows = warehouse.query(
        sql(
            "SELECT pk, b, i, num, s, ss, t, TO_JSON_STRING(m), TO_JSON_STRING(mixed) "
            "FROM items ORDER BY pk"
        )
    )
    assert rows == [
        (
            "a",
            b"\x00\x01\x02\xff",
            5,
            Decimal("1.25"),
            "x",
            ["x", "y"],
            True,
            '{"k":[1]}',
            '"text"',
        ),
        ("b", None, 9223372036854775807, None, None, [], None, None, "42"),
    ]
    assert warehouse.query(sql("SELECT stream, rows_after FROM _aws2bq_ledger")) == [("items", 2)]
    # Exactly once: the same export again changes nothing.
    assert load_dynamodb(request, warehouse=warehouse).status == "already_applied"
    assert warehouse.query(sql("SELECT COUNT(*) FROM _aws2bq_ledger")) == [(1,)]
    # No staging table is left behind.
    names = [
        t.table_id for t in warehouse.client.list_tables(f"{PROJECT}.{warehouse.config.dataset}")
    ]
    assert not [n for n in names if n.startswith("_aws2bq_stage_")]


@pytest.mark.parametrize("mode", ["replace", "merge", "history"])
def test_load_dynamodb_describes_columns_with_source_names(
    warehouse: BigQueryWarehouse, tmp_path: Path, mode: str
) -> None:
    from bench.export_writer import item_line, write_export

    from aws2bq.core.apply import Mode
    from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb

    items: list[dict[str, object]] = [
        {"pk": {"S": "a"}, "my attr-1": {"S": "x"}},
        {"pk": {"S": "b"}, "my attr-1": {"N": "2"}},
    ]
    folder = write_export(tmp_path / "src", [[item_line(i) for i in items]]).folder
    request = DynamoDBLoadRequest(
        export=str(folder), table="items", keys=("pk",), mode=Mode(mode), warehouse=warehouse.url
    )
    assert load_dynamodb(request, warehouse=warehouse).status == "applied"
    got = warehouse.client.get_table(f"{PROJECT}.{warehouse.config.dataset}.items").schema
    descriptions = {f.name: f.description for f in got}
    assert descriptions["pk"] == "source attribute: pk"
    assert "source attribute: my attr-1" in descriptions.values()
    assert descriptions["_aws2bq_export_id"] == "aws2bq: _aws2bq_export_id"


@pytest.mark.parametrize("mode", ["replace", "merge"])
def test_load_dynamodb_with_a_layout_creates_a_clustered_table(
    warehouse: BigQueryWarehouse, tmp_path: Path, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench.export_writer import item_line, write_export

    from aws2bq.core.apply import Mode
    from aws2bq.core.layout import TableLayout
    from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb

    items: list[dict[str, object]] = [{"pk": {"S": "a"}, "region": {"S": "eu"}}]
    folder = write_export(tmp_path / "src", [[item_line(i) for i in items]]).folder
    request = DynamoDBLoadRequest(
        export=str(folder),
        table="items",
        keys=("pk",),
        mode=Mode(mode),
        warehouse=warehouse.url,
        layout=TableLayout(partition_column="_aws2bq_exported_at", cluster_by=("region",)),
    )
    sent: list[str] = []
    run_sql = warehouse.run_sql

    def spy(sql_text: str, what: str = "query") -> list[tuple[object, ...]]:
        sent.append(sql_text)
        return run_sql(sql_text, what)

    monkeypatch.setattr(warehouse, "run_sql", spy)
    assert load_dynamodb(request, warehouse=warehouse).status == "applied"
    # bqemulator accepts the DDL but does not report partitioning / clustering in tables.get:
    # check what was sent, and that the load went through.
    (create,) = [s for s in sent if s.startswith("CREATE TABLE IF NOT EXISTS `items`")]
    assert "PARTITION BY DATE(`_aws2bq_exported_at`) CLUSTER BY `region`" in create
    assert warehouse.query(sql("SELECT pk, region FROM items")) == [("a", "eu")]
