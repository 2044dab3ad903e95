"""``aws2bq run``: the scheduled job (thin: load the config, call ``run_streams``, report)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from aws2bq.errors import Aws2BqError

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "-c",
        "--config",
        help="The aws2bq.toml (default: $AWS2BQ_CONFIG_TOML, $AWS2BQ_CONFIG, ./aws2bq.toml).",
        dir_okay=False,
    ),
]
StreamOption = Annotated[
    list[str] | None,
    typer.Option("--stream", "-s", help="Only this stream (repeatable; default: every stream)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def print_summary(summary: Any, *, as_json: bool) -> None:
    """The run (or plan) summary: JSON when asked or not on a terminal, else lines."""
    if as_json or not sys.stdout.isatty():
        typer.echo(orjson.dumps({"summary": summary.to_dict()}).decode())
        return
    would = "would " if summary.plan_only else ""
    typer.echo(f"warehouse: {summary.warehouse} → {summary.warehouse_location}")
    for s in summary.streams:
        mark = {"ok": "✓", "failed": "✗", "busy": "…"}.get(s.status, "?")
        typer.echo(f"{mark} {s.stream} ({s.kind}): {s.status}")
        for a in s.applied:
            rows = f", {a['rows']:,} rows" if "rows" in a else ""
            processed = f", {a['bytes_processed']:,} bytes processed" if a.get("jobs") else ""
            typer.echo(f"    {would}apply {a['export_id']} ({a.get('time')}){rows}{processed}")
            for job in a.get("jobs", []):
                typer.echo(f"      {job['kind']} {job['what']}: {job['bytes_processed']:,} bytes")
            t = a.get("transport") or {}
            if t.get("route"):
                egress = t.get("egress") or {}
                cost = f", egress ≈ ${egress['usd']:.2f}" if egress else ""
                jobs = (
                    len(t["load_jobs"])
                    if isinstance(t.get("load_jobs"), list)
                    else (t.get("load_jobs"))
                )
                typer.echo(
                    f"      transport {t['route']}: {t.get('files', 0)} files, "
                    f"{t.get('bytes', 0):,} bytes{cost}"
                    + (f", {jobs} load job(s)" if jobs is not None else "")
                    + (f", moved {t['bytes_moved']:,} bytes" if "bytes_moved" in t else "")
                )
        for st in s.started:
            what = st.get("export_id") or st.get("snapshot") or st.get("client_token")
            typer.echo(f"    {would}start {st['kind']} {what or ''}".rstrip())
        for p in s.pending:
            done = f", {p['percent']}% of {p['bytes']:,} bytes" if "percent" in p else ""
            typer.echo(f"    running: {p['export_id']} ({p['status']}{done})")
        for w in s.would_load:
            typer.echo(
                f"    would load {len(w['objects'])} object(s), {w['bytes']:,} bytes, "
                f"into {w['table']}"
            )
            for o in w["objects"]:
                typer.echo(f"      {o['url']} ({o['size']:,} bytes)")
        for note in s.notes:
            typer.echo(f"    {note}")
        if s.error:
            typer.echo(f"    error: {s.error}")
        for statement in s.sql:
            typer.echo(f"    {statement}")
    typer.echo(
        f"{len(summary.streams)} stream(s), {len(summary.failed)} failed, in {summary.seconds:.1f}s"
    )


class StreamsFailed(Aws2BqError):
    """One or more streams failed (exit code 1, or 2 when one failed on its configuration);
    the others ran."""

    def __init__(self, message: str, *, hint: str | None = None, exit_code: int = 1) -> None:
        super().__init__(message, hint=hint)
        self.exit_code = exit_code


def run(
    config: ConfigOption = None,
    stream: StreamOption = None,
    wait: Annotated[
        bool | None,
        typer.Option(
            "--wait/--no-wait",
            help="Wait for started exports and apply them (default: run.wait in the config); "
            "--no-wait returns at once and a later run applies them.",
        ),
    ] = None,
    timeout: Annotated[
        str | None,
        typer.Option(
            help="With --wait: give up waiting after this long, e.g. 30m (default run.max_wait)."
        ),
    ] = None,
    as_json: JsonOption = False,
    quiet: Annotated[bool, typer.Option(help="No progress output.")] = False,
) -> None:
    """Start due exports and apply the completed ones, per stream (exit 1 if one failed)."""
    from aws2bq.config import load_config
    from aws2bq.config.durations import parse_duration
    from aws2bq.errors import ConfigError
    from aws2bq.runner.progress import RichProgress, make_progress
    from aws2bq.runner.run import run_streams

    try:
        limit = parse_duration(timeout) if timeout else None
    except ValueError as exc:
        raise ConfigError(f"--timeout: {exc}", hint="e.g. --timeout 30m") from None
    cfg = load_config(config)
    progress = make_progress(quiet=quiet)
    try:
        summary = run_streams(
            cfg,
            streams=stream,
            wait=cfg.run.wait if wait is None else wait,
            progress=progress,
            timeout=limit,
        )
    finally:
        if isinstance(progress, RichProgress):
            progress.stop()
    print_summary(summary, as_json=as_json)
    if summary.failed:
        raise StreamsFailed(
            f"{len(summary.failed)} stream(s) failed: {', '.join(summary.failed)}",
            hint="the other streams ran; see the errors above",
            exit_code=summary.exit_code,
        )


def register(app: typer.Typer) -> None:
    """Add ``run`` to the ``aws2bq`` app."""
    app.command("run")(run)
