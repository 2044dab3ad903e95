"""Normalising, unifying and planning the columns of a batch of objects."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa

from aws2bq.core.rds_types import Engine, Raw, RawType, plan_table
from aws2bq.core.schema import ColumnType, Kind
from aws2bq.sources.files import arrow_types as at
from aws2bq.sources.files.ledger import AppliedObject, FilesHistory, classify
from aws2bq.sources.files.listing import FileObject

F = at.Family


def test_families_of_arrow_types() -> None:
    assert at.family_of(pa.int32()) is F.INT
    assert at.family_of(pa.uint64()) is F.NUMBER
    assert at.family_of(pa.decimal128(10, 2)) is F.NUMBER
    assert at.family_of(pa.struct([("a", pa.int64())])) is F.JSON
    assert at.family_of(pa.list_(pa.string())) is F.JSON
    assert at.family_of(pa.timestamp("s", tz="UTC")) is F.TIMESTAMP_UTC
    assert at.family_of(pa.timestamp("ns")) is F.TIMESTAMP_LOCAL
    assert at.family_of(pa.dictionary(pa.int8(), pa.string())) is F.STRING
    assert at.family_of(pa.null()) is F.NULL


def test_unify_joins_families_of_a_batch() -> None:
    unified = at.unify(
        [
            {"a": F.INT, "b": F.INT, "c": F.NULL, "d": F.DATE, "e": F.BOOL},
            {"a": F.FLOAT, "b": F.STRING, "c": F.JSON, "d": F.TIMESTAMP_LOCAL, "f": F.NULL},
        ]
    )
    assert unified == {
        "a": F.FLOAT,
        "b": F.STRING,
        "c": F.JSON,
        "d": F.TIMESTAMP_LOCAL,
        "e": F.BOOL,
        "f": F.NULL,
    }


def test_conform_writes_nested_as_json_text_and_fills_absent_columns() -> None:
    table = pa.table(
        {
            "n": pa.array([{"k": [1, 2]}, None]),
            "d": pa.array([Decimal("1.50"), Decimal("-2.00")], pa.decimal128(5, 2)),
            "i": pa.array([1, 2], pa.int8()),
        }
    )
    families = {"n": F.JSON, "d": F.NUMBER, "i": F.FLOAT, "absent": F.BOOL}
    out = at.conform(table, families, seq=3)
    assert out.column_names == ["n", "d", "i", "absent", at.OBJECT_SEQ]
    assert out.column("n").to_pylist() == ['{"k":[1,2]}', None]
    assert out.column("d").to_pylist() == ["1.50", "-2.00"]
    assert out.column("i").type == pa.float64()
    assert out.column("absent").to_pylist() == [None, None]
    assert out.column(at.OBJECT_SEQ).to_pylist() == [3, 3]


def test_source_columns_plan_to_the_storage_types() -> None:
    families = {"id": F.INT, "payload": F.JSON, "at": F.TIMESTAMP_UTC, "amount": F.NUMBER}
    raws = {
        "id": [RawType(Raw.INT)],
        "payload": [RawType(Raw.STRING)],
        "at": [RawType(Raw.TIMESTAMP_UTC)],
        "amount": [RawType(Raw.STRING)],
        at.OBJECT_SEQ: [RawType(Raw.INT)],
    }
    plan = plan_table(Engine.POSTGRES, at.source_columns(families), raws, keys=["id"])
    types = {c.source_name: c.type for c in plan.schema.columns}
    assert types["id"] == ColumnType(Kind.INT64)
    assert types["payload"] == ColumnType(Kind.JSON)
    assert types["at"] == ColumnType(Kind.TIMESTAMP)
    assert plan.schema.keys == ("id",)
    assert [p.source.name for p in plan.columns if p.needs_profile] == ["amount"]


def test_key_problems_name_nulls_and_duplicates() -> None:
    assert at.key_problems(pa.table({"id": [1, 2]}), ["id"]) is None
    assert "missing" in str(at.key_problems(pa.table({"x": [1]}), ["id"]))
    assert "NULL key 'id'" in str(at.key_problems(pa.table({"id": [1, None]}), ["id"]))
    problem = str(at.key_problems(pa.table({"id": [1, 2, 1]}), ["id"]))
    assert "more than once" in problem and "'id': 1" in problem


def _obj(key: str, etag: str, size: int) -> FileObject:
    return FileObject(key, etag, size, datetime(2024, 1, 1, tzinfo=UTC), f"s3://b/{key}")


def test_classify_new_applied_and_changed() -> None:
    history = FilesHistory(
        objects={
            "a": AppliedObject("a", "e1", 10, "files-1"),
            "b": AppliedObject("b", "e2", 20, "files-1"),
        }
    )
    out = classify([_obj("a", "e1", 10), _obj("b", "e2x", 20), _obj("c", "e3", 5)], history)
    assert [o.key for o in out.new] == ["c"]
    assert [o.key for o in out.applied] == ["a"]
    assert [(o.key, b.etag) for o, b in out.changed] == [("b", "e2")]
