"""Start-up benchmark: `odq --help` against a bare interpreter start (`python -c pass`), median of N paired runs.

    python bench/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    odq = str(Path(sys.executable).with_name("odq"))
    bare, helped = [], []
    for _ in range(args.runs):  # paired, so load on a shared machine hits both alike
        bare.append(_seconds([sys.executable, "-c", "pass"]))
        helped.append(_seconds([odq, "--help"]))
    b, h = statistics.median(bare), statistics.median(helped)
    print(f"python -c pass  {b:6.3f} s")
    print(f"odq --help      {h:6.3f} s")
    print(f"ratio           {h / b:6.2f}")


if __name__ == "__main__":
    main()
