"""`python -m bench [name ...]`: run every benchmark (or the named ones), each in its own process."""

from __future__ import annotations

import os
import pkgutil
import platform
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

HELPERS = {"common", "counts", "data"}  # modules the benchmarks share, not benchmarks themselves


def benchmarks() -> list[str]:
    return sorted(
        module.name
        for module in pkgutil.iter_modules([str(Path(__file__).parent)])
        if not module.name.startswith("_") and module.name not in HELPERS
    )


def machine() -> str:
    """The machine the figures come from: they mean little without it (and its load: the host is shared)."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        (
            int(line.split()[1]) / 2**20
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0.0,
    )
    try:
        postgres = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-Atc", "SHOW server_version"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        postgres = ""
    return (
        f"machine: {os.cpu_count()} CPUs ({model}), {memory:.1f} GiB, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, PostgreSQL {postgres or 'not reachable'}"
    )


def speed() -> str:
    """How fast this shared host runs Python right now: the same machine has given start-up figures 1.5x
    apart within an hour at the same load average, so each benchmark prints this beside its figures."""
    started = time.process_time()
    total = 0
    for n in range(5_000_000):
        total += n
    loop = time.process_time() - started
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", "import sqlalchemy.orm, aiohttp"], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    imports = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return f"host speed: 5M Python additions {loop:.2f} s, importing SQLAlchemy and aiohttp {imports:.2f} s of CPU"


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str]) -> int:
    known = benchmarks()
    names = argv or known
    unknown = [name for name in names if name not in known]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(known)}", file=sys.stderr)
        return 2
    worst = 0
    print(machine(), flush=True)
    for name in names:
        print(f"=== bench.{name} ({load()}; {speed()}) ===", flush=True)
        worst = max(worst, subprocess.run([sys.executable, "-m", f"bench.{name}"]).returncode)
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
