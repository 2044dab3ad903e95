"""11.2: a verification field AWS always writes is required; its absence refuses the export,
naming the file, the entry and the field. The kind: every field of every manifest aws2bq
relies on (DynamoDB manifest-files.json entries and manifest-summary.json, full and
incremental; RDS export_info and export_tables_info)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aws2bq.errors import ExportError
from aws2bq.sources.dynamodb.manifest import (
    ENTRY_FIELDS,
    FULL_SUMMARY_FIELDS,
    INCREMENTAL_SUMMARY_FIELDS,
    SUMMARY_FIELDS,
    parse_entry,
    require_summary_fields,
)

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
from .rds_exports import write_rds_export

T1 = datetime(2025, 1, 1, tzinfo=UTC)
T2 = datetime(2025, 1, 2, tzinfo=UTC)
GOOD = [{"pk": {"S": f"k{i}"}, "v": {"N": str(i)}} for i in range(6)]


def _first(tmp_path: Path, cli: Cli, mode: str) -> tuple[Path, dict[str, object]]:
    db = tmp_path / "w.duckdb"
    first = local_export(tmp_path / "first", GOOD, export_id="0001-first", export_time=T1)
    code, _, err = cli("load", "dynamodb", str(first), "--table", "t", "--key", "pk",
                       "--mode", mode, "--warehouse", f"duckdb:///{db}", "--quiet")  # fmt: skip
    assert code == 0, err
    return db, snapshot(db)


def _load(cli: Cli, folder: Path, db: Path, mode: str) -> tuple[int, str]:
    code, _, err = cli("load", "dynamodb", str(folder), "--table", "t", "--key", "pk",
                       "--mode", mode, "--warehouse", f"duckdb:///{db}", "--quiet")  # fmt: skip
    return code, err


@pytest.mark.parametrize("mode", ["replace", "merge", "history"])
def test_an_entry_without_md5_and_an_altered_file_is_refused(
    tmp_path: Path, cli: Cli, mode: str
) -> None:
    """The issue's example: no md5Checksum, and the data file changed after the export."""
    db, before = _first(tmp_path, cli, mode)
    folder = local_export(tmp_path / "src", GOOD, files=2, export_id="0002-x", export_time=T2)
    entries = manifest_entries(folder)
    del entries[1]["md5Checksum"]
    data = folder / "data" / Path(entries[1]["dataFileS3Key"]).name
    lines = gzip.decompress(data.read_bytes()).splitlines(keepends=True)
    lines[0] = item_line({"pk": {"S": "k1"}, "v": {"N": "999999"}})  # altered after the export
    data.write_bytes(gzip.compress(b"".join(lines)))
    write_manifest(folder, entries)
    code, err = _load(cli, folder, db, mode)
    line = error_line(err)
    assert code == 1, err
    assert "manifest-files.json line 2 has no md5Checksum" in line
    assert snapshot(db) == before


@pytest.mark.parametrize("field", sorted(ENTRY_FIELDS))
def test_an_entry_without_any_required_field_is_refused(
    tmp_path: Path, cli: Cli, field: str
) -> None:
    db, before = _first(tmp_path, cli, "merge")
    folder = local_export(tmp_path / "src", GOOD, files=2, export_id="0002-x", export_time=T2)
    entries = manifest_entries(folder)
    del entries[1][field]
    write_manifest(folder, entries)
    code, err = _load(cli, folder, db, "merge")
    line = error_line(err)
    assert code == 1 and f"manifest-files.json line 2 has no {field}" in line, err
    assert snapshot(db) == before


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("itemCount", -1, "not a non-negative integer"),
        ("itemCount", "3", "not a non-negative integer"),
        ("md5Checksum", "not-an-md5", "not a base64 MD5"),
        ("dataFileS3Key", 7, "must be strings"),
    ],
)
def test_an_entry_field_of_the_wrong_shape_is_refused(
    tmp_path: Path, cli: Cli, field: str, value: Any, says: str
) -> None:
    db, before = _first(tmp_path, cli, "replace")
    folder = local_export(tmp_path / "src", GOOD, files=2, export_id="0002-x", export_time=T2)
    entries = manifest_entries(folder)
    entries[0][field] = value
    (folder / "manifest-files.json").write_text("".join(json.dumps(e) + "\n" for e in entries))
    code, err = _load(cli, folder, db, "replace")
    line = error_line(err)
    assert code == 1 and "manifest-files.json line 1" in line and says in line, err
    assert snapshot(db) == before


@pytest.mark.parametrize("field", sorted({**SUMMARY_FIELDS, **FULL_SUMMARY_FIELDS}))
def test_a_full_summary_without_a_required_field_is_refused(
    tmp_path: Path, cli: Cli, field: str
) -> None:
    db, before = _first(tmp_path, cli, "merge")
    folder = local_export(tmp_path / "src", GOOD, files=2, export_id="0002-x", export_time=T2)
    summary = json.loads((folder / "manifest-summary.json").read_text())
    del summary[field]
    (folder / "manifest-summary.json").write_text(json.dumps(summary))
    code, err = _load(cli, folder, db, "merge")
    line = error_line(err)
    assert code == 1 and f"manifest-summary.json has no {field}" in line, err
    assert snapshot(db) == before


def test_a_summary_of_another_export_is_refused(tmp_path: Path, cli: Cli) -> None:
    db, before = _first(tmp_path, cli, "merge")
    folder = local_export(tmp_path / "src", GOOD, files=2, export_id="0002-x", export_time=T2)
    summary = json.loads((folder / "manifest-summary.json").read_text())
    summary["exportArn"] = summary["exportArn"].replace("0002-x", "0001-first")
    (folder / "manifest-summary.json").write_text(json.dumps(summary))
    code, err = _load(cli, folder, db, "merge")
    line = error_line(err)
    assert code == 1 and "0001-first" in line and "another export" in line, err
    assert snapshot(db) == before


@pytest.mark.parametrize("field", sorted(set(SUMMARY_FIELDS) | set(INCREMENTAL_SUMMARY_FIELDS)))
def test_an_incremental_summary_without_a_required_field_is_refused(
    tmp_path: Path, cli: Cli, field: str
) -> None:
    db, before = _first(tmp_path, cli, "merge")
    folder = incremental_export(
        tmp_path / "inc",
        [[record({"pk": {"S": "k1"}}, {"pk": {"S": "k1"}, "v": {"N": "10"}}, micros=1)]],
        export_id="0003-inc",
        export_from=T1,
        export_to=T1 + timedelta(hours=1),
    )
    summary = json.loads((folder / "manifest-summary.json").read_text())
    del summary[field]
    (folder / "manifest-summary.json").write_text(json.dumps(summary))
    code, err = _load(cli, folder, db, "merge")
    line = error_line(err)
    # Without exportType the summary reads as a full export's, which lacks exportTime.
    missing = "exportTime" if field == "exportType" else field
    assert code == 1 and f"manifest-summary.json has no {missing}" in line, err
    assert snapshot(db) == before


# -- RDS ---------------------------------------------------------------------------------------
def _rds(tmp_path: Path) -> Path:
    return write_rds_export(
        tmp_path / "rds",
        {"shop.orders": pa.table({"id": [1, 2]}), "shop.items": pa.table({"id": [7]})},
    )


def _edit(folder: Path, pattern: str, change: Any) -> None:
    (path,) = folder.glob(pattern)
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("what", "pattern", "change", "says"),
    [
        ("no task id", "export_info_*.json", lambda d: d.pop("exportTaskIdentifier"),
         "has no exportTaskIdentifier"),
        ("another task", "export_info_*.json", lambda d: d.update(exportTaskIdentifier="other"),
         "'other'"),
        ("no status", "export_info_*.json", lambda d: d.pop("status"), "status missing"),
        ("no snapshot time", "export_info_*.json", lambda d: d.pop("snapshotTime"),
         "no snapshotTime"),
        ("no partitions", "export_tables_info_*.json",
         lambda d: d["perTableStatus"][1]["tableStatistics"]["partitioningInfo"].pop(
             "numberOfPartitions"), "shop.items"),
        ("no statistics", "export_tables_info_*.json",
         lambda d: d["perTableStatus"][1].pop("tableStatistics"), "partitioningInfo"),
        ("no columns", "export_tables_info_*.json",
         lambda d: d["perTableStatus"][1].pop("schemaMetadata"), "no columns"),
        ("no table status", "export_tables_info_*.json",
         lambda d: d["perTableStatus"][1].pop("status"), "status is missing"),
    ],
    ids=lambda v: v if isinstance(v, str) and " " in v else "",
)  # fmt: skip
def test_rds_metadata_without_a_required_field_is_refused(
    tmp_path: Path, cli: Cli, what: str, pattern: str, change: Any, says: str
) -> None:
    folder = _rds(tmp_path)
    _edit(folder, pattern, change)
    db = tmp_path / "w.duckdb"
    code, _, err = cli("load", "rds", str(folder), "--warehouse", f"duckdb:///{db}", "--quiet")
    line = error_line(err)
    assert code == 1 and says in line, err
    assert snapshot(db) in ({}, {"_aws2bq_ledger": []}), "an RDS export applies all or none"


# -- the property ------------------------------------------------------------------------------
ENTRY = {
    "itemCount": 3,
    "md5Checksum": "sQMSpEILNgoQmarvDFonGQ==",
    "etag": "af83d6f217c19b8b0fff8023d8ca4716-1",
    "dataFileS3Key": "p/AWSDynamoDB/0001-a/data/x.json.gz",
}


@settings(max_examples=200, deadline=None)
@given(dropped=st.sets(st.sampled_from(sorted(ENTRY_FIELDS))), extra=st.booleans())
def test_an_entry_is_accepted_exactly_when_every_required_field_is_there(
    dropped: set[str], extra: bool
) -> None:
    entry = {k: v for k, v in ENTRY.items() if k not in dropped}
    if extra:
        entry["somethingNew"] = 1  # fields AWS may add later are ignored
    line = json.dumps(entry).encode()
    if dropped:
        with pytest.raises(ExportError, match=f"line 4 has no ({'|'.join(sorted(dropped))})"):
            parse_entry(line, "manifest-files.json line 4")
    else:
        parsed = parse_entry(line, "manifest-files.json line 4")
        assert (parsed.key, parsed.item_count) == (ENTRY["dataFileS3Key"], 3)


@settings(max_examples=200, deadline=None)
@given(
    incremental=st.booleans(),
    dropped=st.sets(
        st.sampled_from(
            sorted({**SUMMARY_FIELDS, **FULL_SUMMARY_FIELDS, **INCREMENTAL_SUMMARY_FIELDS})
        )
    ),
)
def test_a_summary_is_accepted_exactly_when_its_kind_s_fields_are_there(
    incremental: bool, dropped: set[str]
) -> None:
    needed = {
        **SUMMARY_FIELDS,
        **(INCREMENTAL_SUMMARY_FIELDS if incremental else FULL_SUMMARY_FIELDS),
    }
    summary = {name: "x" for name in needed if name not in dropped}
    if set(needed) & dropped:
        with pytest.raises(ExportError, match=r"manifest-summary\.json has no"):
            require_summary_fields(summary, "e", incremental=incremental)
    else:
        require_summary_fields(summary, "e", incremental=incremental)
