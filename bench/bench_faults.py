"""Harvests under injected faults: datasets stored vs served, status and seconds, against the same harvest without
faults in the same run (the ratio).

2,000 real Tokyo packages (distinct names) are served by odq's fault-injecting loopback CKAN portal
(odq/replay_faults.py) in a separate process; odq harvests them at page size 50 into a fresh SQLite store.
The headline is 30 % HTTP 500s on package_search; --kinds adds one row per fault kind.

    python bench/bench_faults.py [--datasets 2000] [--page-size 50] [--share 0.3] [--kinds]
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIXTURE = Path(os.environ.get("ODQ_FIXTURES") or ROOT.parent / "shared" / "fixtures") / "real" / \
    "ckan_catalog.data.metro.tokyo.lg.jp" / "package_show_all.jsonl.gz"


def packages(count: int) -> list[dict]:
    """The first `count` Tokyo packages with distinct names (the recording repeats a few renamed ones)."""
    by_name: dict[str, dict] = {}
    with gzip.open(FIXTURE) as handle:
        for line in handle:
            if line.strip():
                package = json.loads(line)["result"]
                by_name.setdefault(package["name"], package)
                if len(by_name) == count:
                    break
    return list(by_name.values())


def serve(count: int, wire: dict[str, Any], ready: mp.Queue, stop: mp.Event) -> None:
    from odq.replay import catalogue_from_packages
    from odq.replay_faults import FaultyCkanServer, WireFaults

    chosen = [] if wire.pop("empty", False) else packages(count)
    with FaultyCkanServer(catalogue_from_packages(chosen), wire=WireFaults(**wire)) as server:
        ready.put((server.base, len(server.served_ids)))
        stop.wait()
        ready.put(dict(server.injected))


def harvest(store: Any, count: int, wire: dict[str, Any], page_size: int, *, read_timeout: float = 60.0,
            limits: dict[str, float] | None = None) -> dict[str, Any]:
    from harvester.http import Http, Politeness
    from harvester.run import run_harvest

    context = mp.get_context("spawn")
    ready, stop = context.Queue(), context.Event()
    server = context.Process(target=serve, args=(count, dict(wire), ready, stop))
    server.start()
    base, served = ready.get(timeout=120)
    profile = {"id": "tokyo-bench", "name": "Tokyo (loopback)", "level": "city", "region": "bench",
               "software": "ckan", "url": base, "allow_hosts": ["127.0.0.1"],
               "politeness": {"requests_per_second": 10000, "concurrency": 8},
               "options": {"page_size": page_size}, **({"harvest": limits} if limits else {})}
    http = Http(allow_hosts=["127.0.0.1"], politeness=Politeness.from_profile(profile["politeness"]),
                read_timeout=read_timeout)
    started = time.perf_counter()
    try:
        result = run_harvest(profile, store, http)
    finally:
        seconds = time.perf_counter() - started
        stop.set()
        injected = ready.get(timeout=60)
        server.join(timeout=60)
        http.close()
    reason = next((e for e in result.errors if not e.startswith("skipped")), "")
    return {"served": served, "stored": result.datasets, "status": result.status, "seconds": round(seconds, 2),
            "requests": result.requests, "injected": injected, "reason": reason[:150]}


def kinds(share: float) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(name, wire faults, harvest options) per fault kind."""
    return [
        (f"{share:.0%} HTTP 500", {"error_share": share}, {}),
        ("500 after 10 pages, for good", {"error_after_pages": 10}, {}),
        ("stall 3 s on one call (read timeout 1 s)", {"stall_calls": frozenset({6}), "stall_seconds": 3.0},
         {"read_timeout": 1.0}),
        ("429 + Retry-After: 1, twice", {"rate_limited_calls": frozenset({4, 5})}, {}),
        ("one truncated JSON page", {"truncated_calls": frozenset({6})}, {}),
        ("fq ignored", {"ignore_fq": True}, {}),
        ("count 10 % above the listing", {"count_extra_share": 0.1}, {}),
        ("empty listing", {"empty": True}, {}),
        ("repeated ids (last of each page = first)", {"repeat_first": True}, {}),
        ("1 byte/s (request deadline 5 s)", {"trickle_bytes_per_second": 1.0},
         {"limits": {"request_deadline_seconds": 5}}),
        ("slow pages, harvest deadline 0.05 min", {"slow_seconds": 0.2}, {"limits": {"deadline_minutes": 0.05}}),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=2000)
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--share", type=float, default=0.3, help="share of package_search calls answering 500")
    parser.add_argument("--kinds", action="store_true", help="also one harvest per fault kind")
    args = parser.parse_args()

    from harvester.http import Http
    from harvester.store import Store

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        def fresh() -> Store:
            return Store(f"sqlite:///{Path(tmp) / f'odq-{len(rows)}.sqlite'}")

        clean = harvest(fresh(), args.datasets, {}, args.page_size)
        rows.append(("no faults", clean))
        runs = kinds(args.share) if args.kinds else kinds(args.share)[:1]
        for name, wire, options in runs:
            if name.startswith("1 byte/s") and not hasattr(Http(), "request_deadline"):
                rows.append((name, {"status": "not run: Http has no request_deadline", "served": args.datasets}))
                continue
            store = fresh()
            harvest(store, args.datasets, {}, args.page_size)  # a complete harvest first: what must stay current
            if "count_extra_share" in wire:
                wire = {"count_extra": int(args.datasets * wire["count_extra_share"])}
            rows.append((name, harvest(store, args.datasets, wire, args.page_size, **options)))
            rows[-1][1]["current_kept"] = rows[-1][1]["status"] == "complete" or \
                store.current_harvest("tokyo-bench").id == 1
    print(f"{args.datasets:,} Tokyo datasets, page size {args.page_size}, loopback CKAN in its own process\n")
    print("| fault | served | stored | status | s | × no faults | requests | previous current | reason |")
    print("|---|---:|---:|---|---:|---:|---:|---|---|")
    for name, row in rows:
        if "stored" not in row:
            print(f"| {name} | {row['served']:,} | — | {row['status']} | | | | | |")
            continue
        ratio = row["seconds"] / clean["seconds"] if clean["seconds"] else float("nan")
        kept = "" if name == "no faults" else ("yes" if row.get("current_kept") else "NO")
        print(f"| {name} | {row['served']:,} | {row['stored']:,} | {row['status']} | {row['seconds']:.2f} | "
              f"{ratio:.2f} | {row['requests']:,} | {kept} | {row['reason'].replace('|', '/')} |")
    print("\nraw:", json.dumps([{"fault": n, **r} for n, r in rows], default=str))


if __name__ == "__main__":
    main()
