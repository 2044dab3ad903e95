"""``aws2bq init``: write a commented example ``aws2bq.toml`` to start from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aws2bq.errors import ConfigError


def init(
    path: Annotated[Path, typer.Argument(help="Where to write the config.", dir_okay=False)] = Path(
        "aws2bq.toml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example aws2bq.toml (refuses to overwrite without --force)."""
    from aws2bq.config import example_toml

    if path.exists() and not force:
        raise ConfigError(
            f"{str(path)!r} already exists; nothing written", hint="use --force to overwrite it"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(example_toml(), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot write {str(path)!r}: {exc.strerror or exc}",
            hint="choose a path the user running aws2bq can write",
        ) from None
    typer.echo(f"wrote {path}: edit the streams, then `aws2bq run -c {path}`")


def register(app: typer.Typer) -> None:
    """Add ``init`` to the ``aws2bq`` app."""
    app.command("init")(init)
