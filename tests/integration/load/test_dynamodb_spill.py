"""The Arrow stager at any size: parsed chunks spilled to disk, the profile computed while
parsing (present values only), incremental records on the same path."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bench.export_writer import item_line, record_line, write_export

from aws2bq.core.apply import Mode
from aws2bq.core.progress import NullProgress
from aws2bq.errors import ExportError
from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb
from aws2bq.sources.dynamodb.export import read_export
from aws2bq.warehouses import connect
from aws2bq.warehouses.duckdb import arrow_stage

from .conftest import rows, snapshot

FULL_TIME = datetime(2024, 1, 2, tzinfo=UTC)
STAGERS = ["arrow=1", "arrow=0"]


def _types(db: Path, table: str = "t") -> dict[str, str]:
    return dict(
        rows(
            db,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ? ORDER BY ordinal_position",
            [table],
        )
    )


def _load(export: Path, db: Path, *, mode: Mode = Mode.MERGE, params: str = "") -> list[str]:
    """Load ``export`` into table ``t`` (key ``pk``); returns the stagers used."""
    wh = connect(f"duckdb:///{db}" + (f"?{params}" if params else ""))
    used: list[str] = []
    for name in ("stage_dynamodb_export", "stage_dynamodb_incremental"):
        original = getattr(wh, name)

        def spy(*args: Any, _original: Any = original, **kw: Any) -> Any:
            staged = _original(*args, **kw)
            used.append(staged.details["stager"])
            return staged

        setattr(wh, name, spy)
    try:
        load_dynamodb(
            DynamoDBLoadRequest(export=str(export), table="t", keys=("pk",), mode=mode),
            warehouse=wh,
        )
    finally:
        wh.close()
    return used


def test_absent_and_null_values_are_not_evidence_on_the_arrow_stager(tmp_path: Path) -> None:
    items = [
        {"pk": {"S": "a"}, "qty": {"N": "5"}, "tags": {"NS": ["1", "2"]}},
        {"pk": {"S": "b"}, "qty": {"N": "7"}, "tags": {"NULL": True}},
        {"pk": {"S": "c"}, "qty": {"NULL": True}},
        {"pk": {"S": "d"}},  # qty and tags missing
    ]
    # One item per file: every file is its own chunk, parsed by its own worker.
    folder = write_export(tmp_path / "src", [[item_line(i)] for i in items]).folder
    db = tmp_path / "w.duckdb"
    assert _load(folder, db, mode=Mode.REPLACE) == ["arrow"]
    types = _types(db)
    assert types["qty"] == "BIGINT" and types["tags"] == "BIGINT[]"
    assert rows(db, "SELECT pk, qty, tags FROM t ORDER BY pk") == [
        ("a", 5, [1, 2]),
        ("b", 7, None),
        ("c", None, None),
        ("d", None, None),
    ]


def _records_export(
    root: Path, files: list[list[bytes]], start: datetime, end: datetime, export_id: str
) -> Path:
    return write_export(
        root, files, export_id=export_id, export_time=end, incremental_from=start
    ).folder


def _micros(t: datetime) -> int:
    return int(t.timestamp() * 1_000_000)


def test_incremental_absent_and_null_values_are_not_evidence(tmp_path: Path) -> None:
    # The read_json stager's profile gets the same rule from issue 10 item 1 (its own tests).
    params = "arrow=1"
    full = write_export(
        tmp_path / "src",
        [[item_line({"pk": {"S": "a"}, "qty": {"N": "1"}}), item_line({"pk": {"S": "z"}})]],
        export_time=FULL_TIME,
    ).folder
    db = tmp_path / "w.duckdb"
    _load(full, db, params=params)
    t = FULL_TIME + timedelta(minutes=5)
    records = [
        # qty set to NULL, then absent; extra: a new attribute, present once, NULL once.
        record_line(_micros(t), {"pk": {"S": "a"}}, {"pk": {"S": "a"}, "qty": {"NULL": True}}),
        record_line(
            _micros(t),
            {"pk": {"S": "b"}},
            {"pk": {"S": "b"}, "qty": {"N": "9"}, "extra": {"N": "3"}},
        ),
        record_line(_micros(t), {"pk": {"S": "c"}}, {"pk": {"S": "c"}, "extra": {"NULL": True}}),
        record_line(_micros(t), {"pk": {"S": "z"}}, None, {"pk": {"S": "z"}}),  # a delete
    ]
    export = _records_export(
        tmp_path / "src",
        [records[:2], records[2:]],
        FULL_TIME,
        FULL_TIME + timedelta(hours=1),
        "inc1",
    )
    used = _load(export, db, params=params)
    assert used == ["arrow" if params == "arrow=1" else "read_json"]
    types = _types(db)
    assert types["qty"] == "BIGINT" and types["extra"] == "BIGINT"
    assert rows(db, "SELECT pk, qty, extra FROM t ORDER BY pk") == [
        ("a", None, None),
        ("b", 9, 3),
        ("c", None, None),
    ]


def test_incremental_stagers_give_the_same_table(tmp_path: Path) -> None:
    """Several records per key, inserts, updates, deletes, a new attribute, nested values,
    records written before the last applied export: Arrow and read_json agree."""
    full_items = [
        {"pk": {"S": f"k{i}"}, "n": {"N": str(i)}, "m": {"M": {"a": {"S": str(i)}}}}
        for i in range(20)
    ]
    t0 = FULL_TIME
    lines: list[bytes] = []
    for i in range(30):
        key = {"pk": {"S": f"k{i % 25}"}}
        when = _micros(t0 + timedelta(seconds=i))
        if i % 7 == 3:
            lines.append(record_line(when, key, None, {**key, "n": {"N": "0"}}))
        else:
            image = {
                **key,
                "n": {"N": f"{i}.5"},
                "m": {"M": {"a": {"S": "x"}, "b": {"L": [{"N": "1"}, {"BOOL": True}]}}},
            }
            if i % 5 == 0:
                image["late"] = {"SS": ["p", "q"]}
            lines.append(record_line(when, key, image))
    # A record written before the full export (an overlapping window): dropped.
    lines.append(record_line(_micros(t0 - timedelta(seconds=1)), {"pk": {"S": "k19"}}, None, None))
    tables = []
    for params in STAGERS:
        root = tmp_path / params.replace("=", "")
        full = write_export(root, [[item_line(i) for i in full_items]], export_time=t0).folder
        db = root / "w.duckdb"
        _load(full, db, params=params)
        export = _records_export(root, [lines[:11], lines[11:]], t0, t0 + timedelta(hours=1), "i1")
        stager = "arrow" if params == "arrow=1" else "read_json"
        assert _load(export, db, params=params) == [stager]
        snap = snapshot(db)
        tables.append((_types(db), snap["t"]))
    assert tables[0] == tables[1]
    types, data = tables[0]
    assert types["n"] == "DECIMAL(38,9)" and types["late"] == "VARCHAR[]"
    assert len(data) == 20 + 5 - 3  # keys k20..k24 inserted; k3, k10, k17 deleted last


def test_an_incremental_descriptor_holding_another_json_type_falls_back(tmp_path: Path) -> None:
    # {"N": 5} (a JSON number, not DynamoDB's text) ended the Arrow stager's profile as "a bug
    # in aws2bq" on a full export (tests/integration/load/test_dynamodb_arrow.py); records
    # take the same decline, and both stagers give the same table.
    t0 = FULL_TIME
    key = {"pk": {"S": "k1"}}
    lines = [record_line(_micros(t0 + timedelta(seconds=1)), key, {**key, "v": {"N": 5}})]
    tables = []
    for params in STAGERS:
        root = tmp_path / params.replace("=", "")
        full = write_export(root, [[item_line({**key, "v": {"N": "1"}})]], export_time=t0).folder
        db = root / "w.duckdb"
        _load(full, db, params=params)
        export = _records_export(root, [lines], t0, t0 + timedelta(hours=1), "i1")
        assert _load(export, db, params=params) == ["read_json"]
        tables.append(snapshot(db)["t"])
    assert tables[0] == tables[1] and len(tables[0]) == 1, tables


@pytest.mark.parametrize("params", STAGERS)
def test_a_record_that_is_not_json_is_named_by_its_line(tmp_path: Path, params: str) -> None:
    t0 = FULL_TIME
    key = {"pk": {"S": "k1"}}
    good = record_line(_micros(t0 + timedelta(seconds=1)), key, {**key, "v": {"N": "2"}})
    full = write_export(tmp_path, [[item_line({**key, "v": {"N": "1"}})]], export_time=t0).folder
    db = tmp_path / "w.duckdb"
    _load(full, db, params=params)
    export = _records_export(
        tmp_path, [[good, good[:-5] + b"\n"]], t0, t0 + timedelta(hours=1), "i1"
    )
    with pytest.raises(ExportError, match=r"\.json\.gz line 2 (is not JSON|cannot be read)") as e:
        _load(export, db, params=params)
    assert "DuckDB" not in str(e.value) and "in row" not in str(e.value), e.value


def test_dedup_does_not_depend_on_the_file_order(tmp_path: Path) -> None:
    when = _micros(FULL_TIME + timedelta(seconds=1))
    key = {"pk": {"S": "a"}}
    one = record_line(when, key, {**key, "v": {"S": "first"}})
    two = record_line(when, key, {**key, "v": {"S": "second"}})  # same key, same time
    results = []
    for n, files in enumerate(([[one], [two]], [[two], [one]])):
        root = tmp_path / str(n)
        full = write_export(root, [[item_line(key)]], export_time=FULL_TIME).folder
        db = root / "w.duckdb"
        _load(full, db)
        export = _records_export(root, files, FULL_TIME, FULL_TIME + timedelta(hours=1), "i1")
        _load(export, db)
        results.append(rows(db, "SELECT pk, v FROM t"))
    assert results[0] == results[1] == [("a", "second")]


def test_a_record_without_keys_names_its_file(tmp_path: Path) -> None:
    good = record_line(1, {"pk": {"S": "a"}}, {"pk": {"S": "a"}})
    bad = b'{"Metadata":{"WriteTimestampMicros":{"N":"2"}},"NewImage":{"pk":{"S":"b"}}}\n'
    export = write_export(
        tmp_path / "src",
        [[good], [good, bad]],
        export_id="i1",
        export_time=FULL_TIME + timedelta(hours=1),
        incremental_from=FULL_TIME,
    )
    wh = connect(f"duckdb:///{tmp_path / 'w.duckdb'}")
    try:
        from aws2bq.sources.dynamodb.incremental import read_incremental_export

        files = read_incremental_export(str(export.folder)).files
        with pytest.raises(ExportError, match="without Keys") as info:
            wh.stage_dynamodb_incremental(  # type: ignore[attr-defined]
                files, stream="t", progress=NullProgress()
            )
        assert export.data_files[1].name in str(info.value)
        assert export.data_files[0].name not in str(info.value)
    finally:
        wh.close()


def test_an_export_of_many_chunks_is_spilled_not_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the size, the Arrow stager takes it: chunks go to IPC files on disk, the
    rows are read back exactly, and the profile covers every chunk."""
    monkeypatch.setattr(arrow_stage, "CHUNK_BYTES", 8192)
    files = [
        [
            item_line({"pk": {"S": f"{f}-{i}"}, "v": {"N": str(i)}, "w": {"S": "x" * (i % 40)}})
            for i in range(1500)
        ]
        for f in range(3)
    ]
    files[2][-1] = item_line({"pk": {"S": "last"}, "v": {"N": "0.5"}})  # widens v at the end
    folder = write_export(tmp_path / "src", files).folder
    export = read_export(str(folder))
    spill = arrow_stage.stage(
        export.files, tmp_path / "spill", lines=arrow_stage.ItemLines(), workers=2
    )
    assert sum(spill.rows.values()) == 4500
    assert len(spill.segments) >= 3 and all(p.stat().st_size for p in spill.segments)
    on_disk = sum(p.stat().st_size for p in spill.segments)
    assert on_disk > 8192 * 10  # many chunks' worth, written out, not kept in memory
    stats = spill.profile.result()
    assert stats["v"].numbers is not None and stats["v"].numbers.max_scale == 1
    assert sum(b.num_rows for b in spill.relation().batches()) == 4500  # type: ignore[union-attr]

    db = tmp_path / "w.duckdb"
    assert _load(folder, db, mode=Mode.REPLACE) == ["arrow"]
    assert _types(db)["v"] == "DECIMAL(38,9)"
    assert rows(db, "SELECT count(*), sum(v) FROM t") == [
        (4500, pytest.approx(3 * 1499 * 750 - 1499 + 0.5))
    ]


def test_map_members_differing_only_in_case_keep_their_values(tmp_path: Path) -> None:
    # DuckDB resolves struct fields case-insensitively: such maps take the read_json stager.
    items = [
        {"pk": {"S": "a"}, "m": {"M": {"Id": {"S": "upper"}, "id": {"S": "lower"}}}},
        {"pk": {"S": "b"}, "m": {"M": {"id": {"N": "2"}}}},
    ]
    folder = write_export(tmp_path / "src", [[item_line(i) for i in items]]).folder
    db = tmp_path / "w.duckdb"
    assert _load(folder, db, mode=Mode.REPLACE) == ["read_json"]
    assert rows(db, "SELECT pk, CAST(m AS VARCHAR) FROM t ORDER BY pk") == [
        ("a", '{"Id":"upper","id":"lower"}'),
        ("b", '{"id":2}'),
    ]


@pytest.mark.parametrize("params", STAGERS)
def test_an_incremental_export_without_records_changes_nothing(tmp_path: Path, params: str) -> None:
    full = write_export(
        tmp_path / "src", [[item_line({"pk": {"S": "a"}, "n": {"N": "1"}})]], export_time=FULL_TIME
    ).folder
    db = tmp_path / "w.duckdb"
    _load(full, db, params=params)
    before = rows(db, "SELECT * FROM t")
    export = _records_export(
        tmp_path / "src", [[], b""], FULL_TIME, FULL_TIME + timedelta(hours=1), "empty"
    )
    _load(export, db, params=params)
    assert rows(db, "SELECT * EXCLUDE (_aws2bq_export_id, _aws2bq_exported_at) FROM t") == [
        r[:2] for r in before
    ]
    assert rows(db, "SELECT count(*) FROM _aws2bq_ledger") == [(2,)]


def test_an_error_raised_while_fetching_is_a_warehouse_error(tmp_path: Path) -> None:
    """DuckDB streams a result: an error in a later chunk surfaces at fetch time, and must
    still be translated at the warehouse boundary (a truncated Parquet file once escaped as a
    raw duckdb exception this way)."""
    import sqlglot

    from aws2bq.errors import WarehouseError

    wh = connect(f"duckdb:///{tmp_path / 'w.duckdb'}")
    late = "SELECT CASE WHEN i > 3000000 THEN error('late') END FROM range(4000000) t(i)"
    try:
        with pytest.raises(WarehouseError, match="late"):
            wh.query(sqlglot.parse_one(late, read="duckdb"))
        with pytest.raises(WarehouseError, match="late"):
            list(wh.arrow_batches(sqlglot.parse_one(late, read="duckdb"), 1000))  # type: ignore[attr-defined]
    finally:
        wh.close()


def test_one_file_is_parsed_by_the_pool_and_a_bad_line_named_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An export of one file keeps the cores busy: its chunks are parsed by the parser pool,
    ahead of the reader, yet spilled in file order, so rows and line numbers stay exact."""
    monkeypatch.setattr(arrow_stage, "CHUNK_BYTES", 8192)
    parsed_by: set[str] = set()
    parse = arrow_stage._parse_chunk

    def spy(data: Any, learned: Any) -> Any:
        parsed_by.add(threading.current_thread().name)
        return parse(data, learned)

    monkeypatch.setattr(arrow_stage, "_parse_chunk", spy)
    lines = [item_line({"pk": {"S": f"k{i}"}, "v": {"N": str(i)}}) for i in range(3000)]
    folder = write_export(tmp_path / "ok", [lines]).folder
    spill = arrow_stage.stage(
        read_export(str(folder)).files, tmp_path / "spill", lines=arrow_stage.ItemLines(), workers=2
    )
    assert sum(spill.rows.values()) == 3000
    assert spill.profile.result()["v"].numbers is not None
    assert sum(b.num_rows for b in spill.relation().batches()) == 3000  # type: ignore[union-attr]
    assert parsed_by and all(name.startswith("aws2bq-parse") for name in parsed_by)

    lines[2345] = b'{"NotAnItem":{"pk":{"S":"x"}}}\n'  # many chunks into the file
    export = write_export(tmp_path / "bad", [lines])
    with pytest.raises(ExportError) as info:
        arrow_stage.stage(
            read_export(str(export.folder)).files,
            tmp_path / "spill2",
            lines=arrow_stage.ItemLines(),
            workers=2,
        )
    assert f"{export.data_files[0].name} line 2346 " in str(info.value)
