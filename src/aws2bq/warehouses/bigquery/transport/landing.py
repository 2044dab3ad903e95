"""Landing one export in the staging bucket: copy or transfer, verify, remember, clean up.

The files of one export land under ``PREFIX/<stream>/<export id>/<source key>`` in the staging
bucket. The bucket itself is the staging manifest: an object there whose size (and MD5,
where the export's manifest has one — DynamoDB) matches the file is landed, anything else is
not. So a run that crashed after copying some files continues with the others, and never
copies a file twice. Objects are written atomically by Cloud Storage (a resumable upload
becomes visible only when finalized), so a crash mid-upload leaves no partial object.

Beside the folder, ``<export id>.landing.json`` records the route, the totals, and for a
Storage Transfer Service job its name and operation — so a later run (``run --no-wait``, a
Lambda invocation) follows the same transfer instead of starting another — and
``<export id>.manifest.csv`` is the transfer's file list. :meth:`GcsLanding.release` deletes
all of it once the export is applied; the bucket's lifecycle rule deletes what a run
abandoned (:func:`~.gcs.ensure_lifecycle`).
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aws2bq.core.progress import Progress
from aws2bq.core.transport import Route, TransportSpec
from aws2bq.errors import Aws2BqError, ConfigError, ExportError, TransferPending
from aws2bq.stage_hook import reached
from aws2bq.warehouses.base import RawFile
from aws2bq.warehouses.bigquery.transport import sts
from aws2bq.warehouses.bigquery.transport.gcs import StagedObject, ensure_lifecycle, translate

RECORD_SUFFIX = ".landing.json"
MANIFEST_SUFFIX = ".manifest.csv"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.=-]")


def landing_folder(prefix: str, stream: str, export_id: str) -> str:
    """``PREFIX/<stream>/<export id>`` with characters unsafe in object names replaced."""
    return f"{prefix}/{_UNSAFE.sub('_', stream)}/{_UNSAFE.sub('_', export_id)}"


@dataclass
class LandingReport:
    """What landing an export did (the run summary's transport part)."""

    route: str
    files: int = 0
    bytes: int = 0
    #: Files copied (runner) or transferred (STS) by this run, and their bytes.
    files_moved: int = 0
    bytes_moved: int = 0
    #: Files already landed by an earlier run (verified, not copied again).
    files_reused: int = 0
    transfer_job: str | None = None
    transfer_jobs_started: int = 0
    seconds: float = 0.0
    #: Load jobs (filled by the stager) — new and found done from an earlier run.
    load_jobs: int = 0
    load_jobs_reused: int = 0
    cleaned_up: bool = False
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "files": self.files,
            "bytes": self.bytes,
            "files_moved": self.files_moved,
            "bytes_moved": self.bytes_moved,
            "files_reused": self.files_reused,
            "transfer_job": self.transfer_job,
            "transfer_jobs_started": self.transfer_jobs_started,
            "load_jobs": self.load_jobs,
            "load_jobs_reused": self.load_jobs_reused,
            "seconds": round(self.seconds, 3),
            "cleaned_up": self.cleaned_up,
            **self.details,
        }


class GcsLanding:
    """The landing of one export's files (see the module docstring).

    Args:
        storage: a ``google.cloud.storage.Client``.
        transfers: makes a :class:`~.sts.TransferService` when the route is STS.
        spec: the transport settings (bucket, prefix, workers, chunk, STS credentials).
        route: :attr:`Route.COPY` or :attr:`Route.STS`.
        stream, export_id, location: which export (names and messages).
        files: the export's data files, MD5-verifying readers (``RawFile``).
        project: the project transfer jobs belong to.
    """

    def __init__(
        self,
        *,
        storage: Any,
        transfers: Callable[[], sts.TransferService],
        spec: TransportSpec,
        route: Route,
        stream: str,
        export_id: str,
        location: str,
        files: Sequence[RawFile],
        project: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not spec.staging_bucket:
            raise ConfigError("the gcs transport needs bigquery.staging_bucket")
        self.storage = storage
        self.bucket = storage.bucket(spec.staging_bucket)
        self._transfers = transfers
        self.spec = spec
        self.route = route
        self.stream = stream
        self.export_id = export_id
        self.location = location
        self.files = list(files)
        self.project = project
        self.sleep = sleep
        self.folder = landing_folder(spec.staging_prefix, stream, export_id)
        self._reused_bytes = 0
        self.report = LandingReport(
            route=str(route), files=len(self.files), bytes=sum(f.size or 0 for f in self.files)
        )

    # -- names --------------------------------------------------------------------------------
    def object_name(self, f: RawFile) -> str:
        return f"{self.folder}/{f.key.lstrip('/')}"

    def uri(self, name: str) -> str:
        return f"gs://{self.bucket.name}/{name}"

    @property
    def record_name(self) -> str:
        return self.folder + RECORD_SUFFIX

    @property
    def manifest_name(self) -> str:
        return self.folder + MANIFEST_SUFFIX

    # -- the record ---------------------------------------------------------------------------
    def read_record(self) -> dict[str, Any]:
        from google.api_core import exceptions as gexc

        try:
            data = self.bucket.blob(self.record_name).download_as_bytes()
        except gexc.NotFound:
            return {}
        except gexc.GoogleAPIError as exc:
            raise translate(exc, f"read {self.uri(self.record_name)}") from exc
        record = json.loads(data)
        return record if isinstance(record, dict) else {}

    def write_record(self, **changes: Any) -> dict[str, Any]:
        from google.api_core import exceptions as gexc

        record = {
            **self.read_record(),
            "stream": self.stream,
            "export_id": self.export_id,
            "export_location": self.location,
            "route": str(self.route),
            "folder": self.folder,
            "files": len(self.files),
            "bytes": self.report.bytes,
            **changes,
            "updated_at": datetime.now(UTC).isoformat(),
        }
        try:
            self.bucket.blob(self.record_name).upload_from_string(
                json.dumps(record, indent=1), content_type="application/json"
            )
        except gexc.GoogleAPIError as exc:
            raise translate(exc, f"write {self.uri(self.record_name)}") from exc
        return record

    # -- what is there ------------------------------------------------------------------------
    def present(self) -> dict[str, Any]:
        """Object name → blob, for every object under the landing folder."""
        from google.api_core import exceptions as gexc

        try:
            return {
                b.name: b for b in self.storage.list_blobs(self.bucket, prefix=self.folder + "/")
            }
        except gexc.GoogleAPIError as exc:
            raise translate(exc, f"list {self.uri(self.folder)}/") from exc

    def matches(self, f: RawFile, blob: Any) -> bool:
        """Whether ``blob`` holds exactly ``f``: same size, and same MD5 where the export's
        manifest gives one."""
        if f.size is not None and int(blob.size or 0) != f.size:
            return False
        md5 = getattr(f, "md5_b64", None)
        return md5 is None or blob.md5_hash == md5

    def _staged(self, f: RawFile, blob: Any) -> StagedObject:
        return StagedObject(
            key=f.key,
            uri=self.uri(blob.name),
            size=int(blob.size or 0),
            expected_rows=f.expected_rows,
            md5_b64=blob.md5_hash,
            blob=blob,
        )

    # -- landing ------------------------------------------------------------------------------
    def land(self, progress: Progress) -> list[StagedObject]:
        """Every file in the bucket and verified; the staged objects in the files' order.

        Raises:
            TransferPending: an STS transfer is still running and the spec says not to wait
                (or the wait ran out); a later run continues it.
            ExportError: a file fails its MD5 check, or what landed differs from the manifest
                (size, MD5); the message names the file.
        """
        started = time.monotonic()
        ensure_lifecycle(self.bucket, self.spec.staging_prefix, self.spec.lifecycle_days, progress)
        present = self.present()
        missing = [f for f in self.files if not self._landed(f, present)]
        self.report.files_reused = len(self.files) - len(missing)
        self._reused_bytes = self.report.bytes - sum(f.size or 0 for f in missing)
        progress.event(
            "landing",
            stream=self.stream,
            export_id=self.export_id,
            route=str(self.route),
            files=len(self.files),
            already=self.report.files_reused,
            bucket=self.bucket.name,
            folder=self.folder,
        )
        if missing:
            if self.route is Route.STS:
                self._transfer(missing, progress)
            else:
                self.write_record(phase="transfer")
                self._copy(missing, progress)
            present = self.present()
        objects = []
        for f in self.files:
            blob = present.get(self.object_name(f))
            if blob is None or not self.matches(f, blob):
                seen = "missing" if blob is None else f"{blob.size} bytes, MD5 {blob.md5_hash}"
                raise ExportError(
                    f"export {self.location}: data file {f.key} did not land intact in "
                    f"{self.uri(self.object_name(f))} ({seen}; manifest {f.size} bytes, MD5 "
                    f"{getattr(f, 'md5_b64', None)})",
                    hint="run again: the file is copied again; if it persists, re-export",
                )
            objects.append(self._staged(f, blob))
        self.write_record(phase="load")
        self.report.seconds = time.monotonic() - started
        return objects

    def _landed(self, f: RawFile, present: dict[str, Any]) -> bool:
        blob = present.get(self.object_name(f))
        if blob is None:
            return False
        if self.matches(f, blob):
            return True
        # A different object under the same name (an older, interrupted attempt that was
        # finalized with other bytes cannot happen; a changed export can): replace it.
        blob.delete()
        return False

    # -- the runner's own copy ----------------------------------------------------------------
    def _copy(self, files: Sequence[RawFile], progress: Progress) -> None:
        """Stream each file S3 → GCS, several at once; memory per file is one upload chunk."""
        progress.start("transfer", files=len(files), bytes=sum(f.size or 0 for f in files))

        def one(f: RawFile) -> None:
            blob = self.bucket.blob(self.object_name(f), chunk_size=self.spec.upload_chunk)
            try:
                with f.open() as source:  # verifies the MD5 at EOF: a bad file aborts
                    # A file larger than one chunk goes by a resumable upload, one chunk in
                    # memory at a time (without a size the library never picks multipart,
                    # which would read the whole file).
                    small = f.size is not None and f.size <= self.spec.upload_chunk
                    blob.upload_from_file(
                        source,
                        size=f.size if small else None,
                        content_type="application/octet-stream",
                        checksum="md5",
                    )
            except Aws2BqError:
                raise
            except Exception as exc:
                raise translate(exc, f"copy {f.key} to {self.uri(blob.name)}") from exc
            if not self.matches(f, blob):
                blob.delete()
                raise ExportError(
                    f"export {self.location}: {f.key} copied to {self.uri(blob.name)} differs "
                    f"from the manifest ({blob.size} bytes, MD5 {blob.md5_hash})",
                    hint="run again; if it persists, re-export",
                )
            self.report.files_moved += 1
            self.report.bytes_moved += int(blob.size or 0)
            progress.advance("transfer", files=1, bytes=int(blob.size or 0))
            reached("copied")

        workers = max(1, min(self.spec.copy_workers, len(files)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(one, f) for f in files]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                for future in futures:
                    future.cancel()
                raise

    # -- Storage Transfer Service -------------------------------------------------------------
    def transfer_request(self, files: Sequence[RawFile]) -> tuple[sts.TransferRequest, list[str]]:
        """The transfer job for ``files`` (all in one S3 bucket), and their S3 keys."""
        buckets = set()
        keys = []
        for f in files:
            url = str(getattr(f, "url", ""))
            if not url.startswith("s3://"):
                raise ConfigError(
                    f"Storage Transfer Service copies from S3, but {f.key} is at {url or '?'}",
                    hint='use bigquery.gcs.copier = "runner" for local exports',
                )
            bucket, _, key = url[5:].partition("/")
            buckets.add(bucket)
            keys.append(key)
        if len(buckets) != 1:
            raise ExportError(f"export {self.location}: its files are in several buckets")
        source_path = sts.common_folder(keys)
        return sts.TransferRequest(
            project_id=self.project,
            name=sts.job_name(self.stream, self.export_id),
            description=f"aws2bq {self.stream} {self.export_id}"[:1024],
            source_bucket=buckets.pop(),
            source_path=source_path,
            sink_bucket=self.bucket.name,
            sink_path=f"{self.folder}/{source_path}",
            manifest_uri=self.uri(self.manifest_name),
            role_arn=self.spec.sts_aws_role_arn,
            credentials_secret=self.spec.sts_aws_credentials_secret,
        ), keys

    def _transfer(self, files: Sequence[RawFile], progress: Progress) -> None:
        """Start (or follow) the export's transfer job; wait for it if the spec says so."""
        service = self._transfers()
        record = self.read_record()
        operation = record.get("operation")
        if not operation:
            request, keys = self.transfer_request(files)
            self.bucket.blob(self.manifest_name).upload_from_string(
                sts.manifest_csv(keys, request.source_path), content_type="text/csv"
            )
            operation = service.start(request)
            self.report.transfer_jobs_started += 1
            self.write_record(phase="transfer", transfer_job=request.name, operation=operation)
            progress.event("transfer started", job=request.name, operation=operation)
        self.report.transfer_job = record.get("transfer_job") or sts.job_name(
            self.stream, self.export_id
        )
        deadline = time.monotonic() + (self.spec.wait_seconds if self.spec.wait else 0.0)
        interval = 2.0
        while True:
            state = service.state(operation)
            if state.done:
                break
            if time.monotonic() + interval > deadline:
                raise TransferPending(
                    f"export {self.export_id} of {self.stream!r}: Storage Transfer Service "
                    f"job {self.report.transfer_job} is {state.status.lower()} "
                    f"({state.objects_copied}/{len(files)} files)",
                    progress=self._pending(state),
                )
            self.sleep(interval)
            interval = min(interval * 2, 60.0)
        if state.status != "SUCCESS" or state.objects_failed:
            # Forget the operation: the next run runs the job again (it skips what landed).
            self.write_record(phase="transfer", operation=None, last_error=state.error)
            raise ExportError(
                f"export {self.location}: Storage Transfer Service operation {operation} "
                f"ended {state.status} ({state.objects_failed} file(s) failed): "
                f"{state.error or 'no cause given'}",
                hint="check the transfer's logs; the next run starts it again",
            )
        self.report.files_moved += state.objects_copied
        self.report.bytes_moved += state.bytes_copied
        progress.event("transfer done", operation=operation, files=state.objects_copied)

    def _pending(self, state: sts.TransferState) -> dict[str, Any]:
        # The manifest lists only the files not landed before: add those to the counters.
        total = self.report.bytes or 1
        done = self._reused_bytes + state.bytes_copied
        return {
            "phase": "transfer",
            "route": str(self.route),
            "transfer_job": self.report.transfer_job,
            "transfer_status": state.status,
            "files_done": state.objects_copied + self.report.files_reused,
            "files": len(self.files),
            "bytes_done": done,
            "bytes": self.report.bytes,
            "percent": round(100.0 * done / total, 1),
        }

    # -- after the apply ----------------------------------------------------------------------
    def release(self, progress: Progress) -> None:
        """Delete the landed objects, the record and the manifest (after the apply
        committed). A failure here loses nothing: the lifecycle rule deletes them later."""
        from google.api_core import exceptions as gexc

        names = [*self.present(), self.record_name, self.manifest_name]
        try:
            for name in names:
                with contextlib.suppress(gexc.NotFound):
                    self.bucket.blob(name).delete()
            if self.route is Route.STS and self.report.transfer_job:
                self._transfers().delete(self.report.transfer_job, self.project)
        except Aws2BqError as exc:
            progress.event("staged files not deleted", folder=self.folder, error=exc.message)
            return
        except gexc.GoogleAPIError as exc:
            progress.event("staged files not deleted", folder=self.folder, error=str(exc))
            return
        self.report.cleaned_up = True


def landings(storage: Any, spec: TransportSpec, stream: str) -> list[dict[str, Any]]:
    """The landings of ``stream`` in progress (for ``aws2bq status``): each record with how
    many of its files and bytes are in the bucket."""
    from google.api_core import exceptions as gexc

    if not spec.staging_bucket:
        return []
    bucket = storage.bucket(spec.staging_bucket)
    prefix = f"{spec.staging_prefix}/{_UNSAFE.sub('_', stream)}/"
    try:
        blobs = list(storage.list_blobs(bucket, prefix=prefix))
    except gexc.GoogleAPIError as exc:
        raise translate(exc, f"list gs://{bucket.name}/{prefix}") from exc
    out = []
    for record_blob in (b for b in blobs if b.name.endswith(RECORD_SUFFIX)):
        record = json.loads(record_blob.download_as_bytes())
        folder = record_blob.name[: -len(RECORD_SUFFIX)] + "/"
        landed = [b for b in blobs if b.name.startswith(folder)]
        total = int(record.get("bytes") or 0)
        done = sum(int(b.size or 0) for b in landed)
        out.append(
            {
                "export_id": record.get("export_id"),
                "phase": record.get("phase"),
                "route": record.get("route"),
                "transfer_job": record.get("transfer_job"),
                "files_done": len(landed),
                "files": int(record.get("files") or 0),
                "bytes_done": done,
                "bytes": total,
                "percent": round(100.0 * done / total, 1) if total else 100.0,
                "updated_at": record.get("updated_at"),
            }
        )
    return out


__all__ = ["GcsLanding", "LandingReport", "landing_folder", "landings"]
