"""The ``[streams.NAME]`` section of a DynamoDB stream (``kind = "dynamodb"``)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from aws2bq.config.durations import Duration, format_duration
from aws2bq.config.sections import (
    ExportLocationChecks,
    Mode,
    TableLayoutMixin,
    TransportMixin,
    check_keys,
)

#: AWS: incremental export windows must be between 15 minutes and 24 hours
#: (API_IncrementalExportSpecification; export-formats.md §1).
MIN_INCREMENTAL_WINDOW = timedelta(minutes=15)
MAX_INCREMENTAL_WINDOW = timedelta(hours=24)
_TABLE_NAME = re.compile(r"[A-Za-z0-9_.\-]{3,255}")
_TABLE_ARN = re.compile(r"arn:aws[a-z\-]*:dynamodb:[a-z0-9\-]+:\d{12}:table/[A-Za-z0-9_.\-]{3,255}")


class DynamoDBStream(TableLayoutMixin, TransportMixin, ExportLocationChecks):
    """A DynamoDB table exported with ExportTableToPointInTime (full or incremental)."""

    kind: Literal["dynamodb"] = Field(
        "dynamodb", description='Stream kind: "dynamodb" (inferred when `table` is set).'
    )
    name: str = Field(description="The stream name (the key under [streams]).")
    table: str = Field(
        description="DynamoDB table name (in aws.region) or full table ARN "
        "(arn:aws:dynamodb:REGION:ACCOUNT:table/NAME). Point-in-time recovery must be on."
    )
    export_bucket: str = Field(description="S3 bucket the exports are written to.")
    export_prefix: str | None = Field(
        None,
        description="S3 key prefix of this stream's exports (default aws2bq/<stream>). Keep "
        "one prefix per stream: incremental exports share <prefix>/AWSDynamoDB/data/.",
    )
    export_bucket_owner: str | None = Field(
        None,
        pattern=r"^\d{12}$",
        description="Account ID owning export_bucket when it is another account's (S3BucketOwner).",
    )
    sse_algorithm: Literal["AES256", "KMS"] = Field(
        "AES256", description="Server-side encryption of the export files (S3SseAlgorithm)."
    )
    kms_key_id: str | None = Field(
        None,
        validate_default=True,
        description="KMS key ID/ARN for sse_algorithm = KMS (S3SseKmsKeyId).",
    )
    cadence: Literal["full", "incremental"] = Field(
        "full",
        description='"full": a full export every `every`; "incremental": an incremental '
        "export per window of `every` (15m–24h), after a first full export, and a new full "
        "export every `full_every` if set.",
    )
    every: Duration = Field(
        timedelta(days=1),
        validate_default=True,
        description="Full cadence: how often a full export is taken (default 1d). "
        "Incremental cadence: the export window, 15m to 24h (default 1h).",
    )
    full_every: Duration | None = Field(
        None,
        description="Incremental cadence only: also take a fresh full export this often "
        "(re-baseline); unset: only the first full export.",
    )
    export_view_type: Literal["NEW_AND_OLD_IMAGES", "NEW_IMAGE"] = Field(
        "NEW_AND_OLD_IMAGES", description="Incremental exports: which images AWS writes."
    )
    keys: list[str] = Field(
        default_factory=list,
        max_length=2,
        description="Partition key then sort key attribute names; empty: read from DescribeTable.",
    )
    mode: Mode = Field(
        "replace",
        validate_default=True,
        description='"replace": the table becomes the latest snapshot; "merge": upsert and '
        'delete by key; "history": SCD2 rows with _valid_from/_valid_to/_is_current/'
        "_is_deleted. Incremental cadence needs merge or history.",
    )
    soft_delete: bool = Field(
        False,
        description="Merge mode: keep deleted items as rows flagged _aws2bq_deleted = true "
        "(with _aws2bq_deleted_at) instead of deleting them.",
    )
    destination: str | None = Field(
        None, description="Destination table name (default: the stream name)."
    )

    @model_validator(mode="before")
    @classmethod
    def _cadence_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("cadence") == "incremental" and "every" not in data:
            data = {**data, "every": "1h"}
        return data

    @field_validator("keys")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        return check_keys(value)

    @field_validator("table")
    @classmethod
    def _table(cls, value: str) -> str:
        if value.startswith("arn:"):
            if not _TABLE_ARN.fullmatch(value):
                raise ValueError(
                    f"{value!r} is not a DynamoDB table ARN "
                    "(arn:aws:dynamodb:REGION:ACCOUNT:table/NAME)"
                )
        elif not _TABLE_NAME.fullmatch(value):
            raise ValueError(f"{value!r} is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)")
        return value

    # Cross-field checks are field validators (fields are validated in declaration order, so
    # the earlier ones are in info.data): an error then points at the key that is wrong.
    @field_validator("kms_key_id")
    @classmethod
    def _kms_key(cls, value: str | None, info: ValidationInfo) -> str | None:
        algorithm = info.data.get("sse_algorithm")
        if algorithm == "KMS" and not value:
            raise ValueError("sse_algorithm = KMS needs kms_key_id")
        if algorithm == "AES256" and value:
            raise ValueError("kms_key_id is set but sse_algorithm is AES256; set it to KMS")
        return value

    @field_validator("every")
    @classmethod
    def _window(cls, value: timedelta, info: ValidationInfo) -> timedelta:
        if info.data.get("cadence") == "incremental" and not (
            MIN_INCREMENTAL_WINDOW <= value <= MAX_INCREMENTAL_WINDOW
        ):
            raise ValueError(
                "incremental export windows must be between 15m and 24h "
                f"(AWS limit), got every = {format_duration(value)}"
            )
        return value

    @field_validator("full_every")
    @classmethod
    def _full_every(cls, value: timedelta | None, info: ValidationInfo) -> timedelta | None:
        if value is None:
            return None
        if info.data.get("cadence") != "incremental":
            raise ValueError('full_every applies to cadence = "incremental" only')
        every = info.data.get("every")
        if every is not None and value < every:
            raise ValueError(
                f"full_every ({format_duration(value)}) is shorter than the "
                f"incremental window every ({format_duration(every)})"
            )
        return value

    @field_validator("mode")
    @classmethod
    def _mode(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("cadence") == "incremental" and value == "replace":
            raise ValueError(
                'cadence = "incremental" needs mode = "merge" or "history": an incremental '
                "export holds only the changes, so it cannot replace the table"
            )
        return value

    @field_validator("soft_delete")
    @classmethod
    def _soft_delete(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("mode", "merge") != "merge":
            raise ValueError(
                'soft_delete applies to mode = "merge" (history always keeps deleted rows, '
                "replace mirrors the snapshot)"
            )
        return value

    @property
    def prefix(self) -> str:
        """The export prefix in effect (``export_prefix`` or ``aws2bq/<stream>``)."""
        return self.export_prefix or f"aws2bq/{self.name}"

    @property
    def table_name(self) -> str:
        """The DynamoDB table name, whether ``table`` is a name or an ARN."""
        return self.table.rsplit("/", 1)[-1]
