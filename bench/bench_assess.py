"""Assessment benchmark: store → measures (the metadata families and their GX suites) at catalogue scale.

Builds, once, a store holding a catalogue of N datasets made from the real Tokyo records (mapped by the
CKAN adapter, cloned with fresh native ids; raw JSON dropped to keep the file small), then assesses it
without link or file checks, in a child process so peak RSS is the assessment's own. Peer in the same run:
the bare pandas read of the same rows (`pd.read_sql` of the records table), the floor of any assessment.

    python bench/bench_assess.py --datasets 5077 1000000
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.child import in_child  # noqa: E402

RESULTS = ROOT / "bench" / "results"
FIXTURE = Path(os.environ.get("ODQ_FIXTURES") or ROOT.parent / "shared" / "fixtures") / "real" / \
    "ckan_catalog.data.metro.tokyo.lg.jp" / "package_show_all.jsonl.gz"
PORTAL = {"id": "bench", "name": "bench", "level": "city", "region": "bench", "software": "ckan",
          "url": "https://catalog.data.metro.tokyo.lg.jp", "data_request": {"available": True}}


def build(datasets: int) -> str:
    """A store with one complete harvest of `datasets` records; reused when it already exists."""
    from harvester.adapters.ckan import map_package
    from harvester.store import Store

    path = RESULTS / f"assess-{datasets}.sqlite"
    url = f"sqlite:///{path}"
    if path.exists():
        return url
    RESULTS.mkdir(parents=True, exist_ok=True)
    with gzip.open(FIXTURE) as handle:
        base = [map_package(json.loads(line)["result"], "bench", PORTAL["url"]) for line in handle if line.strip()]
    store = Store(url)
    store.upsert_portal(PORTAL)
    harvest_id = store.begin_harvest("bench")
    batch, made = [], 0
    started = time.perf_counter()
    while made < datasets:
        record = base[made % len(base)]
        copy_number = made // len(base)
        native_id = record.native_id if copy_number == 0 else f"{record.native_id}~{copy_number}"
        batch.append(dataclasses.replace(record, native_id=native_id, raw=None))
        made += 1
        if len(batch) == 2000:
            store.add_records(harvest_id, batch)
            batch = []
    if batch:
        store.add_records(harvest_id, batch)
    count, distributions = store.count_records(harvest_id)
    store.finish_harvest(harvest_id, status="complete", datasets=count, distributions=distributions)
    print(f"built {count:,} datasets / {distributions:,} distributions in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)
    return url


def assess_child(url: str) -> dict:
    from checks.assess import AssessOptions, assess_harvest
    from harvester.store import Store

    store = Store(url)
    started = time.perf_counter()
    assessment = assess_harvest(store, PORTAL, http=None,  # no link or file checks: nothing is fetched
                                options=AssessOptions(check_links=False, validate_files=False))
    return {"seconds": time.perf_counter() - started, "timings": assessment.timings,
            "measures": len(assessment.measures), "findings": assessment.findings_total}


def read_child(url: str) -> dict:
    import pandas as pd
    from sqlalchemy import create_engine

    started = time.perf_counter()
    frame = pd.read_sql("SELECT native_id, title, categories, frequency, modified, formats FROM records",
                        create_engine(url))
    return {"seconds": time.perf_counter() - started, "rows": len(frame)}



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, nargs="+", default=[5077, 1_000_000])
    args = parser.parse_args()
    print(f"{'datasets':>10} {'step':>16} {'seconds':>8} {'ratio':>6} {'peak MB':>8}  detail")
    for datasets in args.datasets:
        url = build(datasets)
        floor = in_child("bench.bench_assess", "read_child", url)
        assessed = in_child("bench.bench_assess", "assess_child", url)
        print(f"{datasets:>10,} {'pandas read':>16} {floor['seconds']:>8.1f} {1:>6.2f} {floor['peak_rss_mb']:>8.0f}")
        print(f"{datasets:>10,} {'odq assess':>16} {assessed['seconds']:>8.1f} "
              f"{assessed['seconds'] / floor['seconds']:>6.2f} {assessed['peak_rss_mb']:>8.0f}  {assessed['timings']}")


if __name__ == "__main__":
    main()
