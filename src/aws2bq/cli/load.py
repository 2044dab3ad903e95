"""``aws2bq load …``: apply one export to a warehouse table (thin: parse, call, report)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar

import orjson
import typer

from aws2bq.core.apply import Mode
from aws2bq.sources.files.options import FilesMode, Format, OnChanged
from aws2bq.warehouses import DEFAULT_URL

if TYPE_CHECKING:
    from aws2bq.core.progress import Progress

# Options both load commands take, declared once.
WarehouseOption = Annotated[
    str,
    typer.Option(
        envvar="AWS2BQ_WAREHOUSE",
        help="duckdb:///file.duckdb or bigquery://PROJECT/DATASET[?location=…].",
    ),
]
ForceOption = Annotated[
    bool, typer.Option(help="Load even if the export is older than the last one applied.")
]
SoftDeleteOption = Annotated[
    bool,
    typer.Option(
        "--soft-delete",
        help="Merge mode: keep deleted rows, flagged _aws2bq_deleted / _aws2bq_deleted_at.",
    ),
]
QuietOption = Annotated[bool, typer.Option(help="No progress output.")]


class _Report(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=_Report)


def _run(load: Callable[[Progress], R], *, quiet: bool) -> tuple[R, bool]:
    """``load(progress)`` with progress bars on a terminal (stopped however it ends); then,
    off a terminal, its report as one JSON line. Returns the report and whether it was
    printed so (the caller then prints nothing more)."""
    from aws2bq.runner.progress import RichProgress, make_progress

    progress = make_progress(quiet=quiet)
    try:
        report = load(progress)
    finally:
        if isinstance(progress, RichProgress):
            progress.stop()
    if sys.stdout.isatty():
        return report, False
    typer.echo(orjson.dumps({"summary": report.to_dict()}).decode())
    return report, True


app = typer.Typer(
    help="Load one export (DynamoDB or RDS) or new S3 files into a warehouse table.",
    no_args_is_help=True,
)


@app.command("dynamodb")
def dynamodb(
    export: Annotated[
        str,
        typer.Argument(
            help="The export: s3://bucket/prefix/AWSDynamoDB/<ExportId>/, its "
            "manifest-summary.json, a prefix holding one export, or a local copy."
        ),
    ],
    table: Annotated[str, typer.Option("--table", help="Destination table name.")],
    key: Annotated[
        list[str] | None,
        typer.Option("--key", help="Key attribute (partition key, then sort key); repeatable."),
    ] = None,
    mode: Annotated[Mode, typer.Option(help="How the export changes the table.")] = Mode.REPLACE,
    warehouse: WarehouseOption = DEFAULT_URL,
    force: ForceOption = False,
    soft_delete: SoftDeleteOption = False,
    quiet: QuietOption = False,
) -> None:
    """Apply a DynamoDB export, full or incremental, to TABLE (verified first, atomically)."""
    from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb

    request = DynamoDBLoadRequest(
        export=export,
        table=table,
        keys=tuple(key or ()),
        mode=mode,
        warehouse=warehouse,
        force=force,
        soft_delete=soft_delete,
    )
    report, printed = _run(lambda p: load_dynamodb(request, progress=p), quiet=quiet)
    if printed:
        return
    if report.status == "already_applied":
        typer.echo(
            f"export {report.export_id} is already applied to {report.stream!r} in "
            f"{report.warehouse_location}: nothing to do"
        )
        return
    typer.echo(
        f"loaded {report.rows:,} rows from {report.files} file(s) ({report.bytes:,} bytes) "
        f"into {report.stream!r} in {report.warehouse_location} in {report.seconds:.1f}s; "
        f"schema v{report.schema_version}, "
        f"{len(report.columns_added)} column(s) added, "
        f"{len(report.columns_widened)} widened"
    )
    for name, old, new in report.columns_widened:
        typer.echo(f"  widened {name}: {old} → {new}")


def _parse_keys(values: list[str]) -> dict[str, tuple[str, ...]]:
    from aws2bq.errors import ConfigError

    keys: dict[str, tuple[str, ...]] = {}
    for value in values:
        target, sep, columns = value.partition("=")
        names = tuple(c.strip() for c in columns.split(",") if c.strip())
        if not sep or not target.strip() or not names:
            raise ConfigError(
                f"bad --key {value!r}", hint="use --key DB.TABLE=COL[,COL...] (repeatable)"
            )
        keys[target.strip()] = names
    return keys


@app.command("rds")
def rds(
    export: Annotated[
        str,
        typer.Argument(
            help="The export task's folder: s3://bucket/prefix/<ExportTaskIdentifier>/ or a "
            "local copy of it."
        ),
    ],
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help="Load only this database or table (DB, DB.TABLE; PostgreSQL "
            "DB.SCHEMA[.TABLE]); repeatable.",
        ),
    ] = None,
    key: Annotated[
        list[str] | None,
        typer.Option(
            "--key",
            help="Primary key of a table: DB.TABLE=COL[,COL...] (the export does not record "
            "keys); repeatable.",
        ),
    ] = None,
    mode: Annotated[Mode, typer.Option(help="How the export changes the tables.")] = Mode.REPLACE,
    warehouse: WarehouseOption = DEFAULT_URL,
    table_name_template: Annotated[
        str | None,
        typer.Option(
            help="Destination table name from {db}, {schema}, {table} (default {db}__{table}; "
            "PostgreSQL {db}__{schema}__{table})."
        ),
    ] = None,
    force: ForceOption = False,
    soft_delete: SoftDeleteOption = False,
    per_table: Annotated[
        bool,
        typer.Option(
            "--per-table",
            help="Apply each table in its own transaction, the good ones even if others fail "
            "(default: verify every table, then apply the export all or none).",
        ),
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Make the exported tables equal to an RDS snapshot export, all or none (exit 1 if not)."""
    from aws2bq.runner.rds_load import RdsLoadRequest, load_rds

    request = RdsLoadRequest(
        export=export,
        only=tuple(only or ()),
        mode=mode,
        keys=_parse_keys(key or []),
        warehouse=warehouse,
        force=force,
        soft_delete=soft_delete,
        table_name_template=table_name_template,
        per_table=per_table,
    )
    report, printed = _run(lambda p: load_rds(request, progress=p), quiet=quiet)
    if not printed:
        for t in report.tables:
            if t.status == "applied":
                typer.echo(f"loaded {t.rows:,} rows of {t.target} into {t.table!r}")
            elif t.status == "already_applied":
                typer.echo(f"{t.target}: export {report.export_id} already applied to {t.table!r}")
        typer.echo(
            f"export {report.export_id}: {report.rows:,} rows, {len(report.tables)} table(s), "
            f"{len(report.failed)} failed, into {report.warehouse_location} in "
            f"{report.seconds:.1f}s"
        )
    for t in report.failed:
        typer.secho(f"error: {t.error}", err=True, fg=typer.colors.RED)
    if report.failed:
        from aws2bq.errors import ExportError

        # An aws2bq error (exit code 1): ``main`` runs click with standalone_mode=False, where
        # a typer.Exit raised here would be returned, not turned into the exit code.
        raise ExportError(
            f"export {report.export_id}: {len(report.failed)} of {len(report.tables)} table(s) "
            f"failed: {', '.join(t.target for t in report.failed)}",
            hint="the other tables were loaded; see the errors above",
        )


@app.command("files")
def files(
    source: Annotated[
        str,
        typer.Argument(help="s3://bucket/prefix/ or a local folder holding the objects."),
    ],
    fmt: Annotated[
        Format, typer.Option("--format", help="The objects' format (gzip-compressed or not).")
    ],
    table: Annotated[str, typer.Option("--table", help="Destination table name.")],
    key: Annotated[
        list[str] | None,
        typer.Option("--key", help="Merge mode: key column (repeatable)."),
    ] = None,
    mode: Annotated[
        FilesMode,
        typer.Option(help="append (insert the new objects' rows) or merge (upsert by key)."),
    ] = FilesMode.APPEND,
    on_changed: Annotated[
        OnChanged,
        typer.Option(
            help="An applied object whose ETag/size changed: error (refuse the load) or warn "
            "(skip it, name it in the report)."
        ),
    ] = OnChanged.ERROR,
    warehouse: WarehouseOption = DEFAULT_URL,
    quiet: QuietOption = False,
) -> None:
    """Load the objects under SOURCE not loaded yet into TABLE (each exactly once)."""
    from aws2bq.sources.files.load import FilesLoadRequest, load_files

    request = FilesLoadRequest(
        source=source,
        table=table,
        format=fmt,
        mode=mode,
        keys=tuple(key or ()),
        warehouse=warehouse,
        on_changed=on_changed,
    )
    report, printed = _run(lambda p: load_files(request, progress=p), quiet=quiet)
    if printed:
        return
    for changed in report.changed:
        typer.secho(f"warning: {changed['key']} changed after it was applied: skipped", err=True)
    for warning in report.warnings:
        typer.secho(f"warning: {warning}", err=True)
    if report.status == "up_to_date":
        typer.echo(f"no new object under {source}: {table!r} is up to date")
        return
    typer.echo(
        f"loaded {report.rows:,} rows from {len(report.objects)} object(s) into {table!r} in "
        f"{report.warehouse_location} in {report.seconds:.1f}s; schema v{report.schema_version}"
    )


def register(root: typer.Typer) -> None:
    """Add the ``load`` group to the root app."""
    root.add_typer(app, name="load")
