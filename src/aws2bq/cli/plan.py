"""``aws2bq plan``: what ``aws2bq run`` would do — exports to start, exports to apply, the
SQL — without doing it (thin: load the config, call ``run_streams(plan_only=True)``)."""

from __future__ import annotations

import typer

from aws2bq.cli.run import ConfigOption, JsonOption, StreamOption, StreamsFailed, print_summary


def plan(
    config: ConfigOption = None, stream: StreamOption = None, as_json: JsonOption = False
) -> None:
    """Print what `aws2bq run` would start and apply, and the SQL, without doing it (exit 1
    if a stream cannot be planned)."""
    from aws2bq.config import load_config
    from aws2bq.runner.run import run_streams

    cfg = load_config(config)
    summary = run_streams(cfg, streams=stream, plan_only=True)
    print_summary(summary, as_json=as_json)
    if summary.failed:
        raise StreamsFailed(
            f"cannot plan {len(summary.failed)} stream(s): {', '.join(summary.failed)}",
            hint="the plan of the other streams is above; see each stream's error",
            exit_code=summary.exit_code,
        )


def register(app: typer.Typer) -> None:
    """Add ``plan`` to the ``aws2bq`` app."""
    app.command("plan")(plan)
