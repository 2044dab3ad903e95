"""Helpers for the hostile-world tests (issue 11): exports that lie, files outside the export,
missing and duplicate keys, bad warehouse files, unreachable services.

Every refusal is checked the same way: exit code, one line on stderr naming the culprit
(manifest entry, file and line, key, table, column), and the warehouse dumped before and
after (:func:`snapshot`) to prove nothing was applied.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from bench.export_writer import gzip_lines, item_line, write_export

from tests.integration.load.conftest import rows, run_cli, snapshot

__all__ = [
    "Cli",
    "error_line",
    "incremental_export",
    "item_line",
    "local_export",
    "manifest_entries",
    "record",
    "rows",
    "snapshot",
    "write_manifest",
]

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return lambda *args: run_cli(args, capsys)


def error_line(err: str) -> str:
    """The one error line of a failed command (asserting there is exactly one, no traceback)."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, err
    return lines[0]


def local_export(
    root: Path,
    items: Sequence[dict[str, Any]] | Sequence[Sequence[dict[str, Any]]],
    *,
    files: int = 2,
    **kw: Any,
) -> Path:
    """A local DynamoDB full export of ``items`` spread over ``files`` data files (or, given
    a list of lists, one data file per list)."""
    if items and isinstance(items[0], Sequence) and not isinstance(items[0], dict):
        chunks = [[item_line(i) for i in chunk] for chunk in items]  # type: ignore[union-attr]
    else:
        chunks = [[item_line(i) for i in items[n::files]] for n in range(files)]  # type: ignore[arg-type]
    return write_export(root, chunks, **kw).folder


def manifest_entries(folder: Path) -> list[dict[str, Any]]:
    text = (folder / "manifest-files.json").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def write_manifest(folder: Path, entries: Sequence[dict[str, Any]]) -> None:
    """Rewrite manifest-files.json, and the summary's itemCount to match the entries."""
    (folder / "manifest-files.json").write_text("".join(json.dumps(e) + "\n" for e in entries))
    summary = json.loads((folder / "manifest-summary.json").read_text())
    summary["itemCount"] = sum(int(e.get("itemCount", 0)) for e in entries)
    (folder / "manifest-summary.json").write_text(json.dumps(summary))


def record(
    key: dict[str, Any],
    new: dict[str, Any] | None,
    *,
    micros: int,
    old: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One incremental export record (NEW_AND_OLD_IMAGES): ``new=None`` is a delete."""
    out: dict[str, Any] = {"Metadata": {"WriteTimestampMicros": {"N": str(micros)}}, "Keys": key}
    if new is not None:
        out["NewImage"] = new
    if old is not None:
        out["OldImage"] = old
    return out


def incremental_export(
    root: Path,
    files: Sequence[Sequence[dict[str, Any]]],
    *,
    export_id: str,
    export_from: datetime,
    export_to: datetime,
    prefix: str = "exports",
    table: str = "Example",
) -> Path:
    """A local incremental export in AWS's layout (data in the shared ``AWSDynamoDB/data/``
    folder, manifests of version 2023-08-01); returns the export's folder."""
    base = root / prefix / "AWSDynamoDB"
    folder = base / export_id
    (base / "data").mkdir(parents=True, exist_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_started").write_bytes(b"")
    entries = []
    for n, lines in enumerate(files):
        blob = gzip_lines(orjson.dumps(r) + b"\n" for r in lines)
        name = hashlib.sha1(f"{export_id}/{n}".encode()).hexdigest()[:26] + ".json.gz"
        (base / "data" / name).write_bytes(blob)
        entries.append(
            {
                "itemCount": len(lines),
                "md5Checksum": base64.b64encode(hashlib.md5(blob).digest()).decode(),
                "etag": hashlib.md5(blob).hexdigest(),
                "dataFileS3Key": f"{prefix}/AWSDynamoDB/data/{name}",
            }
        )
    (folder / "manifest-files.json").write_text("".join(json.dumps(e) + "\n" for e in entries))

    def stamp(t: datetime) -> str:
        return t.isoformat().replace("+00:00", "Z")

    summary = {
        "version": "2023-08-01",
        "exportArn": f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}/export/{export_id}",
        "startTime": stamp(export_to),
        "endTime": stamp(export_to),
        "tableArn": f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}",
        "tableId": "00000000-0000-0000-0000-000000000000",
        "exportFromTime": stamp(export_from),
        "exportToTime": stamp(export_to),
        "s3Bucket": "bucket",
        "s3Prefix": prefix,
        "s3SseAlgorithm": "AES256",
        "s3SseKmsKeyId": None,
        "manifestFilesS3Key": f"{prefix}/AWSDynamoDB/{export_id}/manifest-files.json",
        "billedSizeBytes": 0,
        "itemCount": sum(len(f) for f in files),
        "outputFormat": "DYNAMODB_JSON",
        "outputView": "NEW_AND_OLD_IMAGES",
        "exportType": "INCREMENTAL_EXPORT",
    }
    (folder / "manifest-summary.json").write_text(json.dumps(summary))
    return folder
