"""Write an RDS snapshot export in AWS's layout directly with pyarrow (for the benchmark).

Layout (export-formats.md §2)::

    <root>/<task>/export_info_<task>.json
    <root>/<task>/export_tables_info_<task>_from_1_to_1.json
    <root>/<task>/<db>/<db>.<table>/<partition>/part-<k>-<uuid>-c000.gz.parquet (+ _SUCCESS)

One MySQL table of 12 columns with AWS's Parquet types (rds_typemap): BIGINT → INT64, INT →
INT32, DECIMAL(12,2) → INT64 DECIMAL, BIGINT UNSIGNED → FIXED_LEN_BYTE_ARRAY(9)
DECIMAL(20,0), DOUBLE, VARCHAR/ENUM/TEXT → STRING, DATE → STRING, DATETIME/TIMESTAMP →
TIMESTAMP(MICROS, UTC), TINYINT(1) → INT32.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

DB, TABLE = "shop", "orders"
COLUMNS: list[tuple[str, str, str, int]] = [
    # name, originalType, expectedExportedType, numPrecision
    ("id", "bigint", "int64", 19),
    ("customer_id", "int", "int32", 10),
    ("amount", "decimal", "decimal(12,2)", 12),
    ("balance", "bigint unsigned", "decimal(20,0)", 20),
    ("price", "double", "double", 22),
    ("status", "enum", "string", 0),
    ("name", "varchar", "string", 0),
    ("note", "text", "string", 0),
    ("created_on", "date", "string", 0),
    ("updated_at", "datetime", "timestamp", 0),
    ("paid_at", "timestamp", "timestamp", 0),
    ("is_gift", "tinyint", "int32", 3),
]
STATUSES = np.array(["new", "paid", "shipped", "cancelled", "returned"])


def _decimal_text(high: np.ndarray, low: np.ndarray, width: int) -> pa.Array:
    """``f"{high}{'.' if width == 2 else ''}{low:0{width}d}"`` for whole columns."""
    low_text = pc.utf8_lpad(pa.array(low).cast(pa.string()), width=width, padding="0")
    sep = "." if width == 2 else ""
    return pc.binary_join_element_wise(pa.array(high).cast(pa.string()), low_text, sep)


def _batch(start: int, count: int) -> pa.Table:
    rng = np.random.default_rng(start)
    ids = np.arange(start, start + count, dtype=np.int64)
    cents = rng.integers(0, 10**10, count)
    days = np.datetime64("2000-01-01") + rng.integers(0, 9000, count).astype("timedelta64[D]")
    micros = rng.integers(1_500_000_000_000_000, 1_700_000_000_000_000, count)
    name = pc.binary_join_element_wise("customer ", pa.array(ids % 100_000).cast(pa.string()), "")
    note_valid = ids % 3 == 0
    note = pc.if_else(
        pa.array(note_valid),
        pc.binary_join_element_wise("note for order ", pa.array(ids).cast(pa.string()), ""),
        pa.scalar(None, pa.string()),
    )
    return pa.table(
        {
            "id": pa.array(ids),
            "customer_id": pa.array((ids % 100_000).astype(np.int32)),
            "amount": _decimal_text(cents // 100, cents % 100, 2).cast(pa.decimal128(12, 2)),
            # 18446744073709551615 - id (BIGINT UNSIGNED near its maximum), exact
            "balance": _decimal_text(np.full(count, 1844674407370), 9551615 - ids, 7).cast(
                pa.decimal128(20, 0)
            ),
            "price": pa.array(rng.random(count) * 1000),
            "status": pa.array(STATUSES[ids % 5]),
            "name": name,
            "note": note,
            "created_on": pa.array(days.astype(str)),
            "updated_at": pa.array(micros, type=pa.timestamp("us", tz="UTC")),
            "paid_at": pa.array(micros + 3_600_000_000, type=pa.timestamp("us", tz="UTC")),
            "is_gift": pa.array((ids % 7 == 0).astype(np.int32)),
        }
    )


def _write(args: tuple[Path, int, int]) -> int:
    path, start, count = args
    table = _batch(start, count)
    pq.write_table(table, path, compression="gzip", store_decimal_as_integer=True)
    return path.stat().st_size


def write_export(
    root: Path, task: str, rows: int, *, rows_per_file: int = 250_000, files_per_partition: int = 4
) -> Path:
    """Write the export under ``root/task`` and return that folder."""
    folder = root / task
    table_dir = folder / DB / f"{DB}.{TABLE}"
    job = str(uuid.uuid4())
    jobs: list[tuple[Path, int, int]] = []
    for n, start in enumerate(range(1, rows + 1, rows_per_file)):
        partition, k = n // files_per_partition + 1, n % files_per_partition
        target = table_dir / str(partition) / f"part-{k:05d}-{job}-c000.gz.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        jobs.append((target, start, min(rows_per_file, rows + 1 - start)))
    with ProcessPoolExecutor() as pool:
        size = sum(pool.map(_write, jobs))
    partitions = sorted({p.parent for p, _, _ in jobs})
    for p in partitions:
        (p / "_SUCCESS").write_bytes(b"")
    mappings: list[dict[str, Any]] = [
        {
            "columnName": name,
            "originalType": original,
            "expectedExportedType": exported,
            "originalCharMaxLength": 0,
            "originalNumPrecision": precision,
            "originalDateTimePrecision": 0,
        }
        for name, original, exported, precision in COLUMNS
    ]
    status = {
        "tableStatistics": {
            "partitioningInfo": {
                "numberOfPartitions": len(partitions),
                "numberOfCompletedPartitions": len(partitions),
            }
        },
        "schemaMetadata": {"originalTypeMappings": mappings},
        "status": "COMPLETE",
        "sizeGB": size / 1024**3,
        "target": f"{DB}.{TABLE}",
    }
    (folder / f"export_tables_info_{task}_from_1_to_1.json").write_text(
        json.dumps({"perTableStatus": [status]})
    )
    info = {
        "exportTaskIdentifier": task,
        "sourceArn": f"arn:aws:rds:us-east-1:123456789012:snapshot:{task}",
        "exportOnly": [],
        "snapshotTime": "2024-06-01T00:00:00.000Z",
        "taskStartTime": "2024-06-01T00:05:00.000Z",
        "taskEndTime": "2024-06-01T00:25:00.000Z",
        "s3Bucket": "bench",
        "s3Prefix": "",
        "exportedFilesPath": task,
        "iamRoleArn": "arn:aws:iam::123456789012:role/export",
        "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/bench",
        "status": "COMPLETE",
        "percentProgress": 100,
        "totalExportedDataInGB": size / 1024**3,
    }
    (folder / f"export_info_{task}.json").write_text(json.dumps(info))
    return folder
