"""Where a DynamoDB full load spends its CPU: each step of the Arrow stager and the apply.

    .venv/bin/python -m bench.dynamodb_breakdown [--items 1000000] [--files 16] [--dir DIR]
        [--reuse] [--native 0]

Generates (or reuses, with ``--reuse``) the export of :mod:`bench.dynamodb_load`, then

1. runs the stager's steps one after another on one thread over every data file, timing each
   step's CPU: reading (MD5 as the source layer checks it), gzip decompression, cutting
   whole lines, the JSON parse (the native scanner, pyarrow for the chunks it declines and
   the first ones; ``--native 0``: pyarrow only), flattening and profiling the attributes,
   spilling to Arrow IPC;
2. runs the real load (:func:`aws2bq.runner.dynamodb_load.load_dynamodb`) in this process
   and times every SQL statement's CPU (all DuckDB threads), the stager's total and the
   phases the loader reports.

CPU time, unlike wall time, does not depend on what else the (shared) machine runs: the
ratio to ``gzip -dc``'s CPU is the floor of the load's wall-time ratio on two idle cores
when both are busy throughout. Prints the load average beside the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
from isal import isal_zlib

from bench.dynamodb_load import _existing, generate
from bench.measure import gunzip_seconds, load_average, machine


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Clock:
    """CPU seconds per step (this process, all threads)."""

    def __init__(self) -> None:
        self.steps: dict[str, float] = defaultdict(float)

    def time(self, step: str, work: Any, *args: Any) -> Any:
        start = _cpu()
        result = work(*args)
        self.steps[step] += _cpu() - start
        return result


def _blocks(path: Path, clock: _Clock) -> Iterator[bytes]:
    """The decompressed blocks of one file, read and checked as the stager does."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as stream:
        raw = clock.time("read + MD5", lambda: _read_all(stream, digest))
    inflate = isal_zlib.decompressobj(wbits=31)
    pending = raw
    while pending:
        out = clock.time("gzip decompression (isal)", inflate.decompress, pending, 4 << 20)
        if out:
            yield out
        pending = inflate.unconsumed_tail
        if inflate.eof:
            pending = inflate.unused_data
            inflate = isal_zlib.decompressobj(wbits=31)


def _read_all(stream: Any, digest: Any) -> bytes:
    data = stream.read()
    digest.update(data)
    return bytes(data)


PARSE = "JSON parse"


def stager_steps(data: list[Path], scratch: Path, *, native: bool) -> dict[str, float]:
    from aws2bq.warehouses.duckdb import arrow_stage as stage

    clock = _Clock()
    learned = stage._Schema(native=native)
    lines = stage.ItemLines()
    for index, path in enumerate(data):
        result = stage._FileResult(segments=stage.Segments(scratch, index))
        assert result.segments is not None
        # Decompressed first (one file at a time): the cut is then timed on its own.
        chunks = stage._chunks(iter(list(_blocks(path, clock))))
        while True:
            chunk = clock.time("cut whole lines", next, chunks, None)
            if chunk is None:
                break
            buffer = pa.py_buffer(chunk)
            clock.time("UTF-8 check", stage._check_utf8, buffer)
            table = clock.time(PARSE, stage._parse_chunk, buffer, learned)
            result.rows += table.num_rows
            spilled = clock.time("flatten + profile", lines.spill, table, result)
            clock.time("spill (Arrow IPC)", result.segments.write, spilled)
        result.segments.close()
    return dict(clock.steps)


def load_steps(
    folder: Path, db: Path, *, native: bool
) -> tuple[dict[str, float], dict[str, float], float]:
    """(CPU per statement kind and the stager, wall timings the loader reports, total CPU)."""
    from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb
    from aws2bq.warehouses.duckdb import arrow_stage, client

    clock = _Clock()
    run = client.DuckDBWarehouse._run
    stage = arrow_stage.stage

    def timed_run(self: Any, statement: Any, *, fetch: bool = False) -> Any:
        sql = statement.sql(dialect="duckdb")
        kind = (
            "apply: typed CREATE TABLE AS"
            if sql.startswith("CREATE TABLE") and "STRUCT_EXTRACT_AT" in sql
            else "key check (NULL / duplicate keys)"
            if "_aws2bq_key_count" in sql
            else "other SQL (ledger, metadata)"
        )
        return clock.time(kind, lambda: run(self, statement, fetch=fetch))

    def timed_stage(*args: Any, **kwargs: Any) -> Any:
        return clock.time("stager (2 workers)", lambda: stage(*args, **kwargs))

    client.DuckDBWarehouse._run = timed_run  # type: ignore[method-assign]
    arrow_stage.stage = timed_stage
    try:
        start = _cpu()
        report = load_dynamodb(
            DynamoDBLoadRequest(
                export=str(folder),
                table="users",
                keys=("pk", "sk"),
                warehouse=f"duckdb:///{db}" + ("" if native else "?native=0"),
            )
        )
        total = _cpu() - start
    finally:
        client.DuckDBWarehouse._run = run  # type: ignore[method-assign]
        arrow_stage.stage = stage
    return dict(clock.steps), report.timings, total


def _table(title: str, steps: dict[str, float], gzip_cpu: float) -> None:
    print(title)
    for step, seconds in sorted(steps.items(), key=lambda s: -s[1]):
        print(f"  {step:38s} {seconds:6.2f}s CPU  {seconds / gzip_cpu:5.2f}× gzip -dc's CPU")
    total = sum(steps.values())
    print(f"  {'total':38s} {total:6.2f}s CPU  {total / gzip_cpu:5.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument(
        "--native", type=int, default=1, help="0: pyarrow parses every chunk (?native=0)"
    )
    args = parser.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="aws2bq-bench-"))
    folder = _existing(base / "export", args.items, args.files) if args.reuse else None
    if folder is None:
        folder = generate(base / "export", args.items, args.files)
    data = sorted((folder / "data").glob("*.json.gz"))
    print(f"machine: {machine()}; load average {load_average()}")
    baseline = gunzip_seconds(data)
    print(f"gzip -dc: {baseline.cpu:.2f}s CPU ({baseline.null:.2f}s wall to /dev/null)")
    with tempfile.TemporaryDirectory(dir=base) as scratch:
        _table(
            "stager steps, one thread, every file:",
            stager_steps(data, Path(scratch), native=bool(args.native)),
            baseline.cpu,
        )
    db = base / "breakdown.duckdb"
    db.unlink(missing_ok=True)
    start = time.monotonic()
    steps, timings, total = load_steps(folder, db, native=bool(args.native))
    wall = time.monotonic() - start
    db.unlink(missing_ok=True)
    steps["rest (Python, imports done)"] = total - sum(steps.values())
    _table("the load, in this process:", steps, baseline.cpu)
    print(f"  wall {wall:.2f}s; loader timings {timings}; load average {load_average()}")


if __name__ == "__main__":
    main()
