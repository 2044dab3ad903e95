"""Installs every sandbox patch into moto's backends (inside the sandbox server process)."""

from __future__ import annotations

from aws2bq.sandbox.state import SandboxState


def install_all(state: SandboxState) -> None:
    """Patch moto so exports, snapshots and writes behave as AWS's do."""
    from aws2bq.sandbox import dynamodb_exports, rds_exports

    dynamodb_exports.install(state)
    rds_exports.install(state)
