"""The RDS type decision (pure): design.md's MySQL and PostgreSQL tables, golden for both."""

from __future__ import annotations

import json

import pytest

from aws2bq.core.rds_types import (
    Engine,
    NumberProfile,
    Raw,
    RawType,
    SourceColumn,
    plan_table,
    profiled_type,
)
from aws2bq.core.schema import ColumnType, Kind, TableSchema
from aws2bq.warehouses.bigquery.dialect import BIGQUERY
from aws2bq.warehouses.duckdb.dialect import DUCKDB

from .golden_util import check_golden

MYSQL = [
    ("ti", "tinyint", RawType(Raw.INT)),
    ("i_u", "int unsigned", RawType(Raw.INT)),
    ("bi", "bigint", RawType(Raw.INT)),
    ("bi_u", "bigint unsigned", RawType(Raw.DECIMAL, 20, 0)),
    ("yr", "year", RawType(Raw.INT)),
    ("d10", "decimal", RawType(Raw.DECIMAL, 10, 2)),
    ("d38", "decimal", RawType(Raw.DECIMAL, 38, 10)),
    ("d65", "decimal", RawType(Raw.STRING)),
    ("f", "float", RawType(Raw.FLOAT)),
    ("dt", "date", RawType(Raw.STRING)),
    ("dtm", "datetime", RawType(Raw.TIMESTAMP_UTC)),
    ("ts", "timestamp", RawType(Raw.TIMESTAMP_UTC)),
    ("tm", "time", RawType(Raw.STRING)),
    ("vc", "varchar", RawType(Raw.STRING)),
    ("en", "enum", RawType(Raw.STRING)),
    ("st", "set", RawType(Raw.STRING)),
    ("js", "json", RawType(Raw.STRING)),
    ("b1", "bit", RawType(Raw.BINARY)),
    ("b12", "bit", RawType(Raw.BINARY)),
    ("b64", "bit", RawType(Raw.BINARY)),
    ("bl", "blob", RawType(Raw.BINARY)),
    ("geo", "geometry", RawType(Raw.BINARY)),
]
WIDTHS = {"b1": 1, "b12": 12, "b64": 64, "d65": 65}

PG = [
    ("i", "integer"), ("b", "bigint"), ("r", "real"), ("ok", "boolean"), ("raw", "bytea"),
    ("n", "numeric"), ("n2", "numeric"), ("dt", "date"), ("ts", "timestamp without time zone"),
    ("tz", "timestamp with time zone"), ("tm", "time without time zone"), ("iv", "interval"),
    ("j", "json"), ("jb", "jsonb"), ("u", "uuid"), ("arr", "integer[]"), ("txt", "text[]"),
    ("dates", "date[]"), ("e", "mood"),
]  # fmt: skip


def _mysql_plan():  # type: ignore[no-untyped-def]
    cols = [SourceColumn(n, t, num_precision=WIDTHS.get(n, 0)) for n, t, _ in MYSQL]
    raws = {n: [r] for n, _, r in MYSQL}
    return plan_table(
        Engine.MYSQL, cols, raws, keys=["bi"],
        profiles={"d65": NumberProfile(3, 35, 30, 30, 0)},
    )  # fmt: skip


def _pg_plan():  # type: ignore[no-untyped-def]
    cols = [SourceColumn(n, t, num_precision=10 if n == "n2" else 0) for n, t in PG]
    raws = {n: [RawType(Raw.STRING)] for n, _ in PG}
    profiles = {"n": NumberProfile(2, 30, 21, 21, 0), "n2": NumberProfile(2, 7, 1, 3, 0)}
    return plan_table(Engine.POSTGRES, cols, raws, profiles=profiles)


def _table(plan) -> str:  # type: ignore[no-untyped-def]
    out = {
        c.source_name: {
            "logical": str(c.type),
            "duckdb": DUCKDB.physical_type(c.type),
            "bigquery": BIGQUERY.physical_type(c.type),
            "role": str(c.role),
        }
        for c in plan.schema.columns
    }
    return json.dumps(out, indent=1, ensure_ascii=False) + "\n"


def test_mysql_type_table_golden() -> None:
    plan = _mysql_plan()
    types = {c.source_name: c.type for c in plan.schema.columns}
    assert types["bi_u"] == ColumnType.decimal(20, 0)
    assert BIGQUERY.physical_type(types["bi_u"]) == "NUMERIC"
    assert DUCKDB.physical_type(types["d38"]) == "DECIMAL(38, 10)"
    assert BIGQUERY.physical_type(types["d38"]) == "BIGNUMERIC"
    assert types["d65"].kind is Kind.BIGNUMERIC and DUCKDB.physical_type(types["d65"]) == "VARCHAR"
    assert types["b64"] == ColumnType.decimal(20, 0) and types["b12"].kind is Kind.INT64
    assert [c.source_name for c in plan.schema.columns][:2] == ["bi", "ti"]
    assert plan.schema.keys == ("bi",)
    check_golden("rds_types_mysql.json", _table(plan))


def test_postgres_type_table_golden() -> None:
    plan = _pg_plan()
    types = {c.source_name: c.type for c in plan.schema.columns}
    assert types["n2"] == ColumnType.decimal(10, 3)  # declared precision, scale as printed
    assert types["n"].kind is Kind.BIGNUMERIC  # 21 decimals: beyond NUMERIC, never (38,9)
    assert types["arr"] == ColumnType(Kind.INT64, repeated=True)
    assert types["dates"].kind is Kind.JSON and types["e"].kind is Kind.STRING
    check_golden("rds_types_postgres.json", _table(plan))


@pytest.mark.parametrize(
    ("engine", "precision", "profile", "expected"),
    [
        (Engine.POSTGRES, 0, NumberProfile(1, 29, 9, 9, 0), "NUMERIC"),
        (Engine.POSTGRES, 0, NumberProfile(1, 30, 0, 0, 0), "BIGNUMERIC"),
        (Engine.POSTGRES, 0, NumberProfile(1, 39, 0, 0, 0), "DECIMAL_TEXT"),
        (Engine.POSTGRES, 0, NumberProfile(1, 1, 0, 0, 1), "DECIMAL_TEXT"),  # NaN seen
        (Engine.POSTGRES, 0, None, "NUMERIC"),  # no values: the narrowest
        (Engine.POSTGRES, 12, NumberProfile(1, 3, 2, 4, 0), "DECIMAL(12,4)"),
        (Engine.MYSQL, 65, NumberProfile(1, 1, 1, 1, 0), "BIGNUMERIC"),
        (Engine.MYSQL, 65, NumberProfile(1, 35, 39, 39, 0), "DECIMAL_TEXT"),
    ],
)
def test_profiled_numbers(
    engine: Engine, precision: int, profile: NumberProfile | None, expected: str
) -> None:
    column = SourceColumn("n", "numeric" if engine is Engine.POSTGRES else "decimal",
                          num_precision=precision)  # fmt: skip
    assert str(profiled_type(column, engine, profile)) == expected


def test_decimal_storage_varying_between_files_takes_the_widest() -> None:
    plan = plan_table(
        Engine.MYSQL,
        [SourceColumn("d", "decimal", "decimal(10,2)", num_precision=10)],
        {"d": [RawType(Raw.DECIMAL, 10, 2), RawType(Raw.DECIMAL, 9, 4)]},
    )
    # 8 integer digits (from the first) and 4 decimals (from the second)
    assert plan.schema.columns[0].type == ColumnType.decimal(12, 4)


def test_empty_table_types_come_from_the_mappings() -> None:
    plan = plan_table(
        Engine.MYSQL,
        [SourceColumn("d", "decimal", "decimal(9,3)", num_precision=9)],
        {},
    )
    assert plan.schema.columns[0].type == ColumnType.decimal(9, 3)


def test_column_types_round_trip_through_the_ledger_json() -> None:
    schema = _mysql_plan().schema
    again = TableSchema.from_dict(json.loads(json.dumps(schema.to_dict())))
    assert again == schema
    assert ColumnType.parse("ARRAY<DECIMAL(5,1)>") == ColumnType(Kind.DECIMAL, True, 5, 1)
    assert str(ColumnType.decimal(20, 0)) == "DECIMAL(20,0)"
