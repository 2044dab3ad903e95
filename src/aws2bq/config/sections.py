"""Pieces shared by the ``aws2bq.toml`` sections: the section base, table layout and
transport mixins, and checks every stream kind uses (bucket, prefix, keys).

The stream models live with their sources (``aws2bq/sources/<kind>/config.py``);
:mod:`aws2bq.config.model` gathers them into the ``[streams]`` union.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: BigQuery: at most four clustering columns.
MAX_CLUSTER_COLUMNS = 4

Mode = Literal["replace", "merge", "history"]
#: How an export's files reach BigQuery: streamed by the runner into load jobs ("direct"),
#: staged in a GCS bucket and loaded from gs:// ("gcs"), or chosen by the export's size.
Transport = Literal["direct", "gcs", "auto"]
BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
ROLE_ARN = re.compile(r"arn:aws[a-z\-]*:iam::\d{12}:role/[\w+=,.@/\-]{1,512}")


def secret() -> dict[str, Any]:
    """``json_schema_extra`` marking a field whose value must never be shown."""
    return {"secret": True}


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- shared pieces ----------------------------------------------------------------------------
class PartitionSpec(Section):
    """Time partitioning of a destination table (BigQuery only: DuckDB ignores it all).

    DuckDB has no partitions: it keeps every row whatever ``expiration_days`` says and needs
    no filter whatever ``require_filter`` says.
    """

    column: str = Field(
        description="The DATE/TIMESTAMP/DATETIME column to partition by (its destination name; "
        "HOUR needs a TIMESTAMP or DATETIME column)."
    )
    granularity: Literal["HOUR", "DAY", "MONTH", "YEAR"] = Field(
        "DAY", description="Partition granularity."
    )
    expiration_days: int | None = Field(
        None,
        ge=1,
        description="BigQuery deletes partitions older than this many days "
        "(partition_expiration_days; unset: keep).",
    )
    require_filter: bool = Field(
        False,
        description="Queries must filter on the partition column (BigQuery's "
        "require_partition_filter). Caution: aws2bq's own replace / merge / history "
        "statements after the first load read the whole table without such a filter "
        "(docs/bigquery.md).",
    )


class TableLayoutMixin(Section):
    """Partitioning and clustering of a destination table."""

    partition_by: PartitionSpec | None = Field(
        None, description="Time partitioning of the destination table (unset: none)."
    )
    cluster_by: list[str] = Field(
        default_factory=list,
        max_length=MAX_CLUSTER_COLUMNS,
        description="Up to four columns to cluster the destination table by (BigQuery).",
    )


class TransportMixin(Section):
    """How a stream's export files reach the warehouse."""

    transport: Transport | None = Field(
        None,
        description='BigQuery: "direct" (the runner streams each file into a load job), "gcs" '
        '(files staged in bigquery.staging_bucket, loaded from gs://), or "auto" (gcs for '
        "exports of at least bigquery.gcs.auto_threshold). Unset: bigquery.transport.",
    )


def check_bucket(value: str) -> str:
    if value.startswith("s3://"):
        raise ValueError("give the bucket name only (no s3://); the prefix is export_prefix")
    if not BUCKET.fullmatch(value):
        raise ValueError(f"{value!r} is not a valid S3 bucket name")
    return value


def check_prefix(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip("/")
    if not stripped:
        # moto and AWS differ on an empty prefix, and incremental exports share
        # <prefix>/AWSDynamoDB/data/: one prefix per stream keeps streams apart.
        raise ValueError("export_prefix must not be empty; use e.g. aws2bq/<stream>")
    return stripped


class ExportLocationChecks(Section):
    """The checks of a stream's ``export_bucket`` and ``export_prefix`` (the stream declares
    the fields, each with its own description)."""

    @field_validator("export_bucket", check_fields=False)
    @classmethod
    def _bucket(cls, value: str) -> str:
        return check_bucket(value)

    @field_validator("export_prefix", check_fields=False)
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        return check_prefix(value)


def check_keys(value: list[str]) -> list[str]:
    if any(not k.strip() for k in value):
        raise ValueError("key names must not be empty")
    if len(set(value)) != len(value):
        raise ValueError(f"key names repeat: {value}")
    return value
