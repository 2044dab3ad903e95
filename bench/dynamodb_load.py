"""Benchmark: generate a realistic DynamoDB export, load it into DuckDB (replace mode).

    .venv/bin/python -m bench.dynamodb_load [--items 1000000] [--files 16] [--dir DIR] [--reuse]
        [--repeat 3] [--warehouse-params arrow=0]

Each run measures ``gzip -dc`` decompressing the same files (one after another, into
/dev/null) and then the load in a fresh child process (interpreter start to exit, into a new
DuckDB file); prints every run, the medians, the ratio load / gzip -dc, peak RSS of the load
process and the load average. Targets (issue 13): ratio ≤ 2× at 1M items, the ratio at 10M
within 10% of the ratio at 1M, peak RSS under 1 GiB. Generated data stays in --dir (default:
a new folder under /tmp).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench.export_writer import gzip_lines, write_export
from bench.measure import Runs, child, gunzip_seconds, peak_rss_mib

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india"]


# ruff: noqa: UP031 - %-formatting is the fastest way to build a million lines here


def _lines(seed: int, start: int, count: int) -> list[bytes]:
    rnd = random.Random(seed)
    out = []
    for i in range(start, start + count):
        w = rnd.choice(WORDS)
        item = (
            '{"Item":{"pk":{"S":"user#%d"},"sk":{"N":"%d"},"name":{"S":"%s %s"},'
            '"email":{"S":"%s%d@example.com"},"age":{"N":"%d"},"balance":{"N":"%d.%02d"},'
            '"score":{"N":"%d"},"tags":{"SS":["%s","%s-%d"]},'
            '"address":{"M":{"street":{"S":"%d %s St"},"zip":{"N":"%d"},'
            '"geo":{"M":{"lat":{"N":"%d.%06d"},"lon":{"N":"-%d.%06d"}}}}},'
            '"events":{"L":[{"S":"login"},{"N":"%d"},{"BOOL":%s}]}'
            % (
                i,
                i % 7,
                w.title(),
                rnd.choice(WORDS),
                w,
                i,
                rnd.randint(18, 90),
                rnd.randint(0, 100000),
                rnd.randint(0, 99),
                rnd.randint(-(10**12), 10**12),
                w,
                w,
                i % 10,
                rnd.randint(1, 9999),
                w.title(),
                rnd.randint(10000, 99999),
                rnd.randint(0, 89),
                rnd.randint(0, 999999),
                rnd.randint(0, 179),
                rnd.randint(0, 999999),
                rnd.randint(0, 10**9),
                rnd.choice(["true", "false"]),
            )
        )
        if i % 20 == 0:  # a sparse attribute
            item += f',"note":{{"S":"sparse note {i}"}}'
        out.append((item + "}}\n").encode())
    return out


def _file(args: tuple[int, int, int]) -> bytes:
    seed, start, count = args
    return gzip_lines(_lines(seed, start, count), level=6)


def generate(root: Path, items: int, files: int) -> Path:
    per = -(-items // files)
    jobs = [(n, n * per, min(per, items - n * per)) for n in range(files) if n * per < items]
    with ProcessPoolExecutor() as pool:
        blobs = list(pool.map(_file, jobs))
    counts = [c for _, _, c in jobs]
    return write_export(root, blobs, counts=counts, table="Users").folder


def _existing(root: Path, items: int, files: int) -> Path | None:
    """The export generated earlier with the same parameters, if any."""
    for summary in root.glob("*/AWSDynamoDB/*/manifest-summary.json"):
        folder = summary.parent
        manifest = json.loads(summary.read_text())
        if manifest["itemCount"] == items and len(list((folder / "data").glob("*.gz"))) == files:
            return folder
    return None


def _load_child(folder: str, db: str, params: str) -> None:
    from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb

    url = f"duckdb:///{db}" + (f"?{params}" if params else "")
    report = load_dynamodb(
        DynamoDBLoadRequest(export=folder, table="users", keys=("pk", "sk"), warehouse=url)
    )
    print(json.dumps({"report": report.to_dict(), "peak_rss_mib": peak_rss_mib()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument(
        "--reuse", action="store_true", help="reuse an export generated earlier in --dir"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs (gzip -dc, then the load)")
    parser.add_argument("--warehouse-params", default="", help="e.g. arrow=0 (URL query)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _load_child(*args.child)
        return
    base = args.dir or Path(tempfile.mkdtemp(prefix="aws2bq-bench-"))
    t = time.monotonic()
    folder = _existing(base / "export", args.items, args.files) if args.reuse else None
    if folder is None:
        folder = generate(base / "export", args.items, args.files)
        print(f"generated {args.items:,} items in {time.monotonic() - t:.1f}s at {folder}")
    else:
        print(f"reusing the {args.items:,}-item export at {folder}")
    data = sorted((folder / "data").glob("*.json.gz"))
    gz_bytes = sum(p.stat().st_size for p in data)
    print(f"{len(data)} files, {gz_bytes / 1e6:.1f} MB gzip")

    runs = Runs()
    db = base / "bench.duckdb"
    for _ in range(max(1, args.repeat)):
        baseline = gunzip_seconds(data)
        db.unlink(missing_ok=True)
        result = child("bench.dynamodb_load", str(folder), str(db), args.warehouse_params)
        report = result["report"]
        assert report["rows"] == args.items, report
        print(f"  load timings: {report['timings']}")
        runs.add(baseline, result)
    db.unlink(missing_ok=True)
    runs.report("load", args.items)


if __name__ == "__main__":
    main()
