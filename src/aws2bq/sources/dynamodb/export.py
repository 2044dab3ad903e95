"""DynamoDB point-in-time exports: find one, read its manifests, check it is complete.

EXPORT may be the export's folder (``…/AWSDynamoDB/<ExportId>/``), its
``manifest-summary.json``, or a prefix holding exactly one export — in S3
(``s3://bucket/prefix``) or in a local folder with the same layout
(export-formats.md §1). Data files are always selected through ``manifest-files.json``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from aws2bq.aws_clients import AwsTarget
from aws2bq.errors import Aws2BqError, ConfigError, ExportError, ExportNotReadyError
from aws2bq.sources.blobs import (
    BlobStore,
    ExportFile,
    LocalStore,
    S3Store,
    miscounted,
    plain_key,
)
from aws2bq.sources.dynamodb.manifest import parse_entry, require_summary_fields

SUMMARY = "manifest-summary.json"
FILES = "manifest-files.json"
_EXPORT_DIR = re.compile(r"(^|/)AWSDynamoDB/([^/]+)/?$")


@dataclass(frozen=True)
class DynamoDBExport:
    """A verified-to-be-complete DynamoDB export: its summary and its data files."""

    store: BlobStore
    #: Key of the export folder (``prefix/AWSDynamoDB/<ExportId>``), no trailing slash.
    folder: str
    export_id: str
    export_arn: str
    table_arn: str
    export_type: str
    exported_at: datetime
    item_count: int
    files: tuple[ExportFile, ...]
    summary: dict[str, Any]

    @property
    def location(self) -> str:
        return self.store.url(self.folder)

    @property
    def table_name(self) -> str:
        return self.table_arn.rsplit("/", 1)[-1] if "/" in self.table_arn else self.table_arn


def open_location(export: str, aws: AwsTarget | None = None) -> tuple[BlobStore, str]:
    """A blob store and the key (possibly empty) that EXPORT points at."""
    if export.startswith("s3://"):
        rest = export[5:]
        bucket, _, key = rest.partition("/")
        if not bucket:
            raise ConfigError(f"bad S3 location {export!r}", hint="use s3://bucket/prefix")
        return S3Store(bucket, aws=aws), key
    path = Path(export).expanduser()
    if not path.exists():
        raise ConfigError(
            f"{export} does not exist",
            hint="give s3://bucket/prefix or a local folder holding an export",
        )
    folder, name = (path.parent, path.name) if path.is_file() else (path, "")
    if folder.parent.name == "AWSDynamoDB":
        # Root the store above AWSDynamoDB/ so keys look like the bucket's.
        key = f"AWSDynamoDB/{folder.name}" + (f"/{name}" if name else "")
        return LocalStore(folder.parent.parent), key
    return LocalStore(folder), name


def _find_folder(store: BlobStore, key: str, export: str) -> str:
    key = key.strip("/")
    if key.endswith(SUMMARY):
        return key[: -len(SUMMARY)].rstrip("/")
    if _EXPORT_DIR.search(key) or store.exists(f"{key}/{SUMMARY}" if key else SUMMARY):
        return key
    prefix = f"{key}/" if key else ""
    summaries = sorted(
        k
        for k in store.list(prefix)
        if k.endswith("/" + SUMMARY) and _EXPORT_DIR.search(k[: -len(SUMMARY)].rstrip("/"))
    )
    if len(summaries) == 1:
        return summaries[0][: -len(SUMMARY)].rstrip("/")
    if not summaries:
        started = [k for k in store.list(prefix) if k.endswith("/_started")]
        if started:
            raise ExportNotReadyError(
                f"export {store.url(started[0][: -len('/_started')])} has started but has no "
                f"{SUMMARY} yet",
                hint="wait for the export to complete (DescribeExport ExportStatus=COMPLETED)",
            )
        raise ExportError(
            f"no DynamoDB export found under {export}",
            hint="point at …/AWSDynamoDB/<ExportId>/ or its manifest-summary.json",
        )
    listed = ", ".join(s.split("/")[-2] for s in summaries[:5])
    raise ConfigError(
        f"{export} holds {len(summaries)} exports ({listed}…)",
        hint="point at one export's folder …/AWSDynamoDB/<ExportId>/",
    )


def _parse_time(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise ExportError(f"{where}: missing export time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ExportError(f"{where}: bad time {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _data_key(folder: str, manifest_key: str) -> str:
    """The store key of a file the manifest names by its full bucket key.

    The manifest names ``<s3Prefix>/AWSDynamoDB/<ExportId>/data/….json.gz``; the part after
    ``AWSDynamoDB/<ExportId>/`` is taken relative to the export folder, so a local copy
    downloaded without the bucket prefix resolves the same way.
    """
    match = re.search(r"(?:^|/)AWSDynamoDB/[^/]+/(.+)$", manifest_key)
    if match is None:
        return manifest_key
    return f"{folder}/{match.group(1)}" if folder else match.group(1)


def read_summary(store: BlobStore, folder: str) -> dict[str, Any]:
    """The export's ``manifest-summary.json``; its absence means "not complete yet"."""
    where = store.url(folder)
    key = f"{folder}/{SUMMARY}" if folder else SUMMARY
    if not store.exists(key):
        raise ExportNotReadyError(
            f"export {where} has no {SUMMARY} (not complete)",
            hint="wait for the export to complete, then load it",
        )
    try:
        summary = orjson.loads(store.read_bytes(key))
    except orjson.JSONDecodeError as exc:
        raise ExportError(f"export {where}: {SUMMARY} is not valid JSON ({exc})") from exc
    if not isinstance(summary, dict):
        raise ExportError(f"export {where}: {SUMMARY} is not a JSON object")
    return summary


def check_summary(summary: dict[str, Any], where: str, *, incremental: bool = False) -> None:
    """Refuse a summary aws2bq cannot read: a field AWS always writes missing
    (:mod:`.dynamodb_manifest`), not DYNAMODB_JSON, or not COMPLETED."""
    require_summary_fields(summary, where, incremental=incremental)
    fmt = summary.get("outputFormat")
    if fmt != "DYNAMODB_JSON":
        raise ExportError(
            f"export {where} is in {fmt} format",
            hint="aws2bq reads DYNAMODB_JSON exports; re-export with that format",
        )
    status = summary.get("exportStatus") or summary.get("status")
    if status is not None and status != "COMPLETED":
        raise ExportError(f"export {where} has status {status}, not COMPLETED")


def summary_item_count(summary: dict[str, Any], where: str) -> int:
    try:
        return int(summary["itemCount"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ExportError(f"export {where}: {SUMMARY} has no valid itemCount") from exc


def export_id_of(summary: dict[str, Any], folder: str) -> tuple[str, str]:
    """``(export id, export ARN)``: the id is the ARN's suffix, which must be the name of the
    export's folder (``…/AWSDynamoDB/<ExportId>``) when the folder has AWS's layout."""
    export_arn = str(summary.get("exportArn", ""))
    export_id = export_arn.rsplit("/", 1)[-1] if export_arn else folder.rsplit("/", 1)[-1]
    match = _EXPORT_DIR.search(folder)
    if match is not None and match.group(2) != export_id:
        raise ExportError(
            f"export folder {folder} holds a {SUMMARY} of export {export_id} ({export_arn})",
            hint="the summary belongs to another export; the export was altered",
        )
    return export_id, export_arn


def read_data_files(
    store: BlobStore,
    folder: str,
    summary: dict[str, Any],
    item_count: int,
    *,
    resolve: Callable[[str, str], str],
    root: str,
    redo: str,
) -> tuple[ExportFile, ...]:
    """The data files ``manifest-files.json`` names, each checked to exist inside the export.

    Files are chosen **only** through this manifest (incremental exports share their data
    folder with other exports). ``resolve(folder, manifest key)`` maps a manifest key to a
    store key, which must be a plain key under ``root`` (the export's folder; for incremental
    exports the ``AWSDynamoDB`` folder whose ``data/`` they share) that stays there once
    symlinks are resolved, and must be a regular file. A file listed twice is refused. Every
    error names the manifest's line. ``redo`` is the advice when the export is incomplete.
    The manifest's counts must add up to the summary's ``item_count``.
    """
    where = store.url(folder)
    files_key = f"{folder}/{FILES}" if folder else FILES
    manifest_files_key = summary.get("manifestFilesS3Key")
    if isinstance(manifest_files_key, str) and not store.exists(files_key):
        files_key = resolve(folder, plain_key(manifest_files_key, f"export {where}: {SUMMARY}"))
        store.confine(files_key, root, f"export {where}: {SUMMARY} manifestFilesS3Key")
    if not store.exists(files_key):
        raise ExportError(
            f"export {where}: {FILES} is missing", hint=f"the export is incomplete; {redo}"
        )
    files: list[ExportFile] = []
    lines_of: dict[str, int] = {}
    total = 0
    for n, line in enumerate(store.read_bytes(files_key).splitlines(), start=1):
        if not line.strip():
            continue
        entry = parse_entry(line, f"export {where}: {FILES} line {n}")
        what = f"export {where}: {FILES} line {n} (dataFileS3Key {entry.key!r})"
        try:
            key = store.confine(resolve(folder, plain_key(entry.key, what)), root, what)
            size = store.size(key)
        except Aws2BqError as exc:
            if exc.message.startswith(what):
                raise
            raise type(exc)(f"{what}: {exc.message}", hint=exc.hint) from None
        if key in lines_of:
            raise ExportError(
                f"export {where}: {FILES} lines {lines_of[key]} and {n} both name data file {key}",
                hint="a file listed twice would load its items twice; the manifest was altered",
            )
        lines_of[key] = n
        total += entry.item_count
        if size is None:
            raise ExportError(
                f"{what}: data file {key} is missing",
                hint=f"the export is incomplete or was partly deleted; {redo}",
            )
        files.append(ExportFile(store, key, entry.md5_b64, entry.item_count, size, where))
    if total != item_count:
        raise ExportError(
            f"export {where}: {FILES} counts {total} items but {SUMMARY} says {item_count}",
            hint="the manifests disagree; the export is incomplete or corrupt",
        )
    return tuple(files)


def check_staged_counts(
    location: str,
    files: Sequence[ExportFile],
    rows_per_file: Mapping[str, int],
    *,
    unit: str,
    redo: str,
) -> None:
    """Refuse the export unless every file staged exactly the rows its manifest declares."""
    wrong = miscounted(files, rows_per_file)
    if wrong:
        f, got = wrong[0]
        raise ExportError(
            f"export {location}: data file {f.key} holds {got} {unit} but the "
            f"manifest says {f.expected_rows}",
            hint=f"the export is incomplete or corrupt; {redo}",
        )


def read_export(export: str, aws: AwsTarget | None = None) -> DynamoDBExport:
    """Find and read a full DynamoDB export; refuse anything incomplete.

    Checks: both manifests readable; the export is a full DYNAMODB_JSON export; the files
    manifest's item counts add up to the summary's ``itemCount``; every data file exists.
    MD5s are checked while the files are read (:class:`ExportFile`), row counts after staging.
    """
    store, key = open_location(export, aws)
    folder = _find_folder(store, key, export)
    where = store.url(folder)
    summary = read_summary(store, folder)
    check_summary(summary, where)
    export_type = str(summary.get("exportType", "FULL_EXPORT"))
    if export_type != "FULL_EXPORT":
        raise ConfigError(
            f"export {where} is an {export_type}",
            hint="`load dynamodb --mode replace` takes a full export",
        )
    export_id, export_arn = export_id_of(summary, folder)
    exported_at = _parse_time(summary.get("exportTime"), f"export {where}")
    item_count = summary_item_count(summary, where)
    files = read_data_files(
        store,
        folder,
        summary,
        item_count,
        resolve=_data_key,
        root=folder,
        redo="re-export the table",
    )
    return DynamoDBExport(
        store=store,
        folder=folder,
        export_id=export_id,
        export_arn=export_arn,
        table_arn=str(summary.get("tableArn", "")),
        export_type=export_type,
        exported_at=exported_at,
        item_count=item_count,
        files=files,
        summary=summary,
    )
