"""How an export's files reach the warehouse: the decision, the limits and the estimate (pure).

A *transport* moves the bytes of an export's data files to where the warehouse loads them:

- ``direct``: the runner streams each file into a load job (DuckDB reads it; BigQuery gets an
  upload). Bytes go through the runner.
- ``gcs``: the files are staged in a Cloud Storage bucket — copied by the runner (parallel,
  streaming, bounded memory) or by Google's Storage Transfer Service (no bytes through the
  runner) — then BigQuery loads them from ``gs://`` URIs in a few large load jobs.
- ``auto``: ``gcs`` for exports of at least ``auto_threshold`` bytes (manifest sizes), else
  ``direct``.

This module holds what needs no SDK: :class:`TransportSpec` (the settings a load carries, built
by the runner from the config), :func:`choose_route`, :func:`load_batches` (load jobs within
BigQuery's documented limits) and :func:`egress_estimate`. The executing side lives with the
warehouse (``aws2bq.warehouses.bigquery.transport``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: BigQuery load job limits (https://cloud.google.com/bigquery/quotas#load_jobs):
#: source URIs per load job, and bytes of all input files per load job (15 TB).
MAX_URIS_PER_LOAD_JOB = 10_000
MAX_BYTES_PER_LOAD_JOB = 15 * 10**12
#: Load jobs per table per day (the same page): a run needing more is refused up front.
MAX_LOAD_JOBS_PER_TABLE_PER_DAY = 1_500
#: A gzip-compressed JSON / CSV file may hold at most 4 GB (the same page, "Maximum file
#: sizes"); larger gzip files must go direct (decompressed while streaming).
MAX_GZIP_FILE_BYTES = 4 * 10**9


class Route(StrEnum):
    """Where an export's bytes go, decided per export."""

    DIRECT = "direct"
    #: Staged in GCS by the runner's own parallel copy.
    COPY = "copy"
    #: Staged in GCS by a Storage Transfer Service job.
    STS = "sts"

    @property
    def staged(self) -> bool:
        return self is not Route.DIRECT


@dataclass(frozen=True)
class TransportSpec:
    """What a load needs to know to move an export's files (from ``aws2bq.toml``).

    ``mode`` is the stream's transport (``direct`` | ``gcs`` | ``auto``); the rest are the
    ``[bigquery]`` / ``[bigquery.gcs]`` settings of the GCS path. Sizes are bytes.
    """

    mode: str = "direct"
    staging_bucket: str | None = None
    staging_prefix: str = "aws2bq"
    auto_threshold: int = 1 << 30
    copier: str = "auto"
    sts_threshold: int = 10 << 30
    copy_workers: int = 8
    upload_chunk: int = 8 << 20
    load_job_uris: int = MAX_URIS_PER_LOAD_JOB
    sts_aws_role_arn: str | None = None
    sts_aws_credentials_secret: str | None = None
    transfer_project: str | None = None
    gcs_endpoint: str | None = None
    sts_endpoint: str | None = None
    egress_usd_per_gb: float = 0.09
    lifecycle_days: int = 3
    #: Wait for a Storage Transfer Service job to finish (``run --wait``); without it the
    #: run returns and a later run continues (Lambda).
    wait: bool = True
    #: With ``wait``: seconds to wait for a transfer before leaving it to the next run.
    wait_seconds: float = 3600.0

    @classmethod
    def from_settings(
        cls, mode: str, bigquery: Any, *, wait: bool = True, wait_seconds: float = 3600.0
    ) -> TransportSpec:
        """From a stream's transport and the ``[bigquery]`` settings (``BigQuerySettings``)."""
        gcs = bigquery.gcs
        return cls(
            mode=mode,
            staging_bucket=bigquery.staging_bucket,
            staging_prefix=gcs.staging_prefix,
            auto_threshold=int(gcs.auto_threshold),
            copier=gcs.copier,
            sts_threshold=int(gcs.sts_threshold),
            copy_workers=gcs.copy_workers,
            upload_chunk=int(gcs.upload_chunk),
            load_job_uris=gcs.load_job_uris,
            sts_aws_role_arn=gcs.sts_aws_role_arn,
            sts_aws_credentials_secret=gcs.sts_aws_credentials_secret,
            transfer_project=gcs.transfer_project or bigquery.project,
            gcs_endpoint=gcs.gcs_endpoint,
            sts_endpoint=gcs.sts_endpoint,
            egress_usd_per_gb=gcs.egress_usd_per_gb,
            lifecycle_days=gcs.lifecycle_days,
            wait=wait,
            wait_seconds=wait_seconds,
        )


DIRECT = TransportSpec()


def choose_route(spec: TransportSpec, total_bytes: int, *, staging: bool = True) -> Route:
    """The route of an export of ``total_bytes`` (manifest sizes) under ``spec``.

    ``staging`` says whether the warehouse can load from a staging bucket at all (DuckDB
    cannot: always direct).

    Examples:
        >>> choose_route(TransportSpec(mode="auto", staging_bucket="b"), 10)
        <Route.DIRECT: 'direct'>
        >>> choose_route(TransportSpec(mode="gcs", staging_bucket="b", copier="auto"), 10)
        <Route.COPY: 'copy'>
        >>> choose_route(TransportSpec(mode="gcs", staging_bucket="b", sts_threshold=5), 10)
        <Route.STS: 'sts'>
    """
    if not staging or spec.mode == "direct" or not spec.staging_bucket:
        return Route.DIRECT
    if spec.mode == "auto" and total_bytes < spec.auto_threshold:
        return Route.DIRECT
    if spec.copier == "runner":
        return Route.COPY
    if spec.copier == "sts":
        return Route.STS
    return Route.STS if total_bytes >= spec.sts_threshold else Route.COPY


@dataclass(frozen=True)
class Staged:
    """One staged object to load: its ``gs://`` URI and size in bytes."""

    uri: str
    size: int


def load_batches(
    objects: Sequence[Staged],
    *,
    max_uris: int = MAX_URIS_PER_LOAD_JOB,
    max_bytes: int = MAX_BYTES_PER_LOAD_JOB,
) -> list[list[Staged]]:
    """``objects`` cut, in order, into load jobs of at most ``max_uris`` URIs and
    ``max_bytes`` bytes each (an object larger than ``max_bytes`` is a job of its own).

    Examples:
        >>> [len(b) for b in load_batches([Staged(f"gs://b/{i}", 1) for i in range(5)],
        ...                                 max_uris=2)]
        [2, 2, 1]
    """
    batches: list[list[Staged]] = []
    current: list[Staged] = []
    size = 0
    for obj in objects:
        if current and (len(current) >= max_uris or size + obj.size > max_bytes):
            batches.append(current)
            current, size = [], 0
        current.append(obj)
        size += obj.size
    if current:
        batches.append(current)
    return batches


@dataclass(frozen=True)
class EgressEstimate:
    """Bytes an export moves out of AWS and what AWS charges for it (an estimate)."""

    bytes: int
    usd_per_gb: float

    @property
    def gigabytes(self) -> float:
        return self.bytes / 10**9

    @property
    def usd(self) -> float:
        return round(self.gigabytes * self.usd_per_gb, 4)

    def to_dict(self) -> dict[str, Any]:
        return {
            "bytes": self.bytes,
            "gb": round(self.gigabytes, 3),
            "usd_per_gb": self.usd_per_gb,
            "usd": self.usd,
        }


def egress_estimate(total_bytes: int, spec: TransportSpec) -> EgressEstimate:
    """AWS data transfer out for ``total_bytes`` at ``spec.egress_usd_per_gb`` (US$ per GB,
    decimal GB as AWS bills; https://aws.amazon.com/s3/pricing/ "Data Transfer")."""
    return EgressEstimate(total_bytes, spec.egress_usd_per_gb)


__all__ = [
    "DIRECT",
    "MAX_BYTES_PER_LOAD_JOB",
    "MAX_GZIP_FILE_BYTES",
    "MAX_LOAD_JOBS_PER_TABLE_PER_DAY",
    "MAX_URIS_PER_LOAD_JOB",
    "EgressEstimate",
    "Route",
    "Staged",
    "TransportSpec",
    "choose_route",
    "egress_estimate",
    "load_batches",
]
