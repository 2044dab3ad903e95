"""Run the BigQuery emulator (``bqemulator``, DuckDB-backed) locally, without network access.

Two ways in:

* ``python -m aws2bq.testing.bqemulator --rest-port 0 --grpc-port 0 --ready-file F`` runs the
  server in the foreground and, once it accepts requests, prints one JSON line
  ``{"rest_url": ..., "rest_port": ..., "grpc_port": ...}`` (and writes it to ``F``).
* :class:`BigQueryEmulator` starts that command as a child process, waits until it is ready,
  and hands out real ``google.cloud.bigquery.Client`` objects pointed at it.

Example:
    >>> with BigQueryEmulator(tmp_dir) as emulator:           # doctest: +SKIP
    ...     client = emulator.client("demo-project")
    ...     client.query("SELECT 1").result()
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from aws2bq.errors import MissingExtraError, WarehouseError
from aws2bq.sandbox.process import describe_exit, log_tail, stop_child

DEFAULT_PROJECT = "aws2bq-local"
#: (connect, read) seconds for one HTTP request of a test client; loads of test data and the
#: emulator's slowest queries take a few seconds.
REQUEST_TIMEOUT = (5.0, 120.0)


class EmulatorDiedError(WarehouseError):
    """The emulator's process has exited; raised by its clients instead of retrying."""


def _watched_session(emulator: BigQueryEmulator, credentials: Any) -> Any:
    """An ``AuthorizedSession`` that fails fast when ``emulator`` is dead or wedged."""
    import requests
    from google.auth.transport.requests import AuthorizedSession

    class WatchedSession(AuthorizedSession):
        def request(  # type: ignore[override]
            self, method: str, url: str, *args: Any, **kwargs: Any
        ) -> Any:
            emulator.check()
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = REQUEST_TIMEOUT
            try:
                return super().request(  # type: ignore[no-untyped-call]
                    method, url, *args, **kwargs
                )
            except requests.ConnectionError:
                emulator.check()  # died during the request: say so instead of retrying
                raise

    return WatchedSession(credentials)  # type: ignore[no-untyped-call]


# -- the server side (runs in the child process) -----------------------------------------------
def _patch_offline_startup() -> None:
    """Make bqemulator start on a machine that cannot download DuckDB extensions.

    bqemulator's ``DuckDBEngine.start`` runs ``INSTALL spatial; LOAD spatial`` and refuses to
    start when that fails (bqemulator/storage/engine.py ``_load_spatial``). ``INSTALL`` fetches
    the extension from extensions.duckdb.org, which is unreachable here, so the emulator could
    never start. We replace the step with a best-effort ``LOAD`` of an already-installed
    extension: everything except GEOGRAPHY / ``ST_*`` keeps working, and those fail at query
    time with DuckDB's own "function does not exist" error (documented in docs/bqemulator.md).
    """
    from bqemulator.storage import engine as engine_module

    def _load_spatial_if_installed(self: Any) -> None:
        try:
            self.connection.execute("LOAD spatial")
        except Exception:
            engine_module._log.warning(
                "duckdb.spatial_skipped",
                reason="aws2bq launcher: spatial extension not installed, GEOGRAPHY disabled",
            )

    engine_module.DuckDBEngine._load_spatial = _load_spatial_if_installed  # type: ignore[method-assign]


#: V8 flag that turns off its use of Linux memory protection keys (pkeys) for JIT memory.
NO_PKEYS_FLAG = "--no-memory-protection-keys"


def init_v8() -> tuple[str, ...]:
    """Initialise V8 (mini-racer) in this thread, before any other thread exists.

    On CPUs with memory protection keys (``pku``/``ospke`` in /proc/cpuinfo), V8 write-protects
    its JIT memory with a pkey whose permissions each thread inherits from the thread that
    created it. A thread started before V8 allocated the key, or not descended from the
    thread that did, has no access and takes SIGSEGV the first time it runs JavaScript
    (https://issues.chromium.org/issues/360909072; the same crash and workaround in
    rubyjs/libv8-node#53 and denoland/rusty_v8#2054). bqemulator creates a ``MiniRacer`` per
    JavaScript UDF in a short-lived thread and calls it from DuckDB's worker threads, so with
    pkeys the emulator segfaulted in ``libmini_racer.so`` under load. Turning pkeys off
    removes the cause; initialising here, in the main thread before the server starts its
    threads, keeps the order right as well.

    Returns:
        The V8 flags in effect (empty when mini-racer is not installed: JavaScript UDFs then
        fail at query time with bqemulator's own message).
    """
    try:
        import py_mini_racer
    except ImportError:
        return ()
    flags = (*py_mini_racer.DEFAULT_V8_FLAGS, NO_PKEYS_FLAG)
    py_mini_racer.init_mini_racer(flags=flags, ignore_duplicate_init=True)
    return flags


async def _serve(settings: Any, ready_file: Path | None) -> None:
    from bqemulator.server import EmulatorServer

    server = EmulatorServer(settings)
    await server.start()
    info = {
        "rest_url": server.rest_url,
        "rest_port": server.rest_port,
        "grpc_endpoint": server.grpc_endpoint,
        "grpc_port": server.grpc_port,
        "pid": os.getpid(),
    }
    line = json.dumps(info)
    if ready_file is not None:
        # Written then renamed, so a reader never sees half a file.
        tmp = ready_file.with_suffix(".tmp")
        tmp.write_text(line)
        tmp.replace(ready_file)
    print(line, flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: start bqemulator with the offline patch and report its ports."""
    parser = argparse.ArgumentParser(
        prog="python -m aws2bq.testing.bqemulator",
        description="Run the bqemulator BigQuery emulator without downloading DuckDB extensions.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind host for REST and gRPC")
    parser.add_argument("--rest-port", type=int, default=0, help="REST port (0 = any free)")
    parser.add_argument("--grpc-port", type=int, default=0, help="gRPC port (0 = any free)")
    parser.add_argument("--project", default=DEFAULT_PROJECT, help="default project id")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="persist to DIR/bqemulator.duckdb (default: in memory)",
    )
    parser.add_argument(
        "--gcs-root",
        type=Path,
        default=None,
        help="local directory that gs://BUCKET/KEY URIs are read from",
    )
    parser.add_argument(
        "--ready-file",
        type=Path,
        default=None,
        help="write the ports as JSON here once the server accepts requests",
    )
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)

    try:
        from bqemulator.config import LogLevel, PersistenceMode, Settings
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingExtraError("bqemulator", "dev") from exc

    try:
        # bqemulator registers Python UDFs at start-up, which DuckDB only allows with numpy
        # installed; bqemulator does not declare it ("'numpy' is required for this operation").
        import numpy  # noqa: F401
    except ImportError as exc:
        raise MissingExtraError("numpy (needed by bqemulator's start-up)", "dev") from exc
    _patch_offline_startup()
    init_v8()
    overrides: dict[str, Any] = {
        "rest_host": args.host,
        "rest_port": args.rest_port,
        "grpc_host": args.host,
        "grpc_port": args.grpc_port,
        "default_project_id": args.project,
        "log_level": LogLevel(args.log_level.lower()),
        # The avro extension is also downloaded at start-up (best effort, but each attempt can
        # wait on the network); we load no Avro, so skip it.
        "enable_format_extensions": False,
        "persistence_mode": PersistenceMode.EPHEMERAL,
    }
    if args.data_dir is not None:
        overrides["persistence_mode"] = PersistenceMode.PERSISTENT
        overrides["data_dir"] = args.data_dir
    if args.gcs_root is not None:
        overrides["gcs_local_root"] = args.gcs_root
    asyncio.run(_serve(Settings(**overrides), args.ready_file))


# -- the client side (tests, demo) ---------------------------------------------------------------
class BigQueryEmulator:
    """A ``python -m aws2bq.testing.bqemulator`` child process on loopback ports.

    Args:
        state_dir: where the ready file and the log go (and the data, if ``persistent``).
        project: the emulator's default project id.
        persistent: keep data in ``state_dir/data/bqemulator.duckdb`` instead of memory.
        gcs_root: local folder that ``gs://`` load URIs resolve under (bucket = first folder).
    """

    def __init__(
        self,
        state_dir: Path,
        *,
        project: str = DEFAULT_PROJECT,
        persistent: bool = False,
        gcs_root: Path | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.state_dir = Path(state_dir)
        self.project = project
        self.persistent = persistent
        self.gcs_root = gcs_root
        self.host = host
        self.log_file = self.state_dir / "bqemulator.log"
        self.rest_port: int | None = None
        self.grpc_port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        """The REST base URL, e.g. ``http://127.0.0.1:40123``."""
        if self.rest_port is None:
            raise WarehouseError("the BigQuery emulator is not running", hint="call start() first")
        return f"http://{self.host}:{self.rest_port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def problem(self, timeout: float = 5.0) -> str | None:
        """Why the emulator cannot serve a test now (dead, or not answering), else None."""
        if self._proc is None:
            return "the BigQuery emulator is not running (start() was not called or it stopped)"
        code = self._proc.poll()
        if code is not None:
            return (
                f"the BigQuery emulator (pid {self._proc.pid}) died: {describe_exit(code)}; "
                f"{self.log_hint()}"
            )
        if not self._healthy(timeout):
            return (
                f"the BigQuery emulator (pid {self._proc.pid}) is alive but did not answer "
                f"within {timeout:.0f}s (wedged); {self.log_hint()}"
            )
        return None

    def check(self) -> None:
        """Raise :class:`EmulatorDiedError` (with the log's tail) if the process is gone.

        Cheap (no request): called before every request of :meth:`client`'s clients, so a
        dead emulator fails the call at once instead of google-api-core retrying a refused
        connection for ten minutes.
        """
        if self._proc is not None and self._proc.poll() is not None:
            raise EmulatorDiedError(
                f"the BigQuery emulator (pid {self._proc.pid}) died: "
                f"{describe_exit(self._proc.returncode)}",
                hint=self.log_hint(),
            )

    def log_hint(self, chars: int = 3000) -> str:
        """Where the log is and how it ends, for failure messages."""
        return f"its log is {self.log_file}; it ends with:\n{log_tail(self.log_file, chars)}"

    def start(self, timeout: float = 60.0) -> BigQueryEmulator:
        """Start the child and block until its REST API answers; return ``self``."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        ready = self.state_dir / "bqemulator.ready"
        ready.unlink(missing_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "aws2bq.testing.bqemulator",
            "--host",
            self.host,
            "--rest-port",
            "0",
            "--grpc-port",
            "0",
            "--project",
            self.project,
            "--ready-file",
            str(ready),
        ]
        if self.persistent:
            cmd += ["--data-dir", str(self.state_dir / "data")]
        if self.gcs_root is not None:
            cmd += ["--gcs-root", str(self.gcs_root)]
        # BQEMU_* variables of the parent must not override what we ask for.
        env = {k: v for k, v in os.environ.items() if not k.startswith("BQEMU_")}
        with self.log_file.open("ab") as log:
            self._proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready.exists():
                info = json.loads(ready.read_text())
                self.rest_port = int(info["rest_port"])
                self.grpc_port = int(info["grpc_port"])
                if self._healthy():
                    return self
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
        raise WarehouseError(f"the BigQuery emulator {what}", hint=self.log_hint())

    def _healthy(self, timeout: float = 2.0) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(
                f"{self.endpoint}/bigquery/v2/projects/{self.project}/datasets", timeout=timeout
            ) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the child (SIGTERM, then SIGKILL after 10 s). Idempotent."""
        stop_child(self._proc)
        self._proc = None
        self.rest_port = self.grpc_port = None

    def client(self, project: str | None = None) -> Any:
        """A real ``google.cloud.bigquery.Client`` talking to this emulator, anonymously.

        Its HTTP session checks that the emulator is alive before each request (a dead one
        raises :class:`EmulatorDiedError` at once, which google-api-core does not retry) and
        bounds every request by :data:`REQUEST_TIMEOUT` (a wedged one fails instead of
        hanging).
        """
        try:
            from google.api_core.client_options import ClientOptions
            from google.auth.credentials import AnonymousCredentials
            from google.cloud import bigquery
        except ImportError as exc:
            raise MissingExtraError("google-cloud-bigquery", "bigquery") from exc
        credentials = AnonymousCredentials()  # type: ignore[no-untyped-call]
        return bigquery.Client(
            project=project or self.project,
            credentials=credentials,
            client_options=ClientOptions(api_endpoint=self.endpoint),
            _http=_watched_session(self, credentials),
        )

    def __enter__(self) -> BigQueryEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


if __name__ == "__main__":
    main()
