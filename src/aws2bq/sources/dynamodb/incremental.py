"""DynamoDB incremental exports: read the 2023-08-01 manifests, select files, verify.

An incremental export's data files live in ``<prefix>/AWSDynamoDB/data/``, a folder shared by
every incremental export of the prefix, so they are chosen **only** through the export's own
``manifest-files.json`` (never by listing the folder). Item counts and MD5s are verified as
for full exports (:mod:`aws2bq.sources.dynamodb.export`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws2bq.aws_clients import AwsTarget
from aws2bq.errors import ConfigError, ExportError
from aws2bq.sources.blobs import BlobStore, ExportFile
from aws2bq.sources.dynamodb.export import (
    _find_folder,
    _parse_time,
    check_summary,
    export_id_of,
    open_location,
    read_data_files,
    read_summary,
    summary_item_count,
)

INCREMENTAL = "INCREMENTAL_EXPORT"
VIEW_TYPES = ("NEW_AND_OLD_IMAGES", "NEW_IMAGE")


@dataclass(frozen=True)
class IncrementalExport:
    """A verified-to-be-complete incremental export: its window, view and data files."""

    store: BlobStore
    folder: str
    export_id: str
    export_arn: str
    table_arn: str
    export_from: datetime
    export_to: datetime
    view_type: str
    item_count: int
    files: tuple[ExportFile, ...]
    summary: dict[str, Any]

    @property
    def location(self) -> str:
        return self.store.url(self.folder)


def export_type(export: str, aws: AwsTarget | None = None) -> str:
    """``FULL_EXPORT`` or ``INCREMENTAL_EXPORT``: what EXPORT points at (reads the summary)."""
    store, key = open_location(export, aws)
    folder = _find_folder(store, key, export)
    return str(read_summary(store, folder).get("exportType", "FULL_EXPORT"))


def data_key(folder: str, manifest_key: str) -> str:
    """The store key of a data file the manifest names by its full bucket key.

    ``<s3Prefix>/AWSDynamoDB/data/x.json.gz`` resolves next to the export's folder
    (``…/AWSDynamoDB/<ExportId>`` → ``…/AWSDynamoDB/data/x.json.gz``), so a local copy laid
    out like the bucket resolves the same way.
    """
    match = re.search(r"(?:^|/)AWSDynamoDB/(.+)$", manifest_key)
    if match is None:
        return manifest_key
    root = folder.rsplit("/", 1)[0] if "/" in folder else ""
    return f"{root}/{match.group(1)}" if root else match.group(1)


def read_incremental_export(export: str, aws: AwsTarget | None = None) -> IncrementalExport:
    """Find and read an incremental DynamoDB export; refuse anything incomplete.

    Checks: both manifests readable; DYNAMODB_JSON; ``exportType`` INCREMENTAL_EXPORT with
    ``exportFromTime`` < ``exportToTime``; a known view type; the files manifest's counts add
    up to ``itemCount``; every data file it names exists. MD5s are checked while reading.
    """
    store, key = open_location(export, aws)
    folder = _find_folder(store, key, export)
    where = store.url(folder)
    summary = read_summary(store, folder)
    kind = str(summary.get("exportType", "FULL_EXPORT"))
    if kind != INCREMENTAL:
        raise ConfigError(f"export {where} is a {kind}, not an {INCREMENTAL}")
    check_summary(summary, where, incremental=True)
    export_from = _parse_time(summary.get("exportFromTime"), f"export {where} exportFromTime")
    export_to = _parse_time(summary.get("exportToTime"), f"export {where} exportToTime")
    if export_from >= export_to:
        raise ExportError(
            f"export {where}: exportFromTime {export_from.isoformat()} is not before "
            f"exportToTime {export_to.isoformat()}"
        )
    view = str(summary.get("outputView") or "NEW_AND_OLD_IMAGES")
    if view not in VIEW_TYPES:
        raise ExportError(
            f"export {where} has outputView {view!r}",
            hint=f"aws2bq reads the view types {', '.join(VIEW_TYPES)}",
        )
    export_id, export_arn = export_id_of(summary, folder)
    item_count = summary_item_count(summary, where)
    files = read_data_files(
        store,
        folder,
        summary,
        item_count,
        # The data files live in the AWSDynamoDB folder's shared data/, next to the export's.
        resolve=data_key,
        root=folder.rsplit("/", 1)[0] if "/" in folder else "",
        redo="export the window again",
    )
    return IncrementalExport(
        store=store,
        folder=folder,
        export_id=export_id,
        export_arn=export_arn,
        table_arn=str(summary.get("tableArn", "")),
        export_from=export_from,
        export_to=export_to,
        view_type=view,
        item_count=item_count,
        files=files,
        summary=summary,
    )
