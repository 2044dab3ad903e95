"""Issue 12 faults 1 and 6 on the emulator: a table whose source schema changed keeps loading.

The production (CLOUD) path creates and evolves tables by DDL. Before the fix, a replace load
after a new attribute or a widened type sent ``CREATE TABLE IF NOT EXISTS`` (a no-op on the
existing table) and the INSERT then named a column the table lacked; a rebuild for a type no
``ALTER COLUMN`` can change lost the table's partitioning, clustering and descriptions.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlglot
import sqlglot.expressions as exp
from bench.export_writer import item_line, write_export

from aws2bq.core.apply import Mode
from aws2bq.core.change_apply import create_target
from aws2bq.core.change_sets import mode_columns
from aws2bq.core.layout import TableLayout
from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema
from aws2bq.core.schema_evolution import evolution_steps, widen_type
from aws2bq.core.widening import Widening
from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb
from aws2bq.testing.bqemulator import BigQueryEmulator
from aws2bq.warehouses import connect
from aws2bq.warehouses.base import TableRef, Warehouse
from aws2bq.warehouses.bigquery.capabilities import CLOUD
from aws2bq.warehouses.bigquery.dialect import BIGQUERY

from .conftest import PROJECT, drop_dataset
from .recording import Recorder, rebuilds_a_table
from .test_bigquery_faults import _warehouse

pytestmark = pytest.mark.bigquery

FIRST = [
    {"pk": {"S": "a"}, "n": {"N": "1"}, "flag": {"BOOL": True}, "at": {"S": "x"}},
    {"pk": {"S": "b"}, "n": {"N": "2"}, "flag": {"BOOL": False}},
]
#: A new attribute (``extra``), ``n`` widened in place (INT64 → NUMERIC), ``flag`` seen as a
#: string too (BOOL → JSON: no ALTER does it on BigQuery, the table is rebuilt).
SECOND = [
    {"pk": {"S": "a"}, "n": {"N": "1.5"}, "flag": {"S": "yes"}, "extra": {"S": "new"}},
    {"pk": {"S": "c"}, "n": {"N": "3"}, "flag": {"BOOL": True}},
]


@pytest.fixture
def dataset(bq_emulator: BigQueryEmulator) -> Iterator[str]:
    name = f"evo_{uuid.uuid4().hex[:10]}"
    yield name
    drop_dataset(bq_emulator, name)


def _exports(tmp_path: Path) -> list[str]:
    out = []
    for i, items in enumerate((FIRST, SECOND)):
        written = write_export(
            tmp_path / f"e{i}",
            [[item_line(item) for item in items]],
            export_id=f"0170000000000{i}-abcdef0{i}",
            export_time=datetime(2024, 1, 2 + i, tzinfo=UTC),
        )
        out.append(str(written.folder))
    return out


def _load_twice(wh: Warehouse, tmp_path: Path, mode: Mode) -> list[str]:
    layout = TableLayout(cluster_by=("pk",))
    statuses = []
    for export in _exports(tmp_path):
        request = DynamoDBLoadRequest(export=export, table="items", keys=("pk",), mode=mode,
                                      warehouse="unused", layout=layout)  # fmt: skip
        statuses.append(load_dynamodb(request, warehouse=wh).status)
    return statuses


def _rows(wh: Warehouse, table: str, where: str = "") -> dict[str, tuple[Any, ...]]:
    from sqlglot import parse_one

    sql = f"SELECT pk, n, TO_JSON_STRING(flag), extra FROM {table} {where}"
    rows = wh.query(parse_one(sql, read="bigquery"))
    return {r[0]: (Decimal(str(r[1])), *r[2:]) for r in rows}


@pytest.mark.parametrize("mode", [Mode.REPLACE, Mode.MERGE])
def test_a_changed_source_schema_keeps_loading_on_bigquerys_path(
    bq_emulator: BigQueryEmulator, dataset: str, tmp_path: Path, mode: Mode
) -> None:
    wh = _warehouse(bq_emulator, dataset, features=CLOUD)
    with Recorder() as recorder:
        statuses = _load_twice(wh, tmp_path, mode)
    assert statuses == ["applied", "applied"]
    table = f"`{PROJECT}`.`{dataset}`.`items`"
    rows = _rows(wh, table)
    # The second snapshot's rows (``b`` deleted by it in merge mode), in the widened types.
    assert rows == {"a": (Decimal("1.5"), '"yes"', "new"), "c": (Decimal(3), "true", None)}
    sent = [r.sql for r in recorder.of(dataset) if r.sql]
    rebuilt = [s for s in sent if s and rebuilds_a_table(s)]
    assert len(rebuilt) == 1
    # The rebuild keeps the clustering and the descriptions (the source names).
    assert "CLUSTER BY `pk`" in rebuilt[0]
    assert "`flag` JSON OPTIONS (description='source attribute: flag')" in rebuilt[0]
    wh.close()


@pytest.mark.parametrize("mode", [Mode.REPLACE, Mode.MERGE])
def test_a_changed_source_schema_keeps_loading_on_duckdb(tmp_path: Path, mode: Mode) -> None:
    wh = connect(f"duckdb:///{tmp_path / 'w.duckdb'}")
    statuses = _load_twice(wh, tmp_path, mode)
    assert statuses == ["applied", "applied"]
    from sqlglot import parse_one

    rows = wh.query(
        parse_one("SELECT pk, n, CAST(flag AS VARCHAR), extra FROM items ORDER BY pk",
                  read="duckdb")
    )  # fmt: skip
    assert [tuple(r) for r in rows] == [
        ("a", Decimal("1.5"), '"yes"', "new"),
        ("c", Decimal(3), "true", None),
    ]
    assert wh.table_exists(TableRef("items"))
    wh.close()


# -- fault 6: every rebuild is valid GoogleSQL and keeps the table's layout ---------------------
_SCALARS = (Kind.INT64, Kind.NUMERIC, Kind.BIGNUMERIC, Kind.DECIMAL_TEXT, Kind.FLOAT64,
            Kind.STRING, Kind.BOOL, Kind.BYTES, Kind.JSON, Kind.DATE, Kind.DATETIME,
            Kind.TIMESTAMP)  # fmt: skip
_TYPES = [ColumnType(k) for k in _SCALARS] + [
    ColumnType(k, repeated=True) for k in (Kind.INT64, Kind.NUMERIC, Kind.BIGNUMERIC,
                                           Kind.DECIMAL_TEXT, Kind.STRING, Kind.BYTES)
]  # fmt: skip
_WIDENINGS = sorted(
    {
        (old, widened)
        for old in _TYPES
        for new in _TYPES
        if (widened := widen_type(old, new)) != old
    },
    key=str,
)


@pytest.mark.slow
def test_every_widening_rebuild_analyzes_and_keeps_the_layout(googlesql: Any) -> None:
    """Each (old type, widened type) the type rules produce, on a partitioned, clustered
    table: the evolution DDL is valid GoogleSQL, and a rebuild repeats the table's
    PARTITION BY, CLUSTER BY, OPTIONS and column descriptions (before: a bare CREATE OR
    REPLACE … AS SELECT, which BigQuery refuses for a partitioned table, and CASTs between
    array types BigQuery does not do)."""
    from aws2bq.testing.googlesql import AnalysisError, Catalog
    from aws2bq.warehouses.bigquery.rules import check_sql

    layout = TableLayout("at", "MONTH", expiration_days=400, require_filter=True)
    refused: list[str] = []
    rebuilt = 0
    for old, widened in _WIDENINGS:

        def schema(ctype: ColumnType, *more: Column) -> TableSchema:
            return TableSchema(
                (Column("pk", ColumnType(Kind.STRING), "pk", Role.KEY),
                 Column("at", ColumnType(Kind.TIMESTAMP), "at"),
                 Column("c", ctype, "source c"), *more), 1, ("pk",),
            )  # fmt: skip

        before = schema(old)
        after = schema(widened, Column("added", ColumnType(Kind.STRING), "added"))
        create = create_target("t", "d", before, Mode.HISTORY, False, BIGQUERY, layout=layout)
        extra = mode_columns(Mode.HISTORY, False)
        steps = evolution_steps(exp.table_("t", db="d", quoted=True), before, after, BIGQUERY,
                                extra, Widening(BIGQUERY), layout)  # fmt: skip
        sql = ";\n".join(s.sql("bigquery") for s in [create, *steps])
        try:
            googlesql.analyze_script(sql, Catalog("p", "d"))
        except AnalysisError as exc:
            refused.append(f"{old} → {widened}: {exc}")
        assert [v.message for v in check_sql(sql)] == [], sql
        for step in steps:
            text = step.sql("bigquery")
            if text.startswith("CREATE OR REPLACE"):
                rebuilt += 1
                spec = create.sql("bigquery").split(") PARTITION BY", 1)[1]
                assert text.split(") PARTITION BY", 1)[1].startswith(spec.split(" AS ")[0])
                assert (
                    "`c` " in text and "OPTIONS (description='source attribute: source c')" in text
                )
    assert refused == []
    assert rebuilt >= 10  # the pairs no ALTER COLUMN can do


@pytest.mark.slow
def test_numbers_widened_to_json_keep_every_digit(googlesql: Any) -> None:
    """TO_JSON of a NUMERIC a JSON number cannot hold exactly fails (and an INT64 beyond 2^53
    is written as a number readers round): the widening asks for wide numbers as strings."""
    widening = Widening(BIGQUERY)
    cases = [
        ("NUMERIC '12345678901234567890.123456789'", Kind.NUMERIC,
         "12345678901234567890.123456789"),
        ("9007199254740993", Kind.INT64, "9007199254740993"),
        ("NUMERIC '1.5'", Kind.NUMERIC, 1.5),
    ]  # fmt: skip
    for literal, kind, expected in cases:
        value = widening.value(
            sqlglot.parse_one(literal, read="bigquery"), ColumnType(kind), ColumnType(Kind.JSON)
        )
        assert googlesql.evaluate(value.sql("bigquery")) == expected
    array = widening.value(
        sqlglot.parse_one("[1, 2]", read="bigquery"),
        ColumnType(Kind.INT64, repeated=True),
        ColumnType(Kind.NUMERIC, repeated=True),
    )
    assert "CAST([1, 2] AS ARRAY" not in array.sql("bigquery")
    assert googlesql.evaluate(array.sql("bigquery")) == [1, 2]


# -- fault 8: a long history's first load, by ranges of partitions -------------------------------
def test_a_long_history_is_written_by_ranges_of_partitions(
    bq_emulator: BigQueryEmulator, dataset: str
) -> None:
    """34 years of days partitioned by DAY (12,418 partitions): BigQuery refuses a statement
    modifying more than 4,000. The loader's bounds query finds the span, and the replace
    writes (and deletes) by ranges; every row lands once. (The emulator has no partition
    limit: what is checked is that no statement's range holds more than 4,000 days.)"""
    from aws2bq.core.ledger import LedgerEntry
    from aws2bq.core.replace_apply import replace_steps
    from aws2bq.runner.change_modes import first_write_split

    wh = _warehouse(bq_emulator, dataset, features=CLOUD)
    day = ColumnType(Kind.DATE)
    schema = TableSchema((Column("id", ColumnType(Kind.INT64), "id", Role.KEY),
                          Column("day", day, "day")), 1, ("id",))  # fmt: skip
    source = f"`{PROJECT}`.`{dataset}`.`src`"
    wh.run_sql(
        f"CREATE TABLE {source} AS SELECT UNIX_DATE(d) AS id, d AS day "
        "FROM UNNEST(GENERATE_DATE_ARRAY(DATE '1990-01-01', DATE '2023-12-31')) AS d"
    )
    rows = sqlglot.parse_one(f"SELECT id, day FROM {source}", read="bigquery")
    assert isinstance(rows, exp.Select)
    layout = TableLayout("day", "DAY")
    at = datetime(2024, 1, 1, tzinfo=UTC)
    entry = LedgerEntry("t", "rds", "E1", "", "snapshot", "", at, "replace", 1, 0, 0, 0,
                        schema, {}, at, 0.0, "test")  # fmt: skip
    for _ in range(2):  # a first load, then a replace of the same rows
        split = first_write_split(wh, layout, schema, rows, TableRef("t", dataset), replace=True)
        assert split is not None and len(split.bounds) == 3
        steps = replace_steps(table="t", dataset=dataset, schema=schema, typed_rows=rows,
                              entry=entry, caps=wh.capabilities,
                              table_exists=wh.table_exists(TableRef("t", dataset)),
                              layout=layout, previous=schema, split=split)  # fmt: skip
        for statement in steps.before:
            wh.execute(statement)
        wh.transaction(steps.transaction)
        for condition in split.conditions():
            (count,) = wh.query(
                exp.select(exp.Count(this=exp.Distinct(expressions=[exp.column("day")])))
                .from_(exp.table_("t", db=dataset, quoted=True))
                .where(condition)
            )
            assert 0 < count[0] <= 4000 - 2
    ((total, distinct),) = wh.query(
        sqlglot.parse_one(f"SELECT COUNT(*), COUNT(DISTINCT id) FROM `{dataset}`.`t`",
                          read="bigquery")
    )  # fmt: skip
    assert total == distinct == 12418
    wh.close()


@pytest.mark.parametrize("mode", [Mode.REPLACE, Mode.MERGE])
def test_a_load_that_failed_after_the_rebuild_loads_when_run_again(
    bq_emulator: BigQueryEmulator,
    dataset: str,
    tmp_path: Path,
    mode: Mode,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rebuild runs before the transaction (DDL cannot be in one on BigQuery). When the
    transaction then fails, the ledger still holds the old schema while the table has the new
    types: the next run loads. (Whether it converts twice the emulator cannot show: it
    reports a JSON column as STRING; :func:`test_an_evolved_column_is_not_converted_twice`
    checks the DDL.)"""
    wh = _warehouse(bq_emulator, dataset, features=CLOUD)
    first, second = _exports(tmp_path)
    layout = TableLayout(cluster_by=("pk",))

    def load(export: str) -> str:
        request = DynamoDBLoadRequest(export=export, table="items", keys=("pk",), mode=mode,
                                      warehouse="unused", layout=layout)  # fmt: skip
        return load_dynamodb(request, warehouse=wh).status

    assert load(first) == "applied"
    real = wh.transaction

    def fail(statements: Any) -> None:
        raise RuntimeError("the transaction failed")

    monkeypatch.setattr(wh, "transaction", fail)
    with pytest.raises(RuntimeError, match="transaction failed"):
        load(second)
    monkeypatch.setattr(wh, "transaction", real)
    assert load(second) == "applied"
    rows = _rows(wh, f"`{PROJECT}`.`{dataset}`.`items`")
    assert rows == {"a": (Decimal("1.5"), '"yes"', "new"), "c": (Decimal(3), "true", None)}
    wh.close()


def test_an_evolved_column_is_not_converted_twice() -> None:
    """A rerun after a failed transaction: the ledger's schema still says BOOL, the table
    (tables.get) already says JSON — no second rebuild converting JSON values as BOOL ones
    (BigQuery refuses the DynamoDB conversion of a JSON column as if it were BOOL)."""

    def schema(flag: Kind) -> TableSchema:
        return TableSchema((Column("pk", ColumnType(Kind.STRING), "pk", Role.KEY),
                            Column("flag", ColumnType(flag), "flag")), 1, ("pk",))  # fmt: skip

    target = exp.table_("items", db="d", quoted=True)
    first = evolution_steps(target, schema(Kind.BOOL), schema(Kind.JSON), BIGQUERY,
                            existing={"pk": "STRING", "flag": "BOOL"})  # fmt: skip
    assert [type(s).__name__ for s in first] == ["Create"]
    again = evolution_steps(target, schema(Kind.BOOL), schema(Kind.JSON), BIGQUERY,
                            existing={"pk": "STRING", "flag": "JSON"})  # fmt: skip
    assert again == []
