"""Issue 11 on BigQuery (the emulator): exports that lie are refused before anything is
applied, and the dataset is compared before and after by a full dump.

The checks that live in the source layer (paths, manifest fields, file kinds) are the same
code for every warehouse; these tests cover what runs in the warehouse: key checks (SQL over
the typed rows), lines without ``Item`` (the BigQuery stager), unkeyable incremental records
(BigQuery SQL over JSON), bad UTF-8 in a data file (the load job), and RDS exports applied all
or none in one multi-statement transaction.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
import sqlglot

from aws2bq.core.apply import Mode
from aws2bq.errors import Aws2BqError, ExportError
from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb
from aws2bq.runner.rds_load import RdsLoadRequest, load_rds
from aws2bq.testing.bqemulator import BigQueryEmulator
from aws2bq.warehouses import connect
from aws2bq.warehouses.bigquery.client import BigQueryWarehouse
from tests.integration.hostile.conftest import (
    incremental_export,
    local_export,
    manifest_entries,
    record,
    write_manifest,
)
from tests.integration.hostile.rds_exports import write_rds_export

from .conftest import PROJECT

pytestmark = pytest.mark.bigquery
T1 = datetime(2025, 1, 1, tzinfo=UTC)
T2 = datetime(2025, 1, 2, tzinfo=UTC)
GOOD = [{"pk": {"S": f"k{i}"}, "v": {"N": str(i)}} for i in range(6)]


@pytest.fixture
def warehouse(bq_emulator: BigQueryEmulator) -> Iterator[BigQueryWarehouse]:
    dataset = f"h_{uuid.uuid4().hex[:10]}"
    wh = connect(f"bigquery://{PROJECT}/{dataset}?endpoint={bq_emulator.endpoint}&emulator=true")
    assert isinstance(wh, BigQueryWarehouse)
    try:
        yield wh
    finally:
        wh.client.delete_dataset(f"{PROJECT}.{dataset}", delete_contents=True, not_found_ok=True)
        wh.close()


def dump(wh: BigQueryWarehouse) -> dict[str, list[str]]:
    """Every table of the dataset (staging tables would show up too) and its rows, sorted."""
    out = {}
    for table in wh.client.list_tables(f"{PROJECT}.{wh.config.dataset}"):
        rows = wh.query(sqlglot.parse_one(f"SELECT * FROM `{table.table_id}`", read="bigquery"))
        out[table.table_id] = sorted(repr(r) for r in rows)
    return out


def _ddb(wh: BigQueryWarehouse, folder: Path, mode: str) -> Any:
    request = DynamoDBLoadRequest(str(folder), "t", ("pk",), Mode(mode), wh.url)
    return load_dynamodb(request, warehouse=wh)


def _with_line(tmp: Path, line: bytes) -> tuple[Path, str]:
    items = [{"pk": {"S": f"k{i}"}, "v": {"N": str(10 * i)}} for i in range(6)]
    folder = local_export(tmp / "src", items, files=2, export_id="0002-x", export_time=T2)
    entries = manifest_entries(folder)
    data = folder / "data" / Path(entries[1]["dataFileS3Key"]).name
    lines = gzip.decompress(data.read_bytes()).splitlines(keepends=True)
    lines.insert(1, line)
    blob = gzip.compress(b"".join(lines))
    data.write_bytes(blob)
    entries[1]["md5Checksum"] = base64.b64encode(hashlib.md5(blob).digest()).decode()
    entries[1]["itemCount"] += 1
    write_manifest(folder, entries)
    return folder, data.name


@pytest.fixture
def loaded(warehouse: BigQueryWarehouse, tmp_path: Path) -> BigQueryWarehouse:
    first = local_export(tmp_path / "first", GOOD, export_id="0001-first", export_time=T1)
    assert _ddb(warehouse, first, "merge").status == "applied"
    return warehouse


CASES = {
    "no key attribute": (b'{"Item":{"v":{"N":"7"}}}\n', "has no key attribute 'pk'"),
    "NULL key": (b'{"Item":{"pk":{"NULL":true},"v":{"N":"7"}}}\n', "as NULL"),
    "no Item": (b"{}\n", "has no Item"),
    "duplicate": (orjson.dumps({"Item": GOOD[0]}) + b"\n", "'k0' appears 2 times"),
    "not UTF-8": (b'{"Item":{"pk":{"S":"\xff\xfe"}}}\n', "cannot be loaded"),
    # DynamoDB JSON never has a null element: BigQuery's load kept it, and the apply failed
    # naming no file (a set) or in the JSON function (an L element).
    "null in a set": (
        b'{"Item":{"pk":{"S":"k9"},"tags":{"SS":["a,null]",null]}}}\n',
        "null element at Item.tags.SS[1]",
    ),
    "null in a list": (
        b'{"Item":{"pk":{"S":"k9"},"doc":{"M":{"xs":{"L":[{"S":"[null"},null]}}}}}\n',
        "null element at Item.doc.M.xs.L[1]",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_full_export_that_lies_about_its_items_is_refused(
    loaded: BigQueryWarehouse, tmp_path: Path, case: str
) -> None:
    line, says = CASES[case]
    before = dump(loaded)
    folder, name = _with_line(tmp_path, line)
    with pytest.raises(ExportError) as caught:
        _ddb(loaded, folder, "merge")
    message = str(caught.value)
    assert says in message and name in message and "\n" not in message, message
    if case != "not UTF-8":
        assert f"{name} line 2" in message or "appears 2 times" in message
    assert dump(loaded) == before


def test_a_null_map_member_reads_as_absent(warehouse: BigQueryWarehouse, tmp_path: Path) -> None:
    # As on DuckDB (tests/integration/hostile/test_data_files.py): the JSON function failed
    # on it ("Cannot convert undefined or null to object"), naming no file.
    folder = local_export(
        tmp_path / "src",
        [{"pk": {"S": "k1"}, "doc": {"M": {"a": {"S": "x"}, "gone": None}}, "top": None}],
        export_id="0001-first",
        export_time=T1,
    )
    assert _ddb(warehouse, folder, "merge").status == "applied"
    (row,) = warehouse.query(
        sqlglot.parse_one("SELECT pk, TO_JSON_STRING(doc) FROM `t`", read="bigquery")
    )
    assert tuple(row) == ("k1", '{"a":"x"}')


INCREMENTAL_CASES = {
    "NewImage disagrees with Keys": ({"pk": {"S": "k2"}}, "NewImage holds key"),
    # A set's null failed the apply naming no file.
    "list holding null": (
        {"pk": {"S": "k1"}, "doc": {"M": {"tags": {"SS": ["a", None]}}}},
        "null element at NewImage.doc.M.tags.SS[1]",
    ),
}


@pytest.mark.parametrize("case", sorted(INCREMENTAL_CASES))
def test_an_incremental_record_that_lies_is_refused(
    loaded: BigQueryWarehouse, tmp_path: Path, case: str
) -> None:
    new_image, says = INCREMENTAL_CASES[case]
    before = dump(loaded)
    folder = incremental_export(
        tmp_path / "inc",
        [[
            record({"pk": {"S": "k4"}}, {"pk": {"S": "k4"}, "v": {"N": "44"}}, micros=20),
            record({"pk": {"S": "k1"}}, new_image, micros=10),
        ]],
        export_id="0003-inc",
        export_from=T1,
        export_to=T1 + timedelta(hours=1),
    )  # fmt: skip
    (entry,) = manifest_entries(folder)
    with pytest.raises(ExportError) as caught:
        _ddb(loaded, folder, "merge")
    message = str(caught.value)
    assert f"{Path(entry['dataFileS3Key']).name} line 2" in message, message
    assert says in message, message
    assert dump(loaded) == before


def _rds_tables(version: int) -> dict[str, pa.Table]:
    return {
        "shop.orders": pa.table({"id": pa.array([1, 2], pa.int64()), "name": [f"a{version}", "b"]}),
        "shop.items": pa.table({"id": pa.array([10], pa.int64()), "sku": [f"s{version}"]}),
    }


@pytest.mark.parametrize("damage", ["corrupt footer", "missing column", "duplicate key"])
def test_an_rds_export_is_applied_all_or_none(
    warehouse: BigQueryWarehouse, tmp_path: Path, damage: str
) -> None:
    keys = {"shop.orders": ("id",), "shop.items": ("id",)}
    first = write_rds_export(tmp_path / "r1", _rds_tables(1), snapshot_time=T1)
    request = RdsLoadRequest(str(first), mode=Mode.MERGE, keys=keys, warehouse=warehouse.url)
    report = load_rds(request, warehouse=warehouse)
    assert not report.failed
    before = dump(warehouse)
    tables = _rds_tables(2)
    declared = None
    if damage == "missing column":
        tables["shop.items"] = tables["shop.items"].drop_columns(["sku"])
        declared = {"shop.items": [("id", "int64"), ("sku", "string")]}
    if damage == "duplicate key":
        tables["shop.items"] = pa.table({"id": pa.array([10, 10], pa.int64()), "sku": ["x", "y"]})
    second = write_rds_export(
        tmp_path / "r2", tables, task="export-2", snapshot_time=T2, declared=declared
    )
    if damage == "corrupt footer":
        (part,) = second.glob("shop/shop.items/1/*.parquet")
        part.write_bytes(part.read_bytes()[:-12] + b"\0" * 12)
    request = RdsLoadRequest(str(second), mode=Mode.MERGE, keys=keys, warehouse=warehouse.url)
    with pytest.raises(Aws2BqError) as caught:
        load_rds(request, warehouse=warehouse)
    assert "shop.items" in str(caught.value)
    assert dump(warehouse) == before  # shop.orders was not applied either
