"""``aws2bq load files`` from the sandbox's S3 (moto server) into DuckDB: formats, exactly-once
increments, changed objects, merge by key, and verification failures that change nothing."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from aws2bq.core.progress import NullProgress
from aws2bq.errors import ExportError
from aws2bq.sources.files.load import FilesLoadRequest, discover, read_batch
from aws2bq.sources.files.options import FilesMode, Format
from aws2bq.warehouses import connect
from tests.integration.load.conftest import rows, snapshot

from .conftest import S3Bucket, jsonl, parquet

Cli = Callable[..., tuple[int, str, str]]


def _load(cli: Cli, source: str, db: Path, fmt: str, *extra: str) -> tuple[int, str, str]:
    return cli(
        "load", "files", source, "--format", fmt, "--table", "events",
        "--warehouse", f"duckdb:///{db}", "--quiet", *extra,
    )  # fmt: skip


def _ledger(db: Path) -> list[tuple[Any, ...]]:
    return rows(db, "SELECT stream, source, files, manifest_items FROM _aws2bq_ledger ORDER BY 4")


def test_jsonl_gz_loads_typed_and_a_second_run_loads_only_the_new_object(
    s3: S3Bucket, tmp_path: Path, cli: Cli
) -> None:
    db = tmp_path / "w.duckdb"
    s3.put(
        "logs/2024/01/a.jsonl.gz",
        jsonl(
            [
                {
                    "id": 1,
                    "user": {"name": "ann"},
                    "tags": ["x", "y"],
                    "ok": True,
                    "ms": 1.5,
                    "at": "2024-01-01T10:00:00.250+02:00",
                },
                {"id": 2, "user": None, "tags": [], "ok": False, "ms": 2},
            ],
            gz=True,
        ),
    )
    s3.put("logs/_SUCCESS", b"")
    code, out, err = _load(cli, s3.url("logs/"), db, "jsonl")
    assert code == 0, err
    types = dict(rows(db, "SELECT column_name, data_type FROM information_schema.columns "
                          "WHERE table_name = 'events'"))  # fmt: skip
    assert types["id"] == "BIGINT" and types["user"] == "JSON" and types["tags"] == "JSON"
    assert types["ok"] == "BOOLEAN" and types["ms"] == "DOUBLE"
    assert types["at"] == "TIMESTAMP WITH TIME ZONE"
    assert rows(db, "SELECT CAST(timezone('UTC', \"at\") AS VARCHAR) FROM events WHERE id = 1") == [
        ("2024-01-01 08:00:00.25",)
    ]
    got = rows(db, 'SELECT id, CAST("user" AS VARCHAR), ok FROM events ORDER BY id')
    assert got == [(1, '{"name":"ann"}', True), (2, None, False)]

    before = snapshot(db)
    code, out, _ = _load(cli, s3.url("logs/"), db, "jsonl")
    assert code == 0 and '"status":"up_to_date"' in out
    assert snapshot(db) == before

    s3.put("logs/2024/01/b.jsonl", jsonl([{"id": 3, "ok": True, "ms": 3.25, "extra": "new"}]))
    code, out, err = _load(cli, s3.url("logs/"), db, "jsonl")
    assert code == 0, err
    assert '"objects":["logs/2024/01/b.jsonl"]' in out
    assert rows(db, "SELECT id, extra FROM events ORDER BY id") == [
        (1, None), (2, None), (3, "new"),
    ]  # fmt: skip
    assert _ledger(db) == [("files:events", "files", 1, 1), ("files:events", "files", 1, 2)]


def test_csv_and_parquet_load(s3: S3Bucket, tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "csv.duckdb"
    s3.put("csv/1.csv", b"id,name,amount,day\n1,a,1.25,2024-01-02\n2,b,,2024-01-03\n")
    code, _, err = _load(cli, s3.url("csv/"), db, "csv")
    assert code == 0, err
    assert rows(db, "SELECT id, name, amount, CAST(day AS VARCHAR) FROM events ORDER BY id") == [
        (1, "a", 1.25, "2024-01-02"), (2, "b", None, "2024-01-03"),
    ]  # fmt: skip
    db2 = tmp_path / "pq.duckdb"
    s3.put("pq/part-0.parquet", parquet({"id": [1, 2], "v": ["x", None]}))
    s3.put("pq/part-1.parquet.gz", gzip.compress(parquet({"id": [3], "v": ["z"]})))
    code, _, err = _load(cli, s3.url("pq/"), db2, "parquet")
    assert code == 0, err
    assert rows(db2, "SELECT id, v FROM events ORDER BY id") == [(1, "x"), (2, None), (3, "z")]


def test_a_changed_object_is_reported_not_reloaded(s3: S3Bucket, tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "w.duckdb"
    s3.put("p/a.jsonl", jsonl([{"id": 1}]))
    assert _load(cli, s3.url("p/"), db, "jsonl")[0] == 0
    before = snapshot(db)
    s3.put("p/a.jsonl", jsonl([{"id": 1}, {"id": 99}]))
    s3.put("p/b.jsonl", jsonl([{"id": 2}]))
    code, _, err = _load(cli, s3.url("p/"), db, "jsonl")
    assert code == 1
    assert f"s3://{s3.bucket}/p/a.jsonl (applied with ETag" in err and "changed" in err
    assert snapshot(db) == before
    code, out, err = _load(cli, s3.url("p/"), db, "jsonl", "--on-changed", "warn")
    assert code == 0, err
    assert '"objects":["p/b.jsonl"]' in out and '"key":"p/a.jsonl"' in out
    assert rows(db, "SELECT id FROM events ORDER BY id") == [(1,), (2,)]


def test_merge_by_key_newest_object_wins(s3: S3Bucket, tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "w.duckdb"
    s3.put("m/1.jsonl", jsonl([{"id": 1, "v": "a"}, {"id": 2, "v": "b"}]))
    code, _, err = _load(cli, s3.url("m/"), db, "jsonl", "--mode", "merge", "--key", "id")
    assert code == 0, err
    # One batch with two new objects naming key 2: the later one (by LastModified, then key)
    # wins; key 3 is new.
    s3.put("m/2.jsonl", jsonl([{"id": 2, "v": "b2"}, {"id": 3, "v": "c"}]))
    s3.put("m/3.jsonl", jsonl([{"id": 2, "v": "b3"}]))
    code, _, err = _load(cli, s3.url("m/"), db, "jsonl", "--mode", "merge")
    assert code == 0, err  # the key comes from the ledger's schema
    assert rows(db, "SELECT id, v FROM events ORDER BY id") == [(1, "a"), (2, "b3"), (3, "c")]
    before = snapshot(db)
    s3.put("m/4.jsonl", jsonl([{"id": 4, "v": "d"}, {"id": 4, "v": "e"}]))
    code, _, err = _load(cli, s3.url("m/"), db, "jsonl", "--mode", "merge")
    assert code == 1 and f"s3://{s3.bucket}/m/4.jsonl cannot be merged by key id" in err
    assert snapshot(db) == before
    s3.delete("m/4.jsonl")
    s3.put("m/5.jsonl", jsonl([{"id": None, "v": "d"}]))
    code, _, err = _load(cli, s3.url("m/"), db, "jsonl", "--mode", "merge")
    assert code == 1 and "NULL key 'id'" in err
    assert snapshot(db) == before


@pytest.mark.parametrize(
    ("fmt", "key", "body", "message"),
    [
        ("jsonl", "bad.jsonl.gz", gzip.compress(jsonl([{"id": 5}] * 200))[:-12], "truncated"),
        ("jsonl", "bad.jsonl", b'{"id": 5}\n{"id": \n', "at line 2"),
        ("csv", "bad.csv", b"id\n5\n6,7\n", "at line 3"),
        ("parquet", "bad.parquet", parquet({"id": [5]})[:-40], "cannot be read as parquet"),
    ],
    # By object name: a gzip body carries its mtime, and pytest-xdist's workers must collect
    # the same ids.
    ids=["truncated-gzip", "bad-json-line", "bad-csv-row", "truncated-parquet"],
)
def test_an_unreadable_object_changes_nothing(
    s3: S3Bucket, tmp_path: Path, cli: Cli, fmt: str, key: str, body: bytes, message: str
) -> None:
    db = tmp_path / "w.duckdb"
    good = {"jsonl": jsonl([{"id": 1}]), "csv": b"id\n1\n", "parquet": parquet({"id": [1]})}
    s3.put(f"v/0.{fmt}", good[fmt])
    assert _load(cli, s3.url("v/"), db, fmt)[0] == 0
    before = snapshot(db)
    s3.put(f"v/1-ok.{fmt}", good[fmt])
    s3.put(f"v/{key}", body)
    code, _, err = _load(cli, s3.url("v/"), db, fmt)
    assert code == 1
    assert f"s3://{s3.bucket}/v/{key}" in err and message in err
    assert snapshot(db) == before


@pytest.mark.parametrize("what", ["vanished", "changed"])
def test_an_object_gone_or_replaced_after_listing_changes_nothing(
    s3: S3Bucket, tmp_path: Path, what: str
) -> None:
    db = tmp_path / "w.duckdb"
    s3.put("g/a.jsonl", jsonl([{"id": 1}]))
    request = FilesLoadRequest(
        s3.url("g/"), "events", Format.JSONL, FilesMode.APPEND, warehouse=f"duckdb:///{db}"
    )
    with connect(request.warehouse) as wh:
        found = discover(request, wh, NullProgress())
        assert [o.key for o in found.classified.new] == ["g/a.jsonl"]
        if what == "vanished":
            s3.delete("g/a.jsonl")
        else:
            s3.put("g/a.jsonl", jsonl([{"id": 1}, {"id": 2}]))
        with pytest.raises(ExportError, match=f"g/a.jsonl {what} between listing and reading"):
            read_batch(request, found, NullProgress())
    assert snapshot(db) == {}


def test_columns_widen_across_loads_by_the_shared_rule(
    s3: S3Bucket, tmp_path: Path, cli: Cli
) -> None:
    db = tmp_path / "w.duckdb"
    s3.put("w/1.jsonl", jsonl([{"id": 1, "v": 1, "flag": True, "day": "2024-01-31"}]))
    assert _load(cli, s3.url("w/"), db, "jsonl")[0] == 0
    s3.put("w/2.jsonl", jsonl([{"id": 2, "v": 1.5, "flag": "maybe", "day": "soon"}]))
    code, out, err = _load(cli, s3.url("w/"), db, "jsonl")
    assert code == 0, err
    assert '"v":"JSON"' in out and '"flag":"STRING"' in out and '"schema_version":2' in out
    got = rows(db, "SELECT id, CAST(v AS VARCHAR), flag, day FROM events ORDER BY id")
    assert got == [(1, "1", "true", "2024-01-31"), (2, "1.5", "maybe", "soon")]


def test_a_later_load_with_another_mode_or_key_is_refused(
    s3: S3Bucket, tmp_path: Path, cli: Cli
) -> None:
    db = tmp_path / "w.duckdb"
    s3.put("k/1.jsonl", jsonl([{"order_id": 1, "s": "a"}]))
    code, _, err = _load(cli, s3.url("k/"), db, "jsonl", "--mode", "merge", "--key", "order_id")
    assert code == 0, err
    assert rows(db, "SELECT json_extract_string(changes_json, '$.mode'), "
                    "CAST(json_extract(changes_json, '$.keys') AS VARCHAR) FROM _aws2bq_ledger"
                ) == [("merge", '["order_id"]')]  # fmt: skip
    before = snapshot(db)
    s3.put("k/2.jsonl", jsonl([{"order_id": 1, "s": "b"}]))
    code, _, err = _load(cli, s3.url("k/"), db, "jsonl")
    assert code == 2
    assert "'events' was loaded with --mode merge --key order_id" in err
    assert "pass --mode merge --key order_id" in err
    code, _, err = _load(cli, s3.url("k/"), db, "jsonl", "--mode", "merge", "--key", "s")
    assert code == 2 and "merged by order_id" in err and "--key s" in err
    assert snapshot(db) == before
    code, _, err = _load(cli, s3.url("k/"), db, "jsonl", "--mode", "merge")
    assert code == 0, err
    assert rows(db, "SELECT order_id, s FROM events") == [(1, "b")]


def test_integers_beyond_int64_land_exactly(s3: S3Bucket, tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "w.duckdb"
    s3.put("big/1.jsonl", b'{"n": 18446744073709551615}\n{"n": 1}\n')
    s3.put("big/2.jsonl", b'{"n": 12345678901234567890123}\n')
    code, _, err = _load(cli, s3.url("big/"), db, "jsonl")
    assert code == 0, err
    got = [str(n) for (n,) in rows(db, "SELECT n FROM events ORDER BY n")]
    assert got == [
        "1.000000000",
        "18446744073709551615.000000000",
        "12345678901234567890123.000000000",
    ]  # NUMERIC: scale 9, every digit kept
    types = dict(rows(db, "SELECT column_name, data_type FROM information_schema.columns "
                          "WHERE table_name = 'events'"))  # fmt: skip
    assert types["n"].startswith("DECIMAL")


def test_local_files_are_identified_by_their_absolute_path(tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "w.duckdb"
    days = tmp_path / "days"
    for day, body in [("d1", [{"id": 1}]), ("d2", [{"id": 2}]), ("d3", [{"id": 1}])]:
        (days / day).mkdir(parents=True)
        (days / day / "part-0.jsonl").write_bytes(jsonl(body))
    for day in ("d1", "d2", "d3"):  # same relative name; d3 holds d1's bytes
        code, out, err = _load(cli, str(days / day), db, "jsonl")
        assert code == 0, err
        assert '"status":"applied"' in out
    assert rows(db, "SELECT id FROM events ORDER BY id") == [(1,), (1,), (2,)]
    before = snapshot(db)
    code, out, err = _load(cli, str(days), db, "jsonl")  # the parent: nothing new
    assert code == 0, err
    assert '"status":"up_to_date"' in out and '"already_applied":3' in out
    assert snapshot(db) == before


def test_a_prefix_without_slash_does_not_load_its_siblings(
    s3: S3Bucket, tmp_path: Path, cli: Cli
) -> None:
    db = tmp_path / "w.duckdb"
    s3.put("app/1.jsonl", jsonl([{"id": 1}]))
    s3.put("app-archive/1.jsonl", jsonl([{"id": 99}]))
    code, out, err = _load(cli, s3.url("app"), db, "jsonl")
    assert code == 0, err
    assert '"objects":["app/1.jsonl"]' in out
    assert rows(db, "SELECT id FROM events") == [(1,)]


def test_an_empty_or_mistyped_prefix_is_a_warning(s3: S3Bucket, tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "w.duckdb"
    s3.put("logs/1.jsonl", jsonl([{"id": 1}]))
    code, out, err = _load(cli, s3.url("lgos/"), db, "jsonl")
    assert code == 0, err
    assert f'"warnings":["no objects under s3://{s3.bucket}/lgos/' in out
    s3.put("done/_SUCCESS", b"")
    code, out, err = _load(cli, s3.url("done/"), db, "jsonl")
    assert code == 0 and f"no objects under s3://{s3.bucket}/done/" in out
    code, out, err = _load(cli, s3.url("logs/"), db, "jsonl")
    assert code == 0 and '"warnings":[]' in out
    code, out, err = _load(cli, s3.url("logs/"), db, "jsonl")  # up to date: no warning
    assert code == 0 and '"status":"up_to_date"' in out and '"warnings":[]' in out


def test_a_ledger_row_without_recorded_mode_still_keeps_the_mode(
    s3: S3Bucket, tmp_path: Path, cli: Cli
) -> None:
    db = tmp_path / "w.duckdb"
    s3.put("o/1.jsonl", jsonl([{"order_id": 1}]))
    code, _, err = _load(cli, s3.url("o/"), db, "jsonl", "--mode", "merge", "--key", "order_id")
    assert code == 0, err
    con = duckdb.connect(str(db))  # a row written before changes_json held mode and keys
    con.execute("UPDATE _aws2bq_ledger SET changes_json = "
                "json_object('objects', json_extract(changes_json, '$.objects'))")  # fmt: skip
    con.close()
    s3.put("o/2.jsonl", jsonl([{"order_id": 1}]))
    code, _, err = _load(cli, s3.url("o/"), db, "jsonl")
    assert code == 2 and "was loaded with --mode merge --key order_id" in err


def test_json_fields_changing_type_land_as_json(s3: S3Bucket, tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "w.duckdb"
    s3.put("k2/a.jsonl", b'{"id": 1, "v": 18446744073709551615}\n{"id": 2, "v": "x"}\n')
    s3.put("k2/b.jsonl", b'{"id": 3, "v": {"a": 1}}\n')
    code, _, err = _load(cli, s3.url("k2/"), db, "jsonl")
    assert code == 0, err
    got = rows(db, "SELECT id, CAST(v AS VARCHAR) FROM events ORDER BY id")
    # Object a's scalars of two types are text; b's object makes the load's column JSON, in
    # which that text is a JSON string (its digits exact).
    assert got == [(1, '"18446744073709551615"'), (2, '"x"'), (3, '{"a":1}')]
    types = dict(rows(db, "SELECT column_name, data_type FROM information_schema.columns "
                          "WHERE table_name = 'events'"))  # fmt: skip
    assert types["v"] == "JSON"
