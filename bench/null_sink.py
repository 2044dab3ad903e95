"""A discarding stand-in for the Cloud Storage and BigQuery APIs, for the transport benchmark.

It answers the calls the runner makes when it moves an export — Cloud Storage: bucket get /
patch, object list / delete / download, resumable and multipart uploads; BigQuery: dataset,
table and routine calls, resumable load-job uploads, jobs.get — in the shapes of the REST
references, counting and hashing what it receives and keeping nothing but object metadata
(small objects, the landing records, in full). So the benchmark measures the runner, not an
emulator: gcp-storage-emulator rewrites the whole object on every chunk of a resumable upload
and bqemulator parses every row into DuckDB, and either would dominate the numbers.

    python -m bench.null_sink --port 0 --ready-file F     # prints its URL into F
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import threading
import uuid
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)|bytes \*/(\d+)")


class Sink:
    """What the fake remembers: objects' metadata (and small bodies), upload sessions, jobs."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        self.bodies: dict[tuple[str, str], bytes] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.received = 0

    def store(self, bucket: str, name: str, size: int, md5: Any, body: bytes | None) -> Any:
        meta = {
            "kind": "storage#object",
            "bucket": bucket,
            "name": name,
            "size": str(size),
            "md5Hash": base64.b64encode(md5.digest()).decode(),
            "generation": str(uuid.uuid4().int % 10**15),
            "metageneration": "1",
            "contentType": "application/octet-stream",
        }
        with self.lock:
            self.objects[(bucket, name)] = meta
            if body is not None and size <= 1 << 20:
                self.bodies[(bucket, name)] = body
        return meta


def _job(project: str, job_id: str, rows: int, config: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "bigquery#job",
        "id": f"{project}:{job_id}",
        "jobReference": {"projectId": project, "jobId": job_id, "location": "US"},
        "configuration": config,
        "status": {"state": "DONE"},
        "statistics": {"load": {"outputRows": str(rows)}, "creationTime": "0"},
    }


def make_handler(sink: Sink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            return

        def _send(self, status: int, payload: Any = None, headers: dict[str, str] | None = None):
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _read(self, sink_to: Any = None) -> tuple[int, bytes | None]:
            """Read the body in 1 MiB pieces: feed ``sink_to(piece)`` or return it."""
            length = int(self.headers.get("Content-Length") or 0)
            kept: list[bytes] = []
            left = length
            while left:
                piece = self.rfile.read(min(left, 1 << 20))
                if not piece:
                    break
                left -= len(piece)
                if sink_to is not None:
                    sink_to(piece)
                else:
                    kept.append(piece)
            with sink.lock:
                sink.received += length
            return length, (None if sink_to is not None else b"".join(kept))

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PUT(self) -> None:
            self._route("PUT")

        def do_PATCH(self) -> None:
            self._route("PATCH")

        def do_DELETE(self) -> None:
            self._route("DELETE")

        def _route(self, method: str) -> None:
            url = urlsplit(self.path)
            path, query = unquote(url.path), parse_qs(url.query)
            if "upload_id" in query:
                return self._upload_chunk(query["upload_id"][0])
            m = re.fullmatch(r"/upload/storage/v1/b/([^/]+)/o", path)
            if m and method == "POST":
                return self._gcs_upload_start(m.group(1), query)
            m = re.fullmatch(r"/upload/bigquery/v2/projects/([^/]+)/jobs", path)
            if m and method == "POST":
                return self._bq_upload_start(m.group(1))
            m = re.fullmatch(r"/storage/v1/b/([^/]+)", path)
            if m:
                body = self._read()[1] if method == "PATCH" else None
                extra = json.loads(body) if body else {}
                return self._send(200, {"kind": "storage#bucket", "name": m.group(1), **extra})
            m = re.fullmatch(r"/storage/v1/b/([^/]+)/o", path)
            if m and method == "GET":
                prefix = query.get("prefix", [""])[0]
                with sink.lock:
                    items = [
                        meta
                        for (b, n), meta in sink.objects.items()
                        if b == m.group(1) and n.startswith(prefix)
                    ]
                return self._send(200, {"kind": "storage#objects", "items": items})
            m = re.fullmatch(r"/(?:download/)?storage/v1/b/([^/]+)/o/(.+)", path)
            if m:
                key = (m.group(1), m.group(2))
                with sink.lock:
                    meta = sink.objects.get(key)
                    body = sink.bodies.get(key)
                    if method == "DELETE" and meta is not None:
                        del sink.objects[key]
                        sink.bodies.pop(key, None)
                if meta is None:
                    return self._send(404, {"error": {"code": 404, "message": "No such object"}})
                if method == "DELETE":
                    return self._send(204)
                if query.get("alt") == ["media"]:
                    data = body or b""
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return None
                return self._send(200, meta)
            m = re.fullmatch(r"/bigquery/v2/projects/([^/]+)/jobs/([^/]+)", path)
            if m and method == "GET":
                job = sink.jobs.get(m.group(2))
                return self._send(200, job) if job else self._send(404, {"error": {"code": 404}})
            if path.startswith("/bigquery/v2/"):  # datasets, tables, routines: echo or 404/204
                if method == "DELETE":
                    return self._send(204)
                body = self._read()[1] if method in ("POST", "PATCH", "PUT") else None
                payload = json.loads(body) if body else {}
                if method == "GET" and "/tables/" in path:
                    payload = {"schema": {"fields": []}, "creationTime": "0"}
                return self._send(200, payload)
            return self._send(404, {"error": {"code": 404, "message": f"{method} {path}"}})

        # -- uploads --------------------------------------------------------------------------
        def _gcs_upload_start(self, bucket: str, query: dict[str, list[str]]) -> None:
            kind = query.get("uploadType", ["media"])[0]
            _, body = self._read()
            if kind == "multipart":
                message = BytesParser(policy=HTTP).parsebytes(
                    b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body
                )
                parts = [p.get_payload(decode=True) for p in message.iter_parts()]
                meta, content = json.loads(parts[0]), parts[1]
                md5 = hashlib.md5(content)
                return self._send(200, sink.store(bucket, meta["name"], len(content), md5, content))
            meta = json.loads(body) if body else {}
            name = meta.get("name") or query.get("name", [""])[0]
            upload = uuid.uuid4().hex
            sink.sessions[upload] = {
                "kind": "gcs", "bucket": bucket, "name": name, "md5": hashlib.md5(),
                "size": 0, "small": bytearray(),
            }  # fmt: skip
            location = f"http://{self.headers['Host']}{self.path}&upload_id={upload}"
            return self._send(200, {}, {"Location": location})

        def _bq_upload_start(self, project: str) -> None:
            _, body = self._read()
            job = json.loads(body) if body else {}
            job_id = job.get("jobReference", {}).get("jobId") or uuid.uuid4().hex
            upload = uuid.uuid4().hex
            sink.sessions[upload] = {
                "kind": "bq", "project": project, "job_id": job_id, "size": 0, "lines": 0,
                "config": job.get("configuration", {}),
            }  # fmt: skip
            location = f"http://{self.headers['Host']}/upload/bigquery/v2/projects/{project}/jobs?uploadType=resumable&upload_id={upload}"
            return self._send(200, {}, {"Location": location})

        def _upload_chunk(self, upload: str) -> None:
            session = sink.sessions[upload]

            def take(piece: bytes) -> None:
                session["size"] += len(piece)
                if session["kind"] == "gcs":
                    session["md5"].update(piece)
                    if len(session["small"]) < (1 << 20):
                        session["small"] += piece
                else:
                    session["lines"] += piece.count(b"\n")

            self._read(take)
            found = _RANGE.fullmatch(self.headers.get("Content-Range", "").strip())
            total = None
            if found:
                total_text = found.group(3) or found.group(4)
                total = None if total_text in (None, "*") else int(total_text)
            if total is None or session["size"] < total:
                last = session["size"] - 1
                headers = {"Range": f"bytes=0-{last}"} if last >= 0 else {}
                return self._send(308, None, headers)
            del sink.sessions[upload]
            if session["kind"] == "gcs":
                body = bytes(session["small"]) if session["size"] <= (1 << 20) else None
                meta = sink.store(
                    session["bucket"], session["name"], session["size"], session["md5"], body
                )
                return self._send(200, meta)
            job = _job(session["project"], session["job_id"], session["lines"], session["config"])
            sink.jobs[session["job_id"]] = job
            return self._send(200, job)

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ready-file", type=Path, required=True)
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(Sink()))
    args.ready_file.write_text(f"http://127.0.0.1:{server.server_address[1]}")
    server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
