"""The one apply path (runner/apply.py) on a real DuckDB file: a loss guard's failure arrives
as the typed ValueLossError, the loader's explanation replaces it, the clean-up runs, and
nothing of the transaction stays; staging is dropped however the block ends."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlglot.expressions as exp

from aws2bq.core.apply import ApplySteps
from aws2bq.core.ledger import LedgerEntry, insert_entry
from aws2bq.core.progress import NullProgress
from aws2bq.core.schema import Column, ColumnType, Kind, TableSchema
from aws2bq.errors import ExportError, TypeConversionError, ValueLossError
from aws2bq.runner.apply import (
    Applied,
    Prepared,
    apply,
    check_not_older,
    ensure_ledger,
    ledger_history,
    staged,
)
from aws2bq.warehouses import connect
from aws2bq.warehouses.base import TableRef

T = datetime(2024, 5, 1, tzinfo=UTC)


def _sql(text: str) -> exp.Expression:
    return exp.maybe_parse(text, dialect="duckdb")


def test_a_loss_guard_is_a_value_loss_error_and_nothing_is_applied(tmp_path: Path) -> None:
    wh = connect(f"duckdb:///{tmp_path / 'w.duckdb'}")
    try:
        wh.execute(_sql('CREATE TABLE "t" ("v" VARCHAR)'))
        steps = ApplySteps(
            before=[_sql('CREATE TABLE "scratch" ("x" INT)')],
            transaction=[
                _sql("""INSERT INTO "t" VALUES ('kept?')"""),
                # What a typed SELECT's loss guard does with a value it cannot convert.
                _sql("SELECT error('aws2bq-loss [v]: cannot convert exactly: 2024-13-01')"),
            ],
            after=[_sql('DROP TABLE "scratch"')],
        )
        seen: list[ValueLossError] = []

        def explain(exc: ValueLossError) -> None:
            seen.append(exc)
            raise TypeConversionError("table t: column 'v': 1 value(s), e.g. '2024-13-01'")

        with pytest.raises(TypeConversionError, match="2024-13-01"):
            apply(wh, [Prepared(TableRef("t"), TableSchema(), steps)], NullProgress(), rows=1,
                  explain_loss=explain)  # fmt: skip
        assert len(seen) == 1 and "aws2bq-loss" in seen[0].message
        assert wh.query(_sql('SELECT COUNT(*) FROM "t"')) == [(0,)]  # rolled back
        assert not wh.table_exists(TableRef("scratch"))  # the clean-up ran
        # Without an explanation the typed error itself is raised.
        with pytest.raises(ValueLossError):
            apply(wh, [Prepared(TableRef("t"), TableSchema(), ApplySteps(
                transaction=steps.transaction))], NullProgress(), rows=1)  # fmt: skip
    finally:
        wh.close()


def test_staging_is_dropped_when_the_block_fails() -> None:
    dropped: list[str] = []
    with pytest.raises(ExportError), staged(lambda: "area", dropped.append) as area:
        assert area == "area"
        raise ExportError("count mismatch")
    assert dropped == ["area"]


def test_an_older_export_is_refused_unless_forced() -> None:
    history = [Applied("E2", T, TableSchema())]
    older = T.replace(day=1, month=4)
    with pytest.raises(ExportError, match="older than E2"):
        check_not_older(history, older, force=False,
                        refuse=lambda n: ExportError(f"older than {n.export_id}"))  # fmt: skip
    check_not_older(history, older, force=True, refuse=lambda n: ExportError("no"))
    check_not_older(history, T, force=False, refuse=lambda n: ExportError("no"))


def test_the_ledger_history_carries_what_each_row_recorded(tmp_path: Path) -> None:
    # Several objects in one ledger row (a files load) are read back through the one history.
    wh = connect(f"duckdb:///{tmp_path / 'w.duckdb'}")
    try:
        ensure_ledger(wh)
        schema = TableSchema((Column("msg", ColumnType(Kind.STRING), "msg"),), 1)
        later = T.replace(hour=1)
        for export_id, applied_at, objects in (("E1", T, ["a"]), ("E2", later, ["b", "c"])):
            entry = LedgerEntry("logs", "files", export_id, "", "objects", "s3://b/", T, "append",
                                len(objects), 1, 1, 1, schema, {"objects": objects}, applied_at,
                                0.0, "test")  # fmt: skip
            wh.execute(insert_entry(entry, wh.capabilities))
        history = ledger_history(wh, "logs", changes=True)
        assert {h.export_id: dict(h.changes) for h in history} == {
            "E1": {"objects": ["a"]},
            "E2": {"objects": ["b", "c"]},
        }
        assert {h.export_id: h.applied_at for h in history} == {"E1": T, "E2": later}
        # Without ``changes`` the query is the plain one (no changes_json read).
        assert all(not h.changes for h in ledger_history(wh, "logs"))
        assert ledger_history(wh, "other", changes=True) == []
    finally:
        wh.close()
