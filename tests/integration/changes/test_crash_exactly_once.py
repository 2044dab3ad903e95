"""Exactly-once under crashes: ``aws2bq load`` killed by SIGKILL at every stage, then re-run.

Each test runs the CLI in a child process with ``AWS2BQ_CRASH_AT=<stage>``
(:mod:`aws2bq.runner.crashpoints`), checks it died by SIGKILL, checks what the crash left is
either the state before the export or the state after it (per stream: table and ledger row
together, never one without the other), re-runs without the hook, and compares the whole
DuckDB file with an uninterrupted run into a fresh file: every table dumped, the ledger
compared without its timing columns. A crash leaves no ``__aws2bq_new`` table, staging table
or attached scratch database behind, and a scratch folder it leaked does not disturb the
re-run.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from aws2bq.core.apply import Mode
from aws2bq.runner.crashpoints import STAGES
from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb
from aws2bq.runner.rds_load import RdsLoadRequest, load_rds
from aws2bq.sandbox import Sandbox

from .conftest import (
    SHOP_KEYS,
    ShopExports,
    crash_at,
    ddb_export,
    ddb_load_args,
    dump,
    leftovers,
    modes,
    no_duplicates,
    rds_load_args,
    shop_tables,
)

Dump = dict[str, list[tuple[Any, ...]]]
LEDGER = "_aws2bq_ledger"

#: Stages of ``load dynamodb`` (3 data files; ``:N`` = the N-th time the stage is reached).
DDB_STAGES = [
    "manifests",
    "download",
    "download:2",
    "staged",
    "typed",
    "apply:begin",
    "apply:statement",
    "apply:statement:3",
    "apply:before_commit",
    "applied",
]
#: Stages of ``load rds`` (4 tables, applied all or none: ``staged`` and ``typed`` are
#: reached once per table, the apply stages once for the whole export's one transaction).
RDS_STAGES = [
    "manifests",
    "download",
    "staged",
    "typed",
    "staged:3",
    "typed:4",
    "apply:begin",
    "apply:statement:2",
    "apply:statement:20",
    "apply:before_commit",
    "applied",
]
#: ``load rds --per-table``: one transaction per table (``:N`` is the N-th table), so a crash
#: between tables leaves the first ones applied; the default re-run applies the rest.
RDS_PER_TABLE_STAGES = ["staged:3", "apply:before_commit:2", "applied", "applied:4"]
#: A crash on the second export of a sequence: a representative stage of each phase.
SEQUENCE_STAGES = ["download", "typed", "apply:statement:2", "apply:before_commit", "applied"]


def test_every_stage_named_here_exists() -> None:
    named = DDB_STAGES + RDS_STAGES + RDS_PER_TABLE_STAGES
    used = {s.rsplit(":", 1)[0] if s[-1].isdigit() else s for s in named}
    assert used <= set(STAGES)
    # run:* are covered by the run tests, copied / loaded by the GCS transport tests.
    assert set(STAGES) - used == {"run:started", "run:applied", "copied", "loaded"}


def _ledger_rows(state: Dump, stream: str) -> list[tuple[Any, ...]]:
    return [r for r in state.get(LEDGER, []) if r[0] == stream]


def assert_old_or_new(db: Path, before: Dump, after: Dump, streams: dict[str, str]) -> None:
    """Per destination table (→ its stream): the table and its ledger rows are exactly the
    state before the export or exactly the state after it (nothing half-applied)."""
    state = dump(db) if db.exists() else {}
    for table, stream in streams.items():
        got = (state.get(table), _ledger_rows(state, stream))
        old = (before.get(table), _ledger_rows(before, stream))
        new = (after.get(table), _ledger_rows(after, stream))
        assert got in (old, new), f"{table}: neither the old nor the new state after the crash"
    extra = set(state) - set(after)
    assert not extra, f"tables left by the crash: {extra}"


# -- DynamoDB ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class DdbCase:
    v1: Path
    v2: Path
    ref1: Path  # uninterrupted: v1 into a fresh file
    ref2: Path  # uninterrupted: v1 then v2


def _ddb_url(db: Path) -> str:
    """The file, with the run's scratch folder next to it (so a leaked one can be seen)."""
    (db.parent / "scratch").mkdir(parents=True, exist_ok=True)
    return f"duckdb:///{db}?scratch={db.parent / 'scratch'}"


def _ddb_load(export: Path, db: Path, mode: str) -> str:
    request = DynamoDBLoadRequest(str(export), "items", ("pk",), Mode(mode), _ddb_url(db))
    return load_dynamodb(request).status


@pytest.fixture(scope="module")
def ddb_exports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("ddb-exports")
    return ddb_export(root, 1), ddb_export(root, 2)


@pytest.fixture(scope="module", params=modes("dynamodb"))
def ddb(
    request: pytest.FixtureRequest,
    ddb_exports: tuple[Path, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[DdbCase, str]]:
    mode = str(request.param)
    v1, v2 = ddb_exports
    ref1 = tmp_path_factory.mktemp("ddb-ref1") / "w.duckdb"
    ref2 = tmp_path_factory.mktemp("ddb-ref2") / "w.duckdb"
    assert _ddb_load(v1, ref1, mode) == "applied"
    assert _ddb_load(v1, ref2, mode) == "applied"
    assert _ddb_load(v2, ref2, mode) == "applied"
    yield DdbCase(v1, v2, ref1, ref2), mode


def _ddb_args(export: Path, db: Path, mode: str) -> list[str]:
    args = ddb_load_args(export, db)
    args[args.index("--warehouse") + 1] = _ddb_url(db)
    return [*args, "--mode", mode]


def _check_clean(db: Path, ref: Path, mode: str = "replace") -> None:
    assert dump(db) == dump(ref)
    assert leftovers(db) == []
    if mode != "history":  # history keeps one row per version; equality with ref covers it
        no_duplicates(db, "items", "pk")


@pytest.mark.parametrize("stage", DDB_STAGES)
def test_dynamodb_crash_then_rerun_equals_an_uninterrupted_load(
    stage: str, ddb: tuple[DdbCase, str], tmp_path: Path
) -> None:
    case, mode = ddb
    db = tmp_path / "w.duckdb"
    crash_at(stage, _ddb_args(case.v1, db, mode))
    assert_old_or_new(db, {}, dump(case.ref1), {"items": "items"})
    status = _ddb_load(case.v1, db, mode)
    assert status == ("already_applied" if stage == "applied" else "applied")
    _check_clean(db, case.ref1, mode)
    assert _ddb_load(case.v1, db, mode) == "already_applied"  # and once more: a no-op
    _check_clean(db, case.ref1, mode)


@pytest.mark.parametrize("stage", SEQUENCE_STAGES)
def test_dynamodb_crash_on_the_second_export_keeps_the_first_and_applies_the_second_once(
    stage: str, ddb: tuple[DdbCase, str], tmp_path: Path
) -> None:
    case, mode = ddb
    db = tmp_path / "w.duckdb"
    shutil.copy(case.ref1, db)  # the first export, applied by an uninterrupted run
    crash_at(stage, _ddb_args(case.v2, db, mode))
    assert_old_or_new(db, dump(case.ref1), dump(case.ref2), {"items": "items"})
    assert _ddb_load(case.v2, db, mode) == ("already_applied" if stage == "applied" else "applied")
    _check_clean(db, case.ref2, mode)
    assert [r[2] for r in dump(db)[LEDGER]] == sorted(
        [r[2] for r in dump(case.ref2)[LEDGER]]
    )  # both exports, once each


def test_a_file_killed_after_commit_has_a_wal_and_the_next_run_opens_it(
    ddb: tuple[DdbCase, str], tmp_path: Path
) -> None:
    case, mode = ddb
    db = tmp_path / "w.duckdb"
    crash_at("applied", _ddb_args(case.v1, db, mode))
    # Committed but never checkpointed: the data lives in the WAL, which the next open replays.
    assert db.with_name(db.name + ".wal").exists()
    assert list((tmp_path / "scratch").iterdir()), "the killed run's scratch folder is leaked"
    leaked = set((tmp_path / "scratch").iterdir())
    assert _ddb_load(case.v1, db, mode) == "already_applied"
    assert set((tmp_path / "scratch").iterdir()) == leaked  # the re-run cleaned up after itself
    assert _ddb_load(case.v2, db, mode) == "applied"
    _check_clean(db, case.ref2, mode)


# -- RDS --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RdsCase:
    exports: ShopExports
    ref1: Path
    ref2: Path


def _shop_keys() -> dict[str, tuple[str, ...]]:
    out = {}
    for entry in SHOP_KEYS:
        target, _, columns = entry.partition("=")
        out[target] = tuple(columns.split(","))
    return out


def _rds_load(export: str, db: Path, mode: str) -> list[str]:
    keys = _shop_keys() if mode != "replace" else {}
    report = load_rds(RdsLoadRequest(export, mode=Mode(mode), keys=keys, warehouse=_ddb_url(db)))
    assert not report.failed, [t.error for t in report.failed]
    return [t.status for t in report.tables]


def _rds_args(export: str, db: Path, mode: str, *extra: str) -> list[str]:
    args = rds_load_args(export, db)
    args[args.index("--warehouse") + 1] = _ddb_url(db)
    keys = [a for k in SHOP_KEYS for a in ("--key", k)] if mode != "replace" else []
    return [*args, "--mode", mode, *keys, *extra]


@pytest.fixture
def aws(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    return sandbox


@pytest.fixture(scope="module", params=modes("rds"))
def rds(
    request: pytest.FixtureRequest,
    shop_exports: ShopExports,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RdsCase, str]]:
    mode = str(request.param)
    ref1 = tmp_path_factory.mktemp("rds-ref1") / "w.duckdb"
    ref2 = tmp_path_factory.mktemp("rds-ref2") / "w.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        for key, value in shop_exports.sandbox.env().items():
            mp.setenv(key, value)
        assert set(_rds_load(shop_exports.first, ref1, mode)) == {"applied"}
        assert set(_rds_load(shop_exports.first, ref2, mode)) == {"applied"}
        assert set(_rds_load(shop_exports.second, ref2, mode)) == {"applied"}
    assert len(shop_tables(ref1)) == 4
    yield RdsCase(shop_exports, ref1, ref2), mode


def _rds_streams(ref: Path) -> dict[str, str]:
    return {t: "rds:" + t.replace("__", ".", 1) for t in shop_tables(ref)}


def _check_rds_clean(db: Path, ref: Path) -> None:
    assert dump(db) == dump(ref)
    assert leftovers(db) == []
    no_duplicates(db, "shop__customers", "id")


@pytest.mark.parametrize("stage", RDS_STAGES)
def test_rds_crash_then_rerun_equals_an_uninterrupted_load(
    stage: str, rds: tuple[RdsCase, str], aws: Sandbox, tmp_path: Path
) -> None:
    case, mode = rds
    db = tmp_path / "w.duckdb"
    crash_at(stage, _rds_args(case.exports.first, db, mode), sandbox=aws)
    assert_old_or_new(db, {}, dump(case.ref1), _rds_streams(case.ref1))
    # All or none: the one transaction committed (killed after it) or nothing is there.
    committed = 4 if stage == "applied" else 0
    assert len(dump(db).get(LEDGER, []) if db.exists() else []) == committed
    statuses = _rds_load(case.exports.first, db, mode)
    assert statuses == ["already_applied"] * committed + ["applied"] * (4 - committed)
    _check_rds_clean(db, case.ref1)


@pytest.mark.parametrize("stage", RDS_PER_TABLE_STAGES)
def test_rds_per_table_crash_keeps_the_tables_committed_before_it(
    stage: str, rds: tuple[RdsCase, str], aws: Sandbox, tmp_path: Path
) -> None:
    case, mode = rds
    db = tmp_path / "w.duckdb"
    crash_at(stage, _rds_args(case.exports.first, db, mode, "--per-table"), sandbox=aws)
    assert_old_or_new(db, {}, dump(case.ref1), _rds_streams(case.ref1))
    # staged:3 dies in the third table (two committed); apply:before_commit:2 in the second.
    committed = {"staged:3": 2, "apply:before_commit:2": 1, "applied": 1, "applied:4": 4}[stage]
    statuses = _rds_load(case.exports.first, db, mode)
    assert statuses == ["already_applied"] * committed + ["applied"] * (4 - committed)
    _check_rds_clean(db, case.ref1)


@pytest.mark.parametrize("stage", SEQUENCE_STAGES)
def test_rds_crash_on_the_second_export_keeps_the_first_and_applies_the_second_once(
    stage: str, rds: tuple[RdsCase, str], aws: Sandbox, tmp_path: Path
) -> None:
    case, mode = rds
    db = tmp_path / "w.duckdb"
    shutil.copy(case.ref1, db)
    crash_at(stage, _rds_args(case.exports.second, db, mode), sandbox=aws)
    assert_old_or_new(db, dump(case.ref1), dump(case.ref2), _rds_streams(case.ref1))
    statuses = _rds_load(case.exports.second, db, mode)
    assert statuses == ["already_applied" if stage == "applied" else "applied"] * 4
    _check_rds_clean(db, case.ref2)
    assert len(dump(db)[LEDGER]) == 8  # 4 tables × 2 exports, once each
