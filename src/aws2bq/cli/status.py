"""``aws2bq status``: per stream, the last export applied, its lag and whether the
warehouse's row counts match the manifests (thin: load the config, call ``stream_status``)."""

from __future__ import annotations

import sys

import orjson
import typer

from aws2bq.cli.run import ConfigOption, JsonOption, StreamOption


def _lag(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}h{rest // 60:02d}m"


def status(
    config: ConfigOption = None, stream: StreamOption = None, as_json: JsonOption = False
) -> None:
    """Show per stream the last export applied, its time, lag and row counts."""
    from aws2bq.config import load_config
    from aws2bq.runner.status import stream_status
    from aws2bq.warehouses import resolved_location

    cfg = load_config(config)
    statuses = stream_status(cfg, streams=stream)
    location = resolved_location(cfg.warehouse)
    if as_json or not sys.stdout.isatty():
        document = {
            "warehouse": cfg.warehouse,
            "warehouse_location": location,
            "streams": [s.to_dict() for s in statuses],
        }
        typer.echo(orjson.dumps(document).decode())
        return
    typer.echo(f"warehouse: {cfg.warehouse} → {location}")
    for s in statuses:
        for landing in s.landings:
            typer.echo(
                f"{s.stream} ({s.kind}): {landing['export_id']} {landing['phase']} "
                f"({landing['route']}): {landing['files_done']}/{landing['files']} files, "
                f"{landing['bytes_done']:,}/{landing['bytes']:,} bytes, {landing['percent']}%"
            )
        if s.last_export_id is None:
            typer.echo(f"{s.stream} ({s.kind}): {s.note}")
            continue
        verdict = {
            True: "counts match",
            False: "COUNTS DIFFER",
            None: "counts not compared (the table keeps rows across exports: merge, history "
            "or append)",
        }[s.matches]
        typer.echo(
            f"{s.stream} ({s.kind}): {s.last_export_id} exported "
            f"{s.last_exported_at.isoformat() if s.last_exported_at else '?'}, "
            f"lag {_lag(s.lag_seconds)}, {verdict}" + (f" — {s.note}" if s.note else "")
        )
        for t in s.tables:
            rows = "missing" if t.warehouse_rows is None else f"{t.warehouse_rows:,}"
            typer.echo(
                f"    {t.table}: warehouse {rows}, ledger {t.ledger_rows:,}, "
                f"manifest {t.manifest_items:,}"
            )


def register(app: typer.Typer) -> None:
    """Add ``status`` to the ``aws2bq`` app."""
    app.command("status")(status)
