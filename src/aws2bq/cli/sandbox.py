"""``aws2bq sandbox …``: run and steer the local AWS sandbox."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Annotated

import typer

from aws2bq.errors import ConfigError, SandboxError

app = typer.Typer(
    help="A local AWS (moto server) whose exports match AWS's layout.", no_args_is_help=True
)

StateDir = Annotated[Path, typer.Option("--state-dir", help="Where the sandbox keeps its files.")]
DEFAULT_STATE_DIR = Path(".aws2bq-sandbox")


def _info_file(state_dir: Path) -> Path:
    return state_dir / "sandbox.json"


def _running(state_dir: Path) -> dict[str, object] | None:
    info = _info_file(state_dir)
    if not info.exists():
        return None
    try:
        data: dict[str, object] = json.loads(info.read_text())
        os.kill(int(str(data["pid"])), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # unreadable, not ours, or the process is gone: no sandbox running
    return data


def _print_env(endpoint: str, region: str) -> None:
    typer.echo(f"export AWS_ENDPOINT_URL={endpoint}")
    typer.echo("export AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox")
    typer.echo(f"export AWS_DEFAULT_REGION={region}")


@app.command()
def start(
    port: Annotated[int, typer.Option(help="Loopback port (0 picks a free one).")] = 4566,
    state_dir: StateDir = DEFAULT_STATE_DIR,
    detach: Annotated[
        bool, typer.Option(help="Return at once, leaving the server running.")
    ] = False,
    region: str = "us-east-1",
) -> None:
    """Start the sandbox and print the environment that points boto3 and aws2bq at it."""
    from aws2bq.sandbox.process import ServerProcess

    if (info := _running(state_dir)) is not None:
        raise SandboxError(
            f"a sandbox is already running at {info['endpoint']} (pid {info['pid']})",
            hint=f"stop it with `aws2bq sandbox stop --state-dir {state_dir}`",
        )
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        probe = _info_file(state_dir).with_suffix(".probe")
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"cannot use the state folder {state_dir}: {exc.strerror or exc}",
            hint="pass --state-dir with a folder the user running aws2bq can write",
        ) from None
    proc = ServerProcess(state_dir.resolve(), port=port)
    proc.start()
    endpoint = f"http://127.0.0.1:{proc.port}"
    _info_file(state_dir).write_text(
        json.dumps({"pid": proc.pid, "endpoint": endpoint, "region": region})
    )
    _print_env(endpoint, region)
    if detach:
        return
    typer.echo("# sandbox running; Ctrl-C stops it", err=True)
    try:
        while proc.alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        proc.stop()
        _info_file(state_dir).unlink(missing_ok=True)


def _is_sandbox_server(pid: int) -> bool:
    """Whether ``pid`` runs ``aws2bq.sandbox.server`` (where /proc tells; elsewhere, trust
    the state file)."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not Path("/proc/self/cmdline").exists():
        return True
    try:
        return b"aws2bq.sandbox.server" in cmdline.read_bytes()
    except OSError:
        return False


@app.command()
def stop(state_dir: StateDir = DEFAULT_STATE_DIR) -> None:
    """Stop a sandbox started with ``--detach``."""
    info = _running(state_dir)
    if info is None:
        typer.echo("no sandbox is running")
        return
    pid = int(str(info["pid"]))
    if not _is_sandbox_server(pid):
        raise SandboxError(
            f"process {pid} named in {_info_file(state_dir)} is not an aws2bq sandbox; "
            "nothing was stopped",
            hint=f"delete {_info_file(state_dir)} if the sandbox is gone",
        )
    os.kill(pid, signal.SIGTERM)
    _info_file(state_dir).unlink(missing_ok=True)
    typer.echo(f"stopped the sandbox at {info['endpoint']}")


@app.command()
def status(state_dir: StateDir = DEFAULT_STATE_DIR) -> None:
    """Show whether a sandbox is running, its endpoint and its clock."""
    from aws2bq.sandbox import Sandbox

    info = _running(state_dir)
    if info is None:
        typer.echo("no sandbox is running")
        raise typer.Exit(1)
    health = Sandbox.attach(str(info["endpoint"])).health()
    typer.echo(json.dumps({**info, **health}, indent=2))


@app.command("advance-clock")
def advance_clock(
    minutes: Annotated[float, typer.Argument(help="Minutes to move sandbox time forward.")],
    state_dir: StateDir = DEFAULT_STATE_DIR,
) -> None:
    """Move sandbox time forward (DynamoDB incremental exports need windows ≥ 15 minutes)."""
    from aws2bq.sandbox import Sandbox

    info = _running(state_dir)
    if info is None:
        raise SandboxError("no sandbox is running", hint="start one with `aws2bq sandbox start`")
    typer.echo(Sandbox.attach(str(info["endpoint"])).advance_clock(minutes=minutes).isoformat())


@app.command()
def fault(
    service: Annotated[str, typer.Argument(help="dynamodb, rds, s3, … or *")],
    action: Annotated[str, typer.Argument(help="API action, e.g. DescribeExport, or *")],
    code: Annotated[str, typer.Argument(help="AWS error code, e.g. ThrottlingException")],
    count: int = 1,
    state_dir: StateDir = DEFAULT_STATE_DIR,
) -> None:
    """Make the next COUNT matching AWS calls fail with CODE."""
    from aws2bq.sandbox import Sandbox

    info = _running(state_dir)
    if info is None:
        raise SandboxError("no sandbox is running", hint="start one with `aws2bq sandbox start`")
    Sandbox.attach(str(info["endpoint"])).inject_fault(service, action, code, count=count)
    typer.echo(f"the next {count} {service} {action} call(s) will fail with {code}")
