"""Starting and stopping the sandbox server as a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from aws2bq.errors import SandboxError


def stop_child(proc: subprocess.Popen[bytes] | None, *, grace: float = 10.0) -> None:
    """Stop a child process: SIGTERM, then SIGKILL after ``grace`` seconds. Idempotent."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class ServerProcess:
    """A running ``python -m aws2bq.sandbox.server`` child, bound to a loopback port."""

    def __init__(
        self,
        state_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        export_polls: int = 1,
        log_file: Path | None = None,
    ) -> None:
        self.state_dir = state_dir
        self.host = host
        self.requested_port = port
        self.export_polls = export_polls
        self.log_file = log_file or state_dir / "server.log"
        self.port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        ready = self.state_dir / "server.ready"
        ready.unlink(missing_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
        log = self.log_file.open("ab")
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aws2bq.sandbox.server",
                "--host",
                self.host,
                "--port",
                str(self.requested_port),
                "--state-dir",
                str(self.state_dir),
                "--ready-file",
                str(ready),
                "--export-polls",
                str(self.export_polls),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready.exists():
                self.port = int(json.loads(ready.read_text())["port"])
                return
            if self._proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        tail = self.log_file.read_text(errors="replace")[-3000:] if self.log_file.exists() else ""
        raise SandboxError(
            f"the sandbox server did not start within {timeout:.0f}s",
            hint=f"its log ({self.log_file}) ends with:\n{tail}",
        )

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        stop_child(self._proc)
        self._proc = None
