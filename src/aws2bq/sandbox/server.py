"""The sandbox server process: moto in server mode, patched to write exports as AWS does.

Run as ``python -m aws2bq.sandbox.server --port 0 --state-dir DIR --ready-file FILE``; the
parent (:mod:`aws2bq.sandbox.process`) waits for the ready file, which holds the bound port.
Clients talk to it with the real boto3 client through ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from aws2bq.sandbox.state import SandboxSettings, SandboxState, set_state


def build_app(state: SandboxState):  # type: ignore[no-untyped-def]
    """moto's WSGI app with our patches installed and the control middleware around it."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from aws2bq.sandbox import patches
    from aws2bq.sandbox.control import ControlMiddleware

    patches.install_all(state)
    return ControlMiddleware(DomainDispatcherApplication(create_backend_app), state)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aws2bq.sandbox.server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--ready-file", type=Path)
    parser.add_argument("--export-polls", type=int, default=SandboxSettings.export_polls)
    args = parser.parse_args(argv)

    # moto keeps everything in memory; the sandbox never talks to real AWS.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "sandbox")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "sandbox")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.pop("AWS_ENDPOINT_URL", None)

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    args.state_dir.mkdir(parents=True, exist_ok=True)
    state = SandboxState(
        state_dir=args.state_dir, settings=SandboxSettings(export_polls=args.export_polls)
    )
    set_state(state)
    app = build_app(state)
    server = make_server(
        args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler
    )
    port = server.server_address[1]

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    ready = json.dumps({"port": port, "pid": os.getpid()})
    if args.ready_file:
        tmp = args.ready_file.with_suffix(".tmp")
        tmp.write_text(ready)
        tmp.replace(args.ready_file)
    print(ready, flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
