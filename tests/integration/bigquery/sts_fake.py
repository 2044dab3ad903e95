"""A recorded fake of Storage Transfer Service's REST surface (there is no STS emulator).

It answers the four calls aws2bq makes, in the shapes of the REST reference
(https://cloud.google.com/storage-transfer/docs/reference/rest/v1): ``transferJobs.create``
(POST /v1/transferJobs; 409 ALREADY_EXISTS for a name it has), ``transferJobs.get``,
``transferJobs.run`` (POST /v1/transferJobs/NAME:run → an Operation),
``transferOperations.get`` (GET /v1/transferOperations/NAME → IN_PROGRESS on the first read,
then it performs the transfer — each object the job's manifest names, read from the sandbox's
S3 and written into the GCS emulator under the sink path — and answers SUCCESS with counters)
and ``transferJobs.delete``. Every request is recorded (method, path, JSON body) for the
tests to check. It is a stand-in for Google's service, not for aws2bq code: the client
library, the request types and the copy's effects are all real.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

OPERATION_TYPE = "type.googleapis.com/google.storagetransfer.v1.TransferOperation"


@dataclass
class StsFake:
    """The fake's state; :meth:`start` serves it on a loopback port."""

    s3: Any  # a boto3 S3 client of the sandbox
    gcs: Any  # a google.cloud.storage.Client of the GCS emulator
    #: Reads of an operation that answer IN_PROGRESS before it completes.
    reads_before_done: int = 1
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: S3 keys the fake copied (what the manifests named).
    copied_keys: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> StsFake:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _body(self) -> Any:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                return json.loads(raw) if raw else None

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                self._dispatch("POST")

            def do_GET(self) -> None:
                self._dispatch("GET")

            def do_DELETE(self) -> None:
                self._dispatch("DELETE")

            def _dispatch(self, method: str) -> None:
                path = unquote(urlsplit(self.path).path)
                body = self._body()
                fake.requests.append((method, path, body))
                status, payload = fake.handle(method, path, body)
                self._answer(status, payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- the REST surface ---------------------------------------------------------------------
    def handle(self, method: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        if method == "POST" and path == "/v1/transferJobs":
            job = dict(body)
            if job["name"] in self.jobs:
                return 409, _error(409, "ALREADY_EXISTS", "Transfer job already exists")
            job.setdefault("status", "ENABLED")
            self.jobs[job["name"]] = job
            return 200, job
        if method == "POST" and path.endswith(":run"):
            name = path[len("/v1/") : -len(":run")]
            job = self.jobs.get(name)
            if job is None:
                return 404, _error(404, "NOT_FOUND", "no such job")
            op_name = f"transferOperations/transferJobs-{name.split('/')[-1]}-{uuid.uuid4().hex}"
            self.operations[op_name] = {"job": name, "reads": 0, "done": False}
            job["latestOperationName"] = op_name
            return 200, {"name": op_name, "metadata": self._metadata(op_name, "QUEUED", {})}
        if method == "GET" and path.startswith("/v1/transferOperations/"):
            op_name = path[len("/v1/") :]
            op = self.operations.get(op_name)
            if op is None:
                return 404, _error(404, "NOT_FOUND", "no such operation")
            op["reads"] += 1
            if not op["done"] and op["reads"] > self.reads_before_done:
                op["counters"] = self._perform(self.jobs[op["job"]])
                op["done"] = True
            status = "SUCCESS" if op["done"] else "IN_PROGRESS"
            answer: dict[str, Any] = {
                "name": op_name,
                "metadata": self._metadata(op_name, status, op.get("counters", {})),
                "done": op["done"],
            }
            if op["done"]:
                answer["response"] = {"@type": "type.googleapis.com/google.protobuf.Empty"}
            return 200, answer
        if method == "GET" and path.startswith("/v1/transferJobs/"):
            job = self.jobs.get(path[len("/v1/") :])
            return (200, job) if job else (404, _error(404, "NOT_FOUND", "no such job"))
        if method == "DELETE" and path.startswith("/v1/transferJobs/"):
            self.jobs.pop(path[len("/v1/") :], None)
            return 200, {}
        return 404, _error(404, "NOT_FOUND", f"{method} {path} is not part of the fake")

    def _metadata(self, name: str, status: str, counters: dict[str, str]) -> dict[str, Any]:
        return {"@type": OPERATION_TYPE, "name": name, "status": status, "counters": counters}

    def _perform(self, job: dict[str, Any]) -> dict[str, str]:
        """What STS would do: copy each object the manifest names, S3 → GCS sink."""
        spec = job["transferSpec"]
        source, sink = spec["awsS3DataSource"], spec["gcsDataSink"]
        manifest = spec["transferManifest"]["location"][len("gs://") :]
        bucket_name, _, manifest_name = manifest.partition("/")
        text = self.gcs.bucket(bucket_name).blob(manifest_name).download_as_bytes().decode()
        names = [row[0] for row in csv.reader(io.StringIO(text)) if row]
        copied = size = 0
        for name in names:
            data = self.s3.get_object(Bucket=source["bucketName"], Key=source["path"] + name)
            content = data["Body"].read()
            blob = self.gcs.bucket(sink["bucketName"]).blob(sink["path"] + name)
            blob.upload_from_string(content)
            copied += 1
            size += len(content)
            self.copied_keys.append(source["path"] + name)
        return {
            "objectsFoundFromSource": str(len(names)),
            "bytesFoundFromSource": str(size),
            "objectsCopiedToSink": str(copied),
            "bytesCopiedToSink": str(size),
        }


def _error(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "status": status, "message": message}}
