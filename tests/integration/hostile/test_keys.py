"""11.3 / 11.4: a record that cannot be keyed, or two records with one key in a full export,
refuse the export (naming file and line, or the key and its files) in every mode; the
destination never holds a NULL key or two rows with one key, and runs are deterministic.

The kind: keys of what an export says — DynamoDB full exports (lines without ``Item``, items
without their key or with a NULL key, the same key twice), incremental records (``Keys``
without the key or NULL, a ``NewImage`` that disagrees with its ``Keys``), and RDS snapshots
loaded with a primary key (NULL or duplicate key values).
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import (
    Cli,
    error_line,
    incremental_export,
    local_export,
    manifest_entries,
    record,
    rows,
    snapshot,
    write_manifest,
)
from .rds_exports import write_rds_export

T1 = datetime(2025, 1, 1, tzinfo=UTC)
T2 = datetime(2025, 1, 2, tzinfo=UTC)
GOOD = [{"pk": {"S": f"k{i}"}, "v": {"N": str(i)}} for i in range(6)]
MODES = ["replace", "merge", "history"]


def _first(tmp_path: Path, cli: Cli, mode: str) -> tuple[Path, dict[str, object]]:
    db = tmp_path / "w.duckdb"
    first = local_export(tmp_path / "first", GOOD, export_id="0001-first", export_time=T1)
    code, _, err = cli("load", "dynamodb", str(first), "--table", "t", "--key", "pk",
                       "--mode", mode, "--warehouse", f"duckdb:///{db}", "--quiet")  # fmt: skip
    assert code == 0, err
    return db, snapshot(db)


def _load(cli: Cli, folder: Path, db: Path, mode: str, *key: str) -> tuple[int, str, str]:
    return cli("load", "dynamodb", str(folder), "--table", "t", *key, "--mode", mode,
               "--warehouse", f"duckdb:///{db}", "--quiet")  # fmt: skip


def _with_line(tmp_path: Path, line: bytes, *, position: int = 3) -> tuple[Path, str]:
    """A second export: GOOD (later values) in two files, ``line`` inserted in the second file
    at 1-based ``position``; returns (folder, that file's name)."""
    items = [{"pk": {"S": f"k{i}"}, "v": {"N": str(10 * i)}} for i in range(6)]
    folder = local_export(tmp_path / "src", items, files=2, export_id="0002-x", export_time=T2)
    entries = manifest_entries(folder)
    data = folder / "data" / Path(entries[1]["dataFileS3Key"]).name
    lines = gzip.decompress(data.read_bytes()).splitlines(keepends=True)
    lines.insert(position - 1, line)
    blob = gzip.compress(b"".join(lines))
    data.write_bytes(blob)
    import base64
    import hashlib

    entries[1]["md5Checksum"] = base64.b64encode(hashlib.md5(blob).digest()).decode()
    entries[1]["itemCount"] += 1
    write_manifest(folder, entries)
    return folder, data.name


UNKEYED = {
    "no key attribute": {"Item": {"v": {"N": "7"}}},
    "NULL key": {"Item": {"pk": {"NULL": True}, "v": {"N": "7"}}},
    "no Item": {"NotAnItem": {"pk": {"S": "k1"}}},
    "empty line object": {},
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", sorted(UNKEYED))
def test_a_full_export_line_that_cannot_be_keyed_is_refused(
    tmp_path: Path, cli: Cli, case: str, mode: str
) -> None:
    db, before = _first(tmp_path, cli, mode)
    folder, name = _with_line(tmp_path, orjson.dumps(UNKEYED[case]) + b"\n", position=2)
    code, _, err = _load(cli, folder, db, mode, "--key", "pk")
    line = error_line(err)
    assert code == 1, err
    assert f"{name} line 2" in line, line
    assert snapshot(db) == before


@pytest.mark.parametrize("stager", ["", "?arrow=0"])
def test_a_line_without_item_is_refused_even_without_keys(
    tmp_path: Path, cli: Cli, stager: str
) -> None:
    folder, name = _with_line(tmp_path, b"{}\n", position=1)
    db = tmp_path / "w.duckdb"
    code, _, err = cli("load", "dynamodb", str(folder), "--table", "t",
                       "--warehouse", f"duckdb:///{db}{stager}", "--quiet")  # fmt: skip
    line = error_line(err)
    assert code == 1 and f"{name} line 1" in line and "no Item" in line, err
    assert not db.exists() or "t" not in snapshot(db)


@pytest.mark.parametrize("mode", MODES)
def test_the_same_key_twice_in_a_full_export_is_refused_naming_key_and_files(
    tmp_path: Path, cli: Cli, mode: str
) -> None:
    db, before = _first(tmp_path, cli, mode)
    folder, name = _with_line(tmp_path, orjson.dumps({"Item": GOOD[0]}) + b"\n", position=2)
    first_file = Path(manifest_entries(folder)[0]["dataFileS3Key"]).name
    code, _, err = _load(cli, folder, db, mode, "--key", "pk")
    line = error_line(err)
    assert code == 1, err
    assert "'k0'" in line and "2 times" in line
    assert f"{first_file} line 1" in line and f"{name} line 2" in line, line
    assert snapshot(db) == before


def test_one_data_file_listed_twice_is_refused_by_itself(tmp_path: Path, cli: Cli) -> None:
    db, before = _first(tmp_path, cli, "merge")
    folder = local_export(tmp_path / "src", GOOD, files=2, export_id="0002-x", export_time=T2)
    entries = manifest_entries(folder)
    write_manifest(folder, [*entries, entries[0]])  # counts made consistent
    code, _, err = _load(cli, folder, db, "merge", "--key", "pk")
    line = error_line(err)
    assert code == 1 and "lines 1 and 3 both name data file" in line, err
    assert snapshot(db) == before


def test_duplicates_are_refused_every_time_never_resolved_at_random(
    tmp_path: Path, cli: Cli
) -> None:
    db, before = _first(tmp_path, cli, "merge")
    twin = {"Item": {"pk": {"S": "k3"}, "v": {"N": "-1"}}}  # same key, another value
    folder, _ = _with_line(tmp_path, orjson.dumps(twin) + b"\n")
    messages = set()
    for _ in range(3):
        code, _, err = _load(cli, folder, db, "merge", "--key", "pk")
        assert code == 1
        messages.add(error_line(err))
    assert len(messages) == 1
    assert snapshot(db) == before


# -- incremental records -----------------------------------------------------------------------
BAD_RECORDS = {
    "Keys without the key": record({"other": {"S": "x"}}, {"pk": {"S": "k1"}}, micros=10),
    "NULL key": record({"pk": {"NULL": True}}, {"pk": {"NULL": True}}, micros=10),
    "NewImage without the key": record({"pk": {"S": "k1"}}, {"v": {"N": "5"}}, micros=10),
    "NewImage with another key": record({"pk": {"S": "k1"}}, {"pk": {"S": "k2"}}, micros=10),
}


@pytest.mark.parametrize("mode", ["merge", "history"])
@pytest.mark.parametrize("case", sorted(BAD_RECORDS))
def test_an_incremental_record_that_cannot_be_keyed_is_refused(
    tmp_path: Path, cli: Cli, case: str, mode: str
) -> None:
    db, before = _first(tmp_path, cli, mode)
    good = record({"pk": {"S": "k4"}}, {"pk": {"S": "k4"}, "v": {"N": "44"}}, micros=20)
    folder = incremental_export(
        tmp_path / "inc",
        [[good, BAD_RECORDS[case]]],
        export_id="0003-inc",
        export_from=T1,
        export_to=T1 + timedelta(hours=1),
    )
    (entry,) = manifest_entries(folder)
    name = Path(entry["dataFileS3Key"]).name
    code, _, err = _load(cli, folder, db, mode, "--key", "pk")
    line = error_line(err)
    assert code == 1, err
    assert f"{name} line 2" in line, line
    assert snapshot(db) == before


# -- RDS ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", ["duplicate", "null"])
def test_an_rds_snapshot_with_a_bad_primary_key_is_refused(
    tmp_path: Path, cli: Cli, mode: str, case: str
) -> None:
    db = tmp_path / "w.duckdb"
    first = write_rds_export(
        tmp_path / "r1", {"shop.orders": pa.table({"id": [1, 2], "name": ["a", "b"]})}
    )
    args = ["--warehouse", f"duckdb:///{db}", "--mode", mode, "--key", "shop.orders=id", "--quiet"]
    code, _, err = cli("load", "rds", str(first), *args)
    assert code == 0, err
    before = snapshot(db)
    ids = [1, 1, 3] if case == "duplicate" else [1, None, 3]
    second = write_rds_export(
        tmp_path / "r2",
        {"shop.orders": pa.table({"id": pa.array(ids, pa.int64()), "name": ["x", "y", "z"]})},
        task="export-2",
        snapshot_time=T2,
    )
    code, _, err = cli("load", "rds", str(second), *args)
    line = error_line(err)
    assert code == 1 and "shop.orders" in line, err
    assert ("id=1 appears 2 times" if case == "duplicate" else "NULL") in line, line
    assert snapshot(db) == before


# -- the property ------------------------------------------------------------------------------
KINDS = st.sampled_from(["ok", "ok", "ok", "missing", "null", "duplicate"])


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(kinds=st.lists(KINDS, min_size=1, max_size=12), files=st.integers(1, 3), merge=st.booleans())
def test_a_full_export_is_applied_exactly_when_every_item_has_one_distinct_key(
    tmp_path_factory: pytest.TempPathFactory,
    cli: Cli,
    kinds: list[str],
    files: int,
    merge: bool,
) -> None:
    tmp = tmp_path_factory.mktemp("prop")
    items: list[dict[str, Any]] = []
    for n, kind in enumerate(kinds):
        if kind == "missing":
            items.append({"v": {"N": str(n)}})
        elif kind == "null":
            items.append({"pk": {"NULL": True}, "v": {"N": str(n)}})
        elif kind == "duplicate" and items and "pk" in items[0]:
            items.append({**items[0], "v": {"N": str(n)}})
        else:
            items.append({"pk": {"S": f"k{n}"}, "v": {"N": str(n)}})
    keys = [json.dumps(i["pk"]) for i in items if "pk" in i and "S" in i["pk"]]
    keyable = len(keys) == len(items) and len(set(keys)) == len(keys)
    folder = local_export(tmp / "src", items, files=files, export_time=T1)
    db = tmp / "w.duckdb"
    code, _, err = _load(cli, folder, db, "merge" if merge else "replace", "--key", "pk")
    if keyable:
        assert code == 0, err
        assert sorted(rows(db, "SELECT pk FROM t")) == sorted((json.loads(k)["S"],) for k in keys)
    else:
        # 2 when no item has the key at all: then --key itself is taken to be wrong.
        assert code == (2 if not keys and all("pk" not in i for i in items) else 1), err
        error_line(err)
        assert not db.exists() or "t" not in snapshot(db)
