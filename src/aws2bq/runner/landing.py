"""The runner's side of the transport seam: route an export's files, land them, release them.

The loaders call :func:`land` between their ledger check and staging: it chooses the route
from the stream's transport and the export's size (:func:`aws2bq.core.transport.choose_route`)
and, for a staged route, has the warehouse land the files (:class:`~aws2bq.warehouses.base.
StagingBucket`) and returns the landed files for the stager. After the apply commits, the
loader calls :meth:`Landed.release`, which deletes the staged objects. A direct route returns
the files as they are: nothing changes for DuckDB or for ``transport = "direct"``.

:func:`plan_transport` says what a run would move and what it costs, for ``aws2bq plan``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aws2bq.core.progress import Progress
from aws2bq.core.transport import (
    DIRECT,
    MAX_URIS_PER_LOAD_JOB,
    Route,
    Staged,
    TransportSpec,
    choose_route,
    egress_estimate,
    load_batches,
)
from aws2bq.errors import ConfigError
from aws2bq.warehouses.base import Landing, RawFile, StagingBucket, Warehouse


@dataclass
class Landed:
    """The files to stage (landed or as they were) and how they got there."""

    files: Sequence[RawFile]
    route: Route
    landing: Landing | None = None
    seconds: float = 0.0
    released: bool = field(default=False, init=False)

    def release(self, progress: Progress) -> None:
        """Delete the staged objects (after the apply committed); idempotent."""
        if self.landing is not None and not self.released:
            self.landing.release(progress)
            self.released = True

    def report(self, staged_details: dict[str, Any] | None = None) -> dict[str, Any]:
        """The transport part of a load report: route, bytes moved, jobs, seconds."""
        if self.landing is None:
            return {
                "route": str(self.route),
                "files": len(self.files),
                "bytes": sum(f.size or 0 for f in self.files),
                "bytes_moved": sum(f.size or 0 for f in self.files),
                "seconds": round(self.seconds, 3),
            }
        report = self.landing.report
        details = staged_details or {}
        report.load_jobs += int(details.get("load_jobs", 0))
        report.load_jobs_reused += int(details.get("load_jobs_reused", 0))
        out: dict[str, Any] = report.to_dict()
        return out


def land(
    wh: Warehouse,
    spec: TransportSpec,
    *,
    stream: str,
    export_id: str,
    location: str,
    files: Sequence[RawFile],
    progress: Progress,
) -> Landed:
    """Land ``files`` by the route ``spec`` chooses for their total size (see the module).

    Raises:
        ConfigError: ``transport = "gcs"`` on a warehouse without a staging bucket.
        TransferPending: a Storage Transfer Service job still runs (a later run continues).
        ExportError: a file did not land intact (named).
    """
    total = sum(f.size or 0 for f in files)
    staging = isinstance(wh, StagingBucket)
    if spec.mode == "gcs" and not staging:
        raise ConfigError(
            f'stream {stream!r}: transport = "gcs" needs a BigQuery warehouse with '
            f"bigquery.staging_bucket; {wh.url} loads files directly",
            hint='use transport = "direct" (or "auto")',
        )
    route = choose_route(spec, total, staging=staging)
    if route is Route.DIRECT or not files:
        return Landed(files, Route.DIRECT)
    assert isinstance(wh, StagingBucket)
    started = time.monotonic()
    landing = wh.open_landing(
        spec, route, stream=stream, export_id=export_id, location=location, files=files
    )
    landed = landing.land(progress)
    return Landed(landed, route, landing, seconds=time.monotonic() - started)


def land_export(
    wh: Warehouse, spec: TransportSpec, *, stream: str, export: Any, progress: Progress
) -> Landed:
    """:func:`land` for an export object (``export_id``, ``location``, ``files``)."""
    return land(
        wh,
        spec,
        stream=stream,
        export_id=export.export_id,
        location=export.location,
        files=export.files,
        progress=progress,
    )


def plan_transport(
    spec: TransportSpec, files: Sequence[RawFile], *, staging: bool, stream: str, export_id: str
) -> dict[str, Any]:
    """What ``run`` would do to move ``files``: the route, the transfer and load jobs it
    would create, and the bytes leaving AWS with their estimated cost."""
    total = sum(f.size or 0 for f in files)
    route = choose_route(spec, total, staging=staging)
    estimate = egress_estimate(total, spec)
    plan: dict[str, Any] = {
        "route": str(route),
        "files": len(files),
        "bytes": total,
        "egress": estimate.to_dict(),
    }
    if route is Route.DIRECT:
        plan["load"] = "one upload per file batch, streamed by the runner"
        return plan
    from aws2bq.warehouses.bigquery.transport.landing import landing_folder

    folder = landing_folder(spec.staging_prefix, stream, export_id)
    plan["staging"] = f"gs://{spec.staging_bucket}/{folder}/"
    if route is Route.STS:
        from aws2bq.warehouses.bigquery.transport.sts import job_name

        plan["transfer"] = {
            "service": "Storage Transfer Service",
            "job": job_name(stream, export_id),
            "manifest": f"gs://{spec.staging_bucket}/{folder}.manifest.csv",
            "objects": len(files),
            "aws_role_arn": spec.sts_aws_role_arn,
            "schedule": None,
        }
    else:
        plan["transfer"] = {"copier": "runner", "workers": spec.copy_workers, "objects": len(files)}
    batches = load_batches(
        [Staged(f.key, f.size or 0) for f in files], max_uris=MAX_URIS_PER_LOAD_JOB
    )
    plan["load_jobs"] = [{"uris": len(b), "bytes": sum(s.size for s in b)} for b in batches]
    return plan


__all__ = ["DIRECT", "Landed", "land", "land_export", "plan_transport"]
