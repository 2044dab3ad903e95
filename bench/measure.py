"""What the DynamoDB benchmarks share: the baseline, child runs with their peak RSS, the machine.

The baseline is ``gzip -dc`` decompressing the same data files one after another into
``/dev/null`` (one core, nothing else), measured in the same run as the load. The machine may
be shared: runs alternate baseline and load, and medians are reported with the load average.
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


def gunzip_seconds(paths: Sequence[Path]) -> tuple[float, float]:
    """(wall, CPU) seconds ``gzip -dc`` takes to decompress every file, one after another."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    for p in paths:
        subprocess.run(["gzip", "-dc", str(p)], check=True, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, _cpu(after) - _cpu(before)


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
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
    )
    elapsed = time.monotonic() - t
    if out.returncode:
        raise SystemExit(f"{module} child failed:\n{out.stdout}\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["elapsed"] = elapsed
    result["cpu"] = _cpu(resource.getrusage(resource.RUSAGE_CHILDREN)) - _cpu(before)
    return result


def peak_rss_mib() -> float:
    """This process's peak resident set size (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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

    baseline: list[float] = field(default_factory=list)
    baseline_cpu: list[float] = field(default_factory=list)
    load: list[float] = field(default_factory=list)
    load_cpu: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    loadavg: list[str] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)

    def add(self, baseline: tuple[float, float], result: dict[str, Any]) -> None:
        self.baseline.append(baseline[0])
        self.baseline_cpu.append(baseline[1])
        self.load.append(result["elapsed"])
        self.load_cpu.append(result["cpu"])
        self.rss.append(result["peak_rss_mib"])
        self.loadavg.append(load_average())
        self.results.append(result)

    def report(self, what: str, items: int) -> None:
        gz, ld = statistics.median(self.baseline), statistics.median(self.load)
        gz_cpu, ld_cpu = statistics.median(self.baseline_cpu), statistics.median(self.load_cpu)
        ratios = [lo / b for lo, b in zip(self.load, self.baseline, strict=True)]
        print(f"machine: {machine()}")
        for n, (b, bc, lo, lc, r, la) in enumerate(
            zip(
                self.baseline,
                self.baseline_cpu,
                self.load,
                self.load_cpu,
                self.rss,
                self.loadavg,
                strict=True,
            ),
            start=1,
        ):
            print(
                f"  run {n}: gzip -dc {b:.2f}s (CPU {bc:.2f}s), {what} {lo:.2f}s (CPU {lc:.2f}s), "
                f"ratio {lo / b:.2f}×, peak RSS {r:.0f} MiB, load average {la}"
            )
        print(
            f"{what}, {items:,} items: median {ld:.2f}s; gzip -dc median {gz:.2f}s; "
            f"ratio of medians {ld / gz:.2f}× (median of run ratios "
            f"{statistics.median(ratios):.2f}×); CPU: {ld_cpu:.2f}s vs {gz_cpu:.2f}s "
            f"({ld_cpu / gz_cpu:.2f}×, over {os.cpu_count()} cores); "
            f"peak RSS max {max(self.rss):.0f} MiB"
        )
