"""Write DynamoDB exports in AWS's real layout to a local folder (for tests and benchmarks).

Layout (export-formats.md §1): ``<root>/<prefix>/AWSDynamoDB/<ExportId>/`` with ``_started``,
``manifest-summary.json`` (+ ``.md5``), ``manifest-files.json`` (+ ``.md5``) and
``data/<random>.json.gz``; md5s are real (base64 MD5 of the gzip bytes).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson


@dataclass(frozen=True)
class WrittenExport:
    root: Path
    folder: Path
    export_id: str
    data_files: tuple[Path, ...]
    item_count: int


def _md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def gzip_lines(lines: Iterable[bytes], level: int = 3) -> bytes:
    """Gzip-compress newline-terminated lines into one gzip member."""
    comp = zlib.compressobj(level, zlib.DEFLATED, 31)
    parts = [comp.compress(line) for line in lines]
    parts.append(comp.flush())
    return b"".join(parts)


def item_line(item: dict[str, Any]) -> bytes:
    return orjson.dumps({"Item": item}) + b"\n"


def record_line(
    micros: int,
    keys: dict[str, Any],
    new: dict[str, Any] | None = None,
    old: dict[str, Any] | None = None,
) -> bytes:
    """One incremental export record (``new`` None: a delete)."""
    record: dict[str, Any] = {
        "Metadata": {"WriteTimestampMicros": {"N": str(micros)}},
        "Keys": keys,
    }
    if new is not None:
        record["NewImage"] = new
    if old is not None:
        record["OldImage"] = old
    return orjson.dumps(record) + b"\n"


def write_export(
    root: Path,
    files: Sequence[Sequence[bytes] | bytes],
    *,
    export_id: str = "01700000000000-abcdef01",
    table: str = "Example",
    prefix: str = "exports",
    export_time: datetime | None = None,
    counts: Sequence[int] | None = None,
    incremental_from: datetime | None = None,
    view: str = "NEW_AND_OLD_IMAGES",
) -> WrittenExport:
    """Write an export whose data files hold ``files`` (each a list of lines, or raw bytes
    already gzip-compressed). ``counts`` overrides the item counts written in the manifest.

    With ``incremental_from``, an incremental export of the window ``[incremental_from,
    export_time)``: the 2023-08-01 summary, data files in the prefix's shared
    ``AWSDynamoDB/data/`` folder (lines are records: :func:`record_line`)."""
    export_time = export_time or datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    key_prefix = f"{prefix}/AWSDynamoDB/{export_id}" if prefix else f"AWSDynamoDB/{export_id}"
    folder = root / key_prefix
    data_prefix = key_prefix if incremental_from is None else key_prefix.rsplit("/", 1)[0]
    data_folder = root / data_prefix / "data"
    data_folder.mkdir(parents=True, exist_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_started").write_bytes(b"")
    manifest_lines = []
    data_paths = []
    total = 0
    for n, content in enumerate(files):
        if isinstance(content, bytes):
            blob, rows = content, None
        else:
            blob, rows = gzip_lines(content), len(content)
        name = hashlib.sha1(f"{export_id}/{n}".encode()).hexdigest()[:26] + ".json.gz"
        path = data_folder / name
        path.write_bytes(blob)
        data_paths.append(path)
        if counts is not None:
            rows = counts[n]
        if rows is None:
            rows = gzip.decompress(blob).count(b"\n") if blob else 0
        total += rows
        manifest_lines.append(
            json.dumps(
                {
                    "itemCount": rows,
                    "md5Checksum": _md5(blob),
                    "etag": hashlib.md5(blob, usedforsecurity=False).hexdigest(),
                    "dataFileS3Key": f"{data_prefix}/data/{name}",
                }
            )
        )
    manifest_files = ("\n".join(manifest_lines) + "\n").encode()
    (folder / "manifest-files.json").write_bytes(manifest_files)
    (folder / "manifest-files.md5").write_text(_md5(manifest_files))
    stamp = export_time.isoformat().replace("+00:00", "Z")
    summary = {
        "version": "2020-06-30",
        "exportArn": f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}/export/{export_id}",
        "startTime": stamp,
        "endTime": stamp,
        "tableArn": f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}",
        "tableId": "00000000-0000-0000-0000-000000000000",
        "exportTime": stamp,
        "s3Bucket": "bucket",
        "s3Prefix": prefix or None,
        "s3SseAlgorithm": "AES256",
        "s3SseKmsKeyId": None,
        "manifestFilesS3Key": f"{key_prefix}/manifest-files.json",
        "billedSizeBytes": sum(os.path.getsize(p) for p in data_paths),
        "itemCount": total if counts is None else sum(counts),
        "outputFormat": "DYNAMODB_JSON",
    }
    if incremental_from is not None:
        summary.update(
            version="2023-08-01",
            exportType="INCREMENTAL_EXPORT",
            exportFromTime=incremental_from.isoformat().replace("+00:00", "Z"),
            exportToTime=stamp,
            outputView=view,
        )
    summary_bytes = json.dumps(summary).encode()
    (folder / "manifest-summary.json").write_bytes(summary_bytes)
    (folder / "manifest-summary.md5").write_text(_md5(summary_bytes))
    return WrittenExport(root, folder, export_id, tuple(data_paths), summary["itemCount"])
