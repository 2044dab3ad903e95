"""Blob access for exports: a local folder or S3, with streaming, MD5-verifying reads.

S3 goes through boto3, which honours ``AWS_ENDPOINT_URL`` and the rest of its own settings.
Reads are streamed in fixed-size chunks, so memory stays bounded whatever a file's size;
:func:`download_all` runs several downloads at once.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from aws2bq.core.progress import Progress
from aws2bq.errors import ConfigError, ExportError, TransientError
from aws2bq.runner.crashpoints import crashpoint

CHUNK = 1 << 20  # 1 MiB per read: memory per download stays at this size


class BlobStore(ABC):
    """A place export files are read from: keys are paths relative to the store's root."""

    #: Human-readable location (``s3://bucket`` or a folder) for messages.
    location: str

    @abstractmethod
    def read_bytes(self, key: str) -> bytes:
        """A small object (a manifest) in full; ``ExportError`` if it is missing."""

    @abstractmethod
    def open(self, key: str) -> IO[bytes]:
        """A binary stream of the object; ``ExportError`` if it is missing."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size(self, key: str) -> int | None:
        """Size in bytes, or None if the object does not exist."""

    @abstractmethod
    def list(self, prefix: str) -> Iterator[str]:
        """Keys under ``prefix`` (recursively)."""

    def local_path(self, key: str) -> Path | None:
        """The object as a local file, when the store is local (no copy needed)."""
        return None

    def url(self, key: str) -> str:
        return f"{self.location.rstrip('/')}/{key}"


class LocalStore(BlobStore):
    """A local folder laid out like the S3 bucket (or its export prefix)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)

    def _path(self, key: str) -> Path:
        return self.root / key

    def read_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise ExportError(f"{self.url(key)} is missing") from exc

    def open(self, key: str) -> IO[bytes]:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError as exc:
            raise ExportError(f"{self.url(key)} is missing") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int | None:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    def list(self, prefix: str) -> Iterator[str]:
        base = self._path(prefix)
        if not base.is_dir():
            return
        for dirpath, _, files in os.walk(base):
            for name in files:
                yield (Path(dirpath) / name).relative_to(self.root).as_posix()

    def local_path(self, key: str) -> Path | None:
        return self._path(key)


class S3Store(BlobStore):
    """One S3 bucket, through boto3 (endpoint and credentials from boto3's own settings)."""

    def __init__(self, bucket: str, client: Any | None = None) -> None:
        self.bucket = bucket
        self.location = f"s3://{bucket}"
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client(
                "s3", config=Config(max_pool_connections=32, retries={"mode": "standard"})
            )
        self.client = client

    def _translate(self, exc: Exception, key: str) -> Exception:
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404", "NotFound"):
                return ExportError(f"{self.url(key)} is missing")
            if code in ("NoSuchBucket",):
                return ConfigError(f"bucket {self.bucket!r} does not exist")
            if code in ("AccessDenied", "403"):
                return ConfigError(
                    f"access denied to {self.url(key)}",
                    hint="check the credentials / role's s3:GetObject permission",
                )
            if code in ("SlowDown", "RequestTimeout", "InternalError", "503", "500"):
                return TransientError(f"S3 error {code} reading {self.url(key)}")
            return ExportError(f"S3 error {code} reading {self.url(key)}: {exc}")
        if isinstance(exc, BotoCoreError):
            return TransientError(f"could not reach S3 for {self.url(key)}: {exc}")
        return exc

    def read_bytes(self, key: str) -> bytes:
        with self.open(key) as stream:
            return stream.read()

    def open(self, key: str) -> IO[bytes]:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except Exception as exc:
            raise self._translate(exc, key) from exc
        return cast(IO[bytes], body)

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in (
                "404",
                "NoSuchKey",
                "NotFound",
            ):
                return None
            raise self._translate(exc, key) from exc
        return int(head["ContentLength"])

    def list(self, prefix: str) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    yield str(obj["Key"])
        except Exception as exc:
            raise self._translate(exc, prefix) from exc


class _VerifyingStream:
    """Wraps a stream: hashes what is read and checks the MD5 at EOF."""

    def __init__(self, raw: IO[bytes], file: ExportFile) -> None:
        self._raw = raw
        self._file = file
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._done = False
        self._position = 0

    def tell(self) -> int:
        """Bytes read so far (resumable uploads ask; the stream cannot seek)."""
        return self._position

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if data:
            self._position += len(data)
            self._md5.update(data)
        elif not self._done and size != 0:
            self._done = True
            self._file.check_md5(self._md5.digest())
        return data

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> _VerifyingStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class ExportFile:
    """One data file named by an export's manifest (implements ``warehouses.base.RawFile``)."""

    store: BlobStore
    key: str
    md5_b64: str | None
    expected_rows: int
    size: int | None = None
    #: The export, for messages (``s3://bucket/prefix/AWSDynamoDB/<id>``).
    export: str = ""

    @property
    def url(self) -> str:
        """Where the file is: ``s3://bucket/key`` or a local path."""
        return self.store.url(self.key)

    def check_md5(self, digest: bytes) -> None:
        """Raise ``ExportError`` naming the file if ``digest`` differs from the manifest."""
        if self.md5_b64 is None:
            return
        actual = base64.b64encode(digest).decode()
        if actual != self.md5_b64:
            raise ExportError(
                f"export {self.export}: data file {self.key} fails its MD5 check "
                f"(manifest {self.md5_b64}, file {actual})",
                hint="the file is corrupt or was changed after the export; re-export the table",
            )

    def open(self) -> IO[bytes]:
        stream: Any = _VerifyingStream(self.store.open(self.key), self)
        return stream  # type: ignore[no-any-return]

    def download_to(self, path: Path, *, progress: Progress | None = None) -> int:
        written = 0
        md5 = hashlib.md5(usedforsecurity=False)
        with self.store.open(self.key) as src, path.open("wb") as dst:
            while chunk := src.read(CHUNK):
                md5.update(chunk)
                dst.write(chunk)
                written += len(chunk)
                if progress is not None:
                    progress.advance("download", bytes=len(chunk))
        self.check_md5(md5.digest())
        return written

    def verify_in_place(self, *, progress: Progress | None = None) -> int:
        """Hash a local file without copying it; returns its size."""
        path = self.store.local_path(self.key)
        if path is None:
            raise ValueError("verify_in_place needs a local store")
        md5 = hashlib.md5(usedforsecurity=False)
        size = 0
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                md5.update(chunk)
                size += len(chunk)
                if progress is not None:
                    progress.advance("download", bytes=len(chunk))
        self.check_md5(md5.digest())
        return size


def fetch_all(
    files: Sequence[ExportFile],
    dest: Path,
    *,
    workers: int = 8,
    progress: Progress | None = None,
    name_for: Callable[[int, ExportFile], str] | None = None,
) -> list[tuple[ExportFile, Path, int]]:
    """Make every file available locally and verified, several at a time.

    Local stores are hashed in place (no copy); remote objects are streamed into ``dest``.
    Returns ``(file, local path, bytes)`` in the order of ``files``. The first failure
    cancels what has not started and is raised.
    """
    dest.mkdir(parents=True, exist_ok=True)

    def one(index: int, f: ExportFile) -> tuple[ExportFile, Path, int]:
        local = f.store.local_path(f.key)
        if local is not None:
            size = f.verify_in_place(progress=progress)
            path = local
        else:
            path = dest / (name_for(index, f) if name_for else f"{index:06d}.json.gz")
            size = f.download_to(path, progress=progress)
        if progress is not None:
            progress.advance("download", files=1)
        crashpoint("download")
        return f, path, size

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(one, i, f) for i, f in enumerate(files)]
        try:
            return [fut.result() for fut in futures]
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise


def copy_stream(src: IO[bytes], dst: IO[bytes]) -> int:
    """Copy in bounded chunks; returns the byte count."""
    before = dst.tell() if dst.seekable() else 0
    shutil.copyfileobj(src, dst, CHUNK)
    return (dst.tell() - before) if dst.seekable() else 0
