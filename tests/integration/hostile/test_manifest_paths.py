"""11.1: every path taken from a manifest stays inside the export; symlinks are not followed
out of it; the error names the manifest entry; nothing is applied.

The kind: a path an export names (DynamoDB ``dataFileS3Key``, full and incremental; RDS files
found by listing) that leads outside the export's root — by ``..``, an absolute path, another
prefix of the bucket, or a symlink — local and on S3.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aws2bq.errors import ExportError
from aws2bq.sandbox import Sandbox
from aws2bq.sources.blobs import LocalStore, plain_key
from aws2bq.sources.dynamodb.export import read_export

from .conftest import (
    Cli,
    error_line,
    incremental_export,
    item_line,
    local_export,
    manifest_entries,
    record,
    snapshot,
    write_manifest,
)

T1 = datetime(2025, 1, 1, tzinfo=UTC)
T2 = datetime(2025, 1, 2, tzinfo=UTC)
GOOD = [{"pk": {"S": f"k{i}"}, "v": {"N": str(i)}} for i in range(6)]
STOLEN = [{"pk": {"S": "stolen"}, "secret": {"S": "do not load"}}]


def _md5(blob: bytes) -> str:
    return base64.b64encode(hashlib.md5(blob).digest()).decode()


def _entry(blob: bytes, key: str) -> dict[str, object]:
    """A manifest entry that is right about the file it names (the attacker wrote both)."""
    return {"itemCount": len(STOLEN), "md5Checksum": _md5(blob),
            "etag": hashlib.md5(blob).hexdigest(), "dataFileS3Key": key}  # fmt: skip


def _stolen_file(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    blob = gzip.compress(b"".join(item_line(i) for i in STOLEN))
    path.write_bytes(blob)
    return blob


def _loaded(tmp_path: Path, cli: Cli, *extra: str) -> tuple[Path, dict[str, object]]:
    """A warehouse holding a first good export (so "nothing applied" has something to keep)."""
    db = tmp_path / "w.duckdb"
    first = local_export(tmp_path / "first", GOOD, export_id="0001-first", export_time=T1)
    code, _, err = cli(
        "load", "dynamodb", str(first), "--table", "t", "--key", "pk",
        "--warehouse", f"duckdb:///{db}", "--quiet", *extra,
    )  # fmt: skip
    assert code == 0, err
    return db, snapshot(db)


def _load(cli: Cli, folder: Path, db: Path, *extra: str) -> tuple[int, str]:
    code, _, err = cli(
        "load", "dynamodb", str(folder), "--table", "t", "--key", "pk",
        "--warehouse", f"duckdb:///{db}", "--quiet", *extra,
    )  # fmt: skip
    return code, err


ESCAPES = ["dotdot", "absolute", "other-folder", "etc-passwd", "symlink"]


@pytest.mark.parametrize("mode", ["replace", "merge", "history"])
@pytest.mark.parametrize("escape", ESCAPES)
def test_a_full_export_naming_a_file_outside_it_is_refused(
    tmp_path: Path, cli: Cli, escape: str, mode: str
) -> None:
    db, before = _loaded(tmp_path, cli, "--mode", mode)
    folder = local_export(tmp_path / "src", GOOD, files=1, export_id="0002-evil", export_time=T2)
    entries = manifest_entries(folder)
    data = folder / "data"
    if escape == "dotdot":
        blob = _stolen_file(tmp_path / "outside" / "stolen.json.gz")
        # src/exports/AWSDynamoDB/<id>/data → five levels up is tmp_path
        key = "exports/AWSDynamoDB/0002-evil/data/../../../../../outside/stolen.json.gz"
    elif escape == "absolute":
        blob = _stolen_file(tmp_path / "outside" / "stolen.json.gz")
        key = str(tmp_path / "outside" / "stolen.json.gz")
    elif escape == "other-folder":
        blob = _stolen_file(tmp_path / "src" / "exports" / "other" / "stolen.json.gz")
        key = "other/stolen.json.gz"
    elif escape == "etc-passwd":
        blob = b""
        key = "exports/AWSDynamoDB/0002-evil/data/" + "../" * 12 + "etc/passwd"
    else:
        blob = _stolen_file(tmp_path / "outside" / "stolen.json.gz")
        target = Path(entries[0]["dataFileS3Key"]).name
        (data / target).unlink()
        (data / target).symlink_to(tmp_path / "outside" / "stolen.json.gz")
        key = entries[0]["dataFileS3Key"]
    entries = [_entry(blob, key)]
    write_manifest(folder, entries)
    code, err = _load(cli, folder, db, "--mode", mode)
    line = error_line(err)
    assert code == 1, err
    assert "manifest-files.json line 1" in line and "outside" in line, line
    assert snapshot(db) == before


def test_an_incremental_export_naming_a_file_outside_it_is_refused(
    tmp_path: Path, cli: Cli
) -> None:
    db, before = _loaded(tmp_path, cli, "--mode", "merge")
    folder = incremental_export(
        tmp_path / "inc",
        [[record({"pk": {"S": "k1"}}, {"pk": {"S": "k1"}, "v": {"N": "10"}}, micros=1)]],
        export_id="0003-inc",
        export_from=T1,
        export_to=T1 + timedelta(hours=1),
    )
    blob = _stolen_file(tmp_path / "outside" / "stolen.json.gz")
    entries = [_entry(blob, "exports/AWSDynamoDB/data/../../../../outside/stolen.json.gz")]
    write_manifest(folder, entries)
    code, err = _load(cli, folder, db, "--mode", "merge")
    line = error_line(err)
    assert code == 1 and "manifest-files.json line 1" in line and "outside" in line, line
    assert snapshot(db) == before


def test_a_symlink_inside_the_export_to_a_file_inside_it_is_read(tmp_path: Path, cli: Cli) -> None:
    folder = local_export(tmp_path / "src", GOOD, files=1, export_id="0002-link", export_time=T2)
    (entry,) = manifest_entries(folder)
    real = folder / "data" / Path(entry["dataFileS3Key"]).name
    moved = folder / "data" / "moved.json.gz"
    real.rename(moved)
    real.symlink_to(moved)
    code, err = _load(cli, folder, tmp_path / "w.duckdb")
    assert code == 0, err


def test_an_rds_file_symlinked_outside_the_export_is_refused(tmp_path: Path, cli: Cli) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tests.integration.hostile.rds_exports import write_rds_export

    folder = write_rds_export(tmp_path / "rds", {"shop.orders": pa.table({"id": [1, 2]})})
    outside = tmp_path / "outside.parquet"
    pq.write_table(pa.table({"id": [666]}), outside)
    (part,) = folder.glob("shop/shop.orders/1/*.parquet")
    part.unlink()
    part.symlink_to(outside)
    db = tmp_path / "w.duckdb"
    code, _, err = cli("load", "rds", str(folder), "--warehouse", f"duckdb:///{db}", "--quiet")
    line = error_line(err)
    assert code == 1 and part.name in line and "outside" in line, line
    assert snapshot(db) in ({}, {"_aws2bq_ledger": []})


# -- S3 ----------------------------------------------------------------------------------------
@pytest.fixture
def aws(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    return sandbox


@pytest.mark.parametrize("escape", ["other-prefix", "dotdot", "leading-slash"])
def test_an_s3_export_naming_an_object_outside_its_prefix_is_refused(
    aws: Sandbox, unique: str, tmp_path: Path, cli: Cli, escape: str
) -> None:
    s3 = aws.client("s3")
    bucket = f"b-{unique}"
    s3.create_bucket(Bucket=bucket)
    table = f"t{unique}"
    aws.dynamodb.create_table(table, hash_key=("pk", "S"))
    aws.client("dynamodb").put_item(TableName=table, Item={"pk": {"S": "a"}})
    done = aws.dynamodb.export_full(table, bucket, prefix="exp")
    export_id = done["ExportArn"].rsplit("/", 1)[-1]
    blob = gzip.compress(b"".join(item_line(i) for i in STOLEN))
    s3.put_object(Bucket=bucket, Key="private/stolen.json.gz", Body=blob)
    key = {
        "other-prefix": "private/stolen.json.gz",
        "dotdot": f"exp/AWSDynamoDB/{export_id}/data/../../../../private/stolen.json.gz",
        "leading-slash": "/private/stolen.json.gz",
    }[escape]
    files_key = f"exp/AWSDynamoDB/{export_id}/manifest-files.json"
    entry = _entry(blob, key)
    s3.put_object(Bucket=bucket, Key=files_key, Body=json.dumps(entry).encode() + b"\n")
    summary_key = f"exp/AWSDynamoDB/{export_id}/manifest-summary.json"
    summary = json.loads(s3.get_object(Bucket=bucket, Key=summary_key)["Body"].read())
    summary["itemCount"] = 1
    s3.put_object(Bucket=bucket, Key=summary_key, Body=json.dumps(summary).encode())
    db = tmp_path / "w.duckdb"
    code, _, err = cli(
        "load", "dynamodb", f"s3://{bucket}/exp", "--table", "t",
        "--warehouse", f"duckdb:///{db}", "--quiet",
    )  # fmt: skip
    line = error_line(err)
    assert code == 1 and "manifest-files.json line 1" in line and "outside" in line, line
    assert not db.exists() or "t" not in snapshot(db)


# -- the property: a key from a manifest resolves inside the export or is refused --------------
SEGMENTS = st.sampled_from(["..", ".", "", "data", "x.json.gz", "AWSDynamoDB", "0001-id", "~"])
KEYS = st.lists(
    st.one_of(SEGMENTS, st.text(alphabet=string.ascii_letters + "._-", max_size=6)),
    min_size=1,
    max_size=8,
).map("/".join)


@settings(max_examples=300, deadline=None)
@given(key=KEYS, absolute=st.booleans())
def test_any_key_either_stays_in_the_store_or_is_refused(key: str, absolute: bool) -> None:
    key = ("/" + key) if absolute else key
    root = Path("/nonexistent-aws2bq-root/exports")
    try:
        checked = plain_key(key, "manifest entry")
    except ExportError:
        return
    assert not checked.startswith("/")
    assert all(part not in ("", ".", "..") for part in checked.split("/"))
    resolved = os.path.normpath(root / checked)
    assert resolved.startswith(str(root) + os.sep)


def test_local_store_never_resolves_outside_its_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "d").mkdir(parents=True)
    (tmp_path / "secret").write_text("x")
    (root / "d" / "link").symlink_to(tmp_path / "secret")
    store = LocalStore(root)
    for key in ("d/link", "../secret", "/etc/passwd", "d/../../secret"):
        with pytest.raises(ExportError, match=r"outside|not a plain"):
            store.read_bytes(key)


def test_read_export_names_the_entry(tmp_path: Path) -> None:
    folder = local_export(tmp_path / "src", GOOD, files=2, export_id="0002-x", export_time=T2)
    entries = manifest_entries(folder)
    entries[1]["dataFileS3Key"] = "../x.json.gz"
    write_manifest(folder, entries)
    with pytest.raises(ExportError, match=r"manifest-files\.json line 2.*outside"):
        read_export(str(folder))
