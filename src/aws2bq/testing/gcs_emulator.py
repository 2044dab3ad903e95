"""Run ``gcp-storage-emulator`` (a local Google Cloud Storage JSON API) as a child process.

For the "S3 → GCS → BigQuery load from gs://" path. Objects are kept on disk under
``state_dir/data``; clients reach the emulator at :attr:`GcsEmulator.endpoint` (for
``google-cloud-storage`` set ``STORAGE_EMULATOR_HOST`` to it).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType

from aws2bq.errors import WarehouseError
from aws2bq.sandbox.process import describe_exit, log_tail, stop_child


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class GcsEmulator:
    """A ``gcp-storage-emulator start`` child process on a loopback port."""

    def __init__(
        self, state_dir: Path, *, host: str = "127.0.0.1", default_bucket: str | None = None
    ) -> None:
        self.state_dir = Path(state_dir)
        self.data_dir = self.state_dir / "data"
        self.host = host
        self.default_bucket = default_bucket
        self.log_file = self.state_dir / "gcs-emulator.log"
        self.port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def objects_root(self) -> Path:
        """Where object bytes live on disk: ``objects_root/BUCKET/KEY``.

        Give this folder to :class:`~aws2bq.testing.bqemulator.BigQueryEmulator` as its
        ``gcs_root`` and load jobs from ``gs://BUCKET/KEY`` read what was uploaded here.
        """
        return self.data_dir / ".cloudstorage"

    @property
    def endpoint(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:40123``."""
        if self.port is None:
            raise WarehouseError("the GCS emulator is not running", hint="call start() first")
        return f"http://{self.host}:{self.port}"

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def problem(self, timeout: float = 5.0) -> str | None:
        """Why the emulator cannot serve a test now (dead, or not answering), else None."""
        if self._proc is None:
            return "the GCS emulator is not running (start() was not called or it stopped)"
        code = self._proc.poll()
        if code is not None:
            return f"the GCS emulator died: {describe_exit(code)}; {self.log_hint()}"
        if not self._healthy(timeout):
            return f"the GCS emulator did not answer within {timeout:.0f}s; {self.log_hint()}"
        return None

    def log_hint(self, chars: int = 3000) -> str:
        """Where the log is and how it ends, for failure messages."""
        return f"its log is {self.log_file}; it ends with:\n{log_tail(self.log_file, chars)}"

    def start(self, timeout: float = 30.0) -> GcsEmulator:
        """Start the child and block until its JSON API answers; return ``self``."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # The emulator has no "port 0": pick a free port (a tiny race, retried once below).
        for _attempt in range(2):
            self.port = _free_port(self.host)
            # --data-dir is an option of the program, not of "start".
            cmd = [
                sys.executable,
                "-m",
                "gcp_storage_emulator",
                "--data-dir",
                str(self.data_dir),
                "start",
                "--host",
                self.host,
                "--port",
                str(self.port),
            ]
            if self.default_bucket:
                cmd += ["--default-bucket", self.default_bucket]
            with self.log_file.open("ab") as log:
                self._proc = subprocess.Popen(
                    cmd,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=dict(os.environ),
                )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self._proc.poll() is None:
                if self._healthy():
                    return self
                time.sleep(0.1)
            self.stop()
        raise WarehouseError("the GCS emulator did not start", hint=self.log_hint())

    def _healthy(self, timeout: float = 2.0) -> bool:
        try:
            with urllib.request.urlopen(
                f"{self.endpoint}/storage/v1/b?project=local", timeout=timeout
            ) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the child (SIGTERM, then SIGKILL after 10 s). Idempotent."""
        stop_child(self._proc)
        self._proc = None
        self.port = None

    def __enter__(self) -> GcsEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
