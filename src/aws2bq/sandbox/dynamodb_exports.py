"""Placeholder: filled in by the sandbox work."""

from __future__ import annotations

from aws2bq.sandbox.state import SandboxState


def install(state: SandboxState) -> None:
    """Patch moto (inside the sandbox server process)."""
