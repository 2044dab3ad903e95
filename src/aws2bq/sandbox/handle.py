"""What the per-service helpers (``Sandbox.dynamodb``, ``Sandbox.rds``) need of a sandbox.

A protocol below :mod:`aws2bq.sandbox.api`, so that the helpers do not import the class that
creates them.
"""

from __future__ import annotations

from typing import Any, Protocol


class SandboxHandle(Protocol):
    """A running sandbox: AWS clients pointed at it, its control API and its region."""

    region: str

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` talking to the sandbox."""

    def control(self, method: str, name: str, payload: dict[str, Any] | None = None) -> Any:
        """Call the sandbox's control API (``method`` on ``/_aws2bq/<name>``)."""
