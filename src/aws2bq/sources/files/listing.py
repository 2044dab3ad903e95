"""Discover the data objects under an S3 prefix or in a local folder, with ETag and size.

``s3://bucket/prefix/`` is listed with ``ListObjectsV2`` (every page; the prefix is taken
as a folder, a ``/`` added when missing, as S3 prefixes otherwise match
``s3://bucket/prefix-archive/`` too); a local folder is
walked (symlinked folders are not followed). Objects whose file name, or a folder
below SOURCE, starts with ``_`` or ``.`` are skipped: the markers, checksums and unfinished
attempts Hadoop, Spark and Glue write next to data (``_SUCCESS``, ``_committed_…``,
``.part-0.crc``, ``_temporary/0/part-0.parquet``), as Athena skips them
(https://docs.aws.amazon.com/athena/latest/ug/tables-location-format.html). "Folder" keys
ending in ``/`` are skipped too.

The order of a batch is ``(last_modified, key)``: in merge mode the later object wins.
A local file's "ETag" is the hex MD5 of its bytes (what S3 gives for a single-part upload),
so copying a folder does not make every file look changed.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aws2bq import aws_clients
from aws2bq.aws_clients import AwsTarget
from aws2bq.errors import ConfigError, ExportError
from aws2bq.sources.blobs import CHUNK, LocalStore, S3Store, open_regular, plain_key


@dataclass(frozen=True)
class FileObject:
    """One data object: its key (relative to the store's root), ETag, size and time."""

    key: str
    etag: str
    size: int
    last_modified: datetime
    #: ``s3://bucket/key`` or the local file's absolute path: the object's identity in the
    #: ledger (a key relative to SOURCE would make ``days/d1/part-0`` and ``days/d2/part-0``
    #: the same object, and loading ``days`` would see both as new).
    url: str

    def identity(self) -> dict[str, Any]:
        """What the ledger records for the object (see :mod:`.ledger`)."""
        return {
            "url": self.url,
            "key": self.key,
            "etag": self.etag,
            "size": self.size,
            "last_modified": self.last_modified.isoformat(),
        }


@dataclass(frozen=True)
class FilesLocation:
    """Where the objects are: an S3 bucket and prefix, or a local folder."""

    store: S3Store | LocalStore
    prefix: str
    #: The location as the user gave it, normalised (``s3://bucket/prefix/`` or a folder).
    url: str


def skipped(key: str) -> bool:
    """Whether ``key`` (relative to SOURCE) is a marker / checksum / folder key, or lies in
    a hidden or temporary folder, rather than data (module doc)."""
    parts = key.split("/")
    return not parts[-1] or any(p.startswith(("_", ".")) for p in parts)


def open_location(source: str, aws: AwsTarget | None = None) -> FilesLocation:
    """The location ``source`` names; ``ConfigError`` for a folder that does not exist."""
    if source.startswith("s3://"):
        bucket, _, prefix = source.removeprefix("s3://").partition("/")
        if not bucket:
            raise ConfigError(f"{source!r} names no bucket", hint="use s3://bucket/prefix/")
        store = S3Store(bucket, aws=aws)
        # SOURCE is a folder: s3://logs/app must not also list s3://logs/app-archive/….
        prefix = prefix.lstrip("/")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        return FilesLocation(store, prefix, f"s3://{bucket}/{prefix}")
    path = Path(source).expanduser()
    if not path.is_dir():
        raise ConfigError(
            f"{source!r} is neither s3://bucket/prefix/ nor a local folder",
            hint="give the S3 prefix the files are under, or a local folder holding them",
        )
    path = Path(os.path.abspath(path))  # files are identified by absolute path (FileObject)
    return FilesLocation(LocalStore(path), "", str(path))


def list_objects(location: FilesLocation) -> list[FileObject]:
    """Every data object under the location, oldest first (``(last_modified, key)``)."""
    if isinstance(location.store, S3Store):
        found = _list_s3(location.store, location.prefix)
    else:
        found = _list_local(location.store)
    return sorted(found, key=lambda o: (o.last_modified, o.key))


def _list_s3(store: S3Store, prefix: str) -> list[FileObject]:
    out: list[FileObject] = []
    paginator = store.client.get_paginator("list_objects_v2")
    try:
        for page in paginator.paginate(Bucket=store.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                key = str(obj["Key"])
                if skipped(key.removeprefix(prefix)):  # only segments below SOURCE count
                    continue
                when = obj["LastModified"]
                out.append(
                    FileObject(
                        key=key,
                        etag=str(obj.get("ETag", "")).strip('"'),
                        size=int(obj.get("Size", 0)),
                        last_modified=when if when.tzinfo else when.replace(tzinfo=UTC),
                        url=store.url(key),
                    )
                )
    except Exception as exc:
        from botocore.exceptions import ClientError

        if isinstance(exc, ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code == "NoSuchBucket":
                raise ConfigError(f"bucket {store.bucket!r} does not exist") from exc
            if code in ("AccessDenied", "403"):
                raise ConfigError(
                    f"access denied listing s3://{store.bucket}/{prefix}",
                    hint="check the credentials / role's s3:ListBucket permission",
                ) from exc
        if isinstance(exc, ExportError | ConfigError):
            raise
        raise aws_clients.translate(exc, f"S3 listing of s3://{store.bucket}/{prefix}") from exc
    return out


def _list_local(store: LocalStore) -> list[FileObject]:
    out: list[FileObject] = []
    for key in store.list(""):
        if skipped(key):
            continue
        plain_key(key, store.url(key))
        info = os.stat(store.root / key)
        out.append(
            FileObject(
                key=key,
                etag=local_etag(store, key),
                size=info.st_size,
                last_modified=datetime.fromtimestamp(info.st_mtime, UTC),
                url=store.url(key),
            )
        )
    return out


def local_etag(store: LocalStore, key: str) -> str:
    """The hex MD5 of a local file (S3's ETag of a single-part upload of the same bytes)."""
    digest = hashlib.md5(usedforsecurity=False)
    with open_regular(store.root / key, store.url(key)) as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
