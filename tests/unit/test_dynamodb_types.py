from __future__ import annotations

import json

import pytest

from aws2bq.core.dynamodb_types import (
    AttributeStats,
    NumberStats,
    attribute_type,
    decide_schema,
)
from aws2bq.core.schema import ColumnType, Kind, Role, TableSchema
from aws2bq.core.schema_evolution import widen

from .golden_util import check_golden

INT = ColumnType(Kind.INT64)
NUM = ColumnType(Kind.NUMERIC)
BIG = ColumnType(Kind.BIGNUMERIC)
TXT = ColumnType(Kind.DECIMAL_TEXT)
S = ColumnType(Kind.STRING)
J = ColumnType(Kind.JSON)


def n(int_digits: int, scale: int, int64: bool = False) -> NumberStats:
    return NumberStats(1, int_digits, scale, int64)


@pytest.mark.parametrize(
    ("stats", "expected"),
    [
        (AttributeStats("a", {"S": 3}), S),
        (AttributeStats("a", {"N": 3}, n(19, 0, True)), INT),
        (AttributeStats("a", {"N": 3}, n(19, 0, False)), NUM),  # above int64 max
        (AttributeStats("a", {"N": 3}, n(29, 9)), NUM),
        (AttributeStats("a", {"N": 3}, n(30, 0)), BIG),
        (AttributeStats("a", {"N": 3}, n(1, 10)), BIG),
        (AttributeStats("a", {"N": 3}, n(38, 38)), BIG),
        (AttributeStats("a", {"N": 3}, n(39, 0)), TXT),
        (AttributeStats("a", {"N": 3}, n(0, 130)), TXT),
        (AttributeStats("a", {"B": 1}), ColumnType(Kind.BYTES)),
        (AttributeStats("a", {"BOOL": 1, "NULL": 4}), ColumnType(Kind.BOOL)),
        (AttributeStats("a", {"NULL": 4}), ColumnType(Kind.NULL)),
        (AttributeStats("a", {"M": 1}), J),
        (AttributeStats("a", {"L": 1}), J),
        (AttributeStats("a", {"SS": 1}), ColumnType(Kind.STRING, True)),
        (AttributeStats("a", {"BS": 1}), ColumnType(Kind.BYTES, True)),
        (AttributeStats("a", {"NS": 1}, None, n(5, 2)), ColumnType(Kind.NUMERIC, True)),
        (AttributeStats("a", {"NS": 1}, None, n(5, 0, True)), ColumnType(Kind.INT64, True)),
        (AttributeStats("a", {"S": 1, "N": 1}, n(1, 0, True)), J),
    ],
)
def test_attribute_type(stats: AttributeStats, expected: ColumnType) -> None:
    assert attribute_type(stats) == expected


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (INT, NUM, NUM),
        (NUM, INT, NUM),
        (NUM, BIG, BIG),
        (BIG, TXT, TXT),
        (TXT, INT, TXT),
        (S, INT, J),
        (J, S, J),
        (ColumnType(Kind.NULL), S, S),
        (S, ColumnType(Kind.NULL), S),
        (
            ColumnType(Kind.INT64, True),
            ColumnType(Kind.NUMERIC, True),
            ColumnType(Kind.NUMERIC, True),
        ),
        (ColumnType(Kind.INT64, True), INT, J),
    ],
)
def test_widen_never_narrows(old: ColumnType, new: ColumnType, expected: ColumnType) -> None:
    assert widen(old, new) == expected


def test_schema_evolution_adds_widens_and_keeps() -> None:
    first = decide_schema(
        None,
        {
            "id": AttributeStats("id", {"S": 2}),
            "price": AttributeStats("price", {"N": 2}, n(3, 0, True)),
            "gone": AttributeStats("gone", {"BOOL": 2}),
        },
        keys=["id"],
    )
    assert [c.name for c in first.schema.columns][:1] == ["id"]
    assert first.schema.columns[0].role is Role.KEY
    second = decide_schema(
        first.schema,
        {
            "id": AttributeStats("id", {"S": 2}),
            "price": AttributeStats("price", {"N": 2}, n(3, 2)),
            "Price": AttributeStats("Price", {"S": 1}),
        },
    )
    assert second.widened == (("price", "INT64", "NUMERIC"),)
    assert second.added == ("Price_2",)
    assert second.schema.version == first.schema.version + 1
    assert "gone" in [c.name for c in second.schema.columns]  # nothing is dropped
    third = decide_schema(
        second.schema, {"price": AttributeStats("price", {"N": 1}, n(1, 0, True))}
    )
    assert third.schema.column("price").type == NUM  # an integer-only load does not narrow
    assert not third.changed and third.schema.version == second.schema.version


def test_schema_round_trips_through_json_and_matches_golden() -> None:
    decision = decide_schema(
        None,
        {
            "pk": AttributeStats("pk", {"S": 1}),
            "n": AttributeStats("n", {"N": 1}, n(40, 0)),
            "set": AttributeStats("set", {"NS": 1}, None, n(2, 1)),
            "first name": AttributeStats("first name", {"NULL": 1}),
        },
        keys=["pk"],
    )
    data = decision.schema.to_dict()
    assert TableSchema.from_dict(json.loads(json.dumps(data))) == decision.schema
    check_golden("schema_decision.json", json.dumps(data, indent=1) + "\n")
