"""11.8: data that is not what it claims to be — a directory, a link to ``/dev/zero``, a named
pipe, bytes that are not UTF-8 — ends promptly with one line naming the file, exit 1, and
nothing applied. Only regular files are read, and never beyond the size they were listed with.

The cases that used to hang (``/dev/zero``, a named pipe) run in a child process with a
timeout, so a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from aws2bq.errors import ExportError
from aws2bq.sources.blobs import ExportFile, LocalStore

from .conftest import (
    Cli,
    error_line,
    incremental_export,
    item_line,
    local_export,
    manifest_entries,
    record,
    rows,
    snapshot,
    write_manifest,
)

REPO = Path(__file__).resolve().parents[3]
T1 = datetime(2025, 1, 1, tzinfo=UTC)
T2 = datetime(2025, 1, 2, tzinfo=UTC)
GOOD = [{"pk": {"S": f"k{i}"}, "v": {"N": str(i)}} for i in range(6)]
CHILD = "import sys; from aws2bq.cli import main; sys.argv[0] = 'aws2bq'; main()"


def _child(args: list[str], timeout: float = 60) -> tuple[int, str, float]:
    """``aws2bq ARGS`` in a child process; (exit code, stderr, seconds). A hang fails."""
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=REPO,
    )
    return done.returncode, done.stderr, time.monotonic() - started


def _first(tmp_path: Path, cli: Cli) -> tuple[Path, dict[str, object]]:
    db = tmp_path / "w.duckdb"
    first = local_export(tmp_path / "first", GOOD, export_id="0001-first", export_time=T1)
    code, _, err = cli("load", "dynamodb", str(first), "--table", "t", "--key", "pk",
                       "--warehouse", f"duckdb:///{db}", "--quiet")  # fmt: skip
    assert code == 0, err
    return db, snapshot(db)


def _second(tmp_path: Path) -> tuple[Path, Path]:
    folder = local_export(tmp_path / "src", GOOD, files=2, export_id="0002-bad", export_time=T2)
    (entry, _) = manifest_entries(folder)
    return folder, folder / "data" / Path(entry["dataFileS3Key"]).name


def _lines_of(data: Path) -> list[bytes]:
    return gzip.decompress(data.read_bytes()).splitlines(keepends=True)


def _rewrite(folder: Path, data: Path, lines: list[bytes]) -> None:
    """Write ``lines`` as the export's first data file, its MD5 and item count to match (the
    file is well-formed as a file: what is wrong is inside)."""
    blob = gzip.compress(b"".join(lines))
    data.write_bytes(blob)
    entries = manifest_entries(folder)
    entries[0]["md5Checksum"] = base64.b64encode(hashlib.md5(blob).digest()).decode()
    entries[0]["itemCount"] = len(lines)
    write_manifest(folder, entries)


@pytest.mark.parametrize("kind", ["directory", "dev-zero", "fifo"])
def test_a_data_file_that_is_not_a_regular_file_is_refused_promptly(
    tmp_path: Path, cli: Cli, kind: str
) -> None:
    db, before = _first(tmp_path, cli)
    folder, data = _second(tmp_path)
    data.unlink()
    if kind == "directory":
        data.mkdir()
    elif kind == "dev-zero":
        data.symlink_to("/dev/zero")
    else:
        os.mkfifo(data)
    code, err, seconds = _child(
        ["load", "dynamodb", str(folder), "--table", "t", "--key", "pk",
         "--warehouse", f"duckdb:///{db}", "--quiet"]
    )  # fmt: skip
    line = error_line(err)
    assert code == 1, err
    assert data.name in line and "manifest-files.json line 1" in line
    assert {"directory": "a directory", "dev-zero": "outside", "fifo": "a named pipe"}[kind] in line
    assert seconds < 30
    assert snapshot(db) == before


def test_an_rds_parquet_file_that_is_a_named_pipe_is_refused_promptly(tmp_path: Path) -> None:
    import pyarrow as pa

    from tests.integration.hostile.rds_exports import write_rds_export

    folder = write_rds_export(tmp_path / "rds", {"shop.orders": pa.table({"id": [1, 2]})})
    (part,) = folder.glob("shop/shop.orders/1/*.parquet")
    part.unlink()
    os.mkfifo(part)
    db = tmp_path / "w.duckdb"
    code, err, seconds = _child(["load", "rds", str(folder), "--warehouse", f"duckdb:///{db}"])
    line = error_line(err)
    assert code == 1 and part.name in line and "a named pipe" in line, err
    assert seconds < 30
    assert snapshot(db) in ({}, {"_aws2bq_ledger": []})


def _refused(
    tmp_path: Path, cli: Cli, edit: Callable[[list[bytes]], None], params: str = "", *more: str
) -> tuple[str, str]:
    """A second export whose first file's lines ``edit`` changed is refused (``params``: the
    DuckDB URL's query, ``more``: further CLI options) and nothing is applied; returns (the
    error line, that file's name)."""
    db, before = _first(tmp_path, cli)
    folder, data = _second(tmp_path)
    lines = _lines_of(data)
    edit(lines)
    _rewrite(folder, data, lines)
    code, _, err = cli(
        "load", "dynamodb", str(folder), "--table", "t", "--key", "pk", *more,
        "--warehouse", f"duckdb:///{db}{params}", "--quiet",
    )  # fmt: skip
    line = error_line(err)
    assert code == 1, err
    assert snapshot(db) == before
    return line, data.name


@pytest.mark.parametrize("stager", ["arrow", "read_json"])
@pytest.mark.parametrize("mode", ["replace", "merge"])
def test_invalid_utf8_inside_a_string_names_the_file_without_sql(
    tmp_path: Path, cli: Cli, stager: str, mode: str
) -> None:
    def edit(lines: list[bytes]) -> None:
        lines[1] = lines[1].replace(b'"S":"k', b'"S":"\xff\xfek')

    params = "" if stager == "arrow" else "?arrow=0"
    line, name = _refused(tmp_path, cli, edit, params, "--mode", mode)
    assert f"{name} line 2 " in line and "UTF-8" in line
    assert "SELECT" not in line and "LINE 1" not in line and "statement" not in line
    assert "DuckDB" not in line and "/tmp" not in line.split("→")[0].split(": ", 2)[-1]


def test_reads_stop_at_the_listed_size(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x" * 1000)
    store = LocalStore(tmp_path)
    longer = ExportFile(store, "f", None, 0, size=10, export="e")
    with pytest.raises(ExportError, match="longer than the 10 bytes"), longer.open() as fh:
        while fh.read(3):
            pass
    shorter = ExportFile(store, "f", None, 0, size=5000, export="e")
    with pytest.raises(ExportError, match="shorter than the 5,000 bytes"):
        shorter.download_to(tmp_path / "copy")
    exact = ExportFile(store, "f", None, 0, size=1000, export="e")
    assert exact.download_to(tmp_path / "copy") == 1000


def test_a_file_growing_after_the_manifest_was_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb
    from aws2bq.sources.dynamodb import export as source

    folder, data = _second(tmp_path)
    real = source.read_export

    def read_then_grow(export: str, aws: object = None) -> object:
        found = real(export, aws)  # type: ignore[arg-type]
        with data.open("ab") as fh:  # appended after the sizes were taken
            fh.write(gzip.compress(item_line({"pk": {"S": "late"}})))
        return found

    db = tmp_path / "w.duckdb"
    # The full-export loader reads the export through this name (runner/dynamodb_full_load.py).
    monkeypatch.setattr("aws2bq.runner.dynamodb_full_load.read_export", read_then_grow)
    with pytest.raises(ExportError, match="longer than the"):
        load_dynamodb(DynamoDBLoadRequest(str(folder), "t", ("pk",), warehouse=f"duckdb:///{db}"))
    assert snapshot(db) in ({}, {"_aws2bq_ledger": []})


@pytest.mark.parametrize("stager", ["arrow", "read_json"])
@pytest.mark.parametrize("where", ["first", "later"])
def test_a_null_line_names_the_file_and_applies_nothing(
    tmp_path: Path, cli: Cli, stager: str, where: str
) -> None:
    # pyarrow's JSON reader crashed the process (SIGSEGV) on a file whose first line is
    # `null` (apache/arrow#47409): run in a child, so a regression fails instead of crashing
    # the suite.
    db, before = _first(tmp_path, cli)
    folder, data = _second(tmp_path)
    lines = _lines_of(data)
    lines.insert(0 if where == "first" else len(lines), b"null\n")
    _rewrite(folder, data, lines)
    params = "" if stager == "arrow" else "?arrow=0"
    code, err, _ = _child(
        ["load", "dynamodb", str(folder), "--table", "t", "--key", "pk",
         "--warehouse", f"duckdb:///{db}{params}", "--quiet"]
    )  # fmt: skip
    line = error_line(err)
    assert code == 1, err
    assert data.name in line, err
    assert snapshot(db) == before


#: A list holding null, which DynamoDB JSON never has (an L element is a typed value such as
#: {"NULL": true}, a set's members are strings): attributes added to an item → where it is.
NULL_IN_LIST: dict[str, tuple[dict[str, object], str]] = {
    # pyarrow's inference read a leading null into invalid arrays and the load ended as
    # "unexpected ArrowIndexError (a bug in aws2bq)" (apache/arrow#51305).
    "set, null first": ({"tags": {"SS": [None, "a"]}}, "Item.tags.SS[0]"),
    # read_json loaded it as a NULL member of the set.
    "number set, null last": ({"ns": {"NS": ["1", None]}}, "Item.ns.NS[1]"),
    # read_json dropped the element without a word.
    "list": ({"xs": {"L": [{"S": "a"}, None]}}, "Item.xs.L[1]"),
    "list in a map": ({"doc": {"M": {"xs": {"L": [None]}}}}, "Item.doc.M.xs.L[0]"),
    "set in a list in a map": (
        {"doc": {"M": {"l": {"L": [{"BS": ["AA==", None]}]}}}},
        "Item.doc.M.l.L[0].BS[1]",
    ),
}


@pytest.mark.parametrize("stager", ["arrow", "read_json"])
@pytest.mark.parametrize("case", sorted(NULL_IN_LIST))
def test_a_list_holding_null_names_its_line_and_applies_nothing(
    tmp_path: Path, cli: Cli, stager: str, case: str
) -> None:
    attributes, where = NULL_IN_LIST[case]
    bad = orjson.dumps({"Item": {"pk": {"S": "k9"}, **attributes}}) + b"\n"
    params = "" if stager == "arrow" else "?arrow=0"
    line, name = _refused(tmp_path, cli, lambda lines: lines.insert(1, bad), params)
    assert f"{name} line 2" in line and where in line and "null" in line, line


def test_an_n_that_is_not_a_number_names_its_line(tmp_path: Path, cli: Cli) -> None:
    # The Arrow stager's profile raised "unexpected ValueError: not a number: 'abc' (a bug in
    # aws2bq ...)". (read_json still fails later, at the cast, naming no file: the closing
    # note's candidate issue on values that are not DynamoDB JSON.)
    bad = b'{"Item":{"pk":{"S":"k9"},"v":{"N":"abc"}}}\n'
    line, name = _refused(tmp_path, cli, lambda lines: lines.insert(1, bad))
    assert f"{name} line 2" in line and "not a number ('abc') at Item.v.N" in line, line


def _incremental_refused(
    tmp_path: Path, cli: Cli, records: list[dict[str, object]], params: str = ""
) -> tuple[str, str]:
    """An incremental export of ``records`` (one file) after the first export is refused in
    merge mode and nothing is applied; returns (the error line, the file's name)."""
    db, before = _first(tmp_path, cli)
    folder = incremental_export(
        tmp_path / "inc",
        [records],
        export_id="0003-inc",
        export_from=T1,
        export_to=T1 + timedelta(hours=1),
    )
    (entry,) = manifest_entries(folder)
    code, _, err = cli(
        "load", "dynamodb", str(folder), "--table", "t", "--key", "pk", "--mode", "merge",
        "--warehouse", f"duckdb:///{db}{params}", "--quiet",
    )  # fmt: skip
    line = error_line(err)
    assert code == 1, err
    assert snapshot(db) == before
    return line, Path(entry["dataFileS3Key"]).name


def test_an_incremental_n_that_is_not_a_number_is_refused(tmp_path: Path, cli: Cli) -> None:
    micros = int((T1 + timedelta(minutes=5)).timestamp() * 1_000_000)
    key = {"pk": {"S": "k1"}}
    line, _ = _incremental_refused(
        tmp_path, cli, [record(key, {**key, "v": {"NS": ["1", "x"]}}, micros=micros)]
    )
    assert "an NS value that is not a number ('x')" in line and "a bug" not in line, line


@pytest.mark.parametrize("stager", ["arrow", "read_json"])
def test_a_null_map_member_reads_as_absent(tmp_path: Path, cli: Cli, stager: str) -> None:
    # Not DynamoDB JSON either, but no value is lost: every path reads it as absent, as
    # pyarrow must (a struct member that is null is one that is not there).
    folder = local_export(
        tmp_path / "src",
        [{"pk": {"S": "k1"}, "doc": {"M": {"a": {"S": "x"}, "gone": None}}, "top": None,
          "deep": {"L": [{"M": {"b": {"L": [{"M": {"c": {"S": "y"}, "gone": None}}]}}}]}}],
        export_id="0001-first",
        export_time=T1,
    )  # fmt: skip
    db = tmp_path / "w.duckdb"
    params = "" if stager == "arrow" else "?arrow=0"
    code, _, err = cli(
        "load", "dynamodb", str(folder), "--table", "t", "--key", "pk",
        "--warehouse", f"duckdb:///{db}{params}", "--quiet",
    )  # fmt: skip
    assert code == 0, err
    assert rows(db, "SELECT pk, CAST(doc AS VARCHAR), CAST(deep AS VARCHAR) FROM t") == [
        ("k1", '{"a":"x"}', '[{"b":[{"c":"y"}]}]')
    ]


@pytest.mark.parametrize("stager", ["arrow", "read_json"])
@pytest.mark.parametrize("image", ["NewImage", "OldImage"])
def test_an_incremental_record_holding_a_list_with_null_is_refused(
    tmp_path: Path, cli: Cli, stager: str, image: str
) -> None:
    good = record({"pk": {"S": "k4"}}, {"pk": {"S": "k4"}, "v": {"N": "44"}}, micros=20)
    bad_item = {"pk": {"S": "k1"}, "doc": {"M": {"tags": {"SS": ["a", None]}}}}
    clean_item = {"pk": {"S": "k1"}, "v": {"N": "1"}}
    bad = record(
        {"pk": {"S": "k1"}},
        bad_item if image == "NewImage" else clean_item,
        old=bad_item if image == "OldImage" else clean_item,
        micros=30,
    )
    params = "" if stager == "arrow" else "?arrow=0"
    line, name = _incremental_refused(tmp_path, cli, [good, bad], params)
    assert f"{name} line 2" in line and f"{image}.doc.M.tags.SS[1]" in line, line
