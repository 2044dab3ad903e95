"""The sandbox's Python API, used by tests, the demo and the ``aws2bq sandbox`` CLI.

    with Sandbox() as sb:
        ddb = sb.client("dynamodb")          # real boto3, talking to the local moto server
        sb.advance_clock(minutes=20)         # move sandbox time forward (incremental windows)
        sb.inject_fault("dynamodb", "DescribeExport", "ThrottlingException", count=2)

``Sandbox.env()`` gives the environment variables (``AWS_ENDPOINT_URL`` and dummy
credentials) that point any boto3 client, or the ``aws2bq`` CLI, at the sandbox.
"""

from __future__ import annotations

import json
import tempfile
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws2bq.errors import SandboxError
from aws2bq.sandbox.process import ServerProcess

if TYPE_CHECKING:
    import boto3

    from aws2bq.sandbox.dynamodb_helpers import DynamoDBSandbox
    from aws2bq.sandbox.rds_helpers import RdsSandbox

#: The account moto answers as.
ACCOUNT_ID = "123456789012"
SANDBOX_ACCESS_KEY = "sandbox"
SANDBOX_SECRET_KEY = "sandbox"


class Sandbox:
    """A local AWS: a moto server on a loopback port whose exports match AWS's layout."""

    def __init__(
        self,
        state_dir: Path | None = None,
        *,
        port: int = 0,
        region: str = "us-east-1",
        export_polls: int = 1,
        endpoint_url: str | None = None,
    ) -> None:
        self.region = region
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if state_dir is None and endpoint_url is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="aws2bq-sandbox-")
            state_dir = Path(self._tmp.name)
        self.state_dir = state_dir
        self._process = (
            ServerProcess(state_dir, port=port, export_polls=export_polls)
            if endpoint_url is None and state_dir is not None
            else None
        )
        self._endpoint_url = endpoint_url

    @classmethod
    def attach(cls, endpoint_url: str, *, region: str = "us-east-1") -> Sandbox:
        """A handle on a sandbox server that is already running (e.g. ``aws2bq sandbox start``)."""
        sb = cls(endpoint_url=endpoint_url.rstrip("/"), region=region)
        sb.health()
        return sb

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Sandbox:
        if self._process is not None and not self._process.alive():
            self._process.start()
            self._endpoint_url = f"http://127.0.0.1:{self._process.port}"
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def alive(self) -> bool:
        """Whether the server child process is running (True for an attached sandbox)."""
        return self._process is None or self._process.alive()

    def problem(self, timeout: float = 5.0) -> str | None:
        """Why the sandbox cannot serve a test now (dead, or not answering), else None.

        The message names the server's log and ends with its tail.
        """
        process = self._process
        if process is not None and not process.alive():
            return f"the sandbox server died: {process.describe_exit()}; {process.log_hint()}"
        try:
            self._control("GET", "health", timeout=timeout)
        except SandboxError as exc:
            where = f"; {process.log_hint()}" if process is not None else ""
            return f"the sandbox at {self._endpoint_url} does not answer: {exc.message}{where}"
        return None

    # -- talking to it -----------------------------------------------------------------------
    @property
    def endpoint_url(self) -> str:
        if self._endpoint_url is None:
            raise SandboxError("the sandbox is not started", hint="call Sandbox.start() first")
        return self._endpoint_url

    def env(self) -> dict[str, str]:
        """Environment variables that point boto3 (and aws2bq) at this sandbox."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": SANDBOX_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SANDBOX_SECRET_KEY,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }

    def session(self) -> boto3.Session:
        import boto3

        return boto3.Session(
            aws_access_key_id=SANDBOX_ACCESS_KEY,
            aws_secret_access_key=SANDBOX_SECRET_KEY,
            region_name=self.region,
        )

    def client(self, service: str) -> Any:
        """A real boto3 client for ``service`` talking to the sandbox."""
        from botocore.config import Config

        return self.session().client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint_url,
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
        )

    # -- control -----------------------------------------------------------------------------
    def control(self, method: str, name: str, payload: dict[str, Any] | None = None) -> Any:
        """Call a control endpoint ``/_aws2bq/<name>`` (JSON in, JSON out)."""
        return self._control(method, name, payload)

    def _control(
        self,
        method: str,
        name: str,
        payload: dict[str, Any] | None = None,
        *,
        timeout: float = 30.0,
    ) -> Any:
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(
            f"{self.endpoint_url}/_aws2bq/{name}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            # The server answered but refused: surface its own message, not "did not answer".
            try:
                detail = json.loads(exc.read()).get("error", "")
            except ValueError:
                detail = ""
            raise SandboxError(
                f"the sandbox refused {method} /_aws2bq/{name}: {detail or exc}"
            ) from exc
        except OSError as exc:
            raise SandboxError(
                f"the sandbox at {self.endpoint_url} did not answer: {exc}",
                hint="is it running? start one with `aws2bq sandbox start`",
            ) from exc

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._control("GET", "health")
        return result

    def now(self) -> datetime:
        """The sandbox's current time (wall clock plus every advance)."""
        return datetime.fromisoformat(self.health()["now"])

    def advance_clock(
        self, *, seconds: float = 0, minutes: float = 0, hours: float = 0
    ) -> datetime:
        """Move sandbox time forward; writes and exports after this see the later time."""
        total = seconds + 60 * minutes + 3600 * hours
        return datetime.fromisoformat(
            self._control("POST", "clock", {"advance_seconds": total})["now"]
        )

    def settings(self, **changes: Any) -> dict[str, Any]:
        """Read (and with arguments, change) the sandbox settings (see SandboxSettings)."""
        result: dict[str, Any] = self._control(
            "POST" if changes else "GET", "settings", changes or None
        )
        return result

    def inject_fault(
        self,
        service: str,
        action: str,
        code: str,
        *,
        count: int = 1,
        status: int = 400,
        message: str = "injected by the aws2bq sandbox",
    ) -> None:
        """Make the next ``count`` calls of ``service``/``action`` fail with error ``code``."""
        self._control(
            "POST",
            "faults",
            {
                "service": service,
                "action": action,
                "code": code,
                "count": count,
                "status": status,
                "message": message,
            },
        )

    def clear_faults(self) -> None:
        self._control("DELETE", "faults")

    # -- per-service helpers -----------------------------------------------------------------
    @property
    def dynamodb(self) -> DynamoDBSandbox:
        from aws2bq.sandbox.dynamodb_helpers import DynamoDBSandbox

        return DynamoDBSandbox(self)

    @property
    def rds(self) -> RdsSandbox:
        from aws2bq.sandbox.rds_helpers import RdsSandbox

        return RdsSandbox(self)
