"""The ``aws2bq`` command line: thin commands around library calls.

Each command group lives in its own module; this one assembles them and maps errors to
exit codes (0 success, 1 a failed stream or export, 2 bad usage or config).
"""

from __future__ import annotations

import sys

import typer

from aws2bq import __version__
from aws2bq.cli import sandbox as sandbox_cli
from aws2bq.errors import Aws2BqError

app = typer.Typer(
    name="aws2bq",
    help="Land Amazon RDS and DynamoDB in BigQuery (or DuckDB) through AWS's S3 exports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(sandbox_cli.app, name="sandbox")


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
    """Console entry point: run the app, turning aws2bq errors into a message and exit code."""
    try:
        # Without standalone mode click returns a command's exit code instead of exiting.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except Aws2BqError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(2 if isinstance(exc, click.exceptions.UsageError) else exc.exit_code)
        raise
