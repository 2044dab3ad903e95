"""The GoogleSQL text of identifiers (issue 12 fault 16): escapes as BigQuery's lexical rules
say; every other identifier exactly as sqlglot's bigquery dialect writes it."""

from __future__ import annotations

import sqlglot
import sqlglot.expressions as exp

from aws2bq.warehouses.bigquery.dialect import quote_identifier, render


def test_backtick_backslash_and_control_characters_are_escaped() -> None:
    assert quote_identifier("a`b") == "`a\\`b`"
    assert quote_identifier("a\\b") == "`a\\\\b`"
    assert quote_identifier("a\nb\x01") == "`a\\nb\\x01`"
    column = exp.column(exp.to_identifier("x`y", quoted=True), table=exp.to_identifier("t"))
    assert render(exp.select(column)) == "SELECT t.`x\\`y`"


def test_other_sql_renders_as_sqlglot_writes_it() -> None:
    text = (
        "SELECT `名前`, `a b`, `a.b`, 'it''s', s.`Item`['e\"f'] FROM `p`.`d`.`t` AS s WHERE x = 1"
    )
    tree = sqlglot.parse_one(text, read="bigquery")
    assert render(tree) == tree.sql("bigquery")
