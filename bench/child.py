"""Run one benchmark step in a fresh interpreter, so the peak RSS it reports is that step's own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def in_child(module: str, function: str, argument: str) -> dict:
    """`module.function(argument)` in a new process; its dict result plus `peak_rss_mb`."""
    code = (f"import json, resource, sys; sys.path.insert(0, {str(ROOT)!r}); from {module} import {function}; "
            f"r = {function}({argument!r}); "
            "r['peak_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; print(json.dumps(r))")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])
