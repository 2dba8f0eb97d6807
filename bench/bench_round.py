"""Round benchmark: `odq round create` + the round report (HTML zh and en, JSON, XLSX) over N generated portals.

Each generated portal has one complete harvest whose measures are drawn (seeded) for every measure in the
registry, with findings on the failing share measures, and is scored by the real scorer under every system. Peer
in the same run: the existing league-table export (`odq export` to XLSX) of the same portals, level by level.

    python bench/bench_round.py --portals 300
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from checks.results import Results

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LEVELS = ("province", "sub-provincial", "provincial-capital", "city")
SURNAMES = "北上天重河山辽吉黑江浙安福江山河湖湖广广海四贵云陕甘青宁新内西"


def generate(store, portals: int, seed: int = 2019) -> None:
    from checks.registry import registry
    from checks.scoring import load_systems, score

    rng = random.Random(seed)
    systems = load_systems()
    specs = list(registry())
    for n in range(portals):
        level = LEVELS[n % len(LEVELS)]
        profile = {"id": f"gen-{n:04d}", "name": f"{rng.choice(SURNAMES)}{n:04d}市公共数据开放平台", "level": level,
                   "region": "generated", "software": "ckan", "url": f"https://gen-{n}.example", "group": level}
        store.upsert_portal(profile)
        harvest_id = store.begin_harvest(profile["id"])
        datasets = rng.randint(50, 5000)
        measures, findings = [], []
        for spec in specs:
            if spec.unit == "share":
                value = rng.random()
                failed = round((1 - value) * datasets)
                detail = {"unit": "share", "title_zh": spec.title_zh, "title_en": spec.title_en, "good": spec.good,
                          "applicable": datasets, "failed": failed}
                findings.extend({"family": spec.family, "measure_id": spec.id, "native_id": f"d{k}",
                                 "title": f"数据集{k}", "message": f"{spec.title_en}: fails"}
                                for k in range(min(failed, 5)))
            else:
                value = float(rng.random() > 0.3) if spec.unit == "boolean" else float(rng.randint(0, 12))
                detail = {"unit": spec.unit, "title_zh": spec.title_zh, "title_en": spec.title_en, "good": spec.good}
            measures.append({"measure_id": spec.id, "family": spec.family, "value": value, "detail": detail})
        store.finish_harvest(harvest_id, status="complete", datasets=datasets)
        Results(store).save_assessment(harvest_id, measures, findings)
        for system in systems:
            Results(store).save_score(harvest_id, system["id"], level, dict(score(system, level, measures)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--portals", type=int, default=300)
    args = parser.parse_args()
    from harvester.store import Store
    from reports.export import export_metadata, league_rows, write_export
    from reports.rounds.build import create_round
    from reports.rounds.render import write_report, write_xlsx
    from reports.rounds.results import results_for

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = Store(f"sqlite:///{root / 'bench.sqlite'}")
        t0 = time.perf_counter()
        generate(store, args.portals)
        built = time.perf_counter() - t0

        t0 = time.perf_counter()
        create_round(store, "bench", "cstc2019-website")
        created = time.perf_counter() - t0
        t0 = time.perf_counter()
        results = results_for(store, "bench")
        write_report(results, root / "site")
        write_xlsx(results, root / "round.xlsx")
        reported = time.perf_counter() - t0

        t0 = time.perf_counter()
        for level in LEVELS:
            rows = league_rows(store, "cstc2019-website", level)
            write_export(rows, root / f"league-{level}.xlsx", metadata=export_metadata("cstc2019-website", level, rows))
        peer = time.perf_counter() - t0
    print(f"{args.portals} generated portals (built in {built:.1f} s)")
    print(f"round create          {created:7.2f} s")
    print(f"round report + export {reported:7.2f} s  (HTML zh+en, JSON, XLSX)")
    print(f"peer: league export   {peer:7.2f} s  (odq export to XLSX, {len(LEVELS)} levels)")
    print(f"ratio (create + report) / league export: {(created + reported) / peer:.2f}")


if __name__ == "__main__":
    main()
