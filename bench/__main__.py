"""`python -m bench [name ...]`: run every benchmark (or the named ones), each in its own process."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

HELPERS = {"common", "data"}  # modules the benchmarks share, not benchmarks themselves


def benchmarks() -> list[str]:
    return sorted(
        module.name
        for module in pkgutil.iter_modules([str(Path(__file__).parent)])
        if not module.name.startswith("_") and module.name not in HELPERS
    )


def main(argv: list[str]) -> int:
    known = benchmarks()
    names = argv or known
    unknown = [name for name in names if name not in known]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(known)}", file=sys.stderr)
        return 2
    worst = 0
    for name in names:
        print(f"=== bench.{name} ===", flush=True)
        worst = max(worst, subprocess.run([sys.executable, "-m", f"bench.{name}"]).returncode)
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
