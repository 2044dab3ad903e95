"""``aws2bq load …``: apply one export to a warehouse table (thin: parse, call, report)."""

from __future__ import annotations

import sys
from typing import Annotated

import orjson
import typer

from aws2bq.core.apply import Mode
from aws2bq.warehouses import DEFAULT_URL

app = typer.Typer(
    help="Load one export (DynamoDB or RDS) into a warehouse table.", no_args_is_help=True
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
    warehouse: Annotated[
        str,
        typer.Option(
            envvar="AWS2BQ_WAREHOUSE",
            help="duckdb:///file.duckdb or bigquery://PROJECT/DATASET[?location=…].",
        ),
    ] = DEFAULT_URL,
    force: Annotated[
        bool, typer.Option(help="Load even if the export is older than the last one applied.")
    ] = False,
    quiet: Annotated[bool, typer.Option(help="No progress output.")] = False,
) -> None:
    """Make TABLE equal to a full DynamoDB export (verified first, applied atomically)."""
    from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb
    from aws2bq.runner.progress import RichProgress, make_progress

    request = DynamoDBLoadRequest(
        export=export,
        table=table,
        keys=tuple(key or ()),
        mode=mode,
        warehouse=warehouse,
        force=force,
    )
    progress = make_progress(quiet=quiet)
    try:
        report = load_dynamodb(request, progress=progress)
    finally:
        if isinstance(progress, RichProgress):
            progress.stop()
    if not sys.stdout.isatty():
        typer.echo(orjson.dumps({"summary": report.to_dict()}).decode())
        return
    if report.status == "already_applied":
        typer.echo(
            f"export {report.export_id} is already applied to {report.stream!r}: nothing to do"
        )
        return
    typer.echo(
        f"loaded {report.rows:,} rows from {report.files} file(s) ({report.bytes:,} bytes) "
        f"into {report.stream!r} in {report.seconds:.1f}s; schema v{report.schema_version}, "
        f"{len(report.columns_added)} column(s) added, "
        f"{len(report.columns_widened)} widened"
    )
    for name, old, new in report.columns_widened:
        typer.echo(f"  widened {name}: {old} → {new}")


def register(root: typer.Typer) -> None:
    """Add the ``load`` group to the root app."""
    root.add_typer(app, name="load")
