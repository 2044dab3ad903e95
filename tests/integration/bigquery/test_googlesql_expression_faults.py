"""Issue 12 faults 2, 3, 13, 15 and 16 where the emulator cannot show them: aws2bq's BigQuery
SQL evaluated by GoogleSQL's reference implementation (ZetaSQL) on real values.

The emulator is DuckDB underneath: its JSON_KEYS lists names verbatim, it keeps NULL arrays,
it parses any JSON number. Each test here failed on the SQL before its fix.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlglot
import sqlglot.expressions as exp

from aws2bq.core.apply import Mode
from aws2bq.core.change_sets import snapshot_changes
from aws2bq.core.dynamodb_types import DESCRIPTORS
from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema
from aws2bq.testing.googlesql import GoogleSqlAnalyzer
from aws2bq.warehouses.bigquery import dynamodb_sql
from aws2bq.warehouses.bigquery.dialect import BIGQUERY
from aws2bq.warehouses.bigquery.incremental_staging import record_keys_select

# slow: the first start of the analyzer on a machine compiles it (20–45 s, then cached).
pytestmark = pytest.mark.slow

#: A stand-in table name, replaced by an inline relation before evaluation.
_STAGE = "__items__"


def _over(select: exp.Expression, relation: str, name: str = _STAGE, **more: str) -> str:
    """``select`` with the table ``name`` replaced by ``relation`` (keeping its alias), and
    each table of ``more`` by its relation."""
    relations = {name: relation, **more}

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.name in relations:
            sub = exp.Subquery(this=sqlglot.parse_one(relations[node.name], read="bigquery"))
            alias = node.args.get("alias")
            if alias is not None:
                sub.set("alias", alias.copy())
            return sub
        return node

    return select.transform(swap).sql("bigquery")


def _items(column: str, documents: list[dict[str, Any]]) -> str:
    """An inline relation: one row per document, a JSON column ``column``."""
    texts = ", ".join(exp.Literal.string(json.dumps(d)).sql("bigquery") for d in documents)
    return f"SELECT PARSE_JSON(x) AS `{column}` FROM UNNEST([{texts}]) AS x"


def _rows(googlesql: GoogleSqlAnalyzer, sql: str) -> list[dict[str, Any]]:
    return list(googlesql.evaluate(f"ARRAY(SELECT AS STRUCT * FROM ({sql}))"))


# -- fault 2: attribute names with a dot (and every other character JSON_KEYS escapes) ---------
#: Names JSON_KEYS returns quoted (dot, quote, backslash, control characters, U+2028) and
#: names it returns as they are; a name that merely starts with a quote.
NAMES = ["a.b", "example.txt", 'e"f', "g\\h", "x\ty", "é.x", "😀.1", "'q.", '"y"', "c d",
         "$x", "日本", "a[0]", "ok_1"]  # fmt: skip


def test_attribute_names_with_a_dot_profile_and_load_exactly(googlesql: GoogleSqlAnalyzer) -> None:
    """JSON_KEYS lists ``a.b`` as ``"a.b"``: the attribute profiled as empty (no descriptor
    counted) and loaded as NULL. Every name now profiles with its own counts and value."""
    item = {"pk": {"S": "1"}} | {n: {"S": f"v{i}"} for i, n in enumerate(NAMES)}
    item["n.1"] = {"N": "12.5"}
    # Two attributes whose JSON_KEYS entries could be confused: a.b and "a.b".
    other = {"pk": {"S": "2"}, "a.b": {"S": "w"}, '"a.b"': {"S": "quoted"}}
    relation = _items("Item", [item, other])
    stage = exp.table_(_STAGE, quoted=True)
    profile = _rows(googlesql, _over(dynamodb_sql.profile_select(stage), relation))
    by_name = {r["attribute"]: r for r in profile}
    assert set(by_name) == {"pk", "n.1", '"a.b"', *NAMES}
    assert by_name["a.b"]["count_S"] == 2 and by_name['"a.b"']["count_S"] == 1
    for name in NAMES:
        counts = {d: by_name[name][f"count_{d}"] for d in DESCRIPTORS}
        assert counts["S"] >= 1 and sum(counts.values()) == counts["S"], name
    assert (by_name["n.1"]["n_count"], by_name["n.1"]["n_scale"]) == (1, 1)

    string = ColumnType(Kind.STRING)
    columns = [Column(f"c{i}", string, n, Role.KEY if n == "pk" else Role.DATA)
               for i, n in enumerate(["pk", *NAMES, '"a.b"'])]  # fmt: skip
    typed = dynamodb_sql.typed_select(
        stage, TableSchema(tuple(columns), 1, ("pk",)), {}, BIGQUERY, exp.column("unused")
    )
    rows = {r["c0"]: r for r in _rows(googlesql, _over(typed, relation))}
    assert [rows["1"][f"c{i + 1}"] for i in range(len(NAMES))] == [
        f"v{i}" for i in range(len(NAMES))
    ]
    assert (rows["2"]["c1"], rows["2"][f"c{len(NAMES) + 1}"]) == ("w", "quoted")


def test_incremental_key_names_with_a_dot_are_found(googlesql: GoogleSqlAnalyzer) -> None:
    """An incremental export keyed by ``order.id``: the records' key names were listed as
    ``"order.id"`` and never matched the table's key."""
    records = [
        {"order.id": {"S": "1"}, "line": {"N": "1"}},
        {"order.id": {"S": "2"}, "line": {"N": "3"}},
    ]
    sql = _over(record_keys_select(exp.table_(_STAGE, quoted=True)), _items("Keys", records))
    (row,) = googlesql.evaluate(f"ARRAY(SELECT AS STRUCT * FROM ({sql}))")
    assert json.loads(next(iter(row.values()))) == ["line", "order.id"]


# -- fault 3: a NULL array against the table's [] is no change ---------------------------------
@pytest.mark.parametrize("mode", [Mode.MERGE, Mode.HISTORY])
def test_a_null_set_against_the_stored_empty_array_is_no_change(
    googlesql: GoogleSqlAnalyzer, mode: Mode
) -> None:
    """An item without its string set types NULL; BigQuery holds ``[]`` for it (a NULL array
    is stored empty). The row hash told them apart: every load updated the row (merge) or
    added a version (history). Now the diff finds no change."""
    string = ColumnType(Kind.STRING)
    schema = TableSchema(
        (Column("pk", string, "pk", Role.KEY), Column("tags", ColumnType(Kind.STRING, True),
         "tags"), Column("v", string, "v")),
        1,
        ("pk",),
    )  # fmt: skip
    snapshot = sqlglot.parse_one(
        "SELECT * FROM UNNEST([STRUCT('1' AS pk, CAST(NULL AS ARRAY<STRING>) AS tags, 'x' AS v),"
        " ('2', ['a', 'b'], 'y')])",
        read="bigquery",
    )
    assert isinstance(snapshot, exp.Select)
    history = ", TRUE AS _is_current, FALSE AS _is_deleted" if mode is Mode.HISTORY else ""
    stored = (
        f"SELECT '1' AS pk, ARRAY<STRING>[] AS tags, 'x' AS v{history} "
        f"UNION ALL SELECT '2', ['a', 'b'], 'y'{history}"
    )
    changes = snapshot_changes(
        mode=mode, soft_delete=False, table="__target__", dataset=None, schema=schema,
        snapshot=snapshot, changed_at=datetime(2024, 1, 2, tzinfo=UTC), caps=BIGQUERY,
        table_exists=True,
    )  # fmt: skip
    assert _rows(googlesql, _over(changes, stored, "__target__")) == []
    # The hash still sees a real change of the set.
    changed = stored.replace("ARRAY<STRING>[]", "['c']", 1)
    (row,) = _rows(googlesql, _over(changes, changed, "__target__"))
    assert (row["pk"], row["_aws2bq_op"]) == ("1", "upsert")


def test_dynamodb_sets_reordered_or_absent_are_no_change(googlesql: GoogleSqlAnalyzer) -> None:
    """The typed SELECT of an export whose sets are listed in another order, or absent,
    against the table the first load wrote (sets sorted; absent sets ``[]``): no change."""
    items = [
        {"pk": {"S": "1"}, "tags": {"SS": ["b", "a", "c"]}, "nums": {"NS": ["10", "2", "-1.5"]},
         "blobs": {"BS": ["Ag==", "AQ=="]}},
        {"pk": {"S": "2"}},
    ]  # fmt: skip
    string = ColumnType(Kind.STRING)
    schema = TableSchema(
        (Column("pk", string, "pk", Role.KEY), Column("tags", ColumnType(Kind.STRING, True),
         "tags"), Column("nums", ColumnType(Kind.NUMERIC, True), "nums"),
         Column("blobs", ColumnType(Kind.BYTES, True), "blobs")),
        1,
        ("pk",),
    )  # fmt: skip
    typed = dynamodb_sql.typed_select(
        exp.table_(_STAGE, quoted=True), schema, {}, BIGQUERY, exp.column("unused")
    )
    stored = (
        "SELECT '1' AS pk, ['a', 'b', 'c'] AS tags, [NUMERIC '-1.5', 2, 10] AS nums,"
        " [b'\\x01', b'\\x02'] AS blobs"
        " UNION ALL SELECT '2', ARRAY<STRING>[], ARRAY<NUMERIC>[], ARRAY<BYTES>[]"
    )
    changes = snapshot_changes(
        mode=Mode.MERGE, soft_delete=False, table="__target__", dataset=None, schema=schema,
        snapshot=typed, changed_at=datetime(2024, 1, 2, tzinfo=UTC), caps=BIGQUERY,
        table_exists=True,
    )  # fmt: skip
    relation = _items("Item", items)
    assert _rows(googlesql, _over(typed, relation))[0]["tags"] == ["a", "b", "c"]
    assert _rows(googlesql, _over(changes, relation, __target__=stored)) == []


# -- fault 15: a table named like one of its columns --------------------------------------------
def _entry(schema: TableSchema, mode: Mode) -> Any:
    from aws2bq.core.ledger import LedgerEntry

    at = datetime(2024, 1, 2, tzinfo=UTC)
    return LedgerEntry("status", "dynamodb", "e2", "arn", "full", "s3://b/e2", at, str(mode),
                       1, 1, 1, 1, schema, {}, at, 1.0, "0")  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "soft"), [(Mode.MERGE, False), (Mode.MERGE, True), (Mode.HISTORY, False)],
    ids=["merge", "soft", "history"],
)  # fmt: skip
def test_a_table_named_like_its_column_is_read_as_the_column(
    googlesql: GoogleSqlAnalyzer, mode: Mode, soft: bool
) -> None:
    """Table ``status`` with a column ``status``: unaliased, ``SELECT status FROM status``
    reads the table's row (a STRUCT), so the diff's hash and the history's close failed."""
    from aws2bq.core.change_apply import change_steps
    from aws2bq.core.change_sets import mode_columns
    from aws2bq.testing.googlesql import Catalog

    string = ColumnType(Kind.STRING)
    schema = TableSchema(
        (Column("pk", string, "pk", Role.KEY), Column("status", string, "status"),
         Column("_aws2bq_export_id", string, "_aws2bq_export_id", Role.SYSTEM)),
        1,
        ("pk",),
    )  # fmt: skip
    snapshot = sqlglot.parse_one("SELECT `pk`, `status` FROM `d`.`stage`", read="bigquery")
    assert isinstance(snapshot, exp.Select)
    changes = snapshot_changes(
        mode=mode, soft_delete=soft, table="status", dataset="d", schema=schema,
        snapshot=snapshot, changed_at=datetime(2024, 1, 2, tzinfo=UTC), caps=BIGQUERY,
        table_exists=True,
    )  # fmt: skip
    steps = change_steps(
        mode=mode, soft_delete=soft, table="status", dataset="d", schema=schema,
        changes=changes, entry=_entry(schema, mode), caps=BIGQUERY, table_exists=True,
        previous=schema,
    )  # fmt: skip
    catalog = Catalog("p", "d")
    catalog.add(["d", "stage"], [("pk", "STRING"), ("status", "STRING")])
    columns = [(c.name, "STRING") for c in schema.columns]
    columns += [(n, str(t)) for n, t in mode_columns(mode, soft)]
    catalog.add(["d", "status"], columns)
    script = ";\n".join(s.sql("bigquery") for s in steps.all())
    # Merge analyzed before too: its hash read TO_JSON_STRING(STRUCT(<the row>)), valid SQL
    # that differed on every load. Every read of the table goes through an alias.
    targets = [t for s in steps.all() for t in s.find_all(exp.Table) if t.name == "status"]
    ddl = exp.Schema | exp.Alter | exp.Create | exp.Insert
    readers = [t for t in targets if not isinstance(t.parent, ddl)]
    assert readers and all(t.alias for t in readers), script
    kinds = [a.kind for a in googlesql.analyze_script(script, catalog)]
    assert ("ResolvedMergeStmt" if mode is Mode.MERGE else "ResolvedUpdateStmt") in kinds


# -- fault 16: backticks and backslashes inside identifiers --------------------------------------
def test_identifiers_with_a_backtick_and_a_backslash_reach_bigquery_as_named(
    googlesql: GoogleSqlAnalyzer,
) -> None:
    """sqlglot wrote ``a`b\\c`` as `` `a``b\\c` ``: GoogleSQL reads a doubled backtick as the end
    of one identifier and a backslash as an escape. The warehouse's renderer escapes them as
    GoogleSQL's lexical rules say, and the analyzer finds the table and column by name."""
    from aws2bq.core.change_apply import change_steps
    from aws2bq.testing.googlesql import AnalysisError, Catalog
    from aws2bq.warehouses.bigquery.dialect import quote_identifier, render

    table, column = "t`x\\y", "a`b\\c"
    assert quote_identifier(column) == "`a\\`b\\\\c`"
    assert googlesql.evaluate(f"(SELECT AS STRUCT 1 AS {quote_identifier(column)})") == {column: 1}
    string = ColumnType(Kind.STRING)
    schema = TableSchema(
        (Column("pk", string, "pk", Role.KEY), Column(column, string, column)), 1, ("pk",)
    )
    snapshot = exp.select(exp.column("pk", quoted=True), exp.column(column, quoted=True)).from_(
        exp.table_("stage", db="d", quoted=True)
    )
    changes = snapshot_changes(
        mode=Mode.MERGE, soft_delete=False, table=table, dataset="d", schema=schema,
        snapshot=snapshot, changed_at=datetime(2024, 1, 2, tzinfo=UTC), caps=BIGQUERY,
        table_exists=True,
    )  # fmt: skip
    steps = change_steps(
        mode=Mode.MERGE, soft_delete=False, table=table, dataset="d", schema=schema,
        changes=changes, entry=_entry(schema, Mode.MERGE), caps=BIGQUERY, table_exists=True,
        previous=schema,
    )  # fmt: skip

    def catalog() -> Catalog:
        out = Catalog("p", "d")
        out.add(["d", "stage"], [("pk", "STRING"), (column, "STRING")])
        out.add(["d", table], [("pk", "STRING"), (column, "STRING")])
        return out

    data = [s for s in steps.all() if isinstance(s, exp.Merge)]
    kinds = [a.kind for a in googlesql.analyze_script(render(data[0]), catalog())]
    assert kinds == ["ResolvedMergeStmt"]
    with pytest.raises(AnalysisError):
        googlesql.analyze_script(data[0].sql("bigquery"), catalog())


def test_postgres_time_24_00_is_a_loss_never_midnight(googlesql: GoogleSqlAnalyzer) -> None:
    """PostgreSQL's ``time`` holds 24:00:00, BigQuery's TIME stops at 23:59:59.999999. The
    typed SELECT must report the value as a loss (the loader then widens the column to the
    exact text: docs/type-contract.md, tests/integration/field/test_rds_text_values.py), never
    read it as 00:00:00 (the emulator's SAFE_CAST does) nor abort the table some other way."""
    from aws2bq.core.rds_types import Engine, Raw, RawType, SourceColumn
    from aws2bq.testing.googlesql import AnalysisError

    from .test_googlesql_semantics import typed_rows

    column = SourceColumn("t", "time without time zone")
    text = RawType(Raw.STRING)
    got = typed_rows(googlesql, Engine.POSTGRES, column, text, ["23:59:59.999999", None])
    assert got == ["23:59:59.999999", None]
    with pytest.raises(AnalysisError, match=r"aws2bq-loss \[t\]: cannot convert exactly: 24:00:00"):
        typed_rows(googlesql, Engine.POSTGRES, column, text, ["24:00:00"])


# -- fault 13: wide numbers in MySQL JSON / PostgreSQL jsonb ---------------------------------------
@pytest.mark.parametrize(
    ("engine", "type_name"), [("MYSQL", "json"), ("POSTGRES", "jsonb")], ids=["mysql", "postgres"]
)
def test_rds_json_with_a_wide_number_is_a_loss_never_rounded(
    googlesql: GoogleSqlAnalyzer, engine: str, type_name: str
) -> None:
    """``SAFE.PARSE_JSON`` in its default exact mode gives NULL for a document holding a
    number a double does not hold; ``wide_number_mode=>'round'`` would round it silently. The
    type contract: the value is a loss, the column widens to the document's exact text (the
    loader's widening), and numbers a double holds stay JSON numbers."""
    from aws2bq.core.rds_types import Engine, Raw, RawType, SourceColumn
    from aws2bq.testing.googlesql import AnalysisError

    from .test_googlesql_semantics import typed_rows

    column = SourceColumn("doc", type_name)
    text = RawType(Raw.STRING)
    fine = ['{"a": 0.1, "b": 18446744073709551615, "c": 1e300}', None]
    got = typed_rows(googlesql, Engine[engine], column, text, fine)
    assert got == [{"a": 0.1, "b": 18446744073709551615, "c": 1e300}, None]
    for wide in ('{"pi": 3.14159265358979323846}', '{"n": 12345678901234567890123}'):
        with pytest.raises(AnalysisError, match=r"aws2bq-loss \[doc\]: cannot convert exactly"):
            typed_rows(googlesql, Engine[engine], column, text, [wide])
    plan_types = [str(t) for t in _json_plan(engine, type_name).wider_types()]
    assert plan_types == ["STRING"]


def _json_plan(engine: str, type_name: str) -> Any:
    from aws2bq.core.rds_types import Engine, Raw, RawType, SourceColumn, plan_table

    column = SourceColumn("doc", type_name)
    plan = plan_table(Engine[engine], [column], {"doc": [RawType(Raw.STRING)]})
    return plan.by_source()["doc"]
