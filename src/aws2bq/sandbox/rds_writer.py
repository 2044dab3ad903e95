"""Writes one RDS export in AWS's S3 layout from a captured snapshot.

Layout (docs/export-formats.md §2)::

    <S3Prefix>/<ExportTaskIdentifier>/export_info_<id>.json
    <S3Prefix>/<ExportTaskIdentifier>/export_tables_info_<id>_from_<N>_to_<M>.json
    <S3Prefix>/<ExportTaskIdentifier>/<db>/<db>.<table>/<partition>/part-<k>-<uuid>-c000.gz.parquet
    <S3Prefix>/<ExportTaskIdentifier>/<db>/<schema>.<table>/<partition>/...      (PostgreSQL)
    .../<partition>/_SUCCESS

Partition folders are numbered from 1 and each ends with an empty ``_SUCCESS`` marker, as seen
in real exports (``ecommerce_db.orders/1/part-00000-….gz.parquet``, ``postgres/public.example/1/
_SUCCESS`` in public fixtures). The file names are Spark's (``part-<k>-<job uuid>-c000``),
which is also why DECIMAL columns are stored the way Spark stores them by default.
``export_tables_info`` files cover 1-based ranges of tables (a public reader's comment shows
``export_tables_info_export-test-01_from_1_to_96.json``); how many tables AWS puts in one file
is not documented, so it is the ``rds_tables_per_info_file`` setting.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from aws2bq.sandbox.rds_backings import Capture, CapturedTable
from aws2bq.sandbox.rds_typemap import s3_safe
from aws2bq.sandbox.state import SandboxSettings

Put = Callable[[str, bytes], None]


@dataclass
class ExportRequest:
    """What the export task asked for."""

    task_id: str
    source_arn: str
    bucket: str
    prefix: str
    iam_role_arn: str
    kms_key_id: str
    export_only: list[str]
    snapshot_time: datetime
    task_start_time: datetime


@dataclass
class ExportResult:
    """What the writer did: bytes written and the tables AWS would have skipped."""

    total_bytes: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)

    @property
    def warning_message(self) -> str | None:
        """The task's WarningMessage (shape of the documented example), if tables were skipped."""
        if not self.skipped:
            return None
        return json.dumps({"skippedTables": self.skipped, "skippedObjectives": [], "general": []})


def iso(moment: datetime) -> str:
    """A UTC time as ``2024-01-02T03:04:05.678Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def export_root(prefix: str, task_id: str) -> str:
    """The key prefix every object of an export starts with (no trailing slash)."""
    prefix = prefix.strip("/")
    return f"{prefix}/{task_id}" if prefix else task_id


def selected(table: CapturedTable, export_only: list[str]) -> bool:
    """Whether ``ExportOnly`` keeps a table (``db``, ``db.table``, ``db.schema[.table]``)."""
    if not export_only:
        return True
    parts = [table.database, table.schema, table.table]
    names = [p for p in parts if p is not None]
    prefixes = {".".join(names[:n]) for n in range(1, len(names) + 1)}
    return any(entry in prefixes for entry in export_only)


def table_folder(table: CapturedTable) -> str:
    """``<db>/<db>.<table>`` (MySQL) or ``<db>/<schema>.<table>`` (PostgreSQL)."""
    middle = table.schema if table.schema is not None else table.database
    return f"{s3_safe(table.database)}/{s3_safe(middle)}.{s3_safe(table.table)}"


def write_export(
    capture: Capture,
    request: ExportRequest,
    settings: SandboxSettings,
    put: Put,
    end_time: datetime,
) -> ExportResult:
    """Write every object of the export through ``put(key, body)``; export_info goes last."""
    root = export_root(request.prefix, request.task_id)
    result = ExportResult()
    statuses: list[dict[str, Any]] = []
    tables = [t for t in capture.tables if selected(t, request.export_only)]
    for table in tables:
        statuses.append(_write_table(capture, table, root, settings, put, result))
    per_file = max(1, settings.rds_tables_per_info_file)
    chunks = [statuses[i : i + per_file] for i in range(0, len(statuses), per_file)] or [[]]
    for n, chunk in enumerate(chunks):
        first = n * per_file + 1 if chunk else 0
        last = first + len(chunk) - 1 if chunk else 0
        body = json.dumps({"perTableStatus": chunk}).encode()
        put(f"{root}/export_tables_info_{request.task_id}_from_{first}_to_{last}.json", body)
    info = {
        "exportTaskIdentifier": request.task_id,
        "sourceArn": request.source_arn,
        "exportOnly": request.export_only,
        "snapshotTime": iso(request.snapshot_time),
        "taskStartTime": iso(request.task_start_time),
        "taskEndTime": iso(end_time),
        "s3Bucket": request.bucket,
        "s3Prefix": request.prefix,
        "exportedFilesPath": root,
        "iamRoleArn": request.iam_role_arn,
        "kmsKeyId": request.kms_key_id,
        "status": "COMPLETE",
        "percentProgress": 100,
        "totalExportedDataInGB": result.total_bytes / 1024**3,
    }
    put(f"{root}/export_info_{request.task_id}.json", json.dumps(info).encode())
    return result


def _write_table(
    capture: Capture,
    table: CapturedTable,
    root: str,
    settings: SandboxSettings,
    put: Put,
    result: ExportResult,
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "tableStatistics": {
            "partitioningInfo": {"numberOfPartitions": 0, "numberOfCompletedPartitions": 0}
        },
        "schemaMetadata": {"originalTypeMappings": table.type_mappings},
        "status": "COMPLETE",
        "sizeGB": 0.0,
        "target": table.target,
    }
    if table.skipped or table.file is None:
        status["status"] = "SKIPPED"
        status["warningMessage"] = table.skipped or "The table could not be read."
        result.skipped.append({"target": table.target, "reason": status["warningMessage"]})
        return status
    folder = f"{root}/{table_folder(table)}"
    job = str(uuid.uuid4())
    size = 0
    partitions = 0
    for files, (partition, k, batches) in enumerate(_cut(capture, table, settings)):
        if partition != partitions and partitions:
            put(f"{folder}/{partitions}/_SUCCESS", b"")
        partitions = partition
        body = _parquet(batches, _decimals_as_integer(settings, files))
        put(f"{folder}/{partition}/part-{k:05d}-{job}-c000.gz.parquet", body)
        size += len(body)
    put(f"{folder}/{partitions}/_SUCCESS", b"")
    result.total_bytes += size
    status["tableStatistics"]["partitioningInfo"] = {
        "numberOfPartitions": partitions,
        "numberOfCompletedPartitions": partitions,
    }
    status["sizeGB"] = size / 1024**3
    return status


def _decimals_as_integer(settings: SandboxSettings, file_index: int) -> bool:
    mode = settings.rds_decimal_storage
    if mode == "mixed":
        return file_index % 2 == 0
    return mode != "fixed"


def _parquet(batches: list[pa.RecordBatch], decimals_as_integer: bool) -> bytes:
    buffer = io.BytesIO()
    schema = batches[0].schema
    with pq.ParquetWriter(
        buffer, schema, compression="gzip", store_decimal_as_integer=decimals_as_integer
    ) as writer:
        for batch in batches:
            writer.write_batch(batch)
    return buffer.getvalue()


def _cut(
    capture: Capture, table: CapturedTable, settings: SandboxSettings
) -> Iterator[tuple[int, int, list[pa.RecordBatch]]]:
    """``(partition, file index in partition, batches)`` per output file, streamed.

    Partitions are numbered from 1, files within a partition from 0. Only one file's rows
    (at most ``rds_rows_per_file``) are held at a time.
    """
    per_file = max(1, settings.rds_rows_per_file)
    per_partition = max(per_file, settings.rds_rows_per_partition)
    source = pq.ParquetFile(capture.directory / str(table.file))
    partition, k = 1, 0
    current: list[pa.RecordBatch] = []
    in_file = in_partition = 0
    for batch in source.iter_batches(batch_size=min(per_file, 65_536)):
        offset = 0
        while offset < batch.num_rows:
            take = min(batch.num_rows - offset, per_file - in_file, per_partition - in_partition)
            current.append(batch.slice(offset, take))
            offset += take
            in_file += take
            in_partition += take
            if in_file == per_file or in_partition == per_partition:
                yield partition, k, current
                current, in_file, k = [], 0, k + 1
            if in_partition == per_partition:
                partition, k, in_partition = partition + 1, 0, 0
    if current:
        yield partition, k, current
    elif partition == 1 and k == 0:  # an empty table: one partition with a schema-only file
        yield 1, 0, [pa.RecordBatch.from_pylist([], schema=source.schema_arrow)]
