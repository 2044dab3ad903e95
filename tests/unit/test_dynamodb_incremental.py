"""The pure core of incremental DynamoDB exports: chain rule, dedup SQL, change set, files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest
import sqlglot.expressions as exp

from aws2bq.core import dynamodb_incremental as inc
from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema
from aws2bq.errors import ConfigError, ExportError
from aws2bq.sources.dynamodb.incremental import data_key
from aws2bq.warehouses.bigquery.dialect import BIGQUERY
from aws2bq.warehouses.duckdb.dialect import DUCKDB

T0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
H = timedelta(hours=1)


def _chain(*links: tuple[str, str, datetime]) -> list[inc.ChainLink]:
    return [inc.ChainLink(i, k, t, "merge") for i, k, t in links]


def _check(links: list[inc.ChainLink], start: datetime, end: datetime, ident: str = "new"):  # type: ignore[no-untyped-def]
    return inc.check_chain(
        links, stream="s", export_id=ident, export_from=start, export_to=end, location="loc"
    )


def test_the_next_window_applies_from_the_last_applied_time() -> None:
    links = _chain(("full", "full", T0), ("i1", "incremental", T0 + H))
    decision = _check(links, T0 + H, T0 + 2 * H)
    assert not decision.already
    assert decision.since == T0 + H
    assert decision.previous is not None and decision.previous.export_id == "i1"


def test_an_overlap_is_accepted_and_drops_what_was_already_applied() -> None:
    # AWS may echo ExportFromTime without the microseconds of the full export's exportTime.
    decision = _check(_chain(("full", "full", T0)), T0.replace(microsecond=0), T0 + H)
    assert decision.since == T0


def test_a_gap_is_refused_naming_both_times_and_the_fix() -> None:
    links = _chain(("full", "full", T0), ("i1", "incremental", T0 + H))
    with pytest.raises(ExportError) as info:
        _check(links, T0 + H + timedelta(seconds=1), T0 + 2 * H)
    text = str(info.value) + str(info.value.hint)
    assert "gap" in text
    assert "2024-05-01T13:00:00.123456Z" in text  # last applied exportToTime
    assert "2024-05-01T13:00:01.123456Z" in text  # the new exportFromTime
    assert "start a new full export" in text


def test_an_older_export_is_refused_as_out_of_order() -> None:
    links = _chain(("full", "full", T0), ("i1", "incremental", T0 + H), ("i2", "x", T0 + 2 * H))
    with pytest.raises(ExportError, match="out of order"):
        _check(links, T0, T0 + H, ident="other")


def test_an_empty_stream_is_refused() -> None:
    with pytest.raises(ExportError, match="no export has been applied") as info:
        _check([], T0, T0 + H)
    assert "start a new full export" in str(info.value.hint)


def test_the_same_export_again_is_a_no_op() -> None:
    links = _chain(("full", "full", T0), ("i1", "incremental", T0 + H))
    assert _check(links, T0, T0 + H, ident="i1").already


def test_modes() -> None:
    with pytest.raises(ConfigError, match="replace"):
        inc.check_mode("replace", None, stream="s")
    inc.check_mode("merge", inc.ChainLink("f", "full", T0, "replace"), stream="s")
    with pytest.raises(ConfigError, match="history"):
        inc.check_mode("history", inc.ChainLink("f", "full", T0, "merge"), stream="s")
    inc.check_mode("history", inc.ChainLink("f", "full", T0, "history"), stream="s")


def test_micros_is_exact() -> None:
    assert inc.micros(datetime(1970, 1, 1, 0, 0, 1, 7, tzinfo=UTC)) == 1_000_007
    assert inc.micros(T0) == 1714564800123456


def test_data_files_resolve_in_the_shared_folder() -> None:
    folder = "inc/AWSDynamoDB/0170-abc"
    assert data_key(folder, "inc/AWSDynamoDB/data/x.json.gz") == "inc/AWSDynamoDB/data/x.json.gz"
    # A local copy rooted above AWSDynamoDB/ (no bucket prefix).
    assert data_key("AWSDynamoDB/0170-abc", "p/q/AWSDynamoDB/data/y.json.gz") == (
        "AWSDynamoDB/data/y.json.gz"
    )


def _records(con: duckdb.DuckDBPyConnection, rows: list[tuple[int, str, str | None]]) -> None:
    """A records table: (micros, pk, v of the NewImage or None for a delete)."""
    cols = ", ".join(f'"{n}" {t}' for n, t in inc.RECORD_COLUMNS.items())
    con.execute(f"CREATE TABLE records ({cols})")
    for ts, pk, v in rows:
        new = "NULL" if v is None else f"MAP {{'pk': {{'S': '{pk}'}}, 'v': {{'S': '{v}'}}}}"
        con.execute(
            f"INSERT INTO records VALUES ({{'WriteTimestampMicros': {{'N': '{ts}'}}}}, "
            f"MAP {{'pk': {{'S': '{pk}'}}}}, {new}, NULL)"
        )


SCHEMA = TableSchema(
    (
        Column("pk", ColumnType(Kind.STRING), "pk", Role.KEY),
        Column("v", ColumnType(Kind.STRING), "v"),
        Column("_aws2bq_export_id", ColumnType(Kind.STRING), "_aws2bq_export_id", Role.SYSTEM),
    ),
    1,
    ("pk",),
)


def _changes(rows: list[tuple[int, str, str | None]], since: int | None = None) -> list[tuple]:  # type: ignore[type-arg]
    con = duckdb.connect()
    _records(con, rows)
    since_time = (
        None if since is None else datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=since)
    )
    dedup = inc.dedup_select(exp.table_("records", quoted=True), ("pk",), since_time)
    con.execute("CREATE TABLE changes AS " + dedup.sql("duckdb"))
    from aws2bq.core import dynamodb_sql

    typed = dynamodb_sql.typed_select(
        exp.table_("changes", quoted=True), inc.data_schema(SCHEMA), {}, DUCKDB, inc.ITEM
    )
    select = inc.changes_select(typed, DUCKDB)
    con.execute("SET TimeZone = 'UTC'")
    return sorted(
        (r[0], r[1], r[2], inc.micros(r[3])) for r in con.execute(select.sql("duckdb")).fetchall()
    )


def test_latest_record_per_key_wins_and_deletes_carry_only_keys() -> None:
    got = _changes(
        [
            (10, "a", "1"),
            (30, "a", "3"),
            (20, "a", "2"),
            (10, "b", None),
            (5, "c", "x"),
            (7, "c", None),
            (9, "d", None),
            (11, "d", "back"),
        ]
    )
    assert got == [
        ("a", "3", "upsert", 30),
        ("b", None, "delete", 10),
        ("c", None, "delete", 7),
        ("d", "back", "upsert", 11),
    ]


def test_ties_are_deterministic_a_delete_wins() -> None:
    one = _changes([(10, "a", "1"), (10, "a", None), (10, "b", "x"), (10, "b", "y")])
    two = _changes([(10, "b", "y"), (10, "a", None), (10, "b", "x"), (10, "a", "1")])
    assert one == two == [("a", None, "delete", 10), ("b", "y", "upsert", 10)]


def _spilled_changes(
    records: list[tuple[int, str | None, str | None]], since: int | None = None
) -> list[tuple[str | None, str | None, bool, int]]:
    """Run spilled_dedup_select in DuckDB over (micros, key, value or None for a delete),
    staged as the Arrow stager spills them (descriptor structs)."""
    import pyarrow as pa

    table = pa.table(
        {
            "n0": pa.array(
                [None if v is None else {"S": v} for _, _, v in records],
                pa.struct([("S", pa.string())]),
            ),
            "k0": pa.array(
                [None if k is None else {"S": k} for _, k, _ in records],
                pa.struct([("S", pa.string())]),
            ),
            inc.MICROS: pa.array([m for m, _, _ in records], pa.int64()),
            inc.DELETED: pa.array([v is None for _, _, v in records]),
        }
    )
    con = duckdb.connect()
    con.register("records", table)
    select = inc.spilled_dedup_select(exp.to_table("records"), ["n0"], ["k0"], since)
    sql = exp.select("k0.S", "n0.S", inc.DELETED, inc.MICROS).from_(select.subquery("d"))
    return sorted(con.execute(sql.order_by("k0.S").sql("duckdb")).fetchall())


def test_spilled_ties_are_broken_like_the_other_stager() -> None:
    """Only records sharing their key and time tie: a delete wins, then the greatest image."""
    records = [
        (10, "a", "1"), (10, "a", None), (5, "a", "old"),
        (10, "b", "x"), (3, "b", "z"), (10, "b", "y"),
        (7, "c", "only"),
        (12, "d", "p"), (11, "d", "q"),
        (2, "e", "dropped"), (9, "f", "kept"), (2, "f", "before"),
    ]  # fmt: skip
    expected = [
        ("a", None, True, 10),
        ("b", "y", False, 10),
        ("c", "only", False, 7),
        ("d", "p", False, 12),
        ("f", "kept", False, 9),
    ]
    assert _spilled_changes(records, since=4) == expected
    assert _spilled_changes(list(reversed(records)), since=4) == expected
    assert ("e", "dropped", False, 2) in _spilled_changes(records)


def test_spilled_ties_of_a_null_key_are_broken_too() -> None:
    """The query stands on its own: NULL keys group together, and their ties too (the runner
    refuses unkeyed records before it runs)."""
    records = [(10, None, "x"), (10, None, "y"), (3, None, "z")]
    assert _spilled_changes(records) == _spilled_changes(records[::-1]) == [(None, "y", False, 10)]


def test_records_before_since_are_dropped() -> None:
    assert _changes([(5, "a", "1"), (15, "b", "2")], since=10) == [("b", "2", "upsert", 15)]


def test_change_time_per_dialect() -> None:
    m = exp.column("m")
    assert inc.change_time(m, BIGQUERY).sql("bigquery") == "TIMESTAMP_MICROS(m)"
    assert "TO_MICROSECONDS" in inc.change_time(m, DUCKDB).sql("duckdb")


def test_dedup_needs_keys() -> None:
    with pytest.raises(ValueError):
        inc.dedup_select(exp.table_("r"), (), None)
