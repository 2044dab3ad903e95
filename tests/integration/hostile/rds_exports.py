"""A small local RDS (MySQL) snapshot export writer, in AWS's layout, for the hostile tests.

    <root>/<task>/export_info_<task>.json
    <root>/<task>/export_tables_info_<task>_from_1_to_<n>.json
    <root>/<task>/<db>/<db>.<table>/1/part-00000-<uuid>-c000.gz.parquet  (+ _SUCCESS)

Column mappings (``originalTypeMappings``) are derived from the Arrow types the way AWS maps
MySQL types (export-formats.md §2); ``declared`` adds mappings for columns the files lack.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

_MYSQL = {
    "int64": ("bigint", "int64"),
    "int32": ("int", "int32"),
    "string": ("varchar", "string"),
    "double": ("double", "double"),
}


def mapping(name: str, arrow_type: str, types: tuple[str, str] | None = None) -> dict[str, Any]:
    original, exported = types or _MYSQL[arrow_type]
    return {
        "columnName": name,
        "originalType": original,
        "expectedExportedType": exported,
        "originalCharMaxLength": 255 if original == "varchar" else 0,
        "originalNumPrecision": 19 if original == "bigint" else 0,
        "originalDateTimePrecision": 0,
    }


def write_rds_export(
    root: Path,
    tables: Mapping[str, pa.Table],
    *,
    task: str = "export-1",
    snapshot_time: datetime | None = None,
    declared: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    mapped: Mapping[str, Mapping[str, tuple[str, str]]] | None = None,
) -> Path:
    """Write ``tables`` (``db.table`` → rows) as one COMPLETE export; returns its folder.

    ``declared``: per target, the (column, arrow type) list export_tables_info declares
    (default: the table's own columns); ``mapped``: per target and column, the
    (originalType, expectedExportedType) to declare instead of the one derived.
    """
    folder = root / task
    folder.mkdir(parents=True, exist_ok=True)
    when = snapshot_time or datetime(2025, 1, 1, tzinfo=UTC)
    statuses = []
    for target, table in tables.items():
        db, name = target.split(".", 1)
        part = folder / db / f"{db}.{name}" / "1"
        part.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, part / f"part-00000-{uuid.uuid4()}-c000.gz.parquet")
        (part / "_SUCCESS").write_bytes(b"")
        columns = (declared or {}).get(target) or [(f.name, str(f.type)) for f in table.schema]
        statuses.append(
            {
                "tableStatistics": {
                    "partitioningInfo": {"numberOfPartitions": 1, "numberOfCompletedPartitions": 1}
                },
                "schemaMetadata": {
                    "originalTypeMappings": [
                        mapping(c, t, (mapped or {}).get(target, {}).get(c)) for c, t in columns
                    ]
                },
                "status": "COMPLETE",
                "sizeGB": 0.0,
                "target": target,
            }
        )
    stamp = when.isoformat().replace("+00:00", "Z")
    info = {
        "exportTaskIdentifier": task,
        "sourceArn": "arn:aws:rds:us-east-1:123456789012:snapshot:shop-snap",
        "exportOnly": [],
        "snapshotTime": stamp,
        "taskStartTime": stamp,
        "taskEndTime": stamp,
        "s3Bucket": "bucket",
        "s3Prefix": "rds",
        "exportedFilesPath": f"rds/{task}",
        "iamRoleArn": "arn:aws:iam::123456789012:role/export",
        "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/abc",
        "status": "COMPLETE",
        "percentProgress": 100,
        "totalExportedDataInGB": 0.0,
    }
    (folder / f"export_info_{task}.json").write_text(json.dumps(info))
    (folder / f"export_tables_info_{task}_from_1_to_{len(statuses)}.json").write_text(
        json.dumps({"perTableStatus": statuses})
    )
    return folder
