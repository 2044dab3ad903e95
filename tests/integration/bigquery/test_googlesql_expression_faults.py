"""Issue 12 faults 2, 3, 13, 15 and 16 where the emulator cannot show them: aws2bq's BigQuery
SQL evaluated by GoogleSQL's reference implementation (ZetaSQL) on real values.

The emulator is DuckDB underneath: its JSON_KEYS lists names verbatim, it keeps NULL arrays,
it parses any JSON number. Each test here failed on the SQL before its fix.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlglot
import sqlglot.expressions as exp

from aws2bq.core.capabilities import BIGQUERY
from aws2bq.core.dynamodb_types import DESCRIPTORS
from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema
from aws2bq.testing.googlesql import GoogleSqlAnalyzer
from aws2bq.warehouses.bigquery import dynamodb_sql
from aws2bq.warehouses.bigquery.incremental_staging import record_keys_select

# slow: the first start of the analyzer on a machine compiles it (20–45 s, then cached).
pytestmark = pytest.mark.slow

#: A stand-in table name, replaced by an inline relation before evaluation.
_STAGE = "__items__"


def _over(select: exp.Expression, relation: str) -> str:
    """``select`` with the stand-in table replaced by ``relation`` (keeping its alias)."""

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.name == _STAGE:
            sub = exp.Subquery(this=sqlglot.parse_one(relation, read="bigquery"))
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
