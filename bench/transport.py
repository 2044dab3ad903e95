"""Benchmark: the runner's peak RSS and wall time moving an export, direct vs gcs copy.

    .venv/bin/python -m bench.transport [--sizes 0.5,1,2] [--file-mb 64] [--dir DIR] [--reuse]

For each size (GB of export files, as the manifest counts them) a DynamoDB export of gzip
JSON lines is generated under DIR (default /tmp/aws2bq-bench-transport; never in git), then
moved twice, each time in a fresh child process that reports its own peak RSS (VmHWM):

- ``direct``: the BigQuery stager streams every file, decompressed, into load-job uploads
  (what ``transport = "direct"`` does);
- ``gcs``: the runner's own S3 → GCS copy (``transport = "gcs"``, ``copier = "runner"``):
  each file streamed into a resumable upload of ``upload_chunk`` bytes at a time, verified.

Both talk to :mod:`bench.null_sink`, which speaks the Cloud Storage and BigQuery upload
protocols and discards the bytes, so what is measured is the runner. The export is read from
a local folder (the same streaming, MD5-verifying reader as S3, without moto's own cost).
Printed per size and mode: seconds, MB/s, peak RSS; then the gcs/direct ratios and how peak
RSS grows with the export (flat: the largest over the smallest stays near 1).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

from bench.export_writer import write_export

DEFAULT_DIR = Path(tempfile.gettempdir()) / "aws2bq-bench-transport"
CHUNK = 8 << 20


def _file_bytes(seed: int, target: int) -> tuple[bytes, int]:
    """A gzip member of about ``target`` bytes of item lines (random payload, ~0.77 ratio)."""
    comp = zlib.compressobj(1, zlib.DEFLATED, 31)
    parts: list[bytes] = []
    size = rows = 0
    rnd = os.urandom
    while size < target:
        batch = []
        for _ in range(1000):
            payload = base64.b64encode(rnd(600)).decode()
            batch.append(
                f'{{"Item":{{"pk":{{"S":"k{seed}-{rows}"}},"n":{{"N":"{rows}"}},'
                f'"blob":{{"S":"{payload}"}}}}}}\n'.encode()
            )
            rows += 1
        out = comp.compress(b"".join(batch))
        parts.append(out)
        size += len(out)
    parts.append(comp.flush())
    return b"".join(parts), rows


def generate(folder: Path, gigabytes: float, file_mb: int) -> Path:
    """The export of ``gigabytes`` GB under ``folder`` (made once; ``.done`` marks it)."""
    done = folder / ".done"
    if done.exists():
        return Path(done.read_text())
    total = int(gigabytes * 10**9)
    per_file = file_mb * 10**6
    count = max(1, round(total / per_file))
    counts: list[int] = []

    def files() -> Iterator[bytes]:
        for n in range(count):
            blob, rows = _file_bytes(n, per_file)
            counts.append(rows)
            yield blob

    # One file in memory at a time: write_export iterates the files once.
    export_id = f"0170000000000-bench{count:04d}"
    written = write_export(folder, _lazy(files()), export_id=export_id, counts=counts)
    done.write_text(str(written.folder))
    return written.folder


class _lazy(list):  # type: ignore[type-arg]
    """A list write_export can iterate once, producing each file only when reached."""

    def __init__(self, items: Iterator[bytes]) -> None:
        super().__init__()
        self._items = items

    def __iter__(self) -> Iterator[bytes]:  # type: ignore[override]
        return self._items


# -- the measured child -----------------------------------------------------------------------
def child(mode: str, export: str, endpoint: str, chunk: int) -> None:
    from aws2bq.core.progress import NullProgress
    from aws2bq.core.transport import Route, TransportSpec
    from aws2bq.sources.dynamodb.export import read_export
    from aws2bq.warehouses import connect
    from aws2bq.warehouses.bigquery.client import BigQueryWarehouse

    found = read_export(export)
    wh = connect(f"bigquery://bench/ds?endpoint={endpoint}")
    assert isinstance(wh, BigQueryWarehouse)
    started = time.monotonic()
    if mode == "direct":
        staged = wh.stage_dynamodb_export(found.files, stream="bench", progress=NullProgress())
        moved = staged.bytes
    else:
        spec = TransportSpec(
            mode="gcs",
            staging_bucket="bench",
            copier="runner",
            gcs_endpoint=endpoint,
            upload_chunk=chunk,
        )
        landing = wh.open_landing(
            spec,
            Route.COPY,
            stream="bench",
            export_id=found.export_id,
            location=found.location,
            files=found.files,
        )
        landing.land(NullProgress())
        moved = landing.report.bytes_moved
    print(json.dumps({"seconds": time.monotonic() - started, "bytes": moved, "hwm_kb": _hwm()}))


def _hwm() -> int:
    """This process's peak resident set (VmHWM, kB) since its exec. Not ru_maxrss: Linux
    carries that over exec from the forked parent, whose memory is not the runner's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise SystemExit("no VmHWM in /proc/self/status (Linux only)")


def measure(mode: str, export: Path, endpoint: str, chunk: int) -> dict[str, float]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.transport", "--child", mode, str(export), endpoint,
         "--chunk", str(chunk)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    assert proc.stdout is not None
    out = proc.stdout.read()
    if proc.wait() != 0:
        raise SystemExit(f"{mode} child failed ({proc.returncode})")
    result = json.loads(out)
    result["peak_rss_mb"] = result.pop("hwm_kb") / 1024
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0.5,1,2", help="GB of export files, comma-separated")
    parser.add_argument("--file-mb", type=int, default=64, help="MB per data file")
    parser.add_argument("--chunk", type=int, default=CHUNK, help="gcs upload chunk, bytes")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "EXPORT", "ENDPOINT"))
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child, chunk=args.chunk)
        return 0
    sizes = [float(s) for s in args.sizes.split(",")]
    ready = args.dir / "sink.url"
    args.dir.mkdir(parents=True, exist_ok=True)
    ready.unlink(missing_ok=True)
    sink = subprocess.Popen(
        [sys.executable, "-m", "bench.null_sink", "--ready-file", str(ready)],
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() or not ready.read_text():
            if time.monotonic() > deadline or sink.poll() is not None:
                raise SystemExit("the null sink did not start")
            time.sleep(0.1)
        endpoint = ready.read_text()
        rows: dict[float, dict[str, dict[str, float]]] = {}
        for size in sizes:
            t = time.monotonic()
            export = generate(args.dir / f"{size:g}GB-{args.file_mb}MB", size, args.file_mb)
            print(f"export {size:g} GB ready in {time.monotonic() - t:.0f}s: {export}", flush=True)
            rows[size] = {}
            for mode in ("direct", "gcs"):
                r = measure(mode, export, endpoint, args.chunk)
                rows[size][mode] = r
                print(
                    f"  {mode:6s} {r['seconds']:7.1f} s  {r['bytes'] / r['seconds'] / 1e6:7.1f} "
                    f"MB/s  peak RSS {r['peak_rss_mb']:7.1f} MB",
                    flush=True,
                )
            d, g = rows[size]["direct"], rows[size]["gcs"]
            print(
                f"  gcs/direct: time {g['seconds'] / d['seconds']:.2f}x, "
                f"peak RSS {g['peak_rss_mb'] / d['peak_rss_mb']:.2f}x",
                flush=True,
            )
        small, large = min(sizes), max(sizes)
        if small != large:
            for mode in ("direct", "gcs"):
                growth = rows[large][mode]["peak_rss_mb"] / rows[small][mode]["peak_rss_mb"]
                print(
                    f"{mode}: peak RSS at {large:g} GB / at {small:g} GB = {growth:.2f} "
                    f"(export {large / small:g}x larger)"
                )
    finally:
        sink.terminate()
        sink.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
