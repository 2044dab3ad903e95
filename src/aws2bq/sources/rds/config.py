"""The ``[streams.NAME]`` section of an RDS / Aurora stream (``kind = "rds"``) and its
per-table settings (``[streams.NAME.tables."db.table"]``)."""

from __future__ import annotations

import json
import re
import string
from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from aws2bq.config.durations import Duration
from aws2bq.config.sections import (
    ROLE_ARN,
    ExportLocationChecks,
    Mode,
    TableLayoutMixin,
    TransportMixin,
    check_keys,
)

#: AWS: the ExportOnly list may not exceed 200 KB (API_StartExportTask).
MAX_EXPORT_ONLY_BYTES = 200 * 1024
_DB_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9\-]{0,62}")
_EXPORT_ONLY_PART = re.compile(r"[A-Za-z0-9$_]+")


class RdsTableSettings(TableLayoutMixin):
    """Per-table settings of an RDS stream (key: ``db.table`` or ``db.schema.table``)."""

    keys: list[str] = Field(
        default_factory=list,
        description="Primary key columns (the export does not carry them); needed for merge "
        "and history.",
    )
    mode: Mode | None = Field(None, description="How the table is applied (default: the stream's).")
    soft_delete: bool | None = Field(
        None,
        description="Merge mode: keep deleted rows flagged _aws2bq_deleted "
        "(default: the stream's).",
    )
    destination: str | None = Field(
        None, description="Destination table name (default: from table_name_template)."
    )

    @field_validator("keys")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        return check_keys(value)


SnapshotChoice = Literal["newest", "newest_automated", "newest_manual", "create_manual"]
_TEMPLATE_FIELDS = {"db", "schema", "table"}


class RdsStream(TransportMixin, ExportLocationChecks):
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
        if not ROLE_ARN.fullmatch(value):
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
        # The one naming rule (aws2bq.sources.rds.names), imported here: the config model
        # sits below the sources.
        from aws2bq.sources.rds.names import MYSQL_TEMPLATE, POSTGRES_TEMPLATE, destination_name

        own = self.settings_for(db, table, schema)
        if own.destination:
            return own.destination
        engine = engine or self.engine or ("postgres" if schema is not None else "mysql")
        template = self.table_name_template or (
            POSTGRES_TEMPLATE if engine == "postgres" else MYSQL_TEMPLATE
        )
        return destination_name(db, schema, table, template)
