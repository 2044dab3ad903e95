"""Issue 10.1: absent and NULL values are not evidence for an attribute's type.

Every statistic of the profile (int64 fit, digits, scale, descriptors seen, set elements)
is computed over the values that are present, on every stager and every warehouse, for full
and incremental exports.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aws2bq.core.schema import ColumnType, Kind
from aws2bq.warehouses.bigquery.dialect import BIGQUERY
from aws2bq.warehouses.duckdb.dialect import DUCKDB

from .conftest import DynamoTable, Target, local_export

ABSENT = object()


def physical(target: Target, kind: Kind, repeated: bool = False) -> str:
    caps = BIGQUERY if target.is_bigquery else DUCKDB
    return caps.physical_type(ColumnType(kind, repeated)).replace(" ", "")


def _items(third: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [
        {"pk": {"S": "a"}, "qty": {"N": "5"}, "price": {"N": "1.25"}, "name": {"S": "x"}},
        {"pk": {"S": "b"}, "qty": {"N": "7"}, "price": {"N": "2"}, "name": {"S": "y"}},
        {"pk": {"S": "c"}},
    ]
    if third is not ABSENT:
        for attribute in ("qty", "price", "name"):
            items[2][attribute] = third
    return items


@pytest.mark.parametrize("third", [ABSENT, {"NULL": True}], ids=["missing", "null"])
def test_a_missing_or_null_value_does_not_widen_the_type(
    target: Target, tmp_path: Path, third: Any
) -> None:
    export = local_export(tmp_path / "src", _items(third), files=1)
    target.load_dynamodb(export)
    assert target.logical()["qty"] == "INT64"
    assert target.logical()["price"] == "NUMERIC"
    assert target.logical()["name"] == "STRING"
    columns = {k: v.replace(" ", "") for k, v in target.columns().items()}
    assert columns["qty"] == physical(target, Kind.INT64)
    assert columns["name"] == physical(target, Kind.STRING)
    got = [(r["pk"], r["qty"], r["price"], r["name"]) for r in target.rows()]
    assert got == [
        ("a", 5, Decimal("1.25"), "x"),
        ("b", 7, Decimal("2"), "y"),
        ("c", None, None, None),
    ]


def test_sets_and_maps_absent_in_some_items(target: Target, tmp_path: Path) -> None:
    items = [
        {"pk": {"S": "a"}, "ns": {"NS": ["1", "2"]}, "m": {"M": {"k": {"N": "1"}}}},
        {"pk": {"S": "b"}, "ns": {"NULL": True}, "m": {"NULL": True}},
        {"pk": {"S": "c"}},
    ]
    target.load_dynamodb(local_export(tmp_path / "src", items, files=1))
    logical = target.logical()
    assert logical["ns"] == "ARRAY<INT64>" and logical["m"] == "JSON"
    got = {r["pk"]: r["ns"] for r in target.rows(columns=("pk", "ns"))}
    assert [int(x) for x in got["a"]] == [1, 2]
    assert not got["b"] and not got["c"]


def test_an_incremental_export_setting_values_to_null_keeps_int64(
    target: Target, dynamo_table: DynamoTable
) -> None:
    t = dynamo_table
    for pk, qty in (("a", "5"), ("b", "7"), ("c", "9")):
        t.put(pk, qty={"N": qty})
    target.load_dynamodb(t.full(), mode="merge")
    assert target.logical()["qty"] == "INT64"
    t.sb.advance_clock(seconds=5)
    t.put("a", qty={"NULL": True})  # set to NULL
    t.put("b")  # attribute removed
    t.put("c", qty={"N": "11"})  # a number in the same export
    t.put("d", qty={"N": "3"})
    report = target.load_dynamodb(t.incremental(), mode="merge")
    assert report.columns_widened == []
    assert target.logical()["qty"] == "INT64"
    assert target.columns()["qty"].replace(" ", "") == physical(target, Kind.INT64)
    got = [(r["pk"], r["qty"]) for r in target.rows(columns=("pk", "qty"))]
    assert got == [("a", None), ("b", None), ("c", 11), ("d", 3)]
