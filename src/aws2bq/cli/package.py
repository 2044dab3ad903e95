"""``aws2bq package``: build the Lambda deployment artifact (zip, or a Dockerfile if too big)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def package(
    runtime: Annotated[
        str, typer.Option(help="Lambda runtime: python3.11, python3.12 or python3.13.")
    ] = "python3.11",
    arch: Annotated[str, typer.Option(help="Lambda architecture: x86_64 or arm64.")] = "x86_64",
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for the artifact.", file_okay=False)
    ] = Path("dist"),
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Bundle this config as /var/task/aws2bq.toml (set AWS2BQ_CONFIG to it).",
            dir_okay=False,
        ),
    ] = None,
    include_boto3: Annotated[
        bool,
        typer.Option(
            "--include-boto3",
            help="Bundle boto3/botocore (~30 MB) instead of using the Lambda runtime's.",
        ),
    ] = False,
    include_duckdb: Annotated[
        bool,
        typer.Option(
            "--include-duckdb",
            help="Bundle DuckDB, numpy and isal (~100 MB) for a DuckDB warehouse inside Lambda.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Build the Lambda artifact for a runtime and architecture, within Lambda's size limits."""
    from aws2bq.packaging import PackageRequest, build_lambda_package

    request = PackageRequest(
        runtime=runtime,  # type: ignore[arg-type]  # checked by build_lambda_package
        arch=arch,  # type: ignore[arg-type]
        output_dir=output,
        config=config,
        include_boto3=include_boto3,
        include_duckdb=include_duckdb,
    )
    result = build_lambda_package(request)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    size = f"{result.unzipped_bytes / 2**20:.1f} MB unpacked"
    if result.kind == "zip":
        typer.echo(f"wrote {result.artifact} ({(result.zipped_bytes or 0) / 2**20:.1f} MB, {size})")
    else:
        typer.echo(f"wrote {result.artifact} for a container image ({size})")
    for note in result.notes:
        typer.echo(f"  note: {note}")


def register(app: typer.Typer) -> None:
    """Add ``package`` to the ``aws2bq`` app."""
    app.command("package")(package)
