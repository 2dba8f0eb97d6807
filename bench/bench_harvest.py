"""Harvest benchmark: odq's CKAN harvest + store against the floor (download and JSON-parse the same pages).

The Tokyo catalogue (5,077 real package_show records) is replayed by odq's loopback CKAN server in a
separate process, optionally scaled ×N with fresh ids, so memory growth with catalogue size shows.
Each client runs in its own process so its peak RSS is its own. Peers, measured in the same run:

- floor: plain `requests` + `json` over every package_search page of 1000 (what any harvester must do);
- ckanapi (optional, --ckanapi): `ckanapi dump datasets --all -p 2 -g`, the CKAN project's own client.

    python bench/bench_harvest.py [--scale 1 4] [--ckanapi]
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.child import in_child  # noqa: E402

FIXTURE = Path(os.environ.get("ODQ_FIXTURES") or ROOT.parent / "shared" / "fixtures") / "real" / \
    "ckan_catalog.data.metro.tokyo.lg.jp" / "package_show_all.jsonl.gz"


def scaled_packages(scale: int) -> list[dict]:
    with gzip.open(FIXTURE) as handle:
        base = [json.loads(line)["result"] for line in handle if line.strip()]
    packages = list(base)
    for copy_number in range(1, scale):
        for package in base:
            clone = copy.deepcopy(package)
            clone["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{package['id']}/{copy_number}"))
            clone["name"] = f"{package.get('name')}-copy{copy_number}"
            packages.append(clone)
    return packages


def serve(scale: int, ready: mp.Queue, stop: mp.Event) -> None:
    from odq.replay import ReplayServer, catalogue_from_packages

    with ReplayServer(catalogue_from_packages(scaled_packages(scale))) as server:
        ready.put(server.base)
        stop.wait()


def floor_client(base: str) -> dict:
    import requests

    session = requests.Session()
    started = time.perf_counter()
    start, count, total = 0, 0, None
    while total is None or start < total:
        response = session.get(f"{base}/api/3/action/package_search",
                               params={"q": "*:*", "rows": 1000, "start": start, "sort": "metadata_created asc, id asc"})
        result = json.loads(response.content)["result"]
        total = result["count"]
        count += len(result["results"])
        start += 1000
    return {"seconds": time.perf_counter() - started, "datasets": count}


def odq_client(base: str) -> dict:
    from harvester.http import Http, Politeness
    from harvester.run import run_harvest
    from harvester.store import Store

    with tempfile.TemporaryDirectory() as directory:
        store = Store(f"sqlite:///{directory}/bench.sqlite")
        profile = {"id": "bench", "name": "bench", "level": "city", "region": "bench", "software": "ckan",
                   "url": base}
        http = Http(allow_hosts=["127.0.0.1"], politeness=Politeness(10_000, 4))
        started = time.perf_counter()
        result = run_harvest(profile, store, http)
        seconds = time.perf_counter() - started
    assert result.status == "complete", result.errors[:3]
    return {"seconds": seconds, "datasets": result.datasets, "distributions": result.distributions,
            "store_seconds": result.timings["store"]}



def ckanapi_client(base: str) -> dict:
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        # ckanapi is installed beside this interpreter and starts its workers by name, so it must be on PATH.
        bin_dir = str(Path(sys.executable).parent)
        env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
        subprocess.run(["ckanapi", "dump", "datasets", "--all", "-p", "2", "-q", "-g", "-O", f"{directory}/d.jsonl",
                        "-r", base], check=True, capture_output=True, env=env)
        seconds = time.perf_counter() - started
        with open(f"{directory}/d.jsonl", encoding="utf-8") as handle:
            lines = sum(1 for _ in handle)
    return {"seconds": seconds, "datasets": lines,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--ckanapi", action="store_true", help="also time ckanapi dump (slow: ~1 min per 5k)")
    args = parser.parse_args()
    print(f"{'catalogue':>12} {'client':>8} {'datasets':>9} {'seconds':>8} {'ratio':>6} {'peak MB':>8}")
    for scale in args.scale:
        ready: mp.Queue = mp.Queue()
        stop = mp.Event()
        server = mp.Process(target=serve, args=(scale, ready, stop), daemon=True)
        server.start()
        base = ready.get(timeout=300)
        try:
            floor = in_child("bench.bench_harvest", "floor_client", base)
            odq = in_child("bench.bench_harvest", "odq_client", base)
            rows = [("floor", floor), ("odq", odq)]
            if args.ckanapi:
                rows.append(("ckanapi", ckanapi_client(base)))
            for name, row in rows:
                print(f"{'tokyo x' + str(scale):>12} {name:>8} {row['datasets']:>9,} {row['seconds']:>8.2f} "
                      f"{row['seconds'] / floor['seconds']:>6.2f} {row['peak_rss_mb']:>8.0f}")
        finally:
            stop.set()
            server.join(timeout=10)


if __name__ == "__main__":
    main()
