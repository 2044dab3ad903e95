"""The S3 objects of a DynamoDB export, in AWS's layout, written into moto's S3 backend.

Layout (docs/export-formats.md §1; S3DataExport.Output in the DynamoDB developer guide)::

    <prefix>/AWSDynamoDB/<ExportId>/_started
    <prefix>/AWSDynamoDB/<ExportId>/data/<rand>.json.gz        full exports
    <prefix>/AWSDynamoDB/data/<rand>.json.gz                   incremental exports (shared)
    <prefix>/AWSDynamoDB/<ExportId>/manifest-files.json  (+ .md5)
    <prefix>/AWSDynamoDB/<ExportId>/manifest-summary.json (+ .md5)

Objects go straight into moto's in-process S3 backend, so they are visible to any S3 client
of the sandbox exactly like objects AWS would have written.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_BASE32_LOWER = "abcdefghijklmnopqrstuvwxyz234567"


class S3WriteError(Exception):
    """The export cannot write to its bucket; ``code`` is the export's FailureCode."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class DataFile:
    """One data file as listed in manifest-files.json."""

    key: str
    item_count: int
    md5_b64: str
    etag: str


@dataclass(frozen=True)
class Target:
    """Where an export writes: bucket, optional prefix, encryption."""

    account_id: str
    region: str
    bucket: str
    prefix: str | None
    sse_algorithm: str | None  # "AES256" | "KMS" | None
    kms_key_id: str | None
    bucket_owner: str | None

    @property
    def root(self) -> str:
        """``<prefix>/AWSDynamoDB`` (no leading prefix when the export has none)."""
        # A trailing "/" on S3Prefix is not doubled (AWS behaviour not confirmed; see report).
        prefix = (self.prefix or "").rstrip("/")
        return f"{prefix}/AWSDynamoDB" if prefix else "AWSDynamoDB"


def iso_millis(seconds: float) -> str:
    """``2020-11-04T07:28:34.028Z``: the timestamp format of manifest-summary.json."""
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def random_file_name() -> str:
    """A data file name like AWS's (26 lower-case base32 characters)."""
    return "".join(secrets.choice(_BASE32_LOWER) for _ in range(26))


def _s3_backend(target: Target) -> Any:
    """The moto S3 backend that holds the target bucket (S3NoSuchBucket if none does)."""
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    located = s3_backends.bucket_accounts.get(target.bucket)
    if located is None:
        # FailureMessage as observed on AWS (moto's aws_verified test_export_to_missing_s3_bucket
        # asserts this text is contained in it).
        raise S3WriteError(
            "S3NoSuchBucket",
            "The specified bucket does not exist (Service: Amazon S3; Status Code: 404; "
            "Error Code: NoSuchBucket)",
        )
    partition, owner = located
    if target.bucket_owner and target.bucket_owner != owner:
        raise S3WriteError(
            "S3AccessDenied",
            "Access Denied (Service: Amazon S3; Status Code: 403; Error Code: AccessDenied)",
        )
    del partition
    return s3_backends[owner][get_partition(target.region)]


def check_bucket(target: Target) -> None:
    """Raise :class:`S3WriteError` if the export could not write to its bucket."""
    _s3_backend(target)


def _put(target: Target, key: str, body: bytes, *, multipart_etag: bool = False) -> str:
    """Store one object; returns its ETag without quotes, as S3 reports it."""
    backend = _s3_backend(target)
    etag = None
    if multipart_etag:
        # AWS uploads export data files with multipart uploads, so their ETags are
        # "<md5 of the part md5s>-<parts>" and not the MD5 of the object (export-formats.md
        # §1: "-N suffix = multipart, not an MD5"). One part here.
        etag = hashlib.md5(hashlib.md5(body).digest()).hexdigest() + "-1"
    encryption = {"AES256": "AES256", "KMS": "aws:kms"}.get(target.sse_algorithm or "")
    stored = backend.put_object(
        bucket_name=target.bucket,
        key_name=key,
        value=body,
        etag=etag,
        encryption=encryption,
        kms_key_id=target.kms_key_id if encryption == "aws:kms" else None,
    )
    return str(stored.etag).strip('"')


def md5_b64(body: bytes) -> str:
    """Base64 of the MD5 digest: the 24-character form of md5Checksum and the .md5 objects."""
    return base64.b64encode(hashlib.md5(body).digest()).decode("ascii")


def write_started(target: Target, export_id: str) -> None:
    """The empty ``_started`` marker AWS writes when an export begins."""
    _put(target, f"{target.root}/{export_id}/_started", b"")


def split_lines(lines: Sequence[bytes], min_files: int, per_file: int) -> list[list[bytes]]:
    """Spread lines over at least ``min_files`` files of at most ``per_file`` lines each.

    AWS writes one file per partition of the table (at least one each, so small tables leave
    some files empty); round-robin keeps every file under the per-file limit.
    """
    count = max(min_files, math.ceil(len(lines) / max(per_file, 1)), 1)
    files: list[list[bytes]] = [[] for _ in range(count)]
    for index, line in enumerate(lines):
        files[index % count].append(line)
    return files


def write_data_files(
    target: Target, folder: str, files: Sequence[Sequence[bytes]]
) -> list[DataFile]:
    """Write gzip JSON-lines files under ``<root>/<folder>/``; empty files are empty gzips."""
    written: list[DataFile] = []
    for lines in files:
        body = gzip.compress(b"".join(line + b"\n" for line in lines), mtime=0)
        key = f"{target.root}/{folder}/{random_file_name()}.json.gz"
        etag = _put(target, key, body, multipart_etag=True)
        written.append(DataFile(key, len(lines), md5_b64(body), etag))
    return written


def _put_with_md5(target: Target, key: str, body: bytes) -> None:
    _put(target, key, body)
    # The companion holds the 24-character base64 MD5 (export-formats.md §1: real listings
    # show ``manifest-summary.md5``; the docs' ``.checksum`` name was not seen in the wild).
    _put(target, key.removesuffix(".json") + ".md5", md5_b64(body).encode("ascii"))


def manifest_keys(target: Target, export_id: str) -> tuple[str, str]:
    """Keys of manifest-files.json and manifest-summary.json of an export."""
    folder = f"{target.root}/{export_id}"
    return f"{folder}/manifest-files.json", f"{folder}/manifest-summary.json"


def write_manifests(
    target: Target, export_id: str, files: Sequence[DataFile], summary: dict[str, Any]
) -> str:
    """Write manifest-files.json and manifest-summary.json (+ .md5); returns the summary key.

    ``summary`` is the complete manifest-summary document (field order as on AWS).
    """
    files_key, summary_key = manifest_keys(target, export_id)
    manifest_files = "".join(
        json.dumps(
            {
                "itemCount": f.item_count,
                "md5Checksum": f.md5_b64,
                "etag": f.etag,
                "dataFileS3Key": f.key,
            }
        )
        + "\n"
        for f in files
    ).encode("utf-8")
    _put_with_md5(target, files_key, manifest_files)
    _put_with_md5(target, summary_key, json.dumps(summary).encode("utf-8"))
    return summary_key
