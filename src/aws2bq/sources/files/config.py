"""The ``files`` stream of ``aws2bq.toml``: objects under an S3 prefix loaded on each run.

Example::

    [streams.alb-logs]
    kind = "files"                       # inferred when `source` is set
    source = "s3://my-logs/alb/2024/"
    format = "jsonl"
    destination = "alb_logs"             # default: the stream name (- becomes _)
    mode = "merge"
    keys = ["request_id"]

Each ``aws2bq run`` loads the objects not applied yet (exactly once, see docs/files-source.md).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from aws2bq.sources.files.options import table_problem


class FilesStream(BaseModel):
    """JSON lines, CSV or Parquet objects (gzip or not) under an S3 prefix or a folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["files"] = Field(
        "files", description='Stream kind: "files" (inferred when `source` is set).'
    )
    name: str = Field(description="The stream name (the key under [streams]).")
    source: str = Field(
        description="s3://bucket/prefix/ (or a local folder) holding the objects; every "
        "object under it is loaded once (a prefix is a folder: a missing trailing / is added; "
        "objects under a name starting with _ or . are skipped)."
    )
    format: Literal["jsonl", "csv", "parquet"] = Field(
        description="The objects' format: jsonl, csv (with a header row) or parquet; each "
        "may be gzip-compressed (detected by its bytes)."
    )
    destination: str | None = Field(
        None, description="Destination table (default: the stream name, - becoming _)."
    )
    mode: Literal["append", "merge"] = Field(
        "append",
        description='"append": insert the new objects\' rows; "merge": upsert them by `keys` '
        "(the later object wins; nothing is deleted). A table keeps the mode and keys of "
        "its first load.",
    )
    keys: list[str] = Field(
        default_factory=list, description="Key columns of merge mode (required there)."
    )
    on_changed: Literal["error", "warn"] = Field(
        "error",
        description='An applied object whose ETag or size changed: "error" fails the stream '
        '(nothing applied), "warn" names it in the run summary and skips it.',
    )
    transport: Literal["direct", "gcs", "auto"] | None = Field(
        None,
        description="BigQuery: how the normalised Parquet files reach it (see the DynamoDB "
        "transport). Unset: bigquery.transport.",
    )

    @field_validator("destination")
    @classmethod
    def _destination(cls, value: str | None) -> str | None:
        problem = None if value is None else table_problem(value)
        if problem is not None:
            raise ValueError(f"destination {value!r}: {problem}")
        return value

    @field_validator("keys")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        if any(not k.strip() for k in value) or len(set(value)) != len(value):
            raise ValueError(f"keys must be distinct, non-empty names: {value}")
        return value

    @model_validator(mode="after")
    def _merge_needs_keys(self) -> FilesStream:
        # Refused here, not at run: the config check names the setting to add.
        if self.mode == "merge" and not self.keys:
            raise ValueError(
                'mode = "merge" needs `keys` (the key columns, '
                'e.g. keys = ["id"]), or use mode = "append"'
            )
        return self

    def needs_aws(self) -> bool:
        """Whether the stream calls AWS: an S3 source does, a local folder does not."""
        return self.source.startswith("s3://")

    def table(self) -> str:
        """The destination table."""
        return self.destination or self.name.replace("-", "_")

    def ledger_stream(self) -> str:
        """The stream's identity in the ledger (``files:<table>``, as ``load files`` writes)."""
        return f"files:{self.table()}"
