"""Benchmark: applying a second RDS snapshot (1% changed) in merge / history mode vs replace.

    .venv/bin/python -m bench.merge_apply [--rows 2000000] [--dir DIR] [--reuse] [--repeat 3]

Two exports of a 12-column table (AWS's layout, :mod:`bench.rds_export_writer`): export 2
is export 1 with 1% of the rows changed — 0.5% updated (price, status, updated_at), 0.25%
deleted, 0.25% new. Export 1 is loaded once per mode into a DuckDB file; each measured run
copies that file and loads export 2 into the copy with ``load_rds`` in a child process
(replace, merge, history, alternating). Prints medians of the runs, rows/s (rows of
export 2), peak RSS and the ratios merge/replace (target ≤ 1.5×) and history/replace
(target ≤ 2×), plus a check that each mode's result matches export 2.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench.rds_export_writer import DB, TABLE, write_export

TASK_1, TASK_2 = "bench-merge-1", "bench-merge-2"
TARGET = f"{DB}.{TABLE}"
MODES = ("replace", "merge", "history")
#: Of every 400 ids: 2 updated, 1 deleted (0.75%); plus rows // 400 new ids (0.25%).
UPDATED = (7, 207)
DELETED = 13


def _change_file(path: Path, new_ids: range | None) -> None:
    """Rewrite one Parquet file of export 2: updates and deletes, and maybe the new rows."""
    table = pq.read_table(path)
    ids = table.column("id").to_numpy()
    keep = ids % 400 != DELETED
    updated = np.isin(ids % 400, UPDATED)
    old_price = table.column("price").to_numpy()
    price = np.where(updated, old_price + 1.0, old_price)
    status = pc.if_else(pa.array(updated), "returned", table.column("status"))
    micros = table.column("updated_at").cast(pa.int64()).to_numpy()
    stamp = np.where(updated, micros + 86_400_000_000, micros)
    changed = (
        table.set_column(table.schema.get_field_index("price"), "price", pa.array(price))
        .set_column(table.schema.get_field_index("status"), "status", status)
        .set_column(
            table.schema.get_field_index("updated_at"),
            "updated_at",
            pa.array(stamp, type=pa.timestamp("us", tz="UTC")),
        )
        .filter(pa.array(keep))
    )
    if new_ids is not None:
        from bench.rds_export_writer import _batch

        fresh = _batch(new_ids.start, len(new_ids)).cast(changed.schema)
        changed = pa.concat_tables([changed, fresh])
    pq.write_table(changed, path, compression="gzip", store_decimal_as_integer=True)


def write_exports(base: Path, rows: int) -> tuple[Path, Path, int]:
    """Export 1 and export 2 (1% changed) under ``base``; returns both and export 2's rows."""
    first = write_export(base / "export", TASK_1, rows)
    second = write_export(base / "export", TASK_2, rows)
    files = sorted(second.rglob("*.parquet"))
    inserts = rows // 400
    for n, path in enumerate(files):
        _change_file(path, range(rows + 1, rows + 1 + inserts) if n == len(files) - 1 else None)
    info = second / f"export_info_{TASK_2}.json"
    meta = json.loads(info.read_text())
    meta["snapshotTime"] = "2024-06-02T00:00:00.000Z"
    info.write_text(json.dumps(meta))
    deletes = sum(1 for i in range(1, rows + 1) if i % 400 == DELETED)
    return first, second, rows - deletes + inserts


def _load_child(folder: str, db: str, mode: str) -> None:
    from aws2bq.core.apply import Mode
    from aws2bq.runner.rds_load import RdsLoadRequest, load_rds

    request = RdsLoadRequest(
        export=folder, warehouse=f"duckdb:///{db}", mode=Mode(mode), keys={TARGET: ("id",)}
    )
    t = time.monotonic()
    report = load_rds(request)
    seconds = time.monotonic() - t
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert not report.failed, report.failed
    print(json.dumps({"seconds": seconds, "peak_rss_mib": rss_kib / 1024}))


def _child(folder: Path, db: Path, mode: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.merge_apply", "--child", str(folder), str(db), mode],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _check(db: Path, mode: str, expected_rows: int) -> tuple[int, str]:
    """A fingerprint of the current rows' data columns after export 2, and a summary."""
    import duckdb
    import sqlglot.expressions as exp

    from bench.rds_export_writer import COLUMNS

    def col(name: str) -> exp.Column:
        return exp.column(exp.to_identifier(name, quoted=True))

    table = exp.table_(f"{DB}__{TABLE}", quoted=True)
    row_hash = exp.Anonymous(this="HASH", expressions=[col(name) for name, *_ in COLUMNS])
    fingerprint = exp.Sum(this=exp.Cast(this=row_hash, to=exp.DataType.build("HUGEINT")))
    live = exp.select(exp.Count(this=exp.Star()), fingerprint).from_(table)
    if mode == "history":
        live = live.where(exp.and_(col("_is_current"), exp.Not(this=col("_is_deleted"))))
    total = exp.select(exp.Count(this=exp.Star())).from_(table.copy())
    con = duckdb.connect(str(db), read_only=True)
    try:
        count, value = con.execute(live.sql("duckdb")).fetchone()  # type: ignore[misc]
        (rows,) = con.execute(total.sql("duckdb")).fetchone()  # type: ignore[misc]
    finally:
        con.close()
    assert count == expected_rows, (mode, count, expected_rows)
    return int(value), f"{count:,} current rows (table {rows:,})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true", help="reuse the exports in --dir")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each mode (alternating)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _load_child(*args.child)
        return
    base = args.dir or Path(tempfile.mkdtemp(prefix="aws2bq-merge-bench-"))
    first, second = base / "export" / TASK_1, base / "export" / TASK_2
    expected_file = base / "expected_rows"
    if args.reuse and expected_file.exists():
        expected = int(expected_file.read_text())
    else:
        t = time.monotonic()
        first, second, expected = write_exports(base, args.rows)
        expected_file.write_text(str(expected))
        print(f"generated 2 exports of {args.rows:,} rows in {time.monotonic() - t:.1f}s")
    changed = args.rows // 400 * 2 + args.rows // 400 + args.rows // 400
    print(f"export 2: {expected:,} rows, ~{changed:,} changed (updates, deletes, inserts)")

    # One warehouse state per mode: export 1 loaded in that mode.
    seeds: dict[str, Path] = {}
    for mode in MODES:
        seeds[mode] = base / f"seed-{mode}.duckdb"
        if not (args.reuse and seeds[mode].exists()):
            seeds[mode].unlink(missing_ok=True)
            _child(first, seeds[mode], mode)

    # The machine may be shared: alternate the modes, compare medians.
    runs: dict[str, list[dict[str, float]]] = {m: [] for m in MODES}
    checks: dict[str, tuple[int, str]] = {}
    for _ in range(max(1, args.repeat)):
        for mode in MODES:
            db = base / f"run-{mode}.duckdb"
            db.unlink(missing_ok=True)
            shutil.copyfile(seeds[mode], db)
            runs[mode].append(_child(second, db, mode))
            checks[mode] = _check(db, mode, expected)
            db.unlink()
    medians = {m: statistics.median(r["seconds"] for r in runs[m]) for m in MODES}
    for mode in MODES:
        times = ", ".join(f"{r['seconds']:.2f}" for r in runs[mode])
        rss = max(r["peak_rss_mib"] for r in runs[mode])
        print(
            f"{mode:8s} median {medians[mode]:.2f}s = {expected / medians[mode]:,.0f} rows/s "
            f"(runs {times}), peak RSS {rss:.0f} MiB; {checks[mode][1]}"
        )
    # Every mode's current rows must be export 2's rows, exactly as the replace left them.
    assert len({fingerprint for fingerprint, _ in checks.values()}) == 1, checks
    print("current rows identical across modes (data-column fingerprint)")
    print(f"merge/replace   {medians['merge'] / medians['replace']:.2f}× (target ≤ 1.5×)")
    print(f"history/replace {medians['history'] / medians['replace']:.2f}× (target ≤ 2×)")


if __name__ == "__main__":
    main()
