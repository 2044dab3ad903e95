"""Starting and stopping the sandbox server as a child process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from aws2bq.errors import SandboxError


def describe_exit(code: int | None) -> str:
    """``exit code 3``, ``killed by SIGSEGV`` or ``still running`` for a ``Popen.returncode``."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def log_tail(path: Path, chars: int = 3000) -> str:
    """The last ``chars`` characters of a log file ('' if there is none)."""
    try:
        with path.open("rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - chars))
            return log.read().decode(errors="replace")
    except OSError:
        return ""


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
        exited = self._proc.poll()
        self.stop()
        what = (
            f"{describe_exit(exited)} during start-up"
            if exited is not None
            else f"did not start within {timeout:.0f}s"
        )
        raise SandboxError(f"the sandbox server {what}", hint=self.log_hint())

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def describe_exit(self) -> str:
        """How the server ended (``killed by SIGSEGV``, ``exit code 1``), for messages."""
        if self._proc is None:
            return "not started"
        return describe_exit(self._proc.poll())

    def log_hint(self, chars: int = 3000) -> str:
        """Where the log is and how it ends, for failure messages."""
        return f"its log is {self.log_file}; it ends with:\n{log_tail(self.log_file, chars)}"

    def stop(self) -> None:
        stop_child(self._proc)
        self._proc = None
