"""The ``aws2bq`` command line: thin commands around library calls.

Each command group lives in its own module; this one assembles them. Failures become one
line and an exit code (0 success, 1 a failed stream or export, 2 bad usage or config) in
:mod:`aws2bq.cli.errors`; ``aws2bq -v`` turns the debug log on (:mod:`aws2bq.cli.logs`).
"""

from __future__ import annotations

from typing import Annotated

import typer

from aws2bq import __version__
from aws2bq.cli import logs
from aws2bq.cli import sandbox as sandbox_cli
from aws2bq.cli.errors import run_app

app = typer.Typer(
    name="aws2bq",
    help="Land Amazon RDS and DynamoDB in BigQuery (or DuckDB) through AWS's S3 exports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(sandbox_cli.app, name="sandbox")


@app.callback()
def _root(
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            envvar="AWS2BQ_VERBOSE",
            help="Debug log on stderr: the SQL of a failed statement, drivers' own messages, "
            "tracebacks (JSON lines when stderr is not a terminal).",
        ),
    ] = False,
) -> None:
    logs.configure(verbose=verbose)


def _register_optional_groups() -> None:
    # Groups added by later work register themselves here; each module exposes `register(app)`.
    import importlib

    for name in ("load", "run", "plan", "status", "init", "package", "demo"):
        try:
            module = importlib.import_module(f"aws2bq.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"aws2bq.cli.{name}":
                raise
            continue
        module.register(app)


_register_optional_groups()


@app.command()
def version() -> None:
    """Print the aws2bq version."""
    typer.echo(__version__)


def main() -> None:
    """Console entry point: run the app; every failure is one line and an exit code."""
    run_app(app)
