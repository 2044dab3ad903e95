"""A ``files`` stream in ``aws2bq run``: load the objects not applied yet, or plan them.

There is no export to start or poll: each run lists the prefix and applies the new objects
(:func:`~.load.load_files`), so the stream's cadence is the run's. ``aws2bq run --plan``
lists what would be loaded and changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws2bq.aws_clients import AwsTarget
from aws2bq.core.progress import Progress
from aws2bq.core.transport import TransportSpec
from aws2bq.sources.files.config import FilesStream
from aws2bq.sources.files.load import FilesLoadRequest, discover, load_files
from aws2bq.sources.files.options import FilesMode, Format, OnChanged
from aws2bq.warehouses import connect

if TYPE_CHECKING:
    from aws2bq.config.model import Config
    from aws2bq.runner.results import StreamResult


def request_of(config: Config, stream: FilesStream) -> FilesLoadRequest:
    """The load a stream's settings describe (transport from ``[bigquery]`` when unset)."""
    return FilesLoadRequest(
        source=stream.source,
        table=stream.table(),
        format=Format(stream.format),
        mode=FilesMode(stream.mode),
        keys=tuple(stream.keys),
        warehouse=config.warehouse,
        on_changed=OnChanged(stream.on_changed),
        transport=TransportSpec.from_settings(config.transport_of(stream), config.bigquery),
        aws=AwsTarget(config.aws.region, config.aws.profile),
    )


def run_stream(
    config: Config,
    stream: FilesStream,
    progress: Progress,
    plan_only: bool,
    result: StreamResult,
) -> None:
    """Apply (or plan) one files stream, filling ``result`` (raises aws2bq errors)."""
    request = request_of(config, stream)
    with connect(config.warehouse, config) as wh:
        if plan_only:
            found = discover(request, wh, progress)
            new = found.classified.new
            if new:
                # Not "applied": nothing is, and there is no export id to name.
                result.would_load.append(
                    {
                        "table": request.table,
                        "objects": [o.identity() for o in new],
                        "bytes": sum(o.size for o in new),
                        "time": max(o.last_modified for o in new).isoformat(),
                    }
                )
            result.notes.append(
                f"{len(new)} new object(s); {len(found.classified.applied)} already applied"
            )
            return
        report = load_files(request, progress=progress, warehouse=wh)
    for changed in report.changed:
        result.notes.append(
            f"object {changed['key']} changed after it was applied (ETag "
            f'{changed["applied_etag"]} → {changed["etag"]}): skipped (on_changed = "warn")'
        )
    result.notes.extend(report.warnings)
    if report.status == "up_to_date":
        result.notes.append("no new object")
        return
    result.applied.append(
        {
            "export_id": report.export_id,
            "time": report.exported_at,
            "objects": len(report.objects),
            "rows": report.rows,
            "tables": [report.table],
            "transport": report.transport,
        }
    )
