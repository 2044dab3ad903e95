"""The ``aws2bq.toml`` model: warehouse, AWS, BigQuery credentials, run settings and streams.

Every field carries a description (``docs/config.md`` is generated from them and a test keeps
the two in step). Secret fields are ``SecretStr`` and marked ``secret`` in their JSON schema
extra, so neither ``repr``, logs nor error messages show them.

A stream is one source table (DynamoDB) or one database snapshot source (RDS / Aurora) that
lands in the warehouse on a schedule. ``kind`` picks which; when it is left out it is inferred
from ``table`` (DynamoDB) or ``instance`` / ``cluster`` (RDS). Each stream kind's model lives
with its source (``aws2bq/sources/<kind>/config.py``), the pieces they share in
:mod:`aws2bq.config.sections`; this module gathers them into :data:`Stream`.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ByteSize,
    Discriminator,
    Field,
    SecretStr,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from aws2bq.config.durations import Duration
from aws2bq.config.sections import ROLE_ARN, PartitionSpec, Section, Transport, secret
from aws2bq.sources.dynamodb.config import DynamoDBStream
from aws2bq.sources.files.config import FilesStream
from aws2bq.sources.rds.config import RdsStream, RdsTableSettings
from aws2bq.warehouses.url import DEFAULT_URL, parse_url

#: AWS: at most 5 concurrent RDS export tasks per account (export-formats.md §2).
MAX_CONCURRENT_RDS_EXPORTS = 5

STREAM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,62}")
_GOOGLE_CREDENTIAL_TYPES = {
    "external_account",
    "service_account",
    "authorized_user",
    "impersonated_service_account",
    "external_account_authorized_user",
}


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
class AwsSettings(Section):
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


class GcsTransportSettings(Section):
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
        if value is not None and not ROLE_ARN.fullmatch(value):
            raise ValueError(f"{value!r} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
        return value

    @field_validator("sts_aws_credentials_secret")
    @classmethod
    def _sts_secret(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"projects/[^/]+/secrets/[^/]+", value):
            raise ValueError(f"{value!r} is not a Secret Manager name (projects/P/secrets/S)")
        return value


class BigQuerySettings(Section):
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


class RunSettings(Section):
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


class Config(Section):
    """The whole ``aws2bq.toml``."""

    warehouse: str = Field(
        DEFAULT_URL,
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


__all__ = [
    "STREAM_KINDS",
    "AwsSettings",
    "BigQuerySettings",
    "Config",
    "DynamoDBStream",
    "GcsTransportSettings",
    "PartitionSpec",
    "RdsStream",
    "RdsTableSettings",
    "RunSettings",
    "Stream",
    "credential_info",
    "env_segment",
]
