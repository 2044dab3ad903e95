"""Benchmark: a 5,000,000-row, 12-column RDS export (AWS's layout) loaded into DuckDB.

    .venv/bin/python -m bench.rds_load [--rows 5000000] [--dir DIR] [--reuse]

Prints rows/s and peak RSS of ``load_rds`` (run in a child process), and the ratio of its
time to DuckDB's bare ``CREATE TABLE t AS SELECT * FROM read_parquet([...])`` of the same
files (also a child process, same run). Target (issue 4): within 1.5×, peak RSS < 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.rds_export_writer import write_export

TASK = "bench-orders"


def _bare_child(folder: str, db: str) -> None:
    import duckdb

    files = sorted(str(p) for p in Path(folder).rglob("*.parquet"))
    con = duckdb.connect(db)
    t = time.monotonic()
    con.execute("CREATE TABLE t AS SELECT * FROM read_parquet(?)", [files])
    seconds = time.monotonic() - t
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]  # type: ignore[index]
    con.close()
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_rss_mib": rss_kib / 1024}))


def _load_child(folder: str, db: str) -> None:
    from aws2bq.runner.rds_load import RdsLoadRequest, load_rds

    t = time.monotonic()
    report = load_rds(RdsLoadRequest(export=folder, warehouse=f"duckdb:///{db}"))
    seconds = time.monotonic() - t
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert not report.failed, report.failed
    print(
        json.dumps({"seconds": seconds, "report": report.to_dict(), "peak_rss_mib": rss_kib / 1024})
    )


def _child(kind: str, folder: Path, db: Path) -> dict[str, object]:
    db.unlink(missing_ok=True)
    t = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "bench.rds_load", "--child", kind, str(folder), str(db)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.monotonic() - t
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true", help="reuse an export in --dir")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each (alternating); medians compared"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, folder, db = args.child
        (_bare_child if kind == "bare" else _load_child)(folder, db)
        return
    base = args.dir or Path(tempfile.mkdtemp(prefix="aws2bq-rds-bench-"))
    folder = base / "export" / TASK
    if not (args.reuse and (folder / f"export_info_{TASK}.json").exists()):
        t = time.monotonic()
        folder = write_export(base / "export", TASK, args.rows)
        print(f"generated {args.rows:,} rows in {time.monotonic() - t:.1f}s at {folder}")
    files = list(folder.rglob("*.parquet"))
    size = sum(p.stat().st_size for p in files)
    print(f"export: {len(files)} Parquet files, {size / 1e6:.1f} MB (gzip)")

    # The machine may be shared: alternate the two and compare medians.
    bares, loads = [], []
    for _ in range(max(1, args.repeat)):
        bares.append(_child("bare", folder, base / "bare.duckdb"))
        loads.append(_child("load", folder, base / "load.duckdb"))
    bare_times = sorted(float(str(b["seconds"])) for b in bares)
    load_times = sorted(float(str(x["seconds"])) for x in loads)
    bare_s, load_s = statistics.median(bare_times), statistics.median(load_times)
    report = loads[0]["report"]
    assert isinstance(report, dict)
    rows = int(report["rows"])
    bare_rss = max(float(str(b["peak_rss_mib"])) for b in bares)
    load_rss = max(float(str(x["peak_rss_mib"])) for x in loads)
    print(
        f"bare CTAS read_parquet: {bares[0]['rows']:,} rows, median {bare_s:.2f}s "
        f"(runs {', '.join(f'{t:.2f}' for t in bare_times)}), peak RSS {bare_rss:.0f} MiB"
    )
    print(
        f"aws2bq load rds: {rows:,} rows, median {load_s:.2f}s = {rows / load_s:,.0f} rows/s "
        f"(runs {', '.join(f'{t:.2f}' for t in load_times)}), peak RSS {load_rss:.0f} MiB"
    )
    print(f"ratio to the bare read (medians): {load_s / bare_s:.2f}× (target ≤ 1.5×)")
    print(f"best vs best: {load_times[0] / bare_times[0]:.2f}×")


if __name__ == "__main__":
    main()
