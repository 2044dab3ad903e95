"""The staging bucket: a ``google-cloud-storage`` client, staged objects, the lifecycle rule."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from aws2bq.core.progress import Progress
from aws2bq.core.transport import TransportSpec
from aws2bq.errors import ConfigError, ExportError, TransientError

#: google-cloud-storage's own variable for an emulator (anonymous credentials).
EMULATOR_ENV = "STORAGE_EMULATOR_HOST"


def storage_client(spec: TransportSpec, *, project: str, credentials: Any = None) -> Any:
    """A ``storage.Client`` for the staging bucket (anonymous against an endpoint override)."""
    from google.cloud import storage  # type: ignore[attr-defined]

    endpoint = spec.gcs_endpoint or os.environ.get(EMULATOR_ENV)
    if endpoint:
        from google.auth.credentials import AnonymousCredentials

        return storage.Client(
            project=project,
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options={"api_endpoint": endpoint.rstrip("/")},
        )
    return storage.Client(project=project, credentials=credentials)


def md5_b64(hex_or_none: str | None) -> str | None:
    """Base64 MD5 (GCS's ``md5Hash`` form) of a hex digest."""
    return base64.b64encode(bytes.fromhex(hex_or_none)).decode() if hex_or_none else None


@dataclass(frozen=True)
class StagedObject:
    """An export file staged in GCS and verified (size, MD5): a ``RawFile`` a BigQuery
    load job reads from its ``gs://`` :attr:`uri`, so no bytes go through the runner.

    ``key`` is the export file's key as the manifest names it (messages and counts).
    """

    key: str
    uri: str
    size: int | None
    expected_rows: int
    md5_b64: str | None
    blob: Any = field(repr=False, compare=False)

    def open(self) -> IO[bytes]:
        """A seekable reader of the staged object (ranged reads: a Parquet footer costs a
        few requests, not the file)."""
        reader: IO[bytes] = self.blob.open("rb")
        return reader

    def download_to(self, path: Path, *, progress: Progress | None = None) -> int:
        """Not used: staged objects are loaded by URI."""
        raise ExportError(f"{self.uri} is staged in GCS; it is loaded by URI, not downloaded")


def staged_objects(files: Any) -> list[StagedObject] | None:
    """``files`` as staged objects when every one is, else None (the direct path)."""
    items = list(files)
    staged = [f for f in items if isinstance(f, StagedObject)]
    return staged if items and len(staged) == len(items) else None


def ensure_lifecycle(bucket: Any, prefix: str, days: int, progress: Progress) -> None:
    """A lifecycle rule deleting objects under ``prefix/`` after ``days`` days: the safety
    net for landings a crashed or abandoned run never cleaned up. Setting it needs
    ``storage.buckets.update``; without it a warning says what to do (docs/deploy.md)."""
    from google.api_core import exceptions as gexc

    wanted = {
        "action": {"type": "Delete"},
        "condition": {"age": days, "matchesPrefix": [prefix + "/"]},
    }
    try:
        bucket.reload()
        rules = list(bucket.lifecycle_rules)
        if any(dict(r) == wanted for r in rules):
            return
        bucket.add_lifecycle_delete_rule(age=days, matches_prefix=[prefix + "/"])
        bucket.patch()
    except gexc.Forbidden:
        progress.event(
            "lifecycle rule not set",
            bucket=bucket.name,
            hint=f"add a rule deleting {prefix}/ objects after {days} days (docs/deploy.md)",
        )
    except gexc.GoogleAPIError as exc:
        raise translate(exc, f"set the lifecycle rule of gs://{bucket.name}") from exc


def translate(exc: Exception, what: str) -> Exception:
    """A Cloud Storage error as aws2bq's error root."""
    code = getattr(exc, "code", None)
    message = f"Cloud Storage: {what} failed: {getattr(exc, 'message', exc)}"
    if code in (408, 429, 500, 502, 503, 504) or isinstance(exc, ConnectionError | TimeoutError):
        return TransientError(message, hint="Cloud Storage is busy; retry later")
    if code == 404:
        return ConfigError(message, hint="check bigquery.staging_bucket")
    if code == 403:
        return ConfigError(
            message,
            hint="the runner needs roles/storage.objectAdmin on the staging bucket "
            "(docs/deploy.md)",
        )
    return ExportError(message)


__all__ = [
    "EMULATOR_ENV",
    "StagedObject",
    "ensure_lifecycle",
    "md5_b64",
    "staged_objects",
    "storage_client",
    "translate",
]
