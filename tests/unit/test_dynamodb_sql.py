from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import orjson
import pytest
import sqlglot.expressions as exp
from duckdb import sqltypes

from aws2bq.core import dynamodb_json_sql as json_sql
from aws2bq.core import dynamodb_profile_sql as profile_sql
from aws2bq.core import dynamodb_sql as q
from aws2bq.core import dynamodb_staged as staged
from aws2bq.core.dynamodb_json import nested_to_json, value_to_json
from aws2bq.core.dynamodb_types import AttributeStats, NumberStats, decide_schema
from aws2bq.core.ledger import LedgerEntry
from aws2bq.core.replace_apply import replace_steps
from aws2bq.warehouses.bigquery.dialect import BIGQUERY
from aws2bq.warehouses.duckdb.dialect import DUCKDB

from .golden_util import check_golden

STAGE = exp.table_("items", db="main", catalog="stage", quoted=True)


def _schema():  # type: ignore[no-untyped-def]
    return decide_schema(
        None,
        {
            "pk": AttributeStats("pk", {"S": 1}),
            "n": AttributeStats("n", {"N": 1}, NumberStats(1, 2, 0, True)),
            "d": AttributeStats("d", {"N": 1}, NumberStats(1, 2, 3, False)),
            "m": AttributeStats("m", {"M": 1}),
            "b": AttributeStats("b", {"BS": 1}),
            "x'; DROP TABLE t; --": AttributeStats("x'; DROP TABLE t; --", {"S": 1}),
        },
        keys=["pk"],
    ).schema


def test_profile_sql_golden() -> None:
    check_golden(
        "profile_duckdb.sql",
        profile_sql.profile_select(STAGE).sql("duckdb", pretty=True) + "\n",
    )


def test_typed_select_golden_and_quotes_hostile_names() -> None:
    sql = q.typed_select(
        STAGE,
        _schema(),
        {
            "_aws2bq_export_id": exp.Literal.string("e'1"),
            "_aws2bq_exported_at": exp.Literal.string("2024-01-01T00:00:00+00:00"),
        },
        DUCKDB,
    ).sql("duckdb", pretty=True)
    assert "\"Item\"['x''; DROP TABLE t; --']" in sql
    check_golden("typed_select_duckdb.sql", sql + "\n")


@pytest.mark.parametrize("caps", [DUCKDB, BIGQUERY], ids=lambda c: c.name)
def test_replace_steps_golden(caps) -> None:  # type: ignore[no-untyped-def]
    schema = _schema()
    when = datetime(2024, 1, 2, tzinfo=UTC)
    entry = LedgerEntry(
        "My Table",
        "dynamodb",
        "0170-ab",
        "arn:x",
        "full",
        "s3://b/p",
        when,
        "replace",
        2,
        10,
        10,
        100,
        schema,
        {"added": ["pk"]},
        when,
        1.5,
        "0.1.0",
    )
    steps = replace_steps(
        table="My Table",
        dataset=None,
        schema=schema,
        typed_rows=exp.select("*").from_(STAGE),
        entry=entry,
        caps=caps,
        table_exists=True,
    )
    text = "-- before\n" + ";\n".join(s.sql(caps.dialect) for s in steps.before)
    text += "\n-- transaction\n" + ";\n".join(s.sql(caps.dialect) for s in steps.transaction)
    if caps.transactional_ddl:
        assert not steps.before and "RENAME" in text
    else:
        assert "DELETE FROM" in text
    check_golden(f"replace_{caps.name}.sql", text + "\n")


NUMBERS = [
    ("0", 0, 0, True),
    ("-5", 1, 0, True),
    ("1.50", 1, 1, False),
    ("0.0012", 0, 4, False),
    ("1.5E+3", 4, 0, True),
    ("1E-130", 0, 130, False),
    ("100E-2", 1, 0, True),
    ("9223372036854775807", 19, 0, True),
    ("9223372036854775808", 19, 0, False),
    ("-9223372036854775808", 19, 0, True),
    ("9.99E+125", 126, 0, False),
    ("12345678901234567890123456789012345678", 38, 0, False),
    # Spellings DuckDB's casts misread (an exponent form's digits rounded first):
    ("10000000000000000000e-19", 1, 0, True),
    ("0.000000000000000000000000000000000000001E+39", 1, 0, True),
    ("0.00000000000000000000000000009223372036854775808E+47", 19, 0, False),
]


@pytest.mark.parametrize(("text", "int_digits", "scale", "int64"), NUMBERS)
def test_number_parts_in_duckdb(text: str, int_digits: int, scale: int, int64: bool) -> None:
    exprs = profile_sql.number_parts(exp.Literal.string(text))
    sql = exp.select(*exprs).sql("duckdb")
    con = duckdb.connect()
    con.execute("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")  # as the warehouse does
    assert con.execute(sql).fetchone() == (int_digits, scale, int64)


VALUES = [
    {"S": 'a"b\\c\n é 😀'},
    {"N": "12345678901234567890123456789012345678"},
    {"N": "-1E-130"},
    {"B": "AAEC"},
    {"BOOL": False},
    {"NULL": True},
    {"SS": ["x", "y"]},
    {"NS": ["1", "2.5"]},
    {"BS": ["AA=="]},
    {"M": {"a": {"N": "1.000000000000000000001"}, "b": {"L": [{"S": "q"}, {"NULL": True}]}}},
    {"L": [{"M": {"deep": {"M": {"deeper": {"L": [{"N": "7"}]}}}}}]},
    {"M": {}},
    {"L": []},
]


@pytest.mark.parametrize("value", VALUES)
def test_sql_json_conversion_matches_reference(value: dict) -> None:  # type: ignore[type-arg]
    con = duckdb.connect()
    con.execute("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")
    con.create_function(
        json_sql.FALLBACK_FUNCTION,
        nested_to_json,
        [sqltypes.VARCHAR, sqltypes.BOOLEAN],
        sqltypes.VARCHAR,
    )
    structure = exp.Literal.string(orjson.dumps(staged.VALUE_STRUCT).decode())
    v = exp.func(
        "json_transform",
        exp.cast(exp.Literal.string(orjson.dumps(value).decode()), "JSON"),
        structure,
    )
    got = con.execute(exp.select(json_sql.value_json(v)).sql("duckdb")).fetchone()
    assert got is not None
    assert got[0] == value_to_json(value)
    # Exactness: parsing the text keeps the digits of every number.
    if "N" in value:
        assert got[0] == value["N"]


MORE_NUMBERS = [
    ("-0", 0, 0, True),
    ("0.000", 0, 0, True),
    ("00012", 2, 0, True),
    ("-48490.77", 5, 2, False),
    ("12.", 2, 0, True),
    ("999999999999999999", 18, 0, True),
    ("-9223372036854775809", 19, 0, False),
    ("1.0E+2", 3, 0, True),
    ("1e-2", 0, 2, False),
]


@pytest.mark.parametrize(("text", "int_digits", "scale", "int64"), NUMBERS + MORE_NUMBERS)
def test_arrow_profile_equals_number_parts(
    text: str, int_digits: int, scale: int, int64: bool
) -> None:
    import pyarrow as pa

    from aws2bq.warehouses.duckdb.arrow_profile import NumberAcc, number_acc

    con = duckdb.connect()
    con.execute("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")  # as the warehouse does
    sql = con.execute(exp.select(*profile_sql.number_parts(exp.Literal.string(text))).sql("duckdb"))
    assert sql.fetchall() == [(int_digits, scale, int64)]
    assert number_acc(pa.array([text])) == NumberAcc(1, int_digits, scale, int64)


@pytest.mark.parametrize("value", VALUES)
def test_shaped_json_conversion_matches_reference(value: dict) -> None:  # type: ignore[type-arg]
    import io

    import pyarrow as pa
    import pyarrow.json as pj

    from aws2bq.warehouses.duckdb.arrow_stage import _shape

    # Arrow infers the staged shape of the value (plus an absent row, which stays NULL).
    text = orjson.dumps({"v": value}) + b"\n" + b'{"w":{"N":"1"}}\n'
    table = pj.read_json(io.BytesIO(text))
    shape = _shape(table.schema.field("v").type)
    con = duckdb.connect()
    con.execute("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")
    con.register("staged", pa.table({"v": table.column("v")}))
    sql = (
        exp.select(json_sql.shaped_value_json(exp.column("v"), shape)).from_("staged").sql("duckdb")
    )
    assert con.execute(sql).fetchall() == [(value_to_json(value),), (None,)]
