"""Storage Transfer Service (STS): one schedule-less transfer job per export, for its exact files.

The job copies the export's data files from S3 into the staging bucket (no bytes through the
runner). It names the files in a *manifest* — a CSV in Cloud Storage whose first column is
each object's name relative to the source path — never a prefix scan: DynamoDB incremental
exports of one stream share one ``data/`` folder, so a prefix would take other exports' files
(https://cloud.google.com/storage-transfer/docs/manifest, "Object storage transfers").

A job without a ``schedule`` runs only when ``runTransferJob`` is called
(https://cloud.google.com/storage-transfer/docs/reference/rest/v1/transferJobs): aws2bq creates
it with a name derived from the stream and export (so a re-run finds it instead of starting a
second transfer), runs it once, and follows the operation it returns. STS reads S3 through
an AWS role it assumes by web identity federation (``roleArn``, preferred) or an access key
kept in Secret Manager (``credentialsSecret``)
(https://cloud.google.com/storage-transfer/docs/source-amazon-s3).

:func:`transfer_job` and :func:`manifest_csv` are pure (tested against the client library's
request types); :class:`TransferService` wraps ``google-cloud-storage-transfer``.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws2bq.errors import ConfigError, ExportError, TransientError

#: STS job names: "transferJobs/" then letters, digits, dashes, dots, underscores.
JOB_PREFIX = "transferJobs/aws2bq-"


def job_name(stream: str, export_id: str) -> str:
    """The transfer job's name for one export of one stream (the same on every run)."""
    digest = hashlib.sha256(f"{stream}\n{export_id}".encode()).hexdigest()[:32]
    return JOB_PREFIX + digest


def manifest_csv(keys: Sequence[str], source_path: str) -> bytes:
    """The STS manifest: one row per object, its name relative to ``source_path``, quoted
    by CSV rules where needed (names with commas or quotes)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for key in keys:
        if not key.startswith(source_path):
            raise ValueError(f"{key!r} is not under the transfer's source path {source_path!r}")
        writer.writerow([key[len(source_path) :]])
    return out.getvalue().encode()


def common_folder(keys: Sequence[str]) -> str:
    """The longest folder (ending in ``/``, or empty) holding every key."""
    if not keys:
        return ""
    first, last = min(keys), max(keys)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n].rpartition("/")[0] + "/" if "/" in first[:n] else ""


@dataclass(frozen=True)
class TransferRequest:
    """What one export's transfer job needs (all names, no client)."""

    project_id: str
    name: str
    description: str
    source_bucket: str
    #: Folder of the export in the source bucket (``aws2bq/orders/AWSDynamoDB/``).
    source_path: str
    sink_bucket: str
    #: Folder the files land in: ``<landing folder>/<source_path>``.
    sink_path: str
    #: ``gs://bucket/…/manifest.csv``.
    manifest_uri: str
    role_arn: str | None = None
    credentials_secret: str | None = None


def transfer_job(request: TransferRequest) -> Any:
    """The ``TransferJob`` message for ``request``: S3 → GCS, manifest, no schedule.

    Raises:
        ConfigError: neither a role nor a secret is configured for STS to read S3.
    """
    from google.cloud import storage_transfer

    if not request.role_arn and not request.credentials_secret:
        raise ConfigError(
            "Storage Transfer Service needs AWS credentials to read the exports",
            hint="set bigquery.gcs.sts_aws_role_arn (the template's StsReadRoleArn output) or "
            "bigquery.gcs.sts_aws_credentials_secret",
        )
    source = storage_transfer.AwsS3Data(
        bucket_name=request.source_bucket,
        path=request.source_path,
        role_arn=request.role_arn or "",
        credentials_secret=request.credentials_secret or "",
    )
    return storage_transfer.TransferJob(
        name=request.name,
        project_id=request.project_id,
        description=request.description,
        status=storage_transfer.TransferJob.Status.ENABLED,
        transfer_spec=storage_transfer.TransferSpec(
            aws_s3_data_source=source,
            gcs_data_sink=storage_transfer.GcsData(
                bucket_name=request.sink_bucket, path=request.sink_path
            ),
            transfer_manifest=storage_transfer.TransferManifest(location=request.manifest_uri),
            transfer_options=storage_transfer.TransferOptions(
                # Same name, same bytes (the export never changes): skip what is there.
                overwrite_when=storage_transfer.TransferOptions.OverwriteWhen.DIFFERENT,
                delete_objects_from_source_after_transfer=False,
                delete_objects_unique_in_sink=False,
            ),
        ),
    )


@dataclass(frozen=True)
class TransferState:
    """Where a transfer operation stands."""

    operation: str
    done: bool
    #: STS's TransferOperation.Status name (IN_PROGRESS, SUCCESS, FAILED, ABORTED, …).
    status: str
    objects_copied: int = 0
    bytes_copied: int = 0
    objects_found: int = 0
    bytes_found: int = 0
    objects_failed: int = 0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "status": self.status,
            "objects_copied": self.objects_copied,
            "bytes_copied": self.bytes_copied,
            "objects_failed": self.objects_failed,
            "error": self.error,
        }


class TransferService:
    """Create, run and follow transfer jobs through ``google-cloud-storage-transfer``."""

    def __init__(self, *, credentials: Any = None, endpoint: str | None = None) -> None:
        from google.cloud import storage_transfer

        if endpoint:
            from google.api_core.client_options import ClientOptions
            from google.auth.credentials import AnonymousCredentials

            self.client = storage_transfer.StorageTransferServiceClient(
                transport="rest",
                credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
                client_options=ClientOptions(api_endpoint=endpoint),
            )
        else:
            self.client = storage_transfer.StorageTransferServiceClient(credentials=credentials)

    def start(self, request: TransferRequest) -> str:
        """Create the job (or find it, made by an earlier run) and run it; the operation's
        name. A job already running is not started twice: its latest operation is returned."""
        from google.api_core import exceptions as gexc
        from google.cloud import storage_transfer

        try:
            try:
                self.client.create_transfer_job(
                    storage_transfer.CreateTransferJobRequest(transfer_job=transfer_job(request))
                )
            except gexc.AlreadyExists:
                job = self.client.get_transfer_job(
                    storage_transfer.GetTransferJobRequest(
                        job_name=request.name, project_id=request.project_id
                    )
                )
                if job.latest_operation_name:
                    return str(job.latest_operation_name)
            operation = self.client.run_transfer_job(
                storage_transfer.RunTransferJobRequest(
                    job_name=request.name, project_id=request.project_id
                )
            )
            return str(operation.operation.name)
        except gexc.GoogleAPIError as exc:
            raise _translate(exc, f"start transfer job {request.name}") from exc

    def state(self, operation: str) -> TransferState:
        """The operation's progress (counters) and outcome."""
        from google.api_core import exceptions as gexc
        from google.cloud import storage_transfer
        from google.longrunning import operations_pb2

        try:
            op = self.client.get_operation(operations_pb2.GetOperationRequest(name=operation))
        except gexc.GoogleAPIError as exc:
            raise _translate(exc, f"read transfer operation {operation}") from exc
        meta = storage_transfer.TransferOperation.deserialize(op.metadata.value)
        counters = meta.counters
        error = op.error.message if op.HasField("error") else None
        status = storage_transfer.TransferOperation.Status(meta.status).name
        return TransferState(
            operation=operation,
            done=bool(op.done),
            status=status,
            objects_copied=int(counters.objects_copied_to_sink),
            bytes_copied=int(counters.bytes_copied_to_sink),
            objects_found=int(counters.objects_found_from_source),
            bytes_found=int(counters.bytes_found_from_source),
            objects_failed=int(counters.objects_from_source_failed),
            error=error,
        )

    def delete(self, name: str, project_id: str) -> None:
        """Delete a finished job (its configuration; the copied objects stay)."""
        from google.api_core import exceptions as gexc
        from google.cloud import storage_transfer

        try:
            self.client.delete_transfer_job(
                storage_transfer.DeleteTransferJobRequest(job_name=name, project_id=project_id)
            )
        except gexc.NotFound:
            return
        except gexc.GoogleAPIError as exc:
            raise _translate(exc, f"delete transfer job {name}") from exc


def _translate(exc: Exception, what: str) -> Exception:
    code = getattr(exc, "code", None)
    message = f"Storage Transfer Service: {what} failed: {getattr(exc, 'message', exc)}"
    if code in (429, 500, 502, 503, 504):
        return TransientError(message, hint="the service is busy; the next run continues")
    if code == 403:
        return ConfigError(
            message,
            hint="grant the runner roles/storagetransfer.user and the STS service agent "
            "access to the staging bucket (docs/deploy.md)",
        )
    return ExportError(message)


__all__ = [
    "JOB_PREFIX",
    "TransferRequest",
    "TransferService",
    "TransferState",
    "common_folder",
    "job_name",
    "manifest_csv",
    "transfer_job",
]
