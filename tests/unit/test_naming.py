from __future__ import annotations

import pytest

from aws2bq.core.naming import BIGQUERY_NAMES, DUCKDB_NAMES, assign_names, sanitize


@pytest.mark.parametrize(
    ("source", "bigquery", "duckdb"),
    [
        ("名前", "名前", "名前"),
        ("first name", "first name", "first name"),
        ("a - b", "a - b", "a - b"),
        ("keep__this", "keep__this", "keep__this"),
        ("1st", "1st", "1st"),
        ("café", "café", "café"),
        ("50% & <more>: #1|'x'=+", "50% & <more>: #1|'x'=+", "50% & <more>: #1|'x'=+"),
        ("a.b", "a_b", "a.b"),
        ("x; DROP TABLE t; --", "x_ DROP TABLE t_ --", "x; DROP TABLE t; --"),
        ("'\"`", "'_", "'\"`"),
        ("tab\there", "tab_here", "tab\there"),
        ("😀 ok", "_ ok", "😀 ok"),
        ("!$()*,./;?@[\\]^`{}~", "_", "!$()*,./;?@[\\]^`{}~"),
        ("_TABLE_SUFFIX", "c__TABLE_SUFFIX", "_TABLE_SUFFIX"),
        ("_partitiontime", "c__partitiontime", "_partitiontime"),
        ("_aws2bq_export_id", "c__aws2bq_export_id", "c__aws2bq_export_id"),
    ],
)
def test_sanitize_keeps_what_each_warehouse_accepts(
    source: str, bigquery: str, duckdb: str
) -> None:
    assert sanitize(source, BIGQUERY_NAMES) == bigquery
    assert sanitize(source, DUCKDB_NAMES) == duckdb


def test_every_documented_bigquery_character_is_kept() -> None:
    # https://cloud.google.com/bigquery/docs/schemas#flexible-column-names
    kept = "Ωж名ä\u0301٣_‿-–& %=+:'<>#|"
    assert sanitize(kept, BIGQUERY_NAMES) == kept
    for ch in '!"$()*,./;?@[\\]^`{}~\n':
        assert sanitize("a" + ch + "b", BIGQUERY_NAMES) == "a_b", repr(ch)


def test_an_empty_name_gets_a_placeholder() -> None:
    assert sanitize("", DUCKDB_NAMES) == sanitize("", BIGQUERY_NAMES) == "_"


@pytest.mark.parametrize("rule", [BIGQUERY_NAMES, DUCKDB_NAMES])
def test_long_names_are_cut_with_a_hash_and_stay_distinct(rule) -> None:  # type: ignore[no-untyped-def]
    a, b = "名" * 400 + "a", "名" * 400 + "b"
    names = assign_names([a, b], rule=rule)
    assert all(len(n) <= 300 for n in names.values())
    assert names[a] != names[b]


def test_case_insensitive_collisions_are_deterministic() -> None:
    first = assign_names(["id", "ID", "Id", "i.d"])
    second = assign_names(["i.d", "Id", "ID", "id"])
    assert first == second
    assert len({n.lower() for n in first.values()}) == 4
    assert first["ID"] == "ID" and first["Id"] == "Id_2" and first["id"] == "id_3"
    assert first["i.d"] == "i_d"


def test_replaced_names_collide_with_verbatim_ones_deterministically() -> None:
    assert assign_names(["a.b", "a_b"]) == {"a.b": "a_b", "a_b": "a_b_2"}
    assert assign_names(["a.b", "a_b"], rule=DUCKDB_NAMES) == {"a.b": "a.b", "a_b": "a_b"}


def test_taken_names_are_avoided_case_insensitively() -> None:
    assert assign_names(["Name"], taken=["name"]) == {"Name": "Name_2"}
    assert assign_names(["名前"], taken=["名前"], rule=DUCKDB_NAMES) == {"名前": "名前_2"}


def test_staging_names_keep_loadable_names_and_rename_the_rest() -> None:
    """Issue 12.10: what a BigQuery Parquet load refuses (not the classic convention, a
    reserved or aws2bq prefix, names equal ignoring case) gets a positional staging name."""
    from aws2bq.core.naming import staging_names

    names = ["id", "a.b", "price$", "Name", "name", "1st", "_PARTITIONTIME", "_aws2bq_x", "ok_2"]
    assert staging_names(names) == {
        "id": "id",
        "a.b": "_aws2bq_c2",
        "price$": "_aws2bq_c3",
        "Name": "_aws2bq_c4",
        "name": "_aws2bq_c5",
        "1st": "_aws2bq_c6",
        "_PARTITIONTIME": "_aws2bq_c7",
        "_aws2bq_x": "_aws2bq_c8",
        "ok_2": "ok_2",
    }
    assert staging_names(["x" * 300, "y" * 301]) == {"x" * 300: "x" * 300, "y" * 301: "_aws2bq_c2"}
