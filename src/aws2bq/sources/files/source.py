"""The files stream kind for the runner: each run lists the prefix and applies new objects.

Unlike DynamoDB and RDS there is no AWS export to start or poll: the objects under the
stream's prefix *are* the export, and the run's cadence is the stream's. :meth:`run` hands
the whole stream to :func:`aws2bq.sources.files.run.run_stream` (``load files`` with the
stream's settings; with ``--plan``, the objects that would be loaded), so the source needs
no per-export applier. Its ledger rows carry ``files:<table>`` as ``stream``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws2bq.sources.base import Applier, PlanTarget, Source, StreamIdentity, StreamJob
from aws2bq.sources.blobs import ExportFile
from aws2bq.sources.files.config import FilesStream
from aws2bq.sources.files.options import SOURCE as LEDGER_SOURCE


class FilesSource(Source[FilesStream]):
    """JSON lines, CSV and Parquet objects under an S3 prefix (or a local folder)."""

    kind = "files"
    config_model = FilesStream

    def export_kinds(self, stream: FilesStream) -> Sequence[str]:
        # No export is discovered or started: run() applies the new objects itself.
        return []

    def needs_aws(self, stream: FilesStream) -> bool:
        return stream.needs_aws()

    def appliers(self) -> Mapping[tuple[str, str], Applier]:
        return {}

    def identity(self, stream: FilesStream) -> StreamIdentity:
        return StreamIdentity(source=LEDGER_SOURCE, ledger_stream=stream.ledger_stream())

    def destination(self, stream: FilesStream) -> str:
        return stream.ledger_stream()

    def plan_targets(self, stream: FilesStream, keys: tuple[str, ...]) -> list[PlanTarget]:
        # The append / merge statements depend on the objects' types, known after reading.
        return []

    def run(self, job: StreamJob, stream: FilesStream) -> None:
        from aws2bq.sources.files.run import run_stream

        result: Any = job.result  # the runner's StreamResult (applied, notes, …)
        run_stream(job.config, stream, job.progress, job.plan_only, result)

    def export_files(self, stream: FilesStream, location: str) -> list[ExportFile]:
        return []


SOURCE = FilesSource()
