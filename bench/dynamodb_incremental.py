"""Benchmark: an incremental DynamoDB export of 1M change records merged into a 5M-row table.

    .venv/bin/python -m bench.dynamodb_incremental [--items 5000000] [--changes 1000000]
        [--files 16] [--dir DIR] [--reuse] [--repeat 3] [--warehouse-params arrow=0]

A full export of ``--items`` items (the item shape of :mod:`bench.dynamodb_load`, key
``pk``+``sk``) is loaded once in merge mode into a seed DuckDB file. The incremental export
(NEW_AND_OLD_IMAGES, one hour after the full export) holds ``--changes`` records over
``--changes / 2`` keys, two records per key written at different times and in different
files: 80% of the keys exist (updates, deletes), 20% are new (inserts, some deleted again);
a first record is an upsert 90% of the time, a second one 75%. Each run copies the seed,
measures ``gzip -dc`` of the incremental export's files and then the merge in a fresh child
process, and checks the table's row count against the count the records imply.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.dynamodb_load import _lines, generate
from bench.export_writer import gzip_lines, write_export
from bench.measure import Runs, child, gunzip_seconds, peak_rss_mib

FULL_TIME = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
WINDOW = timedelta(hours=1)
INCREMENTAL_ID = "01700000003600-00000001"


def _slot_key(slot: int, keys: int, items: int) -> int:
    """The item index of a key slot: 80% existing items (spread), 20% new ones."""
    existing = keys * 4 // 5
    if slot < existing:
        return (slot * 7919) % items  # 7919 is prime: distinct indices while keys < items
    return items + slot - existing


def _upsert(slot: int, second: bool) -> bool:
    return random.Random(slot * 2 + second).random() < (0.75 if second else 0.9)


def _records(args: tuple[int, int, int, int, int]) -> bytes:
    """The gzip file ``f`` of ``files``: records r ≡ f (mod files)."""
    f, files, changes, keys, items = args
    start = int(FULL_TIME.timestamp() * 1_000_000)
    step = int(WINDOW.total_seconds() * 1_000_000) // (changes + 1)
    out = []
    for r in range(f, changes, files):
        slot, second = r % keys, r >= keys
        index = _slot_key(slot, keys, items)
        item = _lines(r, index, 1)[0][len(b'{"Item":') : -2]  # the item's attributes object
        keys_json = b'{"pk":{"S":"user#%d"},"sk":{"N":"%d"}}' % (index, index % 7)
        meta = b'{"Metadata":{"WriteTimestampMicros":{"N":"%d"}},"Keys":' % (start + (r + 1) * step)
        old = b',"OldImage":' + _lines(r + 1, index, 1)[0][len(b'{"Item":') : -2]
        if _upsert(slot, second):
            out.append(meta + keys_json + b',"NewImage":' + item + old + b"}\n")
        else:
            out.append(meta + keys_json + old + b"}\n")
    return gzip_lines(out, level=6)


def expected_rows(items: int, changes: int) -> int:
    """Rows after the merge: the last record of each key decides."""
    keys = changes // 2
    rows = items
    existing = keys * 4 // 5
    for slot in range(keys):
        last_upsert = _upsert(slot, True) if slot + keys < changes else _upsert(slot, False)
        if slot < existing and not last_upsert:
            rows -= 1
        elif slot >= existing and last_upsert:
            rows += 1
    return rows


def generate_incremental(root: Path, items: int, changes: int, files: int) -> Path:
    keys = changes // 2
    jobs = [(f, files, changes, keys, items) for f in range(files)]
    with ProcessPoolExecutor() as pool:
        blobs = list(pool.map(_records, jobs))
    counts = [len(range(f, changes, files)) for f in range(files)]
    return write_export(
        root,
        blobs,
        counts=counts,
        table="Users",
        export_id=INCREMENTAL_ID,
        export_time=FULL_TIME + WINDOW,
        incremental_from=FULL_TIME,
    ).folder


def _load_child(folder: str, db: str, params: str) -> None:
    from aws2bq.core.apply import Mode
    from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb

    url = f"duckdb:///{db}" + (f"?{params}" if params else "")
    request = DynamoDBLoadRequest(
        export=folder, table="users", keys=("pk", "sk"), warehouse=url, mode=Mode.MERGE
    )
    report = load_dynamodb(request)
    print(json.dumps({"report": report.to_dict(), "peak_rss_mib": peak_rss_mib()}))


def _count(db: Path) -> int:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute('SELECT count(*) FROM "users"').fetchone()
        assert row is not None
        return int(row[0])
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=5_000_000)
    parser.add_argument("--changes", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true", help="reuse the exports and seed in --dir")
    parser.add_argument("--repeat", type=int, default=3, help="runs (gzip -dc, then the merge)")
    parser.add_argument("--warehouse-params", default="", help="e.g. arrow=0 (URL query)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _load_child(*args.child)
        return
    base = args.dir or Path(tempfile.mkdtemp(prefix="aws2bq-incr-bench-"))
    root = base / "export"
    seed = base / "seed.duckdb"
    full = root / "exports" / "AWSDynamoDB" / "01700000000000-abcdef01"
    incremental = root / "exports" / "AWSDynamoDB" / INCREMENTAL_ID
    if not (args.reuse and seed.exists() and incremental.exists()):
        shutil.rmtree(root, ignore_errors=True)
        seed.unlink(missing_ok=True)
        t = time.monotonic()
        full = generate(root, args.items, args.files)
        incremental = generate_incremental(root, args.items, args.changes, args.files)
        print(
            f"generated {args.items:,} items and {args.changes:,} records in "
            f"{time.monotonic() - t:.1f}s under {root}"
        )
        t = time.monotonic()
        result = child("bench.dynamodb_incremental", str(full), str(seed), args.warehouse_params)
        print(f"seed: the full export loaded (merge) in {time.monotonic() - t:.1f}s")
        assert result["report"]["rows"] == args.items, result
    expected = expected_rows(args.items, args.changes)
    data = [
        root / "exports" / "AWSDynamoDB" / "data" / Path(json.loads(line)["dataFileS3Key"]).name
        for line in (incremental / "manifest-files.json").read_text().splitlines()
    ]
    gz_bytes = sum(p.stat().st_size for p in data)
    print(
        f"incremental export: {len(data)} files, {gz_bytes / 1e6:.1f} MB gzip, "
        f"{args.changes:,} records; the table goes from {args.items:,} to {expected:,} rows"
    )

    runs = Runs()
    db = base / "run.duckdb"
    for _ in range(max(1, args.repeat)):
        db.unlink(missing_ok=True)
        shutil.copyfile(seed, db)
        baseline = gunzip_seconds(data)
        result = child(
            "bench.dynamodb_incremental", str(incremental), str(db), args.warehouse_params
        )
        report = result["report"]
        print(f"  merge: {report['rows']:,} changes kept; timings {report['timings']}")
        assert _count(db) == expected, (_count(db), expected)
        runs.add(baseline, result)
    db.unlink(missing_ok=True)
    runs.report("incremental merge", args.changes)


if __name__ == "__main__":
    main()
