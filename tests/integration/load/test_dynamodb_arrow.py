"""The Arrow stager (fast path) against DuckDB's read_json stager: same tables, nothing lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bench.export_writer import item_line, write_export

from aws2bq.core.progress import NullProgress
from aws2bq.errors import Aws2BqError
from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb
from aws2bq.sources.dynamodb.export import read_export
from aws2bq.warehouses import connect
from aws2bq.warehouses.duckdb import arrow_scan, arrow_stage

from .conftest import snapshot
from .test_dynamodb_local import TYPE_TABLE

TRICKY = [
    {
        "pk": {"S": "t1"},
        "day": {"S": "2024-01-01"},
        "at": {"S": "2024-01-01 00:00:00"},
        "days": {"SS": ["2024-01-01", "x"]},
        "m": {"M": {"when": {"S": "2024-01-01T00:00:00"}, "e": {"M": {}}, "l": {"L": []}}},
        "ll": {"L": [{"L": [{"N": "1"}, {"L": []}]}, {"M": {"a": {"NS": ["1E+2", "-0.5"]}}}]},
        "n": {"NULL": True},
    },
    {"pk": {"S": "t2"}, "m": {"M": {"when": {"N": "3"}}}, "ll": {"L": [{"BOOL": False}]}},
    {"pk": {"S": "t3"}, "Id": {"S": "upper"}, "id": {"S": "lower"}, "m": {"NULL": True}},
]


def _items(n: int) -> list[dict[str, Any]]:
    return [
        {"pk": {"S": f"p{i}"}, "v": {"N": str(i)}, "s": {"S": "x" * (i % 50)}} for i in range(n)
    ]


def _load(folder: Path, db: Path, params: str = "") -> str:
    url = f"duckdb:///{db}" + (f"?{params}" if params else "")
    wh = connect(url)
    stagers: list[str] = []
    stage = wh.stage_dynamodb_export  # type: ignore[attr-defined]

    def spy(*args: Any, **kw: Any) -> Any:
        staged = stage(*args, **kw)
        stagers.append(staged.details["stager"])
        return staged

    wh.stage_dynamodb_export = spy  # type: ignore[attr-defined]
    try:
        load_dynamodb(DynamoDBLoadRequest(export=str(folder), table="t"), warehouse=wh)
    finally:
        wh.close()
    return stagers[0]


def _both(tmp: Path, files: list[list[bytes]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(Arrow stager, read_json stager) snapshots; the Arrow stager without its native JSON
    scanner (``native=0``: pyarrow parses every chunk) must give the very same tables."""
    folder = write_export(tmp / "src", files).folder
    assert _load(folder, tmp / "fast.duckdb") == "arrow"
    assert _load(folder, tmp / "pyarrow.duckdb", "native=0") == "arrow"
    assert _load(folder, tmp / "slow.duckdb", "arrow=0") == "read_json"
    fast = snapshot(tmp / "fast.duckdb")
    assert _without_ledger(fast) == _without_ledger(snapshot(tmp / "pyarrow.duckdb"))
    return fast, snapshot(tmp / "slow.duckdb")


def _types(db: Path) -> list[tuple[Any, ...]]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 't' ORDER BY ordinal_position"
        ).fetchall()
    finally:
        con.close()


def _without_ledger(snap: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in snap.items() if k != "_aws2bq_ledger"}


@pytest.mark.parametrize("items", [TYPE_TABLE, TRICKY], ids=["types", "tricky"])
def test_both_stagers_give_the_same_table(tmp_path: Path, items: list[dict[str, Any]]) -> None:
    lines = [item_line(i) for i in items]
    fast, slow = _both(tmp_path, [lines[:1], lines[1:]])
    assert _types(tmp_path / "fast.duckdb") == _types(tmp_path / "slow.duckdb")
    assert _without_ledger(fast) == _without_ledger(slow)


def test_null_members_and_attributes_stay_on_the_fast_path(tmp_path: Path) -> None:
    # Not DynamoDB JSON, read as absent on every path; a chunk where an attribute is only
    # null (a null type) must not make the Arrow stager decline.
    # "never" is null in every item: no column on either stager (read_json made one).
    items = [
        {"pk": {"S": "1"}, "doc": {"M": {"a": {"S": "x"}, "gone": None}}, "top": None},
        {"pk": {"S": "2"}, "doc": {"M": {"gone": {"S": "z"}}}, "top": {"S": "y"}, "never": None},
    ]
    fast, slow = _both(tmp_path, [[item_line(items[0])], [item_line(items[1])]])
    assert _without_ledger(fast) == _without_ledger(slow)
    assert _types(tmp_path / "fast.duckdb") == _types(tmp_path / "slow.duckdb")
    assert "never" not in dict(_types(tmp_path / "slow.duckdb"))
    assert any('{"a":"x"}' in r for r in fast["t"]), fast


def test_date_like_strings_keep_their_text(tmp_path: Path) -> None:
    lines = [item_line(i) for i in TRICKY]
    fast, _ = _both(tmp_path, [lines])
    text = "\n".join(fast["t"])
    assert "'2024-01-01 00:00:00'" in text and "'2024-01-01'" in text
    assert '{"when":"2024-01-01T00:00:00","e":{},"l":[]}' in text


def test_an_attribute_in_the_last_line_of_the_last_file_is_never_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small chunks: most chunks are parsed with the learned schema as an explicit one, by
    # the native scanner where it is built.
    monkeypatch.setattr(arrow_stage, "CHUNK_BYTES", 4096)
    scanned: list[int] = []
    scan = arrow_scan.Plan.scan

    def counted(self: arrow_scan.Plan, data: Any) -> Any:
        table = scan(self, data)
        scanned.append(table is not None)
        return table

    monkeypatch.setattr(arrow_scan.Plan, "scan", counted)
    files = [[item_line(i) for i in _items(2000)] for _ in range(3)]
    files[-1][-1] = item_line(
        {
            "pk": {"S": "last"},
            "v": {"S": "now a string"},  # a new descriptor for a known attribute
            "late": {"M": {"deep": {"L": [{"S": "2024-01-01"}]}}},  # a new attribute
            "s": {"NULL": True},
        }
    )
    fast, slow = _both(tmp_path, files)
    assert _without_ledger(fast) == _without_ledger(slow)
    types = dict(_types(tmp_path / "fast.duckdb"))
    assert types["late"] == "JSON" and types["v"] == "JSON"
    assert any('{"deep":["2024-01-01"]}' in r for r in fast["t"])
    assert len(fast["t"]) == 6000
    if arrow_scan.available():  # most chunks scanned natively, the last line's declined
        assert sum(scanned) > 100 and not all(scanned)


def test_maps_with_data_dependent_keys_fall_back_to_read_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(arrow_stage, "MAX_FIELDS", 20)
    items = [{"pk": {"S": str(i)}, "m": {"M": {f"user{i}": {"N": str(i)}}}} for i in range(50)]
    folder = write_export(tmp_path / "src", [[item_line(i) for i in items]]).folder
    assert _load(folder, tmp_path / "w.duckdb") == "read_json"
    rows = snapshot(tmp_path / "w.duckdb")["t"]
    assert len(rows) == 50 and any('{"user7":7}' in r for r in rows)


@pytest.mark.parametrize(
    "value",
    [{"N": 5}, {"S": True}, {"M": {"a": {"N": 1.5}}}, {"L": [{"BOOL": "yes"}]}, {"SS": [1]}],
    ids=str,
)
def test_a_descriptor_holding_another_json_type_falls_back_to_read_json(
    tmp_path: Path, value: dict[str, Any]
) -> None:
    # Not DynamoDB JSON (its contents are strings, a BOOL's a boolean); the Arrow stager's
    # profile met an int64 N and the load ended as "unexpected ArrowNotImplementedError (a
    # bug in aws2bq)". It is a shape the Arrow stager declines, as read_json reads it.
    items = [{"pk": {"S": str(i)}, "v": value if i == 1 else {"NULL": True}} for i in range(3)]
    folder = write_export(tmp_path / "src", [[item_line(i) for i in items]]).folder
    assert _load(folder, tmp_path / "w.duckdb") == "read_json"
    assert _load(folder, tmp_path / "slow.duckdb", "arrow=0") == "read_json"
    assert _without_ledger(snapshot(tmp_path / "w.duckdb")) == _without_ledger(
        snapshot(tmp_path / "slow.duckdb")
    )


def test_an_n_holding_a_list_is_read_json_s_to_judge(tmp_path: Path) -> None:
    # {"N": []}: pyarrow infers list<null>, which the profile cannot read either ("a bug in
    # aws2bq" before). The Arrow stager declines, so both stagers end alike.
    items = [{"pk": {"S": "1"}, "v": {"N": []}}, {"pk": {"S": "2"}, "v": {"N": "3"}}]
    folder = write_export(tmp_path / "src", [[item_line(i)] for i in items]).folder
    errors = []
    for params in ("", "arrow=0"):
        with pytest.raises(Aws2BqError) as caught:
            _load(folder, tmp_path / f"w{params}.duckdb", params)
        errors.append(str(caught.value))
    assert errors[0] == errors[1], errors


def test_bad_lines_fall_back_and_name_the_file(tmp_path: Path) -> None:
    good = [item_line({"pk": {"S": "1"}})]
    folder = write_export(tmp_path / "src", [good, [b'{"Item": {"pk": {"S": "2"}}\n']]).folder
    _staging_fails(folder, f"duckdb:///{tmp_path / 'w.duckdb'}", r"\.json\.gz.*cannot be read")


def _staging_fails(folder: Path, url: str, match: str) -> str:
    """Staging ``folder`` fails with a message matching ``match``; returns the message."""
    wh = connect(url)
    try:
        export = read_export(str(folder))
        with pytest.raises(Exception, match=match) as caught:
            wh.stage_dynamodb_export(  # type: ignore[attr-defined]
                export.files, stream="t", progress=NullProgress()
            )
    finally:
        wh.close()
    return str(caught.value)


@pytest.mark.parametrize("native", ["", "native=0"])
@pytest.mark.parametrize(
    ("bad", "says"),
    [
        (b'{"NotAnItem": {"pk": {"S": "x"}}}', "no Item"),
        (b'{"Item": {"pk": {"S": "x"}}', "not JSON lines"),
        (b"[]", "not a JSON object"),
        (b"null", "(null|no Item)"),  # "null" at a chunk's start, else a row without Item
    ],
    ids=["no-item", "truncated", "array", "null"],
)
def test_a_bad_line_deep_in_a_file_is_named_by_its_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, native: str, bad: bytes, says: str
) -> None:
    # Small chunks: the line is in a late chunk, checked in a parser thread, and its number
    # within the chunk is turned into the file's.
    monkeypatch.setattr(arrow_stage, "CHUNK_BYTES", 4096)
    lines = [item_line(i) for i in _items(3000)]
    lines[2345] = bad + b"\n"
    folder = write_export(tmp_path / "src", [lines]).folder
    url = f"duckdb:///{tmp_path / 'w.duckdb'}" + (f"?{native}" if native else "")
    message = _staging_fails(folder, url, rf"\.json\.gz line 2346 cannot be read.*{says}")
    assert "in row" not in message  # pyarrow's row in the chunk, beside the line, confused


def test_read_json_s_refusal_names_the_line_not_duckdb_s_message(tmp_path: Path) -> None:
    # DuckDB's own message named a scratch copy and "at byte 29 in line 4" for line 3.
    lines = [item_line(i) for i in _items(300)]
    lines[122] = b'{"Item": {"pk": {"S": "x"}}\n'
    folder = write_export(tmp_path / "src", [lines]).folder
    url = f"duckdb:///{tmp_path / 'w.duckdb'}?arrow=0"
    message = _staging_fails(folder, url, r"\.json\.gz line 123 is not JSON")
    assert "DuckDB" not in message and "byte" not in message, message
