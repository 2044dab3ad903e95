"""Blob access for exports: a local folder or S3, with streaming, MD5-verifying reads.

S3 goes through boto3, which honours ``AWS_ENDPOINT_URL`` and the rest of its own settings.
Reads are streamed in fixed-size chunks, so memory stays bounded whatever a file's size;
:func:`fetch_all` runs several downloads at once.

Nothing outside an export is ever read (issue 11): a key must be a plain relative path
(:func:`plain_key`: no ``..``, ``.``, empty segment or leading ``/``); a local store resolves
symlinks and refuses a path that leads outside its folder (:meth:`BlobStore.confine` does the
same for an export's own folder); only regular files are opened (a directory, named pipe or
device is refused before it is opened, and the open itself never blocks); and a data file is
read up to the size its listing gave, never further.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import stat
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from aws2bq import aws_clients
from aws2bq.aws_clients import AwsTarget
from aws2bq.core.progress import Progress
from aws2bq.errors import ConfigError, ExportError, TransientError
from aws2bq.stage_hook import reached

CHUNK = 1 << 20  # 1 MiB per read: memory per download stays at this size
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def plain_key(key: str, what: str) -> str:
    """``key`` if it is a plain relative path, else ``ExportError`` naming ``what``.

    Plain: not empty, no leading ``/``, no backslash or NUL, and no ``.``, ``..`` or empty
    segment. AWS writes only such keys; anything else could lead outside the export.
    """
    parts = key.split("/")
    if (
        not key
        or key.startswith("/")
        or "\\" in key
        or "\0" in key
        or any(p in ("", ".", "..") for p in parts)
    ):
        raise ExportError(
            f"{what}: {key!r} is not a plain relative key and would lead outside the export",
            hint="an export only names files inside its own folder; this one was altered",
        )
    return key


def within(key: str, base: str) -> bool:
    """Whether ``key`` is ``base`` or below it (``base`` empty: anything)."""
    return not base or key == base or key.startswith(base.rstrip("/") + "/")


def kind_of(mode: int) -> str:
    """What a non-regular file is (``a directory``, ``a named pipe``…)."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def open_regular(path: Path, where: str) -> IO[bytes]:
    """Open ``path`` for reading only if it is a regular file; never blocks (a named pipe is
    opened non-blocking, seen for what it is, and closed). ``where`` names it in errors."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ExportError(f"{where} is missing") from None
    except PermissionError as exc:
        raise ConfigError(
            f"cannot read {where}: {exc.strerror or 'permission denied'}",
            hint="give the user running aws2bq read access to the export's files",
        ) from None
    except OSError as exc:
        raise ExportError(f"cannot open {where}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ExportError(
                f"{where} is {kind_of(mode)}, not a regular file",
                hint="an export's files are regular files; this one was replaced",
            )
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


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

    def confine(self, key: str, base: str, what: str) -> str:
        """``key`` if it is a plain key under ``base`` (an export's folder) and, in a local
        store, still there once symlinks are resolved; else ``ExportError`` naming ``what``."""
        plain_key(key, what)
        if not within(key, base):
            raise ExportError(
                f"{what}: {self.url(key)} is outside the export ({self.url(base)})",
                hint="an export only names files inside its own folder; this one was altered",
            )
        return key


class LocalStore(BlobStore):
    """A local folder laid out like the S3 bucket (or its export prefix).

    Keys are plain relative paths; a key whose real path (symlinks resolved) is outside the
    folder is refused, and only regular files are read.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)
        self._real_root = Path(os.path.realpath(root))

    def _path(self, key: str) -> Path:
        """The real path of ``key``, checked to be inside the store's folder."""
        plain_key(key, self.url(key))
        real = Path(os.path.realpath(self.root / key))
        if not real.is_relative_to(self._real_root):
            raise ExportError(
                f"{self.url(key)} leads outside {self.location} (to {real})",
                hint="a symlink or path out of the export is never followed",
            )
        return real

    def confine(self, key: str, base: str, what: str) -> str:
        super().confine(key, base, what)
        real = self._path(key)
        real_base = Path(os.path.realpath(self.root / base)) if base else self._real_root
        if not real.is_relative_to(real_base):
            raise ExportError(
                f"{what}: {self.url(key)} is a link that leads outside the export "
                f"({self.url(base)}) to {real}",
                hint="a symlink out of the export is never followed",
            )
        return key

    def read_bytes(self, key: str) -> bytes:
        with self.open(key) as fh:
            return fh.read()

    def open(self, key: str) -> IO[bytes]:
        return open_regular(self._path(key), self.url(key))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int | None:
        try:
            info = os.stat(self._path(key))
        except FileNotFoundError:
            return None
        except PermissionError as exc:
            raise ConfigError(
                f"cannot read {self.url(key)}: {exc.strerror or 'permission denied'}",
                hint="give the user running aws2bq read access to the export's files",
            ) from None
        if not stat.S_ISREG(info.st_mode):
            raise ExportError(
                f"{self.url(key)} is {kind_of(info.st_mode)}, not a regular file",
                hint="an export's files are regular files; this one was replaced",
            )
        return info.st_size

    def list(self, prefix: str) -> Iterator[str]:
        base = self._path(prefix.strip("/")) if prefix.strip("/") else self._real_root
        if not base.is_dir():
            return
        # Symlinked folders are not descended into (os.walk's default): nothing outside.
        for dirpath, _, files in os.walk(base):
            for name in files:
                yield (Path(dirpath) / name).relative_to(self._real_root).as_posix()

    def local_path(self, key: str) -> Path | None:
        """The real path of a regular file of the store (checked as :meth:`size` does)."""
        if self.size(key) is None:
            raise ExportError(f"{self.url(key)} is missing")
        return self._path(key)


class S3Store(BlobStore):
    """One S3 bucket, through boto3 (endpoint and credentials from boto3's own settings)."""

    def __init__(
        self, bucket: str, client: Any | None = None, *, aws: AwsTarget | None = None
    ) -> None:
        self.bucket = bucket
        self.location = f"s3://{bucket}"
        if client is None:
            client = aws_clients.client(
                "s3", aws or AwsTarget(), max_pool_connections=32, retries={"mode": "standard"}
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
            return aws_clients.translate(exc, f"S3 {self.url(key)}")
        return exc

    def read_bytes(self, key: str) -> bytes:
        with self.open(key) as stream:
            return stream.read()

    def open(self, key: str) -> IO[bytes]:
        plain_key(key, self.url(key))
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except Exception as exc:
            raise self._translate(exc, key) from exc
        return cast(IO[bytes], body)

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        plain_key(key, self.url(key))
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
        except Exception as exc:
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
    """Wraps a stream: reads at most the file's listed size (more is an error), hashes what
    is read, and checks the length and the MD5 at EOF."""

    def __init__(self, raw: IO[bytes], file: ExportFile) -> None:
        self._raw = raw
        self._file = file
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._read = 0
        self._done = False

    def tell(self) -> int:
        """Bytes read so far (resumable uploads ask; the stream cannot seek)."""
        return self._read

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        limit = self._file.size
        if limit is not None:
            # One byte beyond the listed size is enough to know the file is longer.
            room = limit + 1 - self._read
            size = room if size < 0 else min(size, room)
            data = b"" if size <= 0 else self._raw.read(size)
        else:
            data = self._raw.read(size)
        if data:
            self._read += len(data)
            self._file.check_length(self._read, final=False)
            self._md5.update(data)
        elif not self._done and size != 0:
            self._done = True
            self._file.check_length(self._read, final=True)
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
    """One data file named by an export's manifest (implements ``warehouses.base.RawFile``).

    ``size`` is what the listing (S3 HEAD, or the local file's size when the manifest was
    read) gave: reads stop there, and a file that turns out longer or shorter is refused.
    """

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

    def check_length(self, read: int, *, final: bool) -> None:
        """Refuse a file longer than its listed size (or, at its end, shorter)."""
        if self.size is None or (read <= self.size and (not final or read == self.size)):
            return
        what = "longer" if read > self.size else "shorter"
        raise ExportError(
            f"export {self.export}: data file {self.key} is {what} than the {self.size:,} "
            "bytes it was listed with",
            hint="the file changed while aws2bq read the export; load it again (or re-export)",
        )

    def open(self) -> IO[bytes]:
        stream: Any = _VerifyingStream(self.store.open(self.key), self)
        return stream  # type: ignore[no-any-return]

    def _copy(self, dst: IO[bytes] | None, progress: Progress | None) -> int:
        """Read the file through :meth:`open` (bounded, verified), writing to ``dst``."""
        total = 0
        with self.open() as src:
            while chunk := src.read(CHUNK):
                if dst is not None:
                    dst.write(chunk)
                total += len(chunk)
                if progress is not None:
                    progress.advance("download", bytes=len(chunk))
        return total

    def download_to(self, path: Path, *, progress: Progress | None = None) -> int:
        with path.open("wb") as dst:
            return self._copy(dst, progress)

    def verify_in_place(self, *, progress: Progress | None = None) -> int:
        """Hash a local file without copying it; returns its size."""
        if self.store.local_path(self.key) is None:
            raise ValueError("verify_in_place needs a local store")
        return self._copy(None, progress)


def miscounted(
    files: Sequence[ExportFile], rows_per_file: Mapping[str, int]
) -> list[tuple[ExportFile, int]]:
    """``(file, rows staged)`` for every file whose staged rows (``rows_per_file``, by key, as
    the warehouse counted them) differ from the rows it was expected to hold."""
    return [
        (f, rows_per_file.get(f.key, 0))
        for f in files
        if rows_per_file.get(f.key, 0) != f.expected_rows
    ]


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
        reached("download")
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
