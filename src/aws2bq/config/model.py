"""The ``aws2bq.toml`` model: warehouse, AWS, BigQuery credentials, run settings and streams.

Every field carries a description (``docs/config.md`` is generated from them and a test keeps
the two in step). Secret fields are ``SecretStr`` and marked ``secret`` in their JSON schema
extra, so neither ``repr``, logs nor error messages show them.

A stream is one source table (DynamoDB) or one database snapshot source (RDS / Aurora) that
lands in the warehouse on a schedule. ``kind`` picks which; when it is left out it is inferred
from ``table`` (DynamoDB) or ``instance`` / ``cluster`` (RDS).
"""

from __future__ import annotations

import json
import re
import string
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ByteSize,
    ConfigDict,
    Discriminator,
    Field,
    SecretStr,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from aws2bq.config.durations import Duration, format_duration
from aws2bq.sources.files.config import FilesStream

DEFAULT_WAREHOUSE = "duckdb:///aws2bq.duckdb"

#: AWS: incremental export windows must be between 15 minutes and 24 hours
#: (API_IncrementalExportSpecification; export-formats.md §1).
MIN_INCREMENTAL_WINDOW = timedelta(minutes=15)
MAX_INCREMENTAL_WINDOW = timedelta(hours=24)
#: AWS: at most 5 concurrent RDS export tasks per account (export-formats.md §2).
MAX_CONCURRENT_RDS_EXPORTS = 5
#: AWS: the ExportOnly list may not exceed 200 KB (API_StartExportTask).
MAX_EXPORT_ONLY_BYTES = 200 * 1024
#: BigQuery: at most four clustering columns.
MAX_CLUSTER_COLUMNS = 4

Mode = Literal["replace", "merge", "history"]
#: How an export's files reach BigQuery: streamed by the runner into load jobs ("direct"),
#: staged in a GCS bucket and loaded from gs:// ("gcs"), or chosen by the export's size.
Transport = Literal["direct", "gcs", "auto"]
STREAM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,62}")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
_TABLE_NAME = re.compile(r"[A-Za-z0-9_.\-]{3,255}")
_TABLE_ARN = re.compile(r"arn:aws[a-z\-]*:dynamodb:[a-z0-9\-]+:\d{12}:table/[A-Za-z0-9_.\-]{3,255}")
_ROLE_ARN = re.compile(r"arn:aws[a-z\-]*:iam::\d{12}:role/[\w+=,.@/\-]{1,512}")
_DB_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9\-]{0,62}")
_EXPORT_ONLY_PART = re.compile(r"[A-Za-z0-9$_]+")
_GOOGLE_CREDENTIAL_TYPES = {
    "external_account",
    "service_account",
    "authorized_user",
    "impersonated_service_account",
    "external_account_authorized_user",
}


def secret() -> dict[str, Any]:
    """``json_schema_extra`` marking a field whose value must never be shown."""
    return {"secret": True}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- shared pieces ----------------------------------------------------------------------------
class PartitionSpec(_Section):
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


class TableLayoutMixin(_Section):
    """Partitioning and clustering of a destination table."""

    partition_by: PartitionSpec | None = Field(
        None, description="Time partitioning of the destination table (unset: none)."
    )
    cluster_by: list[str] = Field(
        default_factory=list,
        max_length=MAX_CLUSTER_COLUMNS,
        description="Up to four columns to cluster the destination table by (BigQuery).",
    )


class TransportMixin(_Section):
    """How a stream's export files reach the warehouse."""

    transport: Transport | None = Field(
        None,
        description='BigQuery: "direct" (the runner streams each file into a load job), "gcs" '
        '(files staged in bigquery.staging_bucket, loaded from gs://), or "auto" (gcs for '
        "exports of at least bigquery.gcs.auto_threshold). Unset: bigquery.transport.",
    )


def _check_bucket(value: str) -> str:
    if value.startswith("s3://"):
        raise ValueError("give the bucket name only (no s3://); the prefix is export_prefix")
    if not _BUCKET.fullmatch(value):
        raise ValueError(f"{value!r} is not a valid S3 bucket name")
    return value


def _check_prefix(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip("/")
    if not stripped:
        # moto and AWS differ on an empty prefix, and incremental exports share
        # <prefix>/AWSDynamoDB/data/: one prefix per stream keeps streams apart.
        raise ValueError("export_prefix must not be empty; use e.g. aws2bq/<stream>")
    return stripped


def _check_keys(value: list[str]) -> list[str]:
    if any(not k.strip() for k in value):
        raise ValueError("key names must not be empty")
    if len(set(value)) != len(value):
        raise ValueError(f"key names repeat: {value}")
    return value


# -- DynamoDB ---------------------------------------------------------------------------------
class DynamoDBStream(TableLayoutMixin, TransportMixin):
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
        description="Merge mode: keep deleted items as rows with _is_deleted = true "
        "instead of deleting them.",
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

    @field_validator("export_bucket")
    @classmethod
    def _bucket(cls, value: str) -> str:
        return _check_bucket(value)

    @field_validator("export_prefix")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        return _check_prefix(value)

    @field_validator("keys")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        return _check_keys(value)

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


# -- RDS --------------------------------------------------------------------------------------
class RdsTableSettings(TableLayoutMixin):
    """Per-table settings of an RDS stream (key: ``db.table`` or ``db.schema.table``)."""

    keys: list[str] = Field(
        default_factory=list,
        description="Primary key columns (the export does not carry them); needed for merge "
        "and history.",
    )
    mode: Mode | None = Field(None, description="How the table is applied (default: the stream's).")
    soft_delete: bool | None = Field(
        None, description="Merge mode: keep deleted rows with _is_deleted (default: the stream's)."
    )
    destination: str | None = Field(
        None, description="Destination table name (default: from table_name_template)."
    )

    @field_validator("keys")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        return _check_keys(value)


SnapshotChoice = Literal["newest", "newest_automated", "newest_manual", "create_manual"]
_TEMPLATE_FIELDS = {"db", "schema", "table"}


class RdsStream(TransportMixin):
    """An RDS DB instance or Aurora cluster whose snapshots are exported with StartExportTask."""

    kind: Literal["rds"] = Field(
        "rds", description='Stream kind: "rds" (inferred when `instance` or `cluster` is set).'
    )
    name: str = Field(description="The stream name (the key under [streams]).")
    instance: str | None = Field(
        None, description="DB instance identifier (RDS MySQL/MariaDB/PostgreSQL)."
    )
    cluster: str | None = Field(None, description="Aurora DB cluster identifier.")
    engine: Literal["mysql", "postgres"] | None = Field(
        None,
        description="Engine family (MariaDB and Aurora MySQL are mysql); decides the default "
        "table naming. Unset: read from DescribeDBInstances / DescribeDBClusters.",
    )
    snapshot: SnapshotChoice = Field(
        "newest",
        description='Which snapshot to export: "newest" (automated or manual), '
        '"newest_automated", "newest_manual", or "create_manual" (aws2bq creates a manual '
        "snapshot when one is due).",
    )
    every: Duration = Field(
        timedelta(days=1),
        description="How often a new snapshot export is due (automated snapshots are daily).",
    )
    export_bucket: str = Field(description="S3 bucket the exports are written to.")
    export_prefix: str | None = Field(
        None, description="S3 key prefix of this stream's exports (default aws2bq/<stream>)."
    )
    iam_role_arn: str = Field(
        description="IAM role RDS assumes to write the export (trusts export.rds.amazonaws.com; "
        "s3:PutObject* etc. on the export prefix)."
    )
    kms_key_id: str = Field(
        description="KMS key (ID, ARN or alias) that encrypts the exported files (required "
        "by StartExportTask)."
    )
    export_only: list[str] = Field(
        default_factory=list,
        description="ExportOnly list: db, db.table (MySQL), db.schema or db.schema.table "
        "(PostgreSQL); empty: everything.",
    )
    mode: Mode = Field("replace", description="Default mode of every table (see DynamoDB mode).")
    soft_delete: bool = Field(
        False, description="Default soft_delete of every table (merge mode only)."
    )
    tables: dict[str, RdsTableSettings] = Field(
        default_factory=dict,
        description='Per-table settings, keyed "db.table" (MySQL) or "db.schema.table" '
        "(PostgreSQL).",
    )
    table_name_template: str | None = Field(
        None,
        description="Destination table names from {db}, {schema}, {table}; default "
        "{db}__{table} (MySQL) or {db}__{schema}__{table} (PostgreSQL).",
    )
    per_table: bool = Field(
        False,
        description="Apply each table of an export in its own transaction, the good tables "
        "even when others fail (the warehouse may then mix snapshots across tables). Default: "
        "every table is verified first and the export is applied all or none, in one "
        "transaction.",
    )

    @field_validator("export_bucket")
    @classmethod
    def _bucket(cls, value: str) -> str:
        return _check_bucket(value)

    @field_validator("export_prefix")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        return _check_prefix(value)

    @field_validator("instance", "cluster")
    @classmethod
    def _identifier(cls, value: str | None) -> str | None:
        if value is not None and not _DB_IDENTIFIER.fullmatch(value):
            hint = " (give the identifier, not the ARN)" if value.startswith("arn:") else ""
            raise ValueError(f"{value!r} is not a DB identifier{hint}")
        return value

    @field_validator("iam_role_arn")
    @classmethod
    def _role(cls, value: str) -> str:
        if not _ROLE_ARN.fullmatch(value):
            raise ValueError(f"{value!r} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
        return value

    @field_validator("export_only")
    @classmethod
    def _export_only(cls, value: list[str]) -> list[str]:
        for entry in value:
            parts = entry.split(".")
            if not 1 <= len(parts) <= 3 or not all(_EXPORT_ONLY_PART.fullmatch(p) for p in parts):
                raise ValueError(
                    f"export_only entry {entry!r} must be db, db.table, db.schema or "
                    "db.schema.table of [A-Za-z0-9$_] names (AWS partial-export rule)"
                )
        if len(json.dumps(value).encode()) > MAX_EXPORT_ONLY_BYTES:
            raise ValueError("export_only exceeds AWS's 200 KB limit")
        return value

    @field_validator("table_name_template")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is None:
            return None
        fields = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
        unknown = fields - _TEMPLATE_FIELDS
        if unknown:
            raise ValueError(
                f"unknown placeholder(s) {sorted(unknown)}; use {{db}}, {{schema}}, {{table}}"
            )
        if "table" not in fields:
            raise ValueError("table_name_template must contain {table}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> RdsStream:
        if (self.instance is None) == (self.cluster is None):
            raise ValueError("set exactly one of instance (RDS) or cluster (Aurora)")
        if (
            self.engine == "mysql"
            and self.table_name_template
            and ("{schema}" in self.table_name_template)
        ):
            raise ValueError("MySQL has no schema level: remove {schema} from table_name_template")
        # Keys are export targets as export_tables_info writes them; a table name may itself
        # hold dots (MySQL `core.user` → "shop.core.user"), so only a lower bound is checked.
        depth = 3 if self.engine == "postgres" else 2
        for table, settings in self.tables.items():
            parts = table.split(".")
            if len(parts) < depth or not all(parts):
                form = {3: "db.schema.table", 2: "db.table or db.schema.table"}
                if self.engine == "mysql":
                    form[2] = "db.table"
                raise ValueError(f"tables key {table!r} must be {form[depth]}")
            if self.export_only and not any(
                table == e or table.startswith(e + ".") for e in self.export_only
            ):
                raise ValueError(f"table {table!r} is not exported: export_only does not cover it")
            mode = settings.mode or self.mode
            if mode in ("merge", "history") and not settings.keys:
                raise ValueError(
                    f"table {table!r} uses mode {mode!r}, which needs keys (the export does not "
                    "say which columns are the primary key)"
                )
            soft = self.soft_delete if settings.soft_delete is None else settings.soft_delete
            if soft and mode != "merge":
                raise ValueError(f'table {table!r}: soft_delete applies to mode = "merge" only')
        return self

    @property
    def prefix(self) -> str:
        """The export prefix in effect (``export_prefix`` or ``aws2bq/<stream>``)."""
        return self.export_prefix or f"aws2bq/{self.name}"

    def settings_for(self, db: str, table: str, schema: str | None = None) -> RdsTableSettings:
        """The settings of one exported table, with the stream's defaults filled in."""
        key = ".".join(p for p in (db, schema, table) if p is not None)
        own = self.tables.get(key) or RdsTableSettings.model_validate({})
        return own.model_copy(
            update={
                "mode": own.mode or self.mode,
                "soft_delete": self.soft_delete if own.soft_delete is None else own.soft_delete,
            }
        )

    def destination_for(
        self, db: str, table: str, schema: str | None = None, *, engine: str | None = None
    ) -> str:
        """The destination table name of ``db[.schema].table``.

        Examples:
            >>> s = RdsStream(name="shop", instance="db1", export_bucket="b1b",
            ...               iam_role_arn="arn:aws:iam::123456789012:role/x", kms_key_id="k")
            >>> s.destination_for("shop", "orders")
            'shop__orders'
            >>> s.destination_for("app", "users", "public", engine="postgres")
            'app__public__users'
        """
        own = self.settings_for(db, table, schema)
        if own.destination:
            return own.destination
        engine = engine or self.engine or ("postgres" if schema is not None else "mysql")
        template = self.table_name_template or (
            "{db}__{schema}__{table}" if engine == "postgres" else "{db}__{table}"
        )
        return template.format(db=db, schema=schema or "", table=table)


# -- stream union -----------------------------------------------------------------------------
def _stream_kind(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return str(getattr(value, "kind", None))
    if not isinstance(value, dict):
        return None
    if "kind" in value:
        return str(value["kind"])
    if "table" in value:
        return "dynamodb"
    if "instance" in value or "cluster" in value:
        return "rds"
    if "source" in value:
        return "files"
    return None


Stream = Annotated[
    Annotated[DynamoDBStream, Tag("dynamodb")]
    | Annotated[RdsStream, Tag("rds")]
    | Annotated[FilesStream, Tag("files")],
    Discriminator(
        _stream_kind,
        custom_error_type="stream_kind",
        custom_error_message='cannot tell the stream kind: set kind = "dynamodb" (with table), '
        'kind = "rds" (with instance or cluster) or kind = "files" (with source)',
    ),
]
STREAM_KINDS = ("dynamodb", "rds", "files")


# -- other sections ---------------------------------------------------------------------------
class AwsSettings(_Section):
    """Where the AWS calls go. Credentials come from boto3's usual chain, never from here."""

    region: str | None = Field(
        None,
        pattern=r"^[a-z]{2}(-[a-z]+)+-\d$",
        description="AWS Region of the sources and buckets (default: boto3's AWS_REGION / "
        "profile setting).",
    )
    profile: str | None = Field(
        None, description="Named profile from ~/.aws/config (not used on Lambda)."
    )
    max_attempts: int = Field(
        6,
        ge=1,
        le=20,
        description="Attempts of an AWS call that is throttled or meets a transient fault "
        "(exponential backoff with full jitter between them); 1: no retry.",
    )


class GcsTransportSettings(_Section):
    """The S3 → GCS staging path (transport "gcs"): who copies, thresholds, credentials."""

    auto_threshold: ByteSize = Field(
        ByteSize(1 << 30),
        description='transport = "auto": exports of at least this many bytes (manifest sizes) '
        'go through GCS, smaller ones direct (e.g. "1GiB", "500MB").',
    )
    copier: Literal["runner", "sts", "auto"] = Field(
        "auto",
        description='Who copies S3 → GCS: "runner" (this process, parallel streaming '
        'uploads), "sts" (Google\'s Storage Transfer Service; no bytes through the runner), '
        'or "auto" (sts for exports of at least sts_threshold).',
    )
    sts_threshold: ByteSize = Field(
        ByteSize(10 << 30),
        description='copier = "auto": exports of at least this many bytes are moved by '
        "Storage Transfer Service, smaller ones by the runner.",
    )
    staging_prefix: str = Field(
        "aws2bq",
        description="Object prefix in the staging bucket: files land under "
        "PREFIX/<stream>/<export id>/ and are deleted once applied.",
    )
    copy_workers: int = Field(
        8, ge=1, le=64, description="Runner copy: files copied at once (each streams in chunks)."
    )
    upload_chunk: ByteSize = Field(
        ByteSize(8 << 20),
        description="Runner copy: resumable-upload chunk size (a multiple of 256 KiB); memory "
        "per file in flight.",
    )
    load_job_uris: int = Field(
        10_000,
        ge=1,
        le=10_000,
        description="gs:// URIs per load job (BigQuery allows 10,000 per job; fewer, larger "
        "jobs spare the table's 1,500 load jobs a day).",
    )
    sts_aws_role_arn: str | None = Field(
        None,
        description="AWS role Storage Transfer Service assumes by federation to read the "
        "export bucket (preferred; the deployment template's StsReadRole).",
    )
    sts_aws_credentials_secret: str | None = Field(
        None,
        description="Or: Secret Manager secret (projects/P/secrets/S) holding "
        '{"access_key_id": …, "secret_access_key": …} of an AWS user that may read the exports.',
    )
    transfer_project: str | None = Field(
        None,
        description="Project the transfer jobs belong to (default: bigquery.project, else the "
        "warehouse's).",
    )
    gcs_endpoint: str | None = Field(
        None,
        description="Override the Cloud Storage API endpoint (an emulator, in tests; "
        "STORAGE_EMULATOR_HOST works too).",
    )
    sts_endpoint: str | None = Field(
        None, description="Override the Storage Transfer API endpoint (tests)."
    )
    egress_usd_per_gb: float = Field(
        0.09,
        ge=0,
        description="AWS data transfer out to the internet, US$ per GB, for the estimate in "
        "`aws2bq plan` (AWS's first 10 TB/month tier; check your Region's price).",
    )
    lifecycle_days: int = Field(
        3,
        ge=1,
        description="Staged objects older than this are deleted by the bucket's lifecycle "
        "rule (a safety net; aws2bq deletes them once an export is applied).",
    )

    @field_validator("upload_chunk")
    @classmethod
    def _chunk(cls, value: ByteSize) -> ByteSize:
        if value <= 0 or value % (256 * 1024):
            raise ValueError("upload_chunk must be a positive multiple of 256 KiB (GCS rule)")
        return value

    @field_validator("staging_prefix")
    @classmethod
    def _staging_prefix(cls, value: str) -> str:
        stripped = value.strip("/")
        if not stripped:
            raise ValueError("staging_prefix must not be empty")
        return stripped

    @field_validator("sts_aws_role_arn")
    @classmethod
    def _sts_role(cls, value: str | None) -> str | None:
        if value is not None and not _ROLE_ARN.fullmatch(value):
            raise ValueError(f"{value!r} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
        return value

    @field_validator("sts_aws_credentials_secret")
    @classmethod
    def _sts_secret(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"projects/[^/]+/secrets/[^/]+", value):
            raise ValueError(f"{value!r} is not a Secret Manager name (projects/P/secrets/S)")
        return value


class BigQuerySettings(_Section):
    """How aws2bq authenticates to BigQuery; no long-lived key is needed (or wanted) on AWS."""

    project: str | None = Field(
        None, description="Project that runs (and pays for) the jobs; default: the warehouse's."
    )
    credentials_file: Path | None = Field(
        None,
        description="Google credential configuration file. From AWS use workload identity "
        "federation: the file written by `gcloud iam workload-identity-pools "
        "create-cred-config ... --aws` (no secret inside). Unset: Application Default "
        "Credentials.",
    )
    allow_service_account_key: bool = Field(
        False,
        description="Accept a service-account key (a long-lived secret) as credentials; off by "
        "default: use workload identity federation instead.",
    )
    credentials_json: SecretStr | None = Field(
        None,
        description="The same credential configuration as JSON text (e.g. in a Lambda "
        "environment variable). Never logged.",
        json_schema_extra=secret(),
    )
    api_endpoint: str | None = Field(
        None,
        description="Override the BigQuery API endpoint (a private endpoint; an emulator needs "
        "?emulator=true in the warehouse URL too).",
    )
    location: str | None = Field(
        None,
        description="Location of the destination dataset and of the jobs (US, EU, a region); "
        "the warehouse URL's ?location= wins.",
    )
    staging_bucket: str | None = Field(
        None,
        description='GCS bucket where exports are staged for transport "gcs" / "auto": '
        "S3 → GCS by the runner or Storage Transfer Service ([bigquery.gcs]), then load jobs "
        "from gs://.",
    )
    transport: Transport = Field(
        "direct",
        description="Default transport of every stream (a stream's own transport wins): "
        '"direct", "gcs" (needs staging_bucket) or "auto".',
    )
    gcs: GcsTransportSettings = Field(
        default_factory=lambda: GcsTransportSettings.model_validate({}),
        description="The S3 → GCS staging path ([bigquery.gcs]).",
    )

    @field_validator("credentials_json")
    @classmethod
    def _credentials_json(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is not None:
            # The messages never include the text: it may be a key.
            parsed = credential_info(value.get_secret_value(), source="credentials_json")
            _refuse_key(parsed, allowed=bool(info.data.get("allow_service_account_key")))
        return value

    @model_validator(mode="after")
    def _consistent(self) -> BigQuerySettings:
        if self.credentials_file is not None and self.credentials_json is not None:
            raise ValueError("set credentials_file or credentials_json, not both")
        if self.gcs.sts_aws_role_arn and self.gcs.sts_aws_credentials_secret:
            raise ValueError(
                "set gcs.sts_aws_role_arn (federation, preferred) or "
                "gcs.sts_aws_credentials_secret, not both"
            )
        return self

    def credentials_info(self) -> dict[str, Any] | None:
        """The credential configuration as a dict (reads ``credentials_file``), or ``None``
        for Application Default Credentials.

        Raises:
            ValueError: unreadable or not a Google credential configuration, or a service
                account key while ``allow_service_account_key`` is off.
        """
        if self.credentials_json is not None:
            info = credential_info(self.credentials_json.get_secret_value(), "credentials_json")
        elif self.credentials_file is not None:
            try:
                text = self.credentials_file.read_text()
            except OSError as exc:
                raise ValueError(f"cannot read credentials_file: {exc}") from exc
            info = credential_info(text, source=str(self.credentials_file))
        else:
            return None
        _refuse_key(info, allowed=self.allow_service_account_key)
        return info


def credential_info(text: str, source: str) -> dict[str, Any]:
    """Parse a Google credential configuration; errors never echo its content."""
    try:
        info = json.loads(text)
    except ValueError:
        raise ValueError(f"{source} is not valid JSON") from None
    if not isinstance(info, dict) or info.get("type") not in _GOOGLE_CREDENTIAL_TYPES:
        raise ValueError(
            f'{source} is not a Google credential configuration (no known "type"); for AWS '
            "use `gcloud iam workload-identity-pools create-cred-config ... --aws`"
        )
    return info


def _refuse_key(info: dict[str, Any], *, allowed: bool) -> None:
    if info.get("type") == "service_account" and not allowed:
        raise ValueError(
            "a service-account key is a long-lived secret; use workload identity federation "
            "(type external_account) or set allow_service_account_key = true"
        )


class RunSettings(_Section):
    """How ``aws2bq run`` behaves (the Lambda handler always runs with wait = false)."""

    wait: bool = Field(
        True, description="Wait for started exports to complete and apply them in the same run."
    )
    max_wait: Duration = Field(
        timedelta(hours=1),
        description="With wait: give up waiting after this long (the next run picks it up).",
    )
    max_concurrent_rds_exports: int = Field(
        MAX_CONCURRENT_RDS_EXPORTS,
        ge=1,
        le=MAX_CONCURRENT_RDS_EXPORTS,
        description="RDS export tasks aws2bq keeps in flight (AWS allows 5 per account).",
    )


class Config(_Section):
    """The whole ``aws2bq.toml``."""

    warehouse: str = Field(
        DEFAULT_WAREHOUSE,
        description="Where data lands: duckdb:///path/file.duckdb or "
        "bigquery://PROJECT/DATASET[?location=...].",
    )
    aws: AwsSettings = Field(
        default_factory=lambda: AwsSettings.model_validate({}), description="AWS settings."
    )
    bigquery: BigQuerySettings = Field(
        default_factory=lambda: BigQuerySettings.model_validate({}),
        description="BigQuery credentials and options.",
    )
    run: RunSettings = Field(
        default_factory=lambda: RunSettings.model_validate({}), description="Run behaviour."
    )
    streams: dict[str, Stream] = Field(
        default_factory=dict,
        description="The streams, keyed by name ([streams.NAME]; [[streams]] with name = "
        "... also works).",
    )

    @field_validator("warehouse")
    @classmethod
    def _warehouse(cls, value: str) -> str:
        from aws2bq.errors import ConfigError
        from aws2bq.warehouses import parse_url

        try:
            parse_url(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="before")
    @classmethod
    def _name_streams(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "streams" not in data:
            return data
        streams = data["streams"]
        if isinstance(streams, list):  # [[streams]] with name = "..."
            by_name: dict[str, Any] = {}
            for index, item in enumerate(streams):
                name = item.get("name") if isinstance(item, dict) else None
                if not isinstance(name, str):
                    raise ValueError(f'[[streams]] entry {index + 1} needs name = "..."')
                if name in by_name:
                    raise ValueError(f"two [[streams]] entries are named {name!r}")
                by_name[name] = item
            streams = by_name
        if isinstance(streams, dict):
            named: dict[str, Any] = {}
            for name, item in streams.items():
                if isinstance(item, dict):
                    if "name" in item and item["name"] != name:
                        raise ValueError(
                            f"stream {name!r} has name = {item['name']!r}; drop `name` or "
                            "make them equal"
                        )
                    item = {**item, "name": name}
                named[name] = item
            streams = named
        return {**data, "streams": streams}

    @field_validator("streams")
    @classmethod
    def _stream_names(cls, value: dict[str, Any]) -> dict[str, Any]:
        seen: dict[str, str] = {}
        for name in value:
            if not STREAM_NAME.fullmatch(name):
                raise ValueError(
                    f"stream name {name!r} must start with a letter and hold only letters, "
                    "digits, _ and - (at most 63)"
                )
            # Environment variables name streams in upper case with _ for -, so two names
            # that meet there would be ambiguous.
            folded = env_segment(name)
            if folded in seen:
                raise ValueError(
                    f"stream names {seen[folded]!r} and {name!r} are the same in environment "
                    f"variables ({folded}); rename one"
                )
            seen[folded] = name
        return value

    @model_validator(mode="after")
    def _transports(self) -> Config:
        bigquery = self.warehouse.lower().startswith("bigquery://")
        for name, stream in self.streams.items():
            transport = self.transport_of(stream)
            if transport == "direct":
                continue
            if not bigquery and stream.transport == "gcs":
                raise ValueError(
                    f'stream {name!r}: transport = "gcs" needs a bigquery:// warehouse (DuckDB '
                    "reads the files directly)"
                )
            if bigquery and not self.bigquery.staging_bucket:
                raise ValueError(
                    f'stream {name!r}: transport = "{transport}" needs bigquery.staging_bucket '
                    "(the GCS bucket files are staged in)"
                )
        return self

    def transport_of(self, stream: DynamoDBStream | RdsStream | FilesStream) -> str:
        """The transport in effect for ``stream``: its own, else ``bigquery.transport``."""
        return stream.transport or self.bigquery.transport

    def stream(self, name: str) -> DynamoDBStream | RdsStream | FilesStream:
        """One stream by name; an unknown name raises ``ConfigError`` with a suggestion."""
        import difflib

        from aws2bq.errors import ConfigError

        try:
            return self.streams[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self.streams), n=1)
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else f"configured streams: {', '.join(self.streams) or '(none)'}"
            )
            raise ConfigError(f"no stream named {name!r}", hint=hint) from None


def env_segment(name: str) -> str:
    """How a key appears in an environment variable name: upper case, ``_`` for the rest.

    Examples:
        >>> env_segment("shop-db")
        'SHOP_DB'
        >>> env_segment("shop.orders")
        'SHOP_ORDERS'
    """
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()
