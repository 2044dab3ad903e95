"""``aws2bq demo``: the offline end-to-end demo (thin: parse, call the library)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to the ``aws2bq`` app."""

    @app.command()
    def demo(
        directory: Annotated[
            Path, typer.Option("--dir", help="Where the demo keeps its sandbox and DuckDB file.")
        ] = Path(".demo"),
    ) -> None:
        """Offline end to end: local AWS → exports → DuckDB, then changes and a second load."""
        from aws2bq.demo import run_demo

        run_demo(directory.resolve())
