"""The fields of a DynamoDB export's manifests that aws2bq requires, and why.

AWS writes every one of them on every export (the format is documented in
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html,
"Manifest files" for full exports and "Incremental export output" for incremental ones), and
each is either checked against the data or decides what is applied. A manifest lacking one
is not what AWS wrote: the export is refused, naming the file (and the line, for
``manifest-files.json``) and the field. docs/export-verification.md lists them.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import orjson

from aws2bq.errors import ExportError

#: manifest-files.json, per line (one data file): field → why aws2bq needs it.
ENTRY_FIELDS: dict[str, str] = {
    "dataFileS3Key": "the data file; only files a manifest names are read",
    "itemCount": "the file's item count, compared with the rows staged from it",
    "md5Checksum": "the file's MD5 (base64), compared with the bytes read",
    "etag": "the S3 ETag AWS recorded; its absence means the entry was not written by AWS "
    "(not compared: an ETag is not an MD5 for multipart or SSE-KMS objects and changes "
    "when an export is copied; md5Checksum covers the content)",
}
#: manifest-summary.json of every export: field → why aws2bq needs it.
SUMMARY_FIELDS: dict[str, str] = {
    "exportArn": "the export's identity in the ledger (exactly-once); its suffix must be the "
    "export folder's name",
    "tableArn": "the source table (its key schema, when the keys are not configured)",
    "manifestFilesS3Key": "where manifest-files.json is",
    "itemCount": "the export's item count, compared with the sum of manifest-files.json",
    "outputFormat": "DYNAMODB_JSON is the format aws2bq reads",
}
#: Only in full exports (version 2020-06-30).
FULL_SUMMARY_FIELDS: dict[str, str] = {
    "exportTime": "the snapshot's time: orders exports, and times history mode's versions",
}
#: Only in incremental exports (version 2023-08-01).
INCREMENTAL_SUMMARY_FIELDS: dict[str, str] = {
    "exportType": "INCREMENTAL_EXPORT, what tells the two kinds apart",
    "exportFromTime": "the window's start: an export that leaves a gap is refused",
    "exportToTime": "the window's end: where the chain continues",
    "outputView": "NEW_AND_OLD_IMAGES or NEW_IMAGE: how deletes are recognised",
}


@dataclass(frozen=True)
class ManifestEntry:
    """One line of ``manifest-files.json``, every field present and well formed."""

    key: str
    item_count: int
    md5_b64: str
    etag: str


def _missing(where: str, name: str, why: str) -> ExportError:
    return ExportError(
        f"{where} has no {name} ({why})",
        hint="AWS writes this field on every export; the manifest is incomplete or was altered",
    )


def parse_entry(line: bytes, where: str) -> ManifestEntry:
    """Parse one ``manifest-files.json`` line (``where`` names the file and line).

    Raises:
        ExportError: not a JSON object, a required field missing, or a field of the wrong
            shape (item count not a non-negative integer, MD5 not 16 bytes of base64).
    """
    try:
        entry = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ExportError(f"{where} is not valid JSON ({exc})") from None
    if not isinstance(entry, dict):
        raise ExportError(f"{where} is not a JSON object")
    for name, why in ENTRY_FIELDS.items():
        if entry.get(name) in (None, ""):
            raise _missing(where, name, why)
    key, count, md5, etag = (entry[n] for n in ENTRY_FIELDS)
    if not isinstance(key, str) or not isinstance(etag, str):
        raise ExportError(f"{where}: dataFileS3Key and etag must be strings")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ExportError(f"{where}: itemCount {count!r} is not a non-negative integer")
    if not isinstance(md5, str) or not _is_md5(md5):
        raise ExportError(f"{where}: md5Checksum {md5!r} is not a base64 MD5 (16 bytes)")
    return ManifestEntry(key, count, md5, etag)


def _is_md5(text: str) -> bool:
    try:
        return len(base64.b64decode(text, validate=True)) == 16
    except (binascii.Error, ValueError):
        return False


def require_summary_fields(summary: dict[str, Any], where: str, *, incremental: bool) -> None:
    """Refuse a ``manifest-summary.json`` lacking a field AWS always writes (see above)."""
    wanted = {**SUMMARY_FIELDS, **(INCREMENTAL_SUMMARY_FIELDS if incremental else {})}
    if not incremental:
        wanted.update(FULL_SUMMARY_FIELDS)
    for name, why in wanted.items():
        if summary.get(name) in (None, ""):
            raise _missing(f"export {where}: manifest-summary.json", name, why)
