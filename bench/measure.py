"""What the DynamoDB benchmarks share: the baseline, child runs with their peak RSS, the machine.

The baseline is ``gzip -dc`` decompressing the same data files one after another (one core),
measured in the same run as the load, two ways: into a pipe read by this process (how the
issues' figures were measured: ``subprocess.run(..., capture_output=True)``) and into
``/dev/null`` (decompression alone, the stricter baseline). The machine may be shared: runs
alternate baseline and load, and medians are reported with the load average and CPU times.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Baseline:
    """Seconds ``gzip -dc`` takes for every file, one after another."""

    pipe: float  # wall, into a pipe read by this process
    null: float  # wall, into /dev/null
    cpu: float  # gzip's CPU (user + system) for the /dev/null run


def gunzip_seconds(paths: Sequence[Path]) -> Baseline:
    t = time.monotonic()
    for p in paths:
        subprocess.run(["gzip", "-dc", str(p)], check=True, capture_output=True)
    pipe = time.monotonic() - t
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    for p in paths:
        subprocess.run(["gzip", "-dc", str(p)], check=True, stdout=subprocess.DEVNULL)
    null = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Baseline(pipe, null, _cpu(after) - _cpu(before))


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def child(module: str, *args: str) -> dict[str, Any]:
    """Run ``python -m module --child args…``; its last stdout line is a JSON result, to which
    the child's wall time (``elapsed``: interpreter start to exit) and CPU time (``cpu``: user
    + system, all its threads) are added."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", module, "--child", *args],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": _pythonpath()},
    )
    elapsed = time.monotonic() - t
    if out.returncode:
        raise SystemExit(f"{module} child failed:\n{out.stdout}\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["elapsed"] = elapsed
    result["cpu"] = _cpu(resource.getrusage(resource.RUSAGE_CHILDREN)) - _cpu(before)
    return result


def _pythonpath() -> str:
    """The repository root (for ``bench``), after ``AWS2BQ_BENCH_SRC`` if set: another
    checkout's ``src`` folder, to measure that version of aws2bq with the same harness."""
    root = str(Path(__file__).parent.parent)
    other = os.environ.get("AWS2BQ_BENCH_SRC")
    return os.pathsep.join([other, root]) if other else root


def peak_rss_mib() -> float:
    """This process's peak resident set size since it started its program, in MiB.

    Read from ``VmHWM`` in ``/proc/self/status`` (the high-water mark of this program's own
    memory, https://docs.kernel.org/filesystems/proc.html), not from ``ru_maxrss``: Linux
    keeps the high-water mark of the memory a process had before ``exec`` in ``ru_maxrss``,
    and a child started by :mod:`subprocess` (``vfork``, then ``exec``) had its parent's
    memory, so ``ru_maxrss`` reports the parent's peak when it is higher (this harness holds
    the whole ``gzip -dc`` output of one file: 830 MiB for a one-file 1M-item export).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(
            int(line.split()[1]) // 1024**2
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        mem = 0
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Runs:
    """Alternating baseline / load measurements."""

    baselines: list[Baseline] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    loadavg: list[str] = field(default_factory=list)

    def add(self, baseline: Baseline, result: dict[str, Any]) -> None:
        self.baselines.append(baseline)
        self.results.append(result)
        self.loadavg.append(load_average())

    def report(self, what: str, items: int) -> None:
        def median(values: Sequence[float]) -> float:
            return statistics.median(values)

        pipe = median([b.pipe for b in self.baselines])
        null = median([b.null for b in self.baselines])
        gz_cpu = median([b.cpu for b in self.baselines])
        load = median([r["elapsed"] for r in self.results])
        cpu = median([r["cpu"] for r in self.results])
        rss = max(r["peak_rss_mib"] for r in self.results)
        print(f"machine: {machine()}")
        for n, (b, r, la) in enumerate(
            zip(self.baselines, self.results, self.loadavg, strict=True), start=1
        ):
            print(
                f"  run {n}: gzip -dc {b.pipe:.2f}s (to /dev/null {b.null:.2f}s, CPU {b.cpu:.2f}s)"
                f"; {what} {r['elapsed']:.2f}s (CPU {r['cpu']:.2f}s); ratio "
                f"{r['elapsed'] / b.pipe:.2f}× ({r['elapsed'] / b.null:.2f}× /dev/null); "
                f"peak RSS {r['peak_rss_mib']:.0f} MiB; load average {la}"
            )
        print(
            f"{what}, {items:,} items, medians of {len(self.results)} runs: {load:.2f}s; "
            f"gzip -dc {pipe:.2f}s (to /dev/null {null:.2f}s); ratio {load / pipe:.2f}× "
            f"({load / null:.2f}× against /dev/null); CPU {cpu:.2f}s against gzip's "
            f"{gz_cpu:.2f}s ({cpu / gz_cpu:.2f}×, over {os.cpu_count()} cores); "
            f"peak RSS max {rss:.0f} MiB"
        )
